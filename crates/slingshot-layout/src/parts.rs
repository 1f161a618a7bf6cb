//! The STM32F4 parts Slingshot knows: sector maps, memories, identification registers and
//! clock limits, one entry per part, each fact with the document it comes from. A board
//! ([`crate::boards`]) names its part; nothing else in Slingshot knows a part by name.
//!
//! Documents cited, by chapter title because section and table numbers move between their
//! revisions: the reference manuals RM0368 (F401), RM0383 (F411), RM0390 (F446), RM0402 (F412),
//! RM0430 (F413) and RM0090 (F405/407, F42x/43x), each part's datasheet, the errata sheet
//! ES0206 (F42x/43x), and ST's CMSIS device headers (`stm32f4xx.h` family: memory sizes, IRQ
//! numbers, `FLASH_SCALEx_LATENCYy_FREQ` wait-state thresholds), which are machine-readable
//! and were used to check every number here.

use crate::{FlashGeometry, Region, Sector};

const KIB: u32 = 1024;
const FLASH_BASE: u32 = 0x0800_0000;
const SRAM_BASE: u32 = 0x2000_0000;
/// The F4's core-coupled memory, where a part has it (RM0090 "Memory map").
const CCM: Region = Region::new(0x1000_0000, 64 * KIB);

/// One STM32F4 part (a die and a flash size).
#[derive(Clone, Copy, Debug)]
pub struct Part {
    /// The part's name, e.g. `"STM32F429ZI"`.
    pub name: &'static str,
    /// The reference manual describing it, e.g. `"RM0090"`.
    pub reference_manual: &'static str,
    /// DEV_ID in DBGMCU_IDCODE bits 11:0 (also the PID ST's ROM bootloader reports).
    pub device_id: u16,
    /// The value of the flash size register (F_SIZE at 0x1FFF_7A22): flash in KB.
    pub flash_size_register: u16,
    /// The first silicon revision (REV_ID) without ES0206's bank-2 read erratum (PA12), for
    /// parts that have it: below it, bank 2 may only be read with PA12 driven low.
    pub bank_two_erratum_fixed_revision: Option<u16>,
    /// Flash geometry: base, size and sector map.
    pub flash: FlashGeometry,
    /// Main SRAM (SRAM1, SRAM2 and SRAM3 where present, contiguous from 0x2000_0000).
    pub ram: Region,
    /// Core-coupled memory (data only), if the part has it.
    pub ccm: Option<Region>,
    /// The highest system clock reached from the 16 MHz HSI through the PLL without the
    /// voltage regulator's over-drive mode.
    pub clock: ClockLimits,
    /// Interrupts the part's NVIC implements (IRQ 0 up to the highest IRQn of its CMSIS
    /// header, plus one); registers beyond them read as zero.
    pub interrupt_count: u16,
}

/// What a part allows its clocks, with the flash wait states that go with them (2.7–3.6 V).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockLimits {
    /// The part's highest system clock (HCLK) in Hz without over-drive.
    pub system_hz: u32,
    /// The clock the bootloader verifies at: the part's highest, [`Self::system_hz`].
    pub verification_hz: u32,
    /// The highest HCLK the voltage scale after reset allows. Below `verification_hz` (the
    /// F411, F412 and F413: 100 MHz needs voltage scale 1, the reset state allows 84 MHz) the
    /// bootloader selects scale 1 (PWR_CR.VOS = 0b11) while the PLL is off, waits for
    /// PWR_CSR.VOSRDY once the PLL runs, and puts PWR_CR back as it found it before the
    /// hand-off ([`Self::raises_voltage_scale`]).
    pub reset_scale_hz: u32,
    /// The highest APB1 clock in Hz without over-drive (USART2 and USART3 are on APB1); APB2
    /// may run at twice it.
    pub apb1_maximum_hz: u32,
    /// FLASH_ACR.LATENCY for `verification_hz` at 2.7–3.6 V.
    pub flash_wait_states: u8,
}

impl ClockLimits {
    /// Whether verifying at `verification_hz` needs a higher voltage scale than the reset one.
    pub const fn raises_voltage_scale(&self) -> bool {
        self.verification_hz > self.reset_scale_hz
    }

    /// The APB1 prescaler (1, 2, 4, 8 or 16) that keeps APB1 within its limit at
    /// `verification_hz`.
    pub const fn apb1_divider(&self) -> u32 {
        let mut divider = 1;
        while self.verification_hz / divider > self.apb1_maximum_hz {
            divider *= 2;
        }
        divider
    }

    /// The APB1 clock at `verification_hz` with [`Self::apb1_divider`].
    pub const fn apb1_hz(&self) -> u32 {
        self.verification_hz / self.apb1_divider()
    }
}

