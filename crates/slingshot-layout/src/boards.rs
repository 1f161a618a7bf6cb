//! The boards and partition plans Slingshot knows. Other F4 boards join by adding a sector
//! table and a layout here; everything else reads these tables.
//!
//! Nucleo-F429ZI (STM32F429ZI, RM0090 §3.3): 2 MB dual-bank flash, each bank 4 × 16 KB,
//! 1 × 64 KB, 7 × 128 KB sectors; 192 KB SRAM at 0x2000_0000; 64 KB CCM at 0x1000_0000.

use crate::{Board, FlashGeometry, Layout, Partitions, Region, Sector, UpdateMode};

const KIB: u32 = 1024;
const FLASH_BASE: u32 = 0x0800_0000;
const BANK_SIZE: u32 = 1024 * KIB;

/// Builds one bank's sector table: 4 × 16 KB, 1 × 64 KB, 7 × 128 KB.
const fn f4_bank(first_number: u8, bank_start: u32) -> [Sector; 12] {
    let mut sectors = [Sector {
        number: 0,
        start: 0,
        size: 0,
    }; 12];
    let mut index = 0;
    let mut start = bank_start;
    while index < 12 {
        let size = if index < 4 {
            16 * KIB
        } else if index == 4 {
            64 * KIB
        } else {
            128 * KIB
        };
        sectors[index] = Sector {
            number: first_number + index as u8,
            start,
            size,
        };
        start += size;
        index += 1;
    }
    sectors
}

const fn concatenate(first: [Sector; 12], second: [Sector; 12]) -> [Sector; 24] {
    let mut all = [Sector {
        number: 0,
        start: 0,
        size: 0,
    }; 24];
    let mut index = 0;
    while index < 12 {
        all[index] = first[index];
        all[index + 12] = second[index];
        index += 1;
    }
    all
}

/// The STM32F42x/43x 2 MB sector map: sectors 0–11 in bank 1, 12–23 in bank 2.
pub static STM32F429_2MB_SECTORS: [Sector; 24] =
    concatenate(f4_bank(0, FLASH_BASE), f4_bank(12, FLASH_BASE + BANK_SIZE));

const fn sector(number: usize) -> Sector {
    concatenate(f4_bank(0, FLASH_BASE), f4_bank(12, FLASH_BASE + BANK_SIZE))[number]
}

/// A region covering sectors `first..=last`.
const fn sectors(first: usize, last: usize) -> Region {
    let start = sector(first).start;
    Region::new(start, sector(last).start + sector(last).size - start)
}

/// The Nucleo-F429ZI board.
pub const NUCLEO_F429ZI: Board = Board {
    name: "nucleo-f429zi",
    probe_rs_chip: "STM32F429ZITx",
    board_id: 0x0429_0001,
    // RM0090 §38.6.1: DEV_ID 0x419 for the STM32F42xxx and STM32F43xxx.
    device_id: 0x419,
    // ES0206 §2.2.11: revisions A (0x1000), Y (0x1003) and 1 (0x1007) have the erratum,
    // revision 3 (0x2001) and later do not.
    bank_two_erratum_fixed_revision: Some(0x2001),
    flash: FlashGeometry {
        base: FLASH_BASE,
        size: 2 * BANK_SIZE,
        sectors: &STM32F429_2MB_SECTORS,
        write_size: 4,
        erased_value: 0xFF,
        bank_size: Some(BANK_SIZE),
    },
    ram: Region::new(0x2000_0000, 192 * KIB),
    ccm: Some(Region::new(0x1000_0000, 64 * KIB)),
    mailbox: Region::new(0x2000_0000 + 192 * KIB - 32, 32),
};

/// The bootloader partition on every F429 layout: sectors 0–1, 32 KB at the start of flash.
const BOOTLOADER: Region = sectors(0, 1);

/// Dual-slot plan with rollback (the default for the 2 MB F429). Both banks have the same
/// sector map, so the secondary slot mirrors the primary one bank up:
///
/// | partition        | sectors | address     | size   |
/// |------------------|---------|-------------|--------|
/// | bootloader       | 0–1     | 0x0800_0000 | 32 KB  |
/// | primary          | 2–10    | 0x0800_8000 | 864 KB |
/// | scratch          | 11      | 0x080E_0000 | 128 KB |
/// | state            | 12–13   | 0x0810_0000 | 32 KB  |
/// | secondary        | 14–22   | 0x0810_8000 | 864 KB |
/// | application data | 23      | 0x081E_0000 | 128 KB |
pub const NUCLEO_F429ZI_DUAL_SLOT: Layout = Layout {
    name: "nucleo-f429zi-dual",
    board: NUCLEO_F429ZI,
    partitions: Partitions {
        bootloader: BOOTLOADER,
        primary: sectors(2, 10),
        secondary: Some(sectors(14, 22)),
        scratch: Some(sectors(11, 11)),
        state: Some(sectors(12, 13)),
        application_data: Some(sectors(23, 23)),
    },
    update_mode: UpdateMode::DualSlot,
};

/// Single-slot plan (the seed layout): the application owns all of flash after the
/// bootloader, 2016 KB from 0x0800_8000.
pub const NUCLEO_F429ZI_SINGLE_SLOT: Layout = Layout {
    name: "nucleo-f429zi-single",
    board: NUCLEO_F429ZI,
    partitions: Partitions {
        bootloader: BOOTLOADER,
        primary: sectors(2, 23),
        secondary: None,
        scratch: None,
        state: None,
        application_data: None,
    },
    update_mode: UpdateMode::SingleSlot,
};

/// The layout the firmware is built for: dual slot unless the `single-slot` feature is on.
pub const ACTIVE: Layout = if cfg!(feature = "single-slot") {
    NUCLEO_F429ZI_SINGLE_SLOT
} else {
    NUCLEO_F429ZI_DUAL_SLOT
};

// Invariants the compiler can see; `Layout::check` and the host tests check the rest.
const _: () = {
    assert!(BOOTLOADER.start == 0x0800_0000 && BOOTLOADER.size == 32 * KIB);
    assert!(NUCLEO_F429ZI_DUAL_SLOT.partitions.primary.start == 0x0800_8000);
    assert!(NUCLEO_F429ZI_SINGLE_SLOT.partitions.primary.size == 2016 * KIB);
    assert!(NUCLEO_F429ZI.mailbox.start + NUCLEO_F429ZI.mailbox.size == 0x2003_0000);
    assert!(sector(12).start == 0x0810_0000 && sector(23).start == 0x081E_0000);
    assert!(sector(23).start + sector(23).size == FLASH_BASE + 2 * BANK_SIZE);
};
