//! Register constants of the STM32F429 flash interface (RM0090 §3.9, base 0x4002_3C00):
//! unlock keys, option-byte reset values, and the `FLASH_SR` and `FLASH_CR` bits.

/// First key of the `FLASH_KEYR` unlock sequence.
pub const KEY1: u32 = 0x4567_0123;
/// Second key of the `FLASH_KEYR` unlock sequence.
pub const KEY2: u32 = 0xCDEF_89AB;
/// First key of the `FLASH_OPTKEYR` unlock sequence.
pub const OPTION_KEY1: u32 = 0x0819_2A3B;
/// Second key of the `FLASH_OPTKEYR` unlock sequence.
pub const OPTION_KEY2: u32 = 0x4C5D_6E7F;
/// `FLASH_OPTCR` reset value (all sectors unprotected, RDP level 0).
pub const OPTCR_RESET: u32 = 0x0FFF_AAED;
/// `FLASH_OPTCR1` reset value (bank-2 sectors unprotected).
pub const OPTCR1_RESET: u32 = 0x0FFF_0000;

/// `FLASH_SR` bits.
pub mod status {
    /// End of operation (only with `CR.EOPIE`).
    pub const EOP: u32 = 1 << 0;
    /// Operation error (only with `CR.ERRIE`).
    pub const OPERR: u32 = 1 << 1;
    /// Write-protection error.
    pub const WRPERR: u32 = 1 << 4;
    /// Programming alignment error.
    pub const PGAERR: u32 = 1 << 5;
    /// Programming parallelism error.
    pub const PGPERR: u32 = 1 << 6;
    /// Programming sequence error.
    pub const PGSERR: u32 = 1 << 7;
    /// Busy.
    pub const BSY: u32 = 1 << 16;
    /// Every bit cleared by writing 1.
    pub const CLEARABLE: u32 = EOP | OPERR | WRPERR | PGAERR | PGPERR | PGSERR | (1 << 8);
}

/// `FLASH_CR` bits.
pub mod control {
    /// Program.
    pub const PG: u32 = 1 << 0;
    /// Sector erase.
    pub const SER: u32 = 1 << 1;
    /// Mass erase of bank 1.
    pub const MER: u32 = 1 << 2;
    /// Mass erase of bank 2.
    pub const MER1: u32 = 1 << 15;
    /// Start an erase.
    pub const STRT: u32 = 1 << 16;
    /// End-of-operation interrupt enable.
    pub const EOPIE: u32 = 1 << 24;
    /// Error interrupt enable.
    pub const ERRIE: u32 = 1 << 25;
    /// Lock.
    pub const LOCK: u32 = 1 << 31;
    /// Bits software can write (LOCK can only be set).
    pub const WRITABLE: u32 = PG | SER | MER | MER1 | (0x1F << 3) | (0b11 << 8) | EOPIE | ERRIE;
}
