//! The trait the bootloader implements so that [`super::Device`] can reach flash and the board.
//!
//! Offsets are relative to the start of the update target: the application slot in single-slot
//! layouts (0x08008000, 2016 KB across banks 1 and 2), the secondary slot in dual-slot layouts.
//! The device state machine decides *what* to erase and program and *when*; the handler only
//! does it. A bootloader implementation maps offsets to addresses, calls its flash driver, and
//! reuses the image crate for `check_update` and `verify`.

use crate::error::ErrorCode;
use crate::info::{ChipInfo, DeviceInfo};
use crate::message::Protection;

/// A refusal with a code and a code-specific detail (a size, an offset, a version).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Refusal {
    /// Why.
    pub code: ErrorCode,
    /// Detail for the host's message, 0 when there is none.
    pub detail: u32,
}

impl Refusal {
    /// A refusal without detail.
    pub const fn new(code: ErrorCode) -> Self {
        Self { code, detail: 0 }
    }

    /// A refusal with a detail value.
    pub const fn with_detail(code: ErrorCode, detail: u32) -> Self {
        Self { code, detail }
    }
}

impl From<ErrorCode> for Refusal {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}

/// One erasable unit (a flash sector) of the update target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EraseUnit {
    /// Offset of the unit from the start of the target.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

impl EraseUnit {
    /// The offset just past the unit.
    pub const fn end(&self) -> u32 {
        self.offset.saturating_add(self.size)
    }
}

/// What the bootloader provides to the protocol state machine.
pub trait DeviceHandler {
    /// Flash write size in bytes (4 on the F429 at 3.3 V). Offsets the device programs are
    /// multiples of it; it must divide [`crate::frame::MAX_DATA_PAYLOAD`].
    const WRITE_SIZE: u32 = 4;
    /// The value of an erased byte.
    const ERASED_VALUE: u8 = 0xFF;
    /// Whether an erase unit that reads entirely erased may be left as it is (faster first
    /// transfers onto an erased chip). Off by default: a sector whose erase was interrupted by
    /// a power cut can read as erased while its cells are marginal; only a complete erase
    /// restores them.
    const SKIP_BLANK_UNITS: bool = false;

    /// Board, bootloader version, layout, slots. The `state` field is filled in by the device.
    fn info(&mut self) -> DeviceInfo;

    /// Decides, before anything is erased, whether an image of `image_size` bytes with this
    /// descriptor may be written: size within the slot, right board, security counter not below
    /// the minimum, load address at the slot start.
    fn check_update(&mut self, image_size: u32, descriptor: &[u8]) -> Result<(), Refusal>;

    /// The erase unit (sector) containing `offset`, or `None` past the end of the target.
    fn erase_unit(&self, offset: u32) -> Option<EraseUnit>;

    /// Erases one unit (blocking; this is where a bank-1 erase stalls the CPU).
    fn erase(&mut self, unit: EraseUnit) -> Result<(), ErrorCode>;

    /// Programs `data` at `offset`; the bytes are erased and `offset` and `data.len()` are
    /// multiples of [`Self::WRITE_SIZE`].
    fn program(&mut self, offset: u32, data: &[u8]) -> Result<(), ErrorCode>;

    /// Reads `buffer.len()` bytes at `offset`.
    fn read(&mut self, offset: u32, buffer: &mut [u8]) -> Result<(), ErrorCode>;

    /// Verifies the complete image of `image_size` bytes (hash and signature).
    fn verify(&mut self, image_size: u32) -> Result<(), Refusal>;

    /// Installs the verified image (dual slot: mark it pending so the engine swaps it in;
    /// single slot: nothing to do beyond what verify checked).
    fn install(&mut self, image_size: u32) -> Result<(), Refusal>;

    /// Resets the chip. Called from `Device::poll` once the reply has been sent.
    fn reboot(&mut self);

    /// Whether the UART can run at `baud` (exactly enough for the receiver on the host).
    fn supports_baud(&self, baud: u32) -> bool;

    /// Switches the UART to `baud`. Called from `Device::poll` once the reply has been sent.
    fn set_baud(&mut self, baud: u32);

    /// Changes the chip's protection (option bytes) as `protection` asks and returns the
    /// option bytes now in force. The default refuses: a device without option bytes.
    fn set_protection(&mut self, protection: Protection) -> Result<ChipInfo, Refusal> {
        let _ = protection;
        Err(Refusal::new(ErrorCode::UnknownCommand))
    }

    /// CRC-32 (ISO-HDLC, as [`crate::frame::CRC32`]) of `length` bytes at `offset`. The default
    /// reads through [`Self::read`] in 256-byte pieces.
    fn checksum(&mut self, offset: u32, length: u32) -> Result<u32, ErrorCode> {
        let mut digest = crate::frame::CRC32.digest();
        let mut buffer = [0u8; 256];
        let mut done = 0u32;
        while done < length {
            let piece = (length - done).min(buffer.len() as u32) as usize;
            self.read(offset + done, &mut buffer[..piece])?;
            digest.update(&buffer[..piece]);
            done += piece as u32;
        }
        Ok(digest.finalize())
    }

    /// Whether `length` bytes at `offset` are all erased. The default reads through [`Self::read`].
    fn is_erased(&mut self, offset: u32, length: u32) -> Result<bool, ErrorCode> {
        let mut buffer = [0u8; 256];
        let mut done = 0u32;
        while done < length {
            let piece = (length - done).min(buffer.len() as u32) as usize;
            self.read(offset + done, &mut buffer[..piece])?;
            if buffer[..piece]
                .iter()
                .any(|&byte| byte != Self::ERASED_VALUE)
            {
                return Ok(false);
            }
            done += piece as u32;
        }
        Ok(true)
    }
}
