//! Host serial port reception by DMA into a circular RAM ring (RM0090 §10.3.17, §30.6.7), on
//! the DMA1 stream and channel the board table names for its USART's RX request (USART3_RX:
//! stream 1, USART2_RX: stream 5, both channel 4). The DMA controller never fetches from flash,
//! so the ring keeps filling while the CPU stalls on a flash erase or program; the reader
//! drains it afterwards. Transmission stays polled ([`crate::usart::Usart`]).
//!
//! Where no DMA controller answers (QEMU models none: its registers read 0), [`DmaReceiver`]
//! falls back to polling the USART's data register, which loses bytes during flash stalls;
//! QEMU has no flash controller either, so nothing stalls there.

use crate::usart::{baud_rate_register, registers, Usart, PORT};
use crate::{device, HSI_HZ};
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};

/// DMA1 stream serving the port's RX request (the board table's DMA route).
const STREAM: usize = PORT.receive_dma_stream as usize;
/// SxCR.CHSEL value selecting the port's RX request on that stream.
const CHANNEL: u32 = PORT.receive_dma_channel as u32;
/// SxCR: circular mode, memory increment, peripheral-to-memory (DIR = 00), bytes on both
/// sides (PSIZE = MSIZE = 00), priority high (PL = 10), channel 4, stream still disabled.
const STREAM_CONTROL: u32 = (CHANNEL << 25) | (0b10 << 16) | (1 << 10) | (1 << 8);
/// SxCR.EN.
const STREAM_ENABLE: u32 = 1;
/// A stream's flags in LIFCR/HIFCR (streams 0–3 / 4–7): FEIF (0), DMEIF (2), TEIF (3), HTIF
/// (4), TCIF (5), shifted by the stream's offset 0, 6, 16 or 22 (RM0090 §10.5.1).
const STREAM_FLAGS: u32 = {
    let offset = [0, 6, 16, 22][STREAM % 4];
    0b11_1101 << offset
};
const _: () = assert!(STREAM < 8 && CHANNEL < 8);
/// Address of the USART's DR, the peripheral side of the transfer.
const USART_DATA_REGISTER: u32 = PORT.usart.address() + 4;
/// Bound on polls of TC before a baud switch (about 20 ms at 16 MHz, > one byte at 1200 baud).
const TRANSMIT_WAIT_LIMIT: u32 = 100_000;

/// Statically allocated receive ring memory of `SIZE` bytes (in SRAM, which DMA reaches; not
/// in CCM RAM, which it does not). `SIZE` must be at most 65 535 (the NDTR width). Declare it
/// with [`receive_ring!`](crate::receive_ring), which places it in `.uninit`: the bytes are
/// only read after the DMA wrote them, so the start-up code need not zero them (17.7 KB for
/// the bootloader's ring: about 1.1 ms at 16 MHz on every boot).
pub struct ReceiveRing<const SIZE: usize> {
    bytes: UnsafeCell<MaybeUninit<[u8; SIZE]>>,
}

// SAFETY: the bytes are only reached through the one `DmaReceiver` that `start` hands out
// (guarded by `RECEIVER_TAKEN`), so sharing the static between threads gives no shared access.
unsafe impl<const SIZE: usize> Sync for ReceiveRing<SIZE> {}

impl<const SIZE: usize> ReceiveRing<SIZE> {
    const FITS_NDTR: () = assert!(SIZE > 0 && SIZE <= 0xFFFF, "DMA NDTR is 16 bits wide");

