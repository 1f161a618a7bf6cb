//! USART3 reception by DMA into a circular RAM ring (RM0090 §10.3.17, §30.6.7): USART3_RX is
//! DMA1 stream 1, channel 4. The DMA controller never fetches from flash, so the ring keeps
//! filling while the CPU stalls on a bank-1 erase or program; the reader drains it afterwards.
//! Transmission stays polled ([`crate::usart::Usart3`]).
//!
//! Where no DMA controller answers (QEMU models none: its registers read 0), [`DmaReceiver`]
//! falls back to polling USART3's data register, which loses bytes during flash stalls; QEMU
//! has no flash controller either, so nothing stalls there.

use crate::usart::{baud_rate_register, Usart3};
use crate::{device, HSI_HZ};
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};

/// DMA1 stream used for USART3_RX (RM0090 table 42).
const STREAM: usize = 1;
/// SxCR.CHSEL value selecting USART3_RX on stream 1.
const CHANNEL: u32 = 4;
/// SxCR: circular mode, memory increment, peripheral-to-memory (DIR = 00), bytes on both
/// sides (PSIZE = MSIZE = 00), priority high (PL = 10), channel 4, stream still disabled.
const STREAM_CONTROL: u32 = (CHANNEL << 25) | (0b10 << 16) | (1 << 10) | (1 << 8);
/// SxCR.EN.
const STREAM_ENABLE: u32 = 1;
/// LIFCR bits clearing every stream-1 flag: FEIF1 (6), DMEIF1 (8), TEIF1 (9), HTIF1 (10),
/// TCIF1 (11).
const STREAM_FLAGS: u32 = (1 << 6) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11);
/// Address of USART3_DR, the peripheral side of the transfer.
const USART3_DATA_REGISTER: u32 = 0x4000_4804;
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

/// Whether the one [`DmaReceiver`] (DMA1 stream 1 on USART3_RX) was handed out.
static RECEIVER_TAKEN: AtomicBool = AtomicBool::new(false);

/// How received bytes arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiveMode {
    /// DMA1 stream 1 fills the ring.
    Dma,
    /// No DMA controller answered: bytes are read from USART3_DR by polling.
    Polled,
}

/// The reading end of the USART3 receive ring.
pub struct DmaReceiver {
    ring: *const u8,
    length: usize,
    read_position: usize,
    mode: ReceiveMode,
}

impl DmaReceiver {
    /// Configures USART3 at `baud` and starts DMA1 stream 1 writing received bytes into
    /// `ring`, circularly. Returns `None` if the receiver was started already.
    ///
    /// Register order: RCC_AHB1ENR.DMA1EN; S1CR = 0 and wait until EN reads 0; S1PAR; S1M0AR;
    /// S1NDTR; S1FCR (direct mode); S1CR (configuration, read back to detect a DMA controller);
    /// LIFCR (stream 1 flags); S1CR |= EN; USART3_CR3.DMAR.
    pub fn start<const SIZE: usize>(
        ring: &'static ReceiveRing<SIZE>,
        baud: u32,
    ) -> Option<(Usart3, Self)> {
        if RECEIVER_TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        let usart = Usart3::new(baud);
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
        // SAFETY: PAR is USART3_DR, the data register the channel reads; M0AR is the ring,
        // a static SRAM buffer of SIZE bytes, and NDTR = SIZE (≤ 65 535, checked at compile
        // time), so the DMA writes stay inside it; the ring is used by nothing else (`RECEIVER_TAKEN`).
        unsafe {
            stream.par().write(|w| w.bits(USART3_DATA_REGISTER));
            stream.m0ar().write(|w| w.bits(ring_address));
            stream.ndtr().write(|w| w.bits(SIZE as u32));
            // Direct mode (DMDIS = 0), the FCR reset value 0x21.
            stream.fcr().write(|w| w.bits(0x21));
            stream.cr().write(|w| w.bits(STREAM_CONTROL));
        }
        let mode = if stream.cr().read().bits() == STREAM_CONTROL {
            // SAFETY: LIFCR is write-one-to-clear; only stream 1's flags are written.
            peripherals
                .DMA1
                .lifcr()
                .write(|w| unsafe { w.bits(STREAM_FLAGS) });
            // SAFETY: enabling the stream configured above.
            stream
                .cr()
                .write(|w| unsafe { w.bits(STREAM_CONTROL | STREAM_ENABLE) });
            peripherals.USART3.cr3().modify(|_, w| w.dmar().set_bit());
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
            ReceiveMode::Polled => usize::from(device().USART3.sr().read().rxne().bit_is_set()),
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
    }
}

/// Whether USART3 can run at `baud` from HSI 16 MHz with 16× oversampling within 1 % (the
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

/// Switches USART3 to `baud` once the last byte has left: waits for SR.TC (bounded), clears
/// CR1.UE, writes BRR, sets CR1.UE again. The DMA stream keeps running (CR3.DMAR stays set).
pub fn switch_baud(baud: u32) {
    let usart = device().USART3;
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
