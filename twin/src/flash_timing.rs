//! Modelled durations of flash operations: the STM32F429 datasheet's typical figures (DS9405,
//! "Flash memory programming" table; REFERENCE.md §2), by parallelism (PSIZE).

/// Typical durations from the STM32F429 datasheet (DS9405, table "Flash memory programming"),
/// as picoseconds: word program, 16/64/128 KB sector erase and mass erase, by PSIZE.
pub fn erase_time_ps(sector_size: u32, parallelism: u32) -> u64 {
    const MS: u64 = 1_000_000_000;
    let (small, medium, large) = match parallelism {
        0 => (400, 1200, 2000),
        1 => (300, 700, 1100),
        _ => (250, 550, 1000),
    };
    match sector_size {
        0x4000 => small * MS,
        0x10000 => medium * MS,
        _ => large * MS,
    }
}

/// Typical mass (bank) erase time in picoseconds, by PSIZE.
pub fn mass_erase_time_ps(parallelism: u32) -> u64 {
    const SECOND: u64 = 1_000_000_000_000;
    match parallelism {
        0 => 16 * SECOND,
        1 => 11 * SECOND,
        _ => 8 * SECOND,
    }
}

/// Typical time to program one access (16 µs, DS9405).
pub const PROGRAM_TIME_PS: u64 = 16_000_000;
