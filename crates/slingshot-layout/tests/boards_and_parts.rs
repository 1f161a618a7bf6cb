//! Host tests of the board and part tables: every sector map against its reference manual's
//! organization, identification values, clocks, serial ports, and one single-slot layout (and
//! a dual-slot one where the map allows it) per board, with the application at 0x0800_8000.

use slingshot_layout::boards::Usart;
use slingshot_layout::layouts::layout_for;
use slingshot_layout::parts::ALL_PARTS;
use slingshot_layout::{UpdateMode, ALL_BOARDS, ALL_LAYOUTS};
use std::collections::HashSet;

const KIB: u32 = 1024;

/// Sector sizes in KB of one F4 bank with `count` sectors: 4 × 16, 64, then 128s.
fn bank_sizes(count: usize) -> Vec<u32> {
    (0..count)
        .map(|index| match index {
            0..=3 => 16,
            4 => 64,
            _ => 128,
        })
        .collect()
}

#[test]
fn every_sector_map_follows_the_reference_manual() {
    for part in ALL_PARTS {
        let flash = part.flash;
        let sizes: Vec<u32> = flash
            .sectors
            .iter()
            .map(|sector| sector.size / KIB)
            .collect();
        let expected = match part.flash_size_register {
            512 => bank_sizes(8),
            1024 => bank_sizes(12),
            1536 => bank_sizes(16),
            2048 => [bank_sizes(12), bank_sizes(12)].concat(),
            other => panic!("{}: no sector map for {other} KB", part.name),
        };
        assert_eq!(sizes, expected, "{}", part.name);
        let mut next = flash.base;
        for (index, sector) in flash.sectors.iter().enumerate() {
            assert_eq!(sector.start, next, "{} sector {index}", part.name);
            assert_eq!(usize::from(sector.number), index, "{}", part.name);
            // SNB: the sector number, plus 4 in the second bank of a two-bank part.
            let in_second_bank = flash
                .bank_size
                .is_some_and(|bank| sector.start - flash.base >= bank);
            let expected_snb = sector.number + if in_second_bank { 4 } else { 0 };
            assert_eq!(
                sector.control_register_number, expected_snb,
                "{}",
                part.name
            );
            next += sector.size;
        }
        assert_eq!(next - flash.base, flash.size, "{}", part.name);
        assert_eq!(flash.size, u32::from(part.flash_size_register) * KIB);
    }
}

#[test]
fn identification_memories_and_clocks_match_the_issue_table() {
    // (part, DEV_ID, SRAM KB, CCM, highest clock MHz without over-drive, wait states at the
    // verification clock)
    let expected = [
        ("STM32F401RE", 0x433, 96, false, 84, 2),
        ("STM32F411RE", 0x431, 128, false, 100, 3),
        ("STM32F446xE", 0x421, 128, false, 168, 5),
        ("STM32F412ZG", 0x441, 256, false, 100, 3),
        ("STM32F413ZH", 0x463, 320, false, 100, 3),
        ("STM32F429ZI", 0x419, 192, true, 168, 5),
        ("STM32F439ZI", 0x419, 192, true, 168, 5),
        ("STM32F407VG", 0x413, 128, true, 168, 5),
    ];
    assert_eq!(ALL_PARTS.len(), expected.len());
    for (part, (name, device_id, ram, ccm, megahertz, wait_states)) in
        ALL_PARTS.iter().zip(expected)
    {
        assert_eq!(part.name, name);
        assert_eq!(part.device_id, device_id, "{name}");
        assert_eq!(part.ram.start, 0x2000_0000, "{name}");
        assert_eq!(part.ram.size, ram * KIB, "{name}");
        assert_eq!(part.ccm.is_some(), ccm, "{name}");
        assert_eq!(part.clock.system_hz, megahertz * 1_000_000, "{name}");
        assert_eq!(part.clock.flash_wait_states, wait_states, "{name}");
        // Wait states at the verification clock: one per started 30 MHz at 2.7–3.6 V on every
        // F4. Every part verifies at its highest clock; the 100 MHz parts raise the voltage
        // scale for it (their reset scale stops at 84 MHz).
        let verification = part.clock.verification_hz;
        assert_eq!(verification, part.clock.system_hz, "{name}");
        assert_eq!(
            part.clock.raises_voltage_scale(),
            megahertz == 100,
            "{name}"
        );
        if part.clock.raises_voltage_scale() {
            assert_eq!(part.clock.reset_scale_hz, 84_000_000, "{name}");
        }
        assert_eq!(
            u32::from(part.clock.flash_wait_states),
            verification.div_ceil(30_000_000) - 1,
            "{name}"
        );
        assert!(part.clock.apb1_hz() <= part.clock.apb1_maximum_hz, "{name}");
        assert!(
            part.clock.apb1_hz() * 2 > part.clock.apb1_maximum_hz,
            "{name}: APB1 too slow"
        );
        assert!(
            part.interrupt_count >= 82 && part.interrupt_count <= 102,
            "{name}"
        );
        // The bank-2 read erratum exists only on the two-bank F42x/F43x.
        assert_eq!(
            part.bank_two_erratum_fixed_revision.is_some(),
            part.flash.bank_size.is_some(),
            "{name}"
        );
    }
}

