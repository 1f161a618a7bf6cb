//! Is the bootloader running on the part it was built for? A build for another part would
//! read and write flash with the wrong sector map, so the bootloader checks first and changes
//! nothing on a mismatch.
//!
//! The evidence is DBGMCU_IDCODE's DEV_ID. Where it reads as zero — on the STM32F40x/41x the
//! register is readable by software only while a debugger is connected (ES0182, "MCU device
//! ID is incorrect"), and emulators may not model it — the flash size register (F_SIZE, KB)
//! decides instead; when neither can be read, nothing contradicts the build and it runs.

/// What the chip says it is: DBGMCU_IDCODE and, when that reads zero, the flash size register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChipIdentity {
    /// DBGMCU_IDCODE as read (0 when software cannot read it).
    pub idcode: u32,
    /// F_SIZE (flash in KB), when it was read.
    pub flash_size_kib: Option<u16>,
}

/// The part a build expects (from `slingshot_layout::Part`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedPart {
    /// DEV_ID.
    pub device_id: u16,
    /// F_SIZE value (flash in KB).
    pub flash_size_kib: u16,
}

impl ExpectedPart {
    /// The part of `part`.
    pub const fn of(part: &slingshot_layout::Part) -> Self {
        Self {
            device_id: part.device_id,
            flash_size_kib: part.flash_size_register,
        }
    }
}

/// The chip is not the part the bootloader was built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrongPart {
    /// What the build expects.
    pub expected: ExpectedPart,
    /// What the chip says.
    pub found: ChipIdentity,
}

/// Whether the IDCODE register could be read: it reads zero where software cannot read it.
pub const fn idcode_readable(idcode: u32) -> bool {
    idcode != 0
}

/// Compare what the chip says with what the build expects (see the module documentation).
pub fn check_part(expected: ExpectedPart, found: ChipIdentity) -> Result<(), WrongPart> {
    let matches = if idcode_readable(found.idcode) {
        found.idcode & 0xFFF == u32::from(expected.device_id)
    } else {
        match found.flash_size_kib {
            // Erased or unreadable system memory reads 0 or 0xFFFF: no evidence either way.
            Some(0) | Some(0xFFFF) | None => true,
            Some(size) => size == expected.flash_size_kib,
        }
    };
    if matches {
        Ok(())
    } else {
        Err(WrongPart { expected, found })
    }
}
