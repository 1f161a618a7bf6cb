//! The partition plans of every board: a single-slot plan for all; the dual-slot plan with
//! trial boot and rollback where the sector map allows the update engine one (the two-bank
//! 2 MB parts, whose banks mirror each other); the overwrite plan on every single-bank part.
//! The application always starts at 0x0800_8000 (sector 2), after the 32 KB bootloader in
//! sectors 0–1.
//!
//! Why the single-bank parts have no dual-slot plan: a swap exchanges a primary sector with a
//! secondary sector of the same size (or, like MCUboot's swap modes, runs of sectors whose
//! sizes add up to the same boundaries). A primary slot from sector 2 always ends 96 KB
//! (16 + 16 + 64) past a multiple of 128 KB, while every sector after it in a single bank is
//! 128 KB, so no run of later sectors ever ends on the same boundary. Their safest update is
//! the overwrite: the verified new image copied over the old one, resumable at any point.

use crate::boards::{
    equal, Board, BUILD_BOARD, NUCLEO_F401RE, NUCLEO_F411RE, NUCLEO_F412ZG, NUCLEO_F413ZH,
    NUCLEO_F429ZI, NUCLEO_F439ZI, NUCLEO_F446RE, NUCLEO_F446ZE, STM32F4DISCOVERY,
};
use crate::{FlashGeometry, Layout, Partitions, Region, UpdateMode};

/// The region covering sectors `first..=last` of `flash`.
const fn sectors(flash: &FlashGeometry, first: usize, last: usize) -> Region {
    let start = flash.sectors[first].start;
    let end = flash.sectors[last].start + flash.sectors[last].size;
    Region::new(start, end - start)
}

/// The bootloader partition on every board: sectors 0–1, 32 KB at the start of flash.
const fn bootloader(board: &Board) -> Region {
    sectors(&board.part.flash, 0, 1)
}

/// The single-slot plan: the application owns all of flash after the bootloader.
const fn single_slot(name: &'static str, board: Board) -> Layout {
    let flash = &board.part.flash;
    Layout {
        name,
        board,
        partitions: Partitions {
            bootloader: bootloader(&board),
            primary: sectors(flash, 2, flash.sectors.len() - 1),
            secondary: None,
            scratch: None,
            state: None,
            application_data: None,
        },
        update_mode: UpdateMode::SingleSlot,
    }
}

/// The dual-slot plan of a two-bank 2 MB F42x/F43x. Both banks have the same sector map, so
/// the secondary slot mirrors the primary one a bank up:
///
/// | partition        | sectors | address     | size   |
/// |------------------|---------|-------------|--------|
/// | bootloader       | 0–1     | 0x0800_0000 | 32 KB  |
/// | primary          | 2–10    | 0x0800_8000 | 864 KB |
/// | scratch          | 11      | 0x080E_0000 | 128 KB |
/// | state            | 12–13   | 0x0810_0000 | 32 KB  |
/// | secondary        | 14–22   | 0x0810_8000 | 864 KB |
/// | application data | 23      | 0x081E_0000 | 128 KB |
const fn two_bank_dual_slot(name: &'static str, board: Board) -> Layout {
    let flash = &board.part.flash;
    Layout {
        name,
        board,
        partitions: Partitions {
            bootloader: bootloader(&board),
            primary: sectors(flash, 2, 10),
            secondary: Some(sectors(flash, 14, 22)),
            scratch: Some(sectors(flash, 11, 11)),
            state: Some(sectors(flash, 12, 13)),
            application_data: Some(sectors(flash, 23, 23)),
        },
        update_mode: UpdateMode::DualSlot,
    }
}

/// The overwrite plan of a single-bank part: the primary slot from sector 2, the secondary
/// slot in the sectors after it, split where the largest image — the smaller slot — is
/// largest (no scratch, no state: the copy's progress is read from the slots themselves).
///
/// | part | primary | secondary | largest image |
/// |------|---------|-----------|---------------|
/// | 512 KB (F401, F411, F446) | sectors 2–5, 224 KB | 6–7, 256 KB | 224 KB |
/// | 1 MB (F412, F407) | sectors 2–7, 480 KB | 8–11, 512 KB | 480 KB |
/// | 1.5 MB (F413) | sectors 2–9, 736 KB | 10–15, 768 KB | 736 KB |
const fn single_bank_overwrite(name: &'static str, board: Board) -> Layout {
    let flash = &board.part.flash;
    let last = flash.sectors.len() - 1;
    // The last primary sector that makes the smaller slot largest.
    let mut best = 2;
    let mut best_size = 0;
    let mut candidate = 2;
    while candidate < last {
        let primary = sectors(flash, 2, candidate).size;
        let secondary = sectors(flash, candidate + 1, last).size;
        let smaller = if primary < secondary {
            primary
        } else {
            secondary
        };
        if smaller > best_size {
            best = candidate;
            best_size = smaller;
        }
        candidate += 1;
    }
    Layout {
        name,
        board,
        partitions: Partitions {
            bootloader: bootloader(&board),
            primary: sectors(flash, 2, best),
            secondary: Some(sectors(flash, best + 1, last)),
            scratch: None,
            state: None,
            application_data: None,
        },
        update_mode: UpdateMode::Overwrite,
    }
}

