//! Host tests of every layout's invariants: sector alignment, no overlap, mailbox placement,
//! and that the sector map matches RM0090.

use slingshot_layout::{LayoutError, Region, UpdateMode, ALL_LAYOUTS, NUCLEO_F429ZI_DUAL_SLOT};

#[test]
fn every_layout_passes_its_checks() {
    for layout in ALL_LAYOUTS {
        assert_eq!(layout.check(), Ok(()), "layout {}", layout.name);
    }
}

#[test]
fn partitions_start_and_end_on_sector_boundaries_and_never_overlap() {
    for layout in ALL_LAYOUTS {
        let flash = layout.board.part.flash;
        let partitions: Vec<_> = layout.named_partitions().collect();
        for (name, region) in &partitions {
            assert!(
                flash.is_sector_boundary(region.start),
                "{name} start 0x{:08x}",
                region.start
            );
            assert!(
                flash.is_sector_boundary(region.end()),
                "{name} end 0x{:08x}",
                region.end()
            );
        }
        for (index, (first, a)) in partitions.iter().enumerate() {
            for (second, b) in &partitions[index + 1..] {
                assert!(
                    !a.overlaps(*b),
                    "{} overlaps {} in {}",
                    first,
                    second,
                    layout.name
                );
            }
        }
    }
}

#[test]
fn sector_map_matches_reference_manual() {
    let flash = NUCLEO_F429ZI_DUAL_SLOT.board.part.flash;
    assert_eq!(flash.sectors.len(), 24);
    let sizes_kib: Vec<u32> = flash
        .sectors
        .iter()
        .map(|sector| sector.size / 1024)
        .collect();
    let bank = [16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128];
    assert_eq!(&sizes_kib[..12], &bank);
    assert_eq!(&sizes_kib[12..], &bank);
    let mut expected_start = flash.base;
    for sector in flash.sectors {
        assert_eq!(
            sector.start, expected_start,
            "sector {} is not contiguous",
            sector.number
        );
        expected_start += sector.size;
    }
    assert_eq!(expected_start, flash.base + flash.size);
    assert_eq!(
        flash
            .sector_at(0x0810_0000)
            .unwrap()
            .control_register_number,
        16
    );
    assert_eq!(
        flash
            .sector_at(0x0800_C000)
            .unwrap()
            .control_register_number,
        3
    );
    assert_eq!(flash.bank_of(0x0810_8000), 1);
}

#[test]
fn dual_slot_geometry_mirrors_banks() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    assert_eq!(layout.update_mode, UpdateMode::DualSlot);
    let primary = layout.partitions.primary;
    let secondary = layout.partitions.secondary.unwrap();
    assert_eq!(primary.size, 864 * 1024);
    assert_eq!(secondary.start - primary.start, 0x10_0000);
    assert!(layout.partitions.scratch.unwrap().size >= 128 * 1024);
}

#[test]
fn program_ram_excludes_mailbox() {
    for layout in ALL_LAYOUTS {
        let board = layout.board;
        let ram = board.program_ram();
        assert!(!ram.overlaps(board.mailbox));
        assert_eq!(ram.end(), board.mailbox.start);
        assert_eq!(board.mailbox.end(), board.part.ram.end());
    }
}

#[test]
fn check_rejects_broken_layouts() {
    let mut layout = NUCLEO_F429ZI_DUAL_SLOT;
    layout.partitions.primary = Region::new(0x0800_8000, 0x1000);
    assert_eq!(
        layout.check(),
        Err(LayoutError::NotSectorAligned {
            partition: "primary"
        })
    );

    let mut layout = NUCLEO_F429ZI_DUAL_SLOT;
    layout.partitions.scratch = Some(Region::new(0x080C_0000, 0x2_0000));
    assert_eq!(
        layout.check(),
        Err(LayoutError::Overlap {
            first: "primary",
            second: "scratch"
        })
    );

    let mut layout = NUCLEO_F429ZI_DUAL_SLOT;
    layout.partitions.application_data = Some(Region::new(0x081E_0000, 0x4_0000));
    assert_eq!(
        layout.check(),
        Err(LayoutError::OutsideFlash {
            partition: "application-data"
        })
    );

    let mut layout = NUCLEO_F429ZI_DUAL_SLOT;
    layout.board.mailbox = Region::new(0x2000_0000, 32);
    assert_eq!(layout.check(), Err(LayoutError::MailboxNotAtTopOfRam));

    let mut layout = NUCLEO_F429ZI_DUAL_SLOT;
    layout.partitions.secondary = None;
    assert_eq!(layout.check(), Err(LayoutError::ModeMismatch));
}

#[test]
fn layouts_are_found_by_name() {
    assert!(slingshot_layout::Layout::by_name("nucleo-f429zi-single").is_some());
    assert!(slingshot_layout::Layout::by_name("nucleo-f429zi-dual").is_some());
    assert!(slingshot_layout::Layout::by_name("nope").is_none());
}

#[test]
fn memory_x_for_both_programs() {
    use slingshot_layout::linker::{write_memory_x, Program};
    let mut bootloader = String::new();
    write_memory_x(
        &mut bootloader,
        &NUCLEO_F429ZI_DUAL_SLOT,
        Program::Bootloader,
        0,
    )
    .unwrap();
    assert!(
        bootloader.contains("FLASH : ORIGIN = 0x08000000, LENGTH = 32768"),
        "{bootloader}"
    );
    assert!(
        bootloader.contains("RAM : ORIGIN = 0x20000000, LENGTH = 196576"),
        "{bootloader}"
    );
    assert!(bootloader.contains("does not fit its 32768 byte partition at 0x08000000"));
    let mut application = String::new();
    write_memory_x(
        &mut application,
        &NUCLEO_F429ZI_DUAL_SLOT,
        Program::Application,
        0,
    )
    .unwrap();
    assert!(
        application.contains("FLASH : ORIGIN = 0x08008000, LENGTH = 884736"),
        "{application}"
    );
    assert!(application.contains("ADDR(.vector_table) == 0x08008000"));
}