/// One bank of the F4's mixed sector map: 4 × 16 KB, 1 × 64 KB, then `COUNT - 5` × 128 KB,
/// numbered from `first_number`; `register_offset` is added to the number for FLASH_CR.SNB.
const fn f4_bank<const COUNT: usize>(
    first_number: u8,
    register_offset: u8,
    bank_start: u32,
) -> [Sector; COUNT] {
    let mut sectors = [Sector {
        number: 0,
        start: 0,
        size: 0,
        control_register_number: 0,
    }; COUNT];
    let mut index = 0;
    let mut start = bank_start;
    while index < COUNT {
        let size = if index < 4 {
            16 * KIB
        } else if index == 4 {
            64 * KIB
        } else {
            128 * KIB
        };
        let number = first_number + index as u8;
        sectors[index] = Sector {
            number,
            start,
            size,
            control_register_number: number + register_offset,
        };
        start += size;
        index += 1;
    }
    sectors
}

const fn concatenate(first: [Sector; 12], second: [Sector; 12]) -> [Sector; 24] {
    let mut all = [first[0]; 24];
    let mut index = 0;
    while index < 12 {
        all[index] = first[index];
        all[index + 12] = second[index];
        index += 1;
    }
    all
}

const fn total_size(sectors: &[Sector]) -> u32 {
    let mut size = 0;
    let mut index = 0;
    while index < sectors.len() {
        size += sectors[index].size;
        index += 1;
    }
    size
}

/// A single-bank geometry from its sector table.
const fn single_bank(sectors: &'static [Sector]) -> FlashGeometry {
    FlashGeometry {
        base: FLASH_BASE,
        size: total_size(sectors),
        sectors,
        // x32 parallelism at 2.7–3.6 V (PSIZE = 10) on every F4.
        write_size: 4,
        erased_value: 0xFF,
        bank_size: None,
    }
}

/// 512 KB, one bank: sectors 0–7 (RM0368, RM0383 and RM0390, "Embedded flash memory", flash
/// module organization; CMSIS HAL `FLASH_SECTOR_TOTAL 8`).
pub static F4_512K_SECTORS: [Sector; 8] = f4_bank(0, 0, FLASH_BASE);
/// 1 MB, one bank: sectors 0–11 (RM0090 and RM0402, flash module organization).
pub static F4_1M_SECTORS: [Sector; 12] = f4_bank(0, 0, FLASH_BASE);
/// 1.5 MB, one bank: sectors 0–15 (RM0430, flash module organization).
pub static F4_1M5_SECTORS: [Sector; 16] = f4_bank(0, 0, FLASH_BASE);
/// The STM32F42x/43x 2 MB map: sectors 0–11 in bank 1, 12–23 in bank 2 at 0x0810_0000, whose
/// SNB values start at 16 (RM0090, "Flash module - 2 Mbyte dual bank organization" and
/// FLASH_CR.SNB).
pub static STM32F429_2MB_SECTORS: [Sector; 24] = concatenate(
    f4_bank(0, 0, FLASH_BASE),
    f4_bank(12, 4, FLASH_BASE + 1024 * KIB),
);

/// STM32F401RE: 84 MHz, 512 KB, 96 KB SRAM, no CCM.
pub const STM32F401RE: Part = Part {
    name: "STM32F401RE",
    reference_manual: "RM0368",
    // RM0368 "Debug support", MCU device ID code: DEV_ID 0x433 for the STM32F401xD/E.
    device_id: 0x433,
    // RM0368 "Device electronic signature", flash size: the register counts KB.
    flash_size_register: 512,
    bank_two_erratum_fixed_revision: None,
    flash: single_bank(&F4_512K_SECTORS),
    // RM0368 "Memory and bus architecture": 96 KB of SRAM at 0x2000_0000.
    ram: Region::new(SRAM_BASE, 96 * KIB),
    ccm: None,
    // Datasheet: 84 MHz (voltage scale 2, the F401 has no scale 1); APB1 ≤ 42 MHz. RM0368
    // "Relation between CPU clock frequency and flash memory read time": 2 WS for
    // 60 < HCLK ≤ 84 MHz at 2.7–3.6 V.
    clock: ClockLimits {
        system_hz: 84_000_000,
        verification_hz: 84_000_000,
        reset_scale_hz: 84_000_000,
        apb1_maximum_hz: 42_000_000,
        flash_wait_states: 2,
    },
    interrupt_count: 85,
};