/// Nucleo-F429ZI, dual slot with rollback (the default build).
pub const NUCLEO_F429ZI_DUAL_SLOT: Layout = two_bank_dual_slot("nucleo-f429zi-dual", NUCLEO_F429ZI);
/// Nucleo-F429ZI, single slot: 2016 KB from 0x0800_8000.
pub const NUCLEO_F429ZI_SINGLE_SLOT: Layout = single_slot("nucleo-f429zi-single", NUCLEO_F429ZI);
/// Nucleo-F439ZI, dual slot with rollback.
pub const NUCLEO_F439ZI_DUAL_SLOT: Layout = two_bank_dual_slot("nucleo-f439zi-dual", NUCLEO_F439ZI);
/// Nucleo-F439ZI, single slot.
pub const NUCLEO_F439ZI_SINGLE_SLOT: Layout = single_slot("nucleo-f439zi-single", NUCLEO_F439ZI);
/// Nucleo-F401RE, single slot: 480 KB.
pub const NUCLEO_F401RE_SINGLE_SLOT: Layout = single_slot("nucleo-f401re-single", NUCLEO_F401RE);
/// Nucleo-F411RE, single slot: 480 KB.
pub const NUCLEO_F411RE_SINGLE_SLOT: Layout = single_slot("nucleo-f411re-single", NUCLEO_F411RE);
/// Nucleo-F446RE, single slot: 480 KB.
pub const NUCLEO_F446RE_SINGLE_SLOT: Layout = single_slot("nucleo-f446re-single", NUCLEO_F446RE);
/// Nucleo-F446ZE, single slot: 480 KB.
pub const NUCLEO_F446ZE_SINGLE_SLOT: Layout = single_slot("nucleo-f446ze-single", NUCLEO_F446ZE);
/// Nucleo-F412ZG, single slot: 992 KB.
pub const NUCLEO_F412ZG_SINGLE_SLOT: Layout = single_slot("nucleo-f412zg-single", NUCLEO_F412ZG);
/// Nucleo-F413ZH, single slot: 1504 KB.
pub const NUCLEO_F413ZH_SINGLE_SLOT: Layout = single_slot("nucleo-f413zh-single", NUCLEO_F413ZH);
/// STM32F4DISCOVERY, single slot: 992 KB.
pub const STM32F4DISCOVERY_SINGLE_SLOT: Layout =
    single_slot("stm32f4discovery-single", STM32F4DISCOVERY);

/// Nucleo-F401RE, overwrite: 224 KB images.
pub const NUCLEO_F401RE_OVERWRITE: Layout =
    single_bank_overwrite("nucleo-f401re-overwrite", NUCLEO_F401RE);
/// Nucleo-F411RE, overwrite: 224 KB images.
pub const NUCLEO_F411RE_OVERWRITE: Layout =
    single_bank_overwrite("nucleo-f411re-overwrite", NUCLEO_F411RE);
/// Nucleo-F446RE, overwrite: 224 KB images.
pub const NUCLEO_F446RE_OVERWRITE: Layout =
    single_bank_overwrite("nucleo-f446re-overwrite", NUCLEO_F446RE);
/// Nucleo-F446ZE, overwrite: 224 KB images.
pub const NUCLEO_F446ZE_OVERWRITE: Layout =
    single_bank_overwrite("nucleo-f446ze-overwrite", NUCLEO_F446ZE);
/// Nucleo-F412ZG, overwrite: 480 KB images.
pub const NUCLEO_F412ZG_OVERWRITE: Layout =
    single_bank_overwrite("nucleo-f412zg-overwrite", NUCLEO_F412ZG);
/// Nucleo-F413ZH, overwrite: 736 KB images.
pub const NUCLEO_F413ZH_OVERWRITE: Layout =
    single_bank_overwrite("nucleo-f413zh-overwrite", NUCLEO_F413ZH);
/// STM32F4DISCOVERY, overwrite: 480 KB images.
pub const STM32F4DISCOVERY_OVERWRITE: Layout =
    single_bank_overwrite("stm32f4discovery-overwrite", STM32F4DISCOVERY);