    /// Ring memory for a `static` (uninitialized: see [`receive_ring!`](crate::receive_ring)).
    pub const fn new() -> Self {
        let () = Self::FITS_NDTR;
        Self {
            bytes: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }
}

impl<const SIZE: usize> Default for ReceiveRing<SIZE> {
    fn default() -> Self {
        Self::new()
    }
}

/// Declares `static $name: ReceiveRing<$size>` in the `.uninit` section (not zeroed at start-up).
#[macro_export]
macro_rules! receive_ring {
    ($(#[$attribute:meta])* $name:ident, $size:expr) => {
        $(#[$attribute])*
        #[link_section = ".uninit.slingshot_receive_ring"]
        static $name: $crate::usart_dma::ReceiveRing<{ $size }> =
            $crate::usart_dma::ReceiveRing::new();
    };
}

/// Whether the one [`DmaReceiver`] (the DMA1 stream on the port's RX request) was handed out.
static RECEIVER_TAKEN: AtomicBool = AtomicBool::new(false);

/// How received bytes arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiveMode {
    /// The DMA1 stream fills the ring.
    Dma,
    /// No DMA controller answered: bytes are read from the USART's DR by polling.
    Polled,
}

/// The reading end of the serial port's receive ring.
pub struct DmaReceiver {
    ring: *const u8,
    length: usize,
    read_position: usize,
    mode: ReceiveMode,
}

impl DmaReceiver {
    /// Configures the USART at `baud` and starts its DMA1 stream writing received bytes into
    /// `ring`, circularly. Returns `None` if the receiver was started already.
    ///
    /// Register order: RCC_AHB1ENR.DMA1EN; SxCR = 0 and wait until EN reads 0; SxPAR; SxM0AR;
    /// SxNDTR; SxFCR (direct mode); SxCR (configuration, read back to detect a DMA controller);
    /// LIFCR or HIFCR (the stream's flags); SxCR |= EN; USART_CR3.DMAR.
    pub fn start<const SIZE: usize>(
        ring: &'static ReceiveRing<SIZE>,
        baud: u32,
    ) -> Option<(Usart, Self)> {
        if RECEIVER_TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        let usart = Usart::new(baud);
        let peripherals = device();
        peripherals
            .RCC
            .ahb1enr()
            .modify(|_, w| w.dma1en().set_bit());
        let _ = peripherals.RCC.ahb1enr().read();
        let stream = peripherals.DMA1.st(STREAM);
        // SAFETY: 0 disables the stream (RM0090 §10.5.5); a disabled stream can be configured.
        stream.cr().write(|w| unsafe { w.bits(0) });
        for _ in 0..1000 {
            if stream.cr().read().bits() & STREAM_ENABLE == 0 {
                break;
            }
        }
        let ring_address = ring.bytes.get() as usize as u32;
        // SAFETY: PAR is the USART's DR, the data register the channel reads; M0AR is the ring,
        // a static SRAM buffer of SIZE bytes, and NDTR = SIZE (≤ 65 535, checked at compile
        // time), so the DMA writes stay inside it; the ring is used by nothing else (`RECEIVER_TAKEN`).
        unsafe {
            stream.par().write(|w| w.bits(USART_DATA_REGISTER));
            stream.m0ar().write(|w| w.bits(ring_address));
            stream.ndtr().write(|w| w.bits(SIZE as u32));
            // Direct mode (DMDIS = 0), the FCR reset value 0x21.
            stream.fcr().write(|w| w.bits(0x21));
            stream.cr().write(|w| w.bits(STREAM_CONTROL));
        }
        let mode = if stream.cr().read().bits() == STREAM_CONTROL {
            if STREAM < 4 {
                // SAFETY: LIFCR is write-one-to-clear; only this stream's flags are written.
                peripherals
                    .DMA1
                    .lifcr()
                    .write(|w| unsafe { w.bits(STREAM_FLAGS) });
            } else {
                // SAFETY: HIFCR is write-one-to-clear; only this stream's flags are written.
                peripherals
                    .DMA1
                    .hifcr()
                    .write(|w| unsafe { w.bits(STREAM_FLAGS) });
            }
            // SAFETY: enabling the stream configured above.
            stream
                .cr()
                .write(|w| unsafe { w.bits(STREAM_CONTROL | STREAM_ENABLE) });
            registers().cr3().modify(|_, w| w.dmar().set_bit());
            ReceiveMode::Dma
        } else {
            ReceiveMode::Polled
        };
        let receiver = Self {
            ring: ring.bytes.get().cast::<u8>().cast_const(),
            length: SIZE,
            read_position: 0,
            mode,
        };
        Some((usart, receiver))
    }

    /// How bytes are received.
    pub fn mode(&self) -> ReceiveMode {
        self.mode
    }

    /// Ring size in bytes.
    pub fn capacity(&self) -> usize {
        self.length
    }

    /// Where the DMA writes next (ring length minus S1NDTR, which counts down and reloads).
    fn write_position(&self) -> usize {
        let remaining = device().DMA1.st(STREAM).ndtr().read().bits() as usize;
        // NDTR reads `length` right after a reload; keep the position inside the ring.
        (self.length - remaining.min(self.length)) % self.length
    }

    /// Bytes received and not yet read.
    pub fn available(&self) -> usize {
        match self.mode {
            ReceiveMode::Dma => {
                (self.write_position() + self.length - self.read_position) % self.length
            }
            ReceiveMode::Polled => usize::from(registers().sr().read().rxne().bit_is_set()),
        }
    }

    /// The next received byte, if any.
    pub fn pop(&mut self) -> Option<u8> {
        match self.mode {
            ReceiveMode::Dma => {
                if self.write_position() == self.read_position {
                    return None;
                }
                // NDTR was read before the byte: order the ring read after it.
                cortex_m::asm::dmb();
                // SAFETY: read_position < length, so the pointer lies inside the ring; the
                // DMA has written this byte (it is behind NDTR's position), so it is
                // initialized, and a volatile read does not assume it unchanged.
                let byte = unsafe { self.ring.add(self.read_position).read_volatile() };
                self.read_position = (self.read_position + 1) % self.length;
                Some(byte)
            }
            ReceiveMode::Polled => {
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
    }
}

/// Whether the USART can run at `baud` from HSI 16 MHz with 16× oversampling within 1 % (the
/// receiver's tolerance is about ±3.75 % in total, shared with the host's error), up to
/// 1 000 000 baud: 115200 (−0.08 %), 230400 (+0.64 %), 460800 (−0.79 %), 1 000 000 (exact);
/// not 921600 (+2.1 %).
pub fn supports_baud(baud: u32) -> bool {
    if !(1200..=1_000_000).contains(&baud) {
        return false;
    }
    let divider = baud_rate_register(HSI_HZ, baud);
    let actual = HSI_HZ / divider;
    actual.abs_diff(baud) * 100 <= baud
}

/// Switches the USART to `baud` once the last byte has left: waits for SR.TC (bounded), clears
/// CR1.UE, writes BRR, sets CR1.UE again. The DMA stream keeps running (CR3.DMAR stays set).
pub fn switch_baud(baud: u32) {
    let usart = registers();
    for _ in 0..TRANSMIT_WAIT_LIMIT {
        if usart.sr().read().tc().bit_is_set() {
            break;
        }
    }
    usart.cr1().modify(|_, w| w.ue().clear_bit());
    // SAFETY: BRR accepts any 16-bit value; the divider fits 16 bits for baud ≥ 245.
    usart
        .brr()
        .write(|w| unsafe { w.bits(baud_rate_register(HSI_HZ, baud) as u16) });
    usart.cr1().modify(|_, w| w.ue().set_bit());
}