/// STM32F411RE: 100 MHz, 512 KB, 128 KB SRAM, no CCM.
pub const STM32F411RE: Part = Part {
    name: "STM32F411RE",
    reference_manual: "RM0383",
    // RM0383 "Debug support", MCU device ID code: DEV_ID 0x431.
    device_id: 0x431,
    flash_size_register: 512,
    bank_two_erratum_fixed_revision: None,
    flash: single_bank(&F4_512K_SECTORS),
    // RM0383 "Memory and bus architecture": 128 KB of SRAM at 0x2000_0000.
    ram: Region::new(SRAM_BASE, 128 * KIB),
    ccm: None,
    // Datasheet: 100 MHz in voltage scale 1, 84 MHz in scale 2; APB1 ≤ 50 MHz. RM0383
    // "Relation between CPU clock frequency and flash memory read time": 3 WS for
    // 90 < HCLK ≤ 100 MHz at 2.7–3.6 V. RM0383 "PWR power control register": VOS selects the
    // scale while the PLL is off and takes effect when it runs (VOSRDY).
    clock: ClockLimits {
        system_hz: 100_000_000,
        verification_hz: 100_000_000,
        reset_scale_hz: 84_000_000,
        apb1_maximum_hz: 50_000_000,
        flash_wait_states: 3,
    },
    interrupt_count: 86,
};

/// STM32F446xE (RE and ZE): 180 MHz with over-drive (168 MHz without), 512 KB, 128 KB SRAM.
pub const STM32F446XE: Part = Part {
    name: "STM32F446xE",
    reference_manual: "RM0390",
    // RM0390 "Debug support", MCU device ID code: DEV_ID 0x421.
    device_id: 0x421,
    flash_size_register: 512,
    bank_two_erratum_fixed_revision: None,
    flash: single_bank(&F4_512K_SECTORS),
    // RM0390 "Memory and bus architecture": 112 KB SRAM1 + 16 KB SRAM2, contiguous from
    // 0x2000_0000.
    ram: Region::new(SRAM_BASE, 128 * KIB),
    ccm: None,
    // Datasheet: 180 MHz needs over-drive, 168 MHz without; APB1 ≤ 42 MHz without over-drive
    // (45 MHz with it). RM0390 "Relation
    // between CPU clock frequency and flash memory read time": 5 WS for 150 < HCLK ≤ 180 MHz
    // at 2.7–3.6 V.
    clock: ClockLimits {
        system_hz: 168_000_000,
        verification_hz: 168_000_000,
        reset_scale_hz: 168_000_000,
        apb1_maximum_hz: 42_000_000,
        flash_wait_states: 5,
    },
    interrupt_count: 97,
};

/// STM32F412ZG: 100 MHz, 1 MB, 256 KB SRAM, no CCM.
pub const STM32F412ZG: Part = Part {
    name: "STM32F412ZG",
    reference_manual: "RM0402",
    // RM0402 "Debug support", MCU device ID code: DEV_ID 0x441.
    device_id: 0x441,
    flash_size_register: 1024,
    bank_two_erratum_fixed_revision: None,
    flash: single_bank(&F4_1M_SECTORS),
    // RM0402 "Memory and bus architecture": 256 KB of SRAM at 0x2000_0000.
    ram: Region::new(SRAM_BASE, 256 * KIB),
    ccm: None,
    // Datasheet: 100 MHz in voltage scale 1, 84 MHz in scale 2; APB1 ≤ 50 MHz. RM0402
    // "Relation between CPU clock frequency and flash memory read time": 3 WS for
    // 90 < HCLK ≤ 100 MHz at 2.7–3.6 V. RM0402 "PWR power control register": VOS selects the
    // scale while the PLL is off and takes effect when it runs (VOSRDY).
    clock: ClockLimits {
        system_hz: 100_000_000,
        verification_hz: 100_000_000,
        reset_scale_hz: 84_000_000,
        apb1_maximum_hz: 50_000_000,
        flash_wait_states: 3,
    },
    interrupt_count: 97,
};

/// STM32F413ZH: 100 MHz, 1.5 MB, 320 KB SRAM, no CCM.
pub const STM32F413ZH: Part = Part {
    name: "STM32F413ZH",
    reference_manual: "RM0430",
    // RM0430 "Debug support", MCU device ID code: DEV_ID 0x463 (F413/F423).
    device_id: 0x463,
    flash_size_register: 1536,
    bank_two_erratum_fixed_revision: None,
    flash: single_bank(&F4_1M5_SECTORS),
    // RM0430 "Memory and bus architecture": 256 KB SRAM1 + 64 KB SRAM2, contiguous from
    // 0x2000_0000.
    ram: Region::new(SRAM_BASE, 320 * KIB),
    ccm: None,
    // Datasheet: 100 MHz in voltage scale 1, 84 MHz in scale 2; APB1 ≤ 50 MHz. RM0430
    // "Relation between CPU clock frequency and flash memory read time": 3 WS for
    // 90 < HCLK ≤ 100 MHz at 2.7–3.6 V. RM0430 "PWR power control register": VOS selects the
    // scale while the PLL is off and takes effect when it runs (VOSRDY).
    clock: ClockLimits {
        system_hz: 100_000_000,
        verification_hz: 100_000_000,
        reset_scale_hz: 84_000_000,
        apb1_maximum_hz: 50_000_000,
        flash_wait_states: 3,
    },
    interrupt_count: 102,
};

