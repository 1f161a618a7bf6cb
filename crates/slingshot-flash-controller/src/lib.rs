//! The portable half of Slingshot's STM32F4 flash driver (RM0090 §3.5–3.9): register bit
//! definitions, decoding of the status register into typed errors, and the planning of
//! erase and program operations over the real sector map. The other half — the register
//! writes themselves — is `firmware/stm32/src/flash.rs`, which only follows these plans, so
//! everything that can be wrong about *what* to do is tested on the host.
//!
//! Offsets are relative to the start of flash (0x0800_0000), as in the simulated flash.
//! [`option_bytes`] does the same for the user option bytes (brown-out level, read and write
//! protection).
#![no_std]
#![forbid(unsafe_code)]

pub mod option_bytes;
pub mod registers;

use embedded_storage::nor_flash::{NorFlashError, NorFlashErrorKind};
use slingshot_layout::{FlashGeometry, Layout, Region, Sector};

/// Everything a flash operation can fail with.
///
/// One byte, without the offending offset (the caller knows the range it asked for), as
/// embassy-stm32's flash error: a `Result<(), FlashError>` then comes back in a register
/// instead of through memory at every driver call, 164 B less bootloader flash than with the
/// offsets (2026-12-05).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashError {
    /// The range leaves flash (or an erase range ends before it starts).
    OutOfBounds,
    /// A program offset or length is not a multiple of the 4-byte program unit.
    NotAligned,
    /// An erase range does not start and end on sector boundaries.
    NotSectorAligned,
    /// SR.WRPERR: the sector is write-protected by the option bytes.
    WriteProtected,
    /// SR.PGAERR: the program crossed a 128-bit row or was misaligned.
    ProgramAlignment,
    /// SR.PGPERR: the access width did not match PSIZE.
    ProgramParallelism,
    /// SR.PGSERR: the program sequence was wrong (PG not set, or a store while busy).
    ProgramSequence,
    /// SR.OPERR: the operation was refused (e.g. bank-2 access on a single-bank part).
    Operation,
    /// SR.RDERR: a read of a PCROP-protected sector.
    ReadProtected,
    /// The range leaves the partitions this program may change ([`Grants`]): the bootloader's
    /// own sectors, an application's slot, data the other program owns.
    Protected,
    /// The controller stayed busy beyond the time any operation takes.
    Timeout,
    /// The written data reads back differently (a cell that did not take the value).
    VerifyFailed,
}

impl NorFlashError for FlashError {
    // Out of line: every `?` from the flash driver into the update engine's and the service's
    // error types converts through it (108 B less bootloader flash, 2026-12-05).
    #[inline(never)]
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            FlashError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            FlashError::NotAligned | FlashError::NotSectorAligned => NorFlashErrorKind::NotAligned,
            _ => NorFlashErrorKind::Other,
        }
    }
}

/// Decode the status register after an operation: the first error bit set, if any.
pub fn decode_status(status: u32) -> Result<(), FlashError> {
    use registers::status::*;
    // In this order of precedence; a chain of tests is smaller than a table on the stack.
    let error = if status & WRITE_PROTECTION_ERROR != 0 {
        FlashError::WriteProtected
    } else if status & PROGRAMMING_ALIGNMENT_ERROR != 0 {
        FlashError::ProgramAlignment
    } else if status & PROGRAMMING_PARALLELISM_ERROR != 0 {
        FlashError::ProgramParallelism
    } else if status & PROGRAMMING_SEQUENCE_ERROR != 0 {
        FlashError::ProgramSequence
    } else if status & OPERATION_ERROR != 0 {
        FlashError::Operation
    } else if status & READ_PROTECTION_ERROR != 0 {
        FlashError::ReadProtected
    } else {
        return Ok(());
    };
    Err(error)
}

/// Check a read or program range against the flash size.
pub fn check_bounds(
    geometry: &FlashGeometry,
    offset: u32,
    length: usize,
) -> Result<(), FlashError> {
    let length = u32::try_from(length).map_err(|_| FlashError::OutOfBounds)?;
    match offset.checked_add(length) {
        Some(end) if end <= geometry.size => Ok(()),
        _ => Err(FlashError::OutOfBounds),
    }
}

