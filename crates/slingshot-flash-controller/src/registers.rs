//! Flash interface registers of the STM32F4 (RM0090 §3.9), base 0x4002_3C00.

/// Base address of the flash interface registers.
pub const BASE: u32 = 0x4002_3C00;

/// Register offsets from [`BASE`].
pub mod offset {
    /// Access control register.
    pub const ACCESS_CONTROL: u32 = 0x00;
    /// Key register (unlocks CR).
    pub const KEY: u32 = 0x04;
    /// Option key register.
    pub const OPTION_KEY: u32 = 0x08;
    /// Status register.
    pub const STATUS: u32 = 0x0C;
    /// Control register.
    pub const CONTROL: u32 = 0x10;
    /// Option control register.
    pub const OPTION_CONTROL: u32 = 0x14;
}

/// The two keys written in turn to KEYR to unlock CR.
pub const UNLOCK_KEYS: [u32; 2] = [0x4567_0123, 0xCDEF_89AB];

/// FLASH_SR bits.
pub mod status {
    /// End of operation.
    pub const END_OF_OPERATION: u32 = 1 << 0;
    /// Operation error.
    pub const OPERATION_ERROR: u32 = 1 << 1;
    /// Write protection error.
    pub const WRITE_PROTECTION_ERROR: u32 = 1 << 4;
    /// Programming alignment error.
    pub const PROGRAMMING_ALIGNMENT_ERROR: u32 = 1 << 5;
    /// Programming parallelism error.
    pub const PROGRAMMING_PARALLELISM_ERROR: u32 = 1 << 6;
    /// Programming sequence error.
    pub const PROGRAMMING_SEQUENCE_ERROR: u32 = 1 << 7;
    /// Read protection error.
    pub const READ_PROTECTION_ERROR: u32 = 1 << 8;
    /// Busy.
    pub const BUSY: u32 = 1 << 16;
    /// Every flag cleared by writing 1: written before each operation to clear stale errors.
    pub const CLEAR_ALL: u32 = END_OF_OPERATION
        | OPERATION_ERROR
        | WRITE_PROTECTION_ERROR
        | PROGRAMMING_ALIGNMENT_ERROR
        | PROGRAMMING_PARALLELISM_ERROR
        | PROGRAMMING_SEQUENCE_ERROR
        | READ_PROTECTION_ERROR;
}

/// FLASH_CR bits.
pub mod control {
    /// Programming.
    pub const PROGRAM: u32 = 1 << 0;
    /// Sector erase.
    pub const SECTOR_ERASE: u32 = 1 << 1;
    /// Shift of the 5-bit sector number (SNB).
    pub const SECTOR_NUMBER_SHIFT: u32 = 3;
    /// PSIZE = 0b10: x32 parallelism, for 2.7–3.6 V (the Nucleo's 3.3 V).
    pub const PARALLELISM_X32: u32 = 0b10 << 8;
    /// Start an erase.
    pub const START: u32 = 1 << 16;
    /// Lock CR until the next unlock sequence.
    pub const LOCK: u32 = 1 << 31;
}

/// FLASH_ACR bits (caches).
pub mod access_control {
    /// Instruction cache enable.
    pub const INSTRUCTION_CACHE_ENABLE: u32 = 1 << 9;
    /// Data cache enable.
    pub const DATA_CACHE_ENABLE: u32 = 1 << 10;
    /// Instruction cache reset (only while the cache is disabled).
    pub const INSTRUCTION_CACHE_RESET: u32 = 1 << 11;
    /// Data cache reset (only while the cache is disabled).
    pub const DATA_CACHE_RESET: u32 = 1 << 12;
}