/// The STM32F42x/43x clock limits: 180 MHz needs over-drive, 168 MHz without (datasheet);
/// APB1 ≤ 42 MHz without over-drive (45 MHz with it); RM0090 "Relation between CPU clock
/// frequency and flash memory read time": 5 WS for 150 < HCLK ≤ 180 MHz at 2.7–3.6 V.
const F42X_CLOCK: ClockLimits = ClockLimits {
    system_hz: 168_000_000,
    verification_hz: 168_000_000,
    reset_scale_hz: 168_000_000,
    apb1_maximum_hz: 42_000_000,
    flash_wait_states: 5,
};

/// STM32F429ZI: 2 MB in two banks, 192 KB SRAM, 64 KB CCM.
pub const STM32F429ZI: Part = Part {
    name: "STM32F429ZI",
    reference_manual: "RM0090",
    // RM0090 "Debug support", MCU device ID code: DEV_ID 0x419 for the STM32F42xxx and
    // STM32F43xxx.
    device_id: 0x419,
    flash_size_register: 2048,
    // ES0206 (section on reading bank 2 with PA12 in use): revisions A (0x1000), Y (0x1003)
    // and 1 (0x1007) have the erratum, revision 3 (0x2001) and later do not.
    bank_two_erratum_fixed_revision: Some(0x2001),
    flash: FlashGeometry {
        bank_size: Some(1024 * KIB),
        ..single_bank(&STM32F429_2MB_SECTORS)
    },
    // RM0090 "Memory map": 112 + 16 + 64 KB (SRAM1–3) contiguous from 0x2000_0000; 64 KB
    // CCM.
    ram: Region::new(SRAM_BASE, 192 * KIB),
    ccm: Some(CCM),
    clock: F42X_CLOCK,
    interrupt_count: 91,
};

/// STM32F439ZI: the F429ZI with the cryptographic and HASH processors (same memories, same
/// DEV_ID, same errata).
pub const STM32F439ZI: Part = Part {
    name: "STM32F439ZI",
    ..STM32F429ZI
};

/// STM32F407VG: 168 MHz, 1 MB in one bank, 128 KB SRAM, 64 KB CCM.
pub const STM32F407VG: Part = Part {
    name: "STM32F407VG",
    reference_manual: "RM0090",
    // RM0090 "Debug support", MCU device ID code: DEV_ID 0x413 for the STM32F405xx/07xx and
    // STM32F415xx/17xx.
    device_id: 0x413,
    flash_size_register: 1024,
    bank_two_erratum_fixed_revision: None,
    flash: single_bank(&F4_1M_SECTORS),
    // RM0090 "Memory map": 112 KB SRAM1 + 16 KB SRAM2 contiguous from 0x2000_0000; 64 KB CCM.
    ram: Region::new(SRAM_BASE, 128 * KIB),
    ccm: Some(CCM),
    // Datasheet: 168 MHz; APB1 ≤ 42 MHz. RM0090 "Relation between CPU clock frequency and
    // flash memory read time": 5 WS for 150 < HCLK ≤ 168 MHz at 2.7–3.6 V.
    clock: ClockLimits {
        system_hz: 168_000_000,
        verification_hz: 168_000_000,
        reset_scale_hz: 168_000_000,
        apb1_maximum_hz: 42_000_000,
        flash_wait_states: 5,
    },
    interrupt_count: 82,
};

/// Every part, for tools that list them.
pub const ALL_PARTS: &[&Part] = &[
    &STM32F401RE,
    &STM32F411RE,
    &STM32F446XE,
    &STM32F412ZG,
    &STM32F413ZH,
    &STM32F429ZI,
    &STM32F439ZI,
    &STM32F407VG,
];

// Sizes the compiler can check against the flash size register.
const _: () = {
    let mut index = 0;
    while index < ALL_PARTS.len() {
        let part = ALL_PARTS[index];
        assert!(part.flash.size == part.flash_size_register as u32 * KIB);
        index += 1;
    }
};
