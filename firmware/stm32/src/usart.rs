//! USART3 on PD8 (TX) / PD9 (RX), alternate function 7: the ST-LINK virtual COM port of the
//! Nucleo-F429ZI. Polled, 8N1, clocked from APB1: the 16 MHz HSI, or 42 MHz while the
//! bootloader decides on the PLL (RM0090 §30.6).

use crate::device;

/// USART3, configured for 8N1 at a given baud rate.
pub struct Usart3 {
    _private: (),
}

/// The baud-rate register value for `baud` from `clock_hz` with 16× oversampling: 115200
/// baud gives 0x8B from 16 MHz (115 108 baud, −0.08 %) and 365 from 42 MHz (115 068 baud,
/// −0.11 %).
pub const fn baud_rate_register(clock_hz: u32, baud: u32) -> u32 {
    (clock_hz + baud / 2) / baud
}

impl Usart3 {
    /// Enable the clocks of GPIOD and USART3, route PD8/PD9 to USART3 and enable the
    /// transmitter and receiver at `baud` (8N1) for the APB1 clock that runs now.
    pub fn new(baud: u32) -> Self {
        let peripherals = device();
        peripherals
            .RCC
            .ahb1enr()
            .modify(|_, w| w.gpioden().set_bit());
        peripherals
            .RCC
            .apb1enr()
            .modify(|_, w| w.usart3en().set_bit());
        // RM0090 errata-free idiom: read back once so the clock is running before the first
        // register access of the peripheral.
        let _ = peripherals.RCC.apb1enr().read();
        let gpio = &peripherals.GPIOD;
        gpio.afrh().modify(|_, w| w.afrh8().af7().afrh9().af7());
        gpio.moder()
            .modify(|_, w| w.moder8().alternate().moder9().alternate());
        let usart = &peripherals.USART3;
        let divider = baud_rate_register(crate::clock::apb1_clock_hz(), baud);
        // SAFETY: BRR accepts any 16-bit value; the divider fits 16 bits for baud ≥ 642 at
        // 42 MHz (≥ 245 at 16 MHz).
        usart.brr().write(|w| unsafe { w.bits(divider as u16) });
        usart
            .cr1()
            .write(|w| w.ue().set_bit().te().set_bit().re().set_bit());
        Self { _private: () }
    }

    /// Send one byte, waiting for room in the transmit register.
    pub fn write_byte(&mut self, byte: u8) {
        let usart = device().USART3;
        while usart.sr().read().txe().bit_is_clear() {}
        usart.dr().write(|w| w.dr().set(u16::from(byte)));
    }

    /// Send `byte` if the transmit register has room; returns whether it was taken.
    pub fn try_write_byte(&mut self, byte: u8) -> bool {
        let usart = device().USART3;
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
        let usart = device().USART3;
        while usart.sr().read().tc().bit_is_clear() {}
    }

    /// A received byte, if one is waiting. Clears an overrun so reception continues.
    pub fn read_byte(&mut self) -> Option<u8> {
        let usart = device().USART3;
        let status = usart.sr().read();
        if status.rxne().bit_is_set() || status.ore().bit_is_set() {
            // Reading SR then DR clears RXNE and ORE (RM0090 §30.6.1).
            Some(usart.dr().read().dr().bits() as u8)
        } else {
            None
        }
    }
}

impl core::fmt::Write for Usart3 {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        self.write_bytes(text.as_bytes());
        Ok(())
    }
}