/// The partitions of a layout one program may change, as flash offsets: everything else is
/// refused by the driver itself, whatever its caller (protocol, engine, application) asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grants {
    regions: [Region; 4],
    count: usize,
}

impl Grants {
    /// What the bootloader changes: the primary slot, and in the dual-slot layout the
    /// secondary slot, the scratch area and the state journal. Never its own sectors nor the
    /// application's data.
    pub const fn bootloader(layout: &Layout) -> Self {
        let partitions = &layout.partitions;
        Self::of(
            layout,
            [
                Some(partitions.primary),
                partitions.secondary,
                partitions.scratch,
                partitions.state,
            ],
        )
    }

    /// What an application changes through `slingshot-application`: the secondary slot it
    /// streams an update into, the state journal (confirm, pending) and its own data. Never
    /// the bootloader nor the slot it runs from.
    pub const fn application(layout: &Layout) -> Self {
        let partitions = &layout.partitions;
        Self::of(
            layout,
            [
                partitions.secondary,
                partitions.state,
                partitions.application_data,
                None,
            ],
        )
    }

    const fn of(layout: &Layout, partitions: [Option<Region>; 4]) -> Self {
        let base = layout.board.part.flash.base;
        let mut regions = [Region::new(0, 0); 4];
        let (mut index, mut count) = (0, 0);
        while index < partitions.len() {
            if let Some(region) = partitions[index] {
                regions[count] = Region::new(region.start - base, region.size);
                count += 1;
            }
            index += 1;
        }
        Self { regions, count }
    }

    /// Refuse a change to `[offset, offset + length)` (flash offsets) unless it lies inside one
    /// granted partition: the driver can never brick the device, nor let one program overwrite
    /// what the other owns. Out of line: erase and program share one copy.
    #[inline(never)]
    pub fn check(&self, offset: u32, length: u32) -> Result<(), FlashError> {
        if length == 0 {
            return Ok(());
        }
        if let Some(end) = offset.checked_add(length) {
            // Region ends are flash offsets below 4 GiB: `start + size` cannot overflow.
            for region in self.regions.iter().take(self.count) {
                if offset >= region.start && end - region.start <= region.size {
                    return Ok(());
                }
            }
        }
        Err(FlashError::Protected)
    }
}

/// Check a program range: inside flash and made of whole 4-byte words (x32 parallelism).
pub fn check_program(
    geometry: &FlashGeometry,
    offset: u32,
    length: usize,
) -> Result<(), FlashError> {
    check_bounds(geometry, offset, length)?;
    let unit = geometry.write_size;
    if offset % unit != 0 {
        return Err(FlashError::NotAligned);
    }
    if length as u32 % unit != 0 {
        return Err(FlashError::NotAligned);
    }
    Ok(())
}

/// The sectors an erase of `[from, to)` covers, after checking that both ends are sector
/// boundaries inside flash.
pub fn plan_erase(
    geometry: &FlashGeometry,
    from: u32,
    to: u32,
) -> Result<impl Iterator<Item = &'static Sector>, FlashError> {
    if from > to {
        return Err(FlashError::OutOfBounds);
    }
    check_bounds(geometry, from, (to - from) as usize)?;
    for offset in [from, to] {
        if !geometry.is_sector_boundary(geometry.base + offset) {
            return Err(FlashError::NotSectorAligned);
        }
    }
    let range = slingshot_layout::Region::new(geometry.base + from, to - from);
    Ok(geometry.sectors_in(range))
}

/// The control-register value that erases `sector` with x32 parallelism (SER, SNB with the
/// bank-2 numbering, PSIZE); STRT is set in a second write.
pub fn erase_control(sector: &Sector) -> u32 {
    use registers::control::*;
    SECTOR_ERASE
        | (u32::from(sector.control_register_number) << SECTOR_NUMBER_SHIFT)
        | PARALLELISM_X32
}

/// The control-register value for programming words with x32 parallelism (PG, PSIZE).
pub const fn program_control() -> u32 {
    registers::control::PROGRAM | registers::control::PARALLELISM_X32
}
