//! The board's host serial port (`slingshot_layout::Board::serial`): USART3 on PD8/PD9 on the
//! Nucleo-144 boards, USART2 on PA2/PA3 on the Nucleo-64 boards and the STM32F4DISCOVERY, both
//! alternate function 7. Polled, 8N1 (8E1 on request, for ST's AN3155 protocol), clocked from APB1: the 16 MHz HSI, or the part's APB1
//! clock while the bootloader verifies on the PLL (RM0090 §30.6). USART2 and USART3 have the
//! same registers on every F4; the board table gives the addresses.

use crate::gpio;
use crate::{device, pac};
use core::sync::atomic::{AtomicBool, Ordering};
use slingshot_layout::boards::SerialPort;
use slingshot_layout::BUILD_BOARD;

/// The serial port of the board this firmware is built for.
pub const PORT: SerialPort = BUILD_BOARD.serial;

/// The port's USART registers.
pub(crate) fn registers() -> &'static pac::usart1::RegisterBlock {
    // SAFETY: `PORT.usart.address()` is USART2's or USART3's register block, always mapped on
    // an F4, with the layout of the PAC's USART register block; MMIO registers are accessed
    // through volatile cells, so sharing the reference is sound.
    unsafe { &*(PORT.usart.address() as *const pac::usart1::RegisterBlock) }
}

/// A received character had a framing error (FE) since [`take_framing_error`] last looked,
/// as seen by the status reads of the `*_recording_framing_errors` methods, which the
/// bootloader's serial service uses for everything it sends: reading SR arms the clearing of
/// FE by the next DR read, which DMA reception performs, so an FE not recorded at that read is
/// lost. (The plain methods leave FE alone.)
static FRAMING_ERROR: AtomicBool = AtomicBool::new(false);

/// Reads SR, recording a framing error.
fn status_recording_framing_errors() -> pac::usart1::sr::R {
    let status = registers().sr().read();
    if status.fe().bit_is_set() {
        FRAMING_ERROR.store(true, Ordering::Relaxed);
    }
    status
}

/// Whether a character with a framing error arrived since the last call (as seen by the
/// recording methods, and now): an 8E1 host's character whose parity bit is 0, received as
/// 8N1, ends with a 0 where the stop bit should be.
pub fn take_framing_error() -> bool {
    status_recording_framing_errors();
    FRAMING_ERROR.swap(false, Ordering::Relaxed)
}

/// The board's serial port, configured for 8N1 at a given baud rate.
pub struct Usart {
    _private: (),
}

/// The baud-rate register value for `baud` from `clock_hz` with 16× oversampling: 115200
/// baud gives 0x8B from 16 MHz (115 108 baud, −0.08 %) and 365 from 42 MHz (115 068 baud,
/// −0.11 %).
pub const fn baud_rate_register(clock_hz: u32, baud: u32) -> u32 {
    (clock_hz + baud / 2) / baud
}

impl Usart {
    /// Enable the clocks of the port's GPIO ports and USART, route its pins to the USART and
    /// enable the transmitter and receiver at `baud` (8N1) for the APB1 clock that runs now.
    pub fn new(baud: u32) -> Self {
        let rcc = device().RCC;
        gpio::enable_clock(PORT.transmit);
        gpio::enable_clock(PORT.receive);
        // SAFETY: setting the USART's APB1ENR bit only starts its clock.
        rcc.apb1enr()
            .modify(|r, w| unsafe { w.bits(r.bits() | (1 << PORT.usart.apb1_bit())) });
        // Read back once so the clock is running before the first register access.
        let _ = rcc.apb1enr().read();
        gpio::route(PORT.transmit, PORT.alternate_function);
        gpio::route(PORT.receive, PORT.alternate_function);
        let usart = registers();
        let divider = baud_rate_register(crate::clock::apb1_clock_hz(), baud);
        // SAFETY: BRR accepts any 16-bit value; the divider fits 16 bits for baud ≥ 642 at
        // 42 MHz (≥ 245 at 16 MHz).
        usart.brr().write(|w| unsafe { w.bits(divider as u16) });
        usart
            .cr1()
            .write(|w| w.ue().set_bit().te().set_bit().re().set_bit());
        Self { _private: () }
    }

    /// The port as [`Self::new`] left it: for a caller that configured it before and keeps
    /// track of that (the bootloader's message queue), so it is not set up again per byte.
    pub fn configured() -> Self {
        Self { _private: () }
    }

    /// Send one byte, waiting for room in the transmit register.
    pub fn write_byte(&mut self, byte: u8) {
        let usart = registers();
        while usart.sr().read().txe().bit_is_clear() {}
        usart.dr().write(|w| w.dr().set(u16::from(byte)));
    }

    /// Send `byte` if the transmit register has room; returns whether it was taken.
    pub fn try_write_byte(&mut self, byte: u8) -> bool {
        let usart = registers();
        if usart.sr().read().txe().bit_is_clear() {
            return false;
        }
        usart.dr().write(|w| w.dr().set(u16::from(byte)));
        true
    }

    /// Send every byte of `bytes`.
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_byte(byte);
        }
    }

    /// Wait until the last byte has left the shift register (before a reset or hand-off).
    pub fn flush(&mut self) {
        let usart = registers();
        while usart.sr().read().tc().bit_is_clear() {}
    }

    /// [`Self::write_bytes`], recording framing errors at every status read.
    pub fn write_bytes_recording_framing_errors(&mut self, bytes: &[u8]) {
        let usart = registers();
        for &byte in bytes {
            while status_recording_framing_errors().txe().bit_is_clear() {}
            usart.dr().write(|w| w.dr().set(u16::from(byte)));
        }
    }

    /// [`Self::flush`], recording framing errors at every status read.
    fn flush_recording_framing_errors(&mut self) {
        while status_recording_framing_errors().tc().bit_is_clear() {}
    }

    /// Send every byte of `bytes` with at least one idle bit after each (recording framing
    /// errors), for a host whose framing is not known yet: an 8E1 host reads the stop bit as
    /// the parity bit and the idle bit as its stop bit, so a character whose even parity bit
    /// is 1 reaches it intact (and an 8N1 host reads the idle bit as idle line).
    pub fn write_bytes_spaced(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_bytes_recording_framing_errors(&[byte]);
            self.flush_recording_framing_errors();
            // BRR is the bit time in APB1 clocks (16× oversampling); the core runs at least
            // as fast as APB1.
            cortex_m::asm::delay(u32::from(registers().brr().read().bits()));
        }
    }

    /// Switch between 8N1 and 8 data bits with even parity (8E1, ST's ROM bootloader's
    /// framing: CR1.M and CR1.PCE, PS = 0). Call with the line idle in both directions.
    pub fn set_even_parity(&mut self, even: bool) {
        registers()
            .cr1()
            .modify(|_, w| w.m().bit(even).pce().bit(even).ps().clear_bit());
    }

    /// A received byte, if one is waiting. Clears an overrun so reception continues.
    pub fn read_byte(&mut self) -> Option<u8> {
        let usart = registers();
        let status = usart.sr().read();
        if status.rxne().bit_is_set() || status.ore().bit_is_set() {
            // Reading SR then DR clears RXNE and ORE (RM0090 §30.6.1).
            Some(usart.dr().read().dr().bits() as u8)
        } else {
            None
        }
    }
}

impl core::fmt::Write for Usart {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        self.write_bytes(text.as_bytes());
        Ok(())
    }
}
