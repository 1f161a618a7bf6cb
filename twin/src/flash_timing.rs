//! Modelled durations of flash operations, by parallelism (PSIZE): the datasheet's typical
//! figures from the one table of them, `slingshot_flash_sim::TimingModel` (DS9405, "Flash
//! memory programming"; REFERENCE.md §2), in the twin's picoseconds.

use slingshot_flash_sim::TimingModel;

/// Picoseconds per microsecond.
const PICOSECONDS_PER_MICROSECOND: u64 = 1_000_000;

/// Typical erase time of a sector of `sector_size` bytes at PSIZE `parallelism`, in
/// picoseconds.
pub fn erase_time_ps(sector_size: u32, parallelism: u32) -> u64 {
    TimingModel::typical_for_parallelism(parallelism).erase_microseconds(sector_size)
        * PICOSECONDS_PER_MICROSECOND
}

/// Typical mass (bank) erase time in picoseconds, by PSIZE.
pub fn mass_erase_time_ps(parallelism: u32) -> u64 {
    TimingModel::typical_for_parallelism(parallelism).mass_erase_microseconds
        * PICOSECONDS_PER_MICROSECOND
}

/// Typical time to program one access (16 µs, DS9405).
pub const PROGRAM_TIME_PS: u64 =
    TimingModel::STM32F4_X32_TYPICAL.program_word_microseconds * PICOSECONDS_PER_MICROSECOND;