#[test]
fn boards_are_unique_and_wired_as_their_manuals_say() {
    let names: HashSet<_> = ALL_BOARDS.iter().map(|board| board.name).collect();
    let ids: HashSet<_> = ALL_BOARDS.iter().map(|board| board.board_id).collect();
    let chips: HashSet<_> = ALL_BOARDS.iter().map(|board| board.probe_rs_chip).collect();
    assert_eq!(names.len(), ALL_BOARDS.len());
    assert_eq!(ids.len(), ALL_BOARDS.len());
    assert_eq!(chips.len(), ALL_BOARDS.len());
    assert_eq!(
        ALL_BOARDS[0].name, "nucleo-f429zi",
        "the default board comes first"
    );
    for board in ALL_BOARDS {
        let serial = board.serial;
        let (transmit, receive, stream) = match serial.usart {
            Usart::Usart2 => ("PA2", "PA3", 5),
            Usart::Usart3 => ("PD8", "PD9", 1),
        };
        assert_eq!(serial.transmit.to_string(), transmit, "{}", board.name);
        assert_eq!(serial.receive.to_string(), receive, "{}", board.name);
        assert_eq!(serial.receive_dma_stream, stream, "{}", board.name);
        assert_eq!(serial.receive_dma_channel, 4, "{}", board.name);
        assert_eq!(serial.alternate_function, 7, "{}", board.name);
        let nucleo_64 = board.user_manual == "UM1724";
        assert_eq!(
            nucleo_64,
            serial.usart == Usart::Usart2 && board.name.starts_with("nucleo")
        );
        assert_eq!(board.button.high_when_pressed, !nucleo_64, "{}", board.name);
        assert!(
            board.probe_rs_chip.starts_with(&board.part.name[..9]),
            "{}",
            board.name
        );
        assert_eq!(board.mailbox.end(), board.part.ram.end(), "{}", board.name);
        assert!(
            board.leds.iter().any(|led| led.colour == "green"),
            "{}",
            board.name
        );
    }
}

#[test]
fn every_board_has_a_single_slot_layout_two_bank_parts_a_dual_slot_one_and_the_others_an_overwrite_one(
) {
    for board in ALL_BOARDS {
        let single = layout_for(board, UpdateMode::SingleSlot)
            .unwrap_or_else(|| panic!("{} has no single-slot layout", board.name));
        assert_eq!(single.partitions.primary.start, 0x0800_8000);
        assert_eq!(
            single.partitions.primary.end(),
            board.part.flash.region().end()
        );
        let dual = layout_for(board, UpdateMode::DualSlot);
        assert_eq!(
            dual.is_some(),
            board.part.flash.bank_size.is_some(),
            "{}",
            board.name
        );
        if let Some(dual) = dual {
            assert_eq!(dual.partitions.primary.start, 0x0800_8000);
            assert_eq!(dual.name, format!("{}-dual", board.name));
        }
        assert_eq!(single.name, format!("{}-single", board.name));
        let overwrite = layout_for(board, UpdateMode::Overwrite);
        assert_eq!(overwrite.is_some(), dual.is_none(), "{}", board.name);
        if let Some(overwrite) = overwrite {
            let primary = overwrite.partitions.primary;
            let secondary = overwrite.partitions.secondary.expect("a secondary slot");
            assert_eq!(primary.start, 0x0800_8000);
            assert_eq!(secondary.start, primary.end(), "{}", board.name);
            assert_eq!(secondary.end(), board.part.flash.region().end());
            assert_eq!(overwrite.name, format!("{}-overwrite", board.name));
            // The split leaves the larger slot at most one 128 KB sector ahead.
            let difference = primary.size.abs_diff(secondary.size);
            assert!(difference <= 128 * 1024, "{}", board.name);
            assert_eq!(overwrite.largest_image(), primary.size.min(secondary.size));
        }
        assert_eq!(
            slingshot_layout::layouts::updating_layout(board).map(|layout| layout.update_mode),
            Some(if dual.is_some() {
                UpdateMode::DualSlot
            } else {
                UpdateMode::Overwrite
            })
        );
    }
    for layout in ALL_LAYOUTS {
        assert_eq!(layout.check(), Ok(()), "{}", layout.name);
        assert!(ALL_BOARDS
            .iter()
            .any(|board| board.name == layout.board.name));
    }
}

#[test]
fn the_firmware_defaults_to_the_nucleo_f429zi_dual_slot_layout() {
    // The host build sees no SLINGSHOT_BOARD and no `single-slot` feature.
    assert_eq!(slingshot_layout::ACTIVE.name, "nucleo-f429zi-dual");
    assert_eq!(slingshot_layout::BUILD_BOARD.name, "nucleo-f429zi");
}

/// `sectors_in` (a run of the sector table, cut by two searches) gives exactly the sectors
/// that overlap the region, for every part and regions starting and ending on, inside and
/// beyond every sector, empty ones included.
#[test]
fn sectors_in_gives_exactly_the_overlapping_sectors() {
    for part in ALL_PARTS {
        let flash = part.flash;
        let mut points: Vec<u32> = vec![0, flash.base - 1, flash.region().end() + 7];
        for sector in flash.sectors {
            points.extend([
                sector.start,
                sector.start + 1,
                sector.start + sector.size - 1,
            ]);
        }
        points.push(flash.region().end());
        for &start in &points {
            for &end in &points {
                if end < start {
                    continue;
                }
                let region = slingshot_layout::Region::new(start, end - start);
                let expected: Vec<u8> = flash
                    .sectors
                    .iter()
                    .filter(|sector| sector.region().overlaps(region))
                    .map(|sector| sector.number)
                    .collect();
                let found: Vec<u8> = flash
                    .sectors_in(region)
                    .map(|sector| sector.number)
                    .collect();
                assert_eq!(found, expected, "{} {region:x?}", part.name);
            }
        }
    }
}