/// Every layout Slingshot knows, for host tools that let the user choose one by name.
pub const ALL_LAYOUTS: &[&Layout] = &[
    &NUCLEO_F429ZI_DUAL_SLOT,
    &NUCLEO_F429ZI_SINGLE_SLOT,
    &NUCLEO_F439ZI_DUAL_SLOT,
    &NUCLEO_F439ZI_SINGLE_SLOT,
    &NUCLEO_F401RE_OVERWRITE,
    &NUCLEO_F401RE_SINGLE_SLOT,
    &NUCLEO_F411RE_OVERWRITE,
    &NUCLEO_F411RE_SINGLE_SLOT,
    &NUCLEO_F446RE_OVERWRITE,
    &NUCLEO_F446RE_SINGLE_SLOT,
    &NUCLEO_F446ZE_OVERWRITE,
    &NUCLEO_F446ZE_SINGLE_SLOT,
    &NUCLEO_F412ZG_OVERWRITE,
    &NUCLEO_F412ZG_SINGLE_SLOT,
    &NUCLEO_F413ZH_OVERWRITE,
    &NUCLEO_F413ZH_SINGLE_SLOT,
    &STM32F4DISCOVERY_OVERWRITE,
    &STM32F4DISCOVERY_SINGLE_SLOT,
];

/// The layout of `board` with `mode`, if the board has one (a `const fn`: the firmware's
/// [`ACTIVE`] is chosen with it at compile time; host tools call it too).
pub const fn layout_for(board: &Board, mode: UpdateMode) -> Option<&'static Layout> {
    let mut index = 0;
    while index < ALL_LAYOUTS.len() {
        let layout = ALL_LAYOUTS[index];
        if equal(layout.board.name.as_bytes(), board.name.as_bytes())
            && matches!(
                (layout.update_mode, mode),
                (UpdateMode::SingleSlot, UpdateMode::SingleSlot)
                    | (UpdateMode::DualSlot, UpdateMode::DualSlot)
                    | (UpdateMode::Overwrite, UpdateMode::Overwrite)
            )
        {
            return Some(layout);
        }
        index += 1;
    }
    None
}

/// The layout of `board` that updates with the most safety its map allows: dual slot (trial
/// boot, rollback) where there is one, else overwrite.
pub const fn updating_layout(board: &Board) -> Option<&'static Layout> {
    match layout_for(board, UpdateMode::DualSlot) {
        Some(layout) => Some(layout),
        None => layout_for(board, UpdateMode::Overwrite),
    }
}

/// The layout the firmware is built for: the board [`BUILD_BOARD`] names (`SLINGSHOT_BOARD`,
/// default Nucleo-F429ZI); with the `single-slot` feature its single-slot layout, otherwise its
/// [`updating_layout`] (dual slot on the two-bank parts, overwrite on the others).
pub const ACTIVE: Layout = {
    let layout = if cfg!(feature = "single-slot") {
        layout_for(&BUILD_BOARD, UpdateMode::SingleSlot)
    } else {
        updating_layout(&BUILD_BOARD)
    };
    match layout {
        Some(layout) => *layout,
        None => panic!("this board has no layout of the kind asked for"),
    }
};

// Invariants the compiler can see; `Layout::check` and the host tests check the rest.
const _: () = {
    let mut index = 0;
    while index < ALL_LAYOUTS.len() {
        let layout = ALL_LAYOUTS[index];
        assert!(layout.partitions.bootloader.start == 0x0800_0000);
        assert!(layout.partitions.bootloader.size == 32 * 1024);
        assert!(layout.partitions.primary.start == 0x0800_8000);
        index += 1;
    }
    assert!(NUCLEO_F429ZI_SINGLE_SLOT.partitions.primary.size == 2016 * 1024);
    assert!(NUCLEO_F401RE_SINGLE_SLOT.partitions.primary.size == 480 * 1024);
    assert!(NUCLEO_F413ZH_SINGLE_SLOT.partitions.primary.size == 1504 * 1024);
    assert!(NUCLEO_F401RE_OVERWRITE.largest_image() == 224 * 1024);
    assert!(NUCLEO_F412ZG_OVERWRITE.largest_image() == 480 * 1024);
    assert!(NUCLEO_F413ZH_OVERWRITE.largest_image() == 736 * 1024);
    let secondary = match NUCLEO_F429ZI_DUAL_SLOT.partitions.secondary {
        Some(region) => region,
        None => panic!(),
    };
    assert!(secondary.start == 0x0810_8000);
};
