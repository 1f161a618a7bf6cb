//! The timing model: the STM32F42x/43x datasheet's flash figures (DS9405, "Flash memory
//! programming"; REFERENCE.md §2), so a test or benchmark can report how long an update would
//! take on the real chip. The one table of them: the simulated flash and the F429 twin's flash
//! controller both read it.

/// Typical durations of flash operations, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimingModel {
    /// Time to program one 32-bit word (x32: 16 µs typical).
    pub program_word_microseconds: u64,
    /// Erase time of a 16 KB sector (250 ms typical).
    pub erase_16_kib_microseconds: u64,
    /// Erase time of a 64 KB sector (550 ms typical).
    pub erase_64_kib_microseconds: u64,
    /// Erase time of a 128 KB sector (1 s typical).
    pub erase_128_kib_microseconds: u64,
    /// Erase time of a whole bank (mass erase; 8 s typical at x32).
    pub mass_erase_microseconds: u64,
}

impl TimingModel {
    /// STM32F42x/43x at 2.7–3.6 V (x32), datasheet typical values.
    pub const STM32F4_X32_TYPICAL: TimingModel = TimingModel {
        program_word_microseconds: 16,
        erase_16_kib_microseconds: 250_000,
        erase_64_kib_microseconds: 550_000,
        erase_128_kib_microseconds: 1_000_000,
        mass_erase_microseconds: 8_000_000,
    };

    /// The same at x16 parallelism (2.1–2.7 V): one program access 16 µs, erases slower.
    pub const STM32F4_X16_TYPICAL: TimingModel = TimingModel {
        program_word_microseconds: 16,
        erase_16_kib_microseconds: 300_000,
        erase_64_kib_microseconds: 700_000,
        erase_128_kib_microseconds: 1_100_000,
        mass_erase_microseconds: 11_000_000,
    };

    /// The same at x8 parallelism (1.8–2.1 V): one program access 16 µs, erases slowest.
    pub const STM32F4_X8_TYPICAL: TimingModel = TimingModel {
        program_word_microseconds: 16,
        erase_16_kib_microseconds: 400_000,
        erase_64_kib_microseconds: 1_200_000,
        erase_128_kib_microseconds: 2_000_000,
        mass_erase_microseconds: 16_000_000,
    };

    /// The typical figures for FLASH_CR.PSIZE `parallelism` (0 x8, 1 x16, 2 and 3 x32; x64
    /// needs an external supply and erases like x32).
    pub const fn typical_for_parallelism(parallelism: u32) -> TimingModel {
        match parallelism {
            0 => Self::STM32F4_X8_TYPICAL,
            1 => Self::STM32F4_X16_TYPICAL,
            _ => Self::STM32F4_X32_TYPICAL,
        }
    }

    /// STM32F42x/43x at 2.7–3.6 V (x32), datasheet maximum values (REFERENCE.md §2, from
    /// DS9405's flash memory programming characteristics: word program 100 µs; erase 16 KB
    /// 500 ms, 64 KB 1100 ms, 128 KB 2 s): what a host waits for at most.
    pub const STM32F4_X32_MAXIMUM: TimingModel = TimingModel {
        program_word_microseconds: 100,
        erase_16_kib_microseconds: 500_000,
        erase_64_kib_microseconds: 1_100_000,
        erase_128_kib_microseconds: 2_000_000,
        mass_erase_microseconds: 16_000_000,
    };

    /// Modelled time to program `bytes` bytes (rounded up to whole 32-bit words).
    pub fn program_microseconds(&self, bytes: usize) -> u64 {
        (bytes as u64).div_ceil(4) * self.program_word_microseconds
    }

    /// Modelled time to erase one sector of `size` bytes. The three F4 sizes use their
    /// datasheet figures; other sizes (uniform test maps) scale linearly from the 128 KB figure.
    pub fn erase_microseconds(&self, size: u32) -> u64 {
        match size {
            0x4000 => self.erase_16_kib_microseconds,
            0x1_0000 => self.erase_64_kib_microseconds,
            0x2_0000 => self.erase_128_kib_microseconds,
            other => (u64::from(other) * self.erase_128_kib_microseconds).div_ceil(0x2_0000),
        }
    }
}
