//! Host tests of the flash driver's planning: bounds, alignment, sector selection with the
//! bank-2 numbering, status decoding, and the partitions each program may change.

use slingshot_flash_controller::{
    check_program, decode_status, erase_control, plan_erase, program_control, registers,
    FlashError, Grants,
};
use slingshot_layout::{NUCLEO_F429ZI_DUAL_SLOT, NUCLEO_F429ZI_SINGLE_SLOT};

const KIB: u32 = 1024;

fn geometry() -> slingshot_layout::FlashGeometry {
    NUCLEO_F429ZI_DUAL_SLOT.board.part.flash
}

#[test]
fn erase_plans_follow_the_mixed_sector_map() {
    let geometry = geometry();
    let numbers = |from, to| -> Vec<u8> {
        plan_erase(&geometry, from, to)
            .unwrap()
            .map(|sector| sector.number)
            .collect()
    };
    assert_eq!(numbers(0x8000, 0x1_0000), vec![2, 3]);
    assert_eq!(numbers(0x1_0000, 0x4_0000), vec![4, 5]);
    assert_eq!(numbers(0x10_8000, 0x11_0000), vec![14, 15]);
    assert_eq!(numbers(0x1E_0000, 0x20_0000), vec![23]);
    assert_eq!(numbers(0x8000, 0x8000), Vec::<u8>::new());
}

#[test]
fn erase_refuses_ranges_off_sector_boundaries_or_outside_flash() {
    let geometry = geometry();
    assert_eq!(
        plan_erase(&geometry, 0x8000, 0x9000).err(),
        Some(FlashError::NotSectorAligned)
    );
    assert_eq!(
        plan_erase(&geometry, 0x1_4000, 0x2_0000).err(),
        Some(FlashError::NotSectorAligned)
    );
    assert_eq!(
        plan_erase(&geometry, 0x1E_0000, 0x22_0000).err(),
        Some(FlashError::OutOfBounds)
    );
    assert_eq!(
        plan_erase(&geometry, 0x2_0000, 0x1_0000).err(),
        Some(FlashError::OutOfBounds)
    );
}

#[test]
fn control_words_use_bank_two_numbering_and_x32() {
    let geometry = geometry();
    let sector_12 = geometry.sector_at(0x0810_0000).unwrap();
    assert_eq!(erase_control(sector_12), (1 << 1) | (16 << 3) | (0b10 << 8));
    let sector_11 = geometry.sector_at(0x080E_0000).unwrap();
    assert_eq!(erase_control(sector_11), (1 << 1) | (11 << 3) | (0b10 << 8));
    let sector_23 = geometry.sector_at(0x081E_0000).unwrap();
    assert_eq!(erase_control(sector_23) >> 3 & 0x1F, 27);
    assert_eq!(program_control(), 1 | (0b10 << 8));
}

#[test]
fn programs_must_be_whole_words_inside_flash() {
    let geometry = geometry();
    assert_eq!(check_program(&geometry, 0x8000, 16), Ok(()));
    assert_eq!(
        check_program(&geometry, 0x8002, 4),
        Err(FlashError::NotAligned)
    );
    assert_eq!(
        check_program(&geometry, 0x8000, 6),
        Err(FlashError::NotAligned)
    );
    assert_eq!(
        check_program(&geometry, 2048 * KIB - 4, 8),
        Err(FlashError::OutOfBounds)
    );
    assert!(check_program(&geometry, u32::MAX - 3, 8).is_err());
}

#[test]
fn every_status_error_bit_maps_to_its_error() {
    use registers::status::*;
    assert_eq!(decode_status(0), Ok(()));
    assert_eq!(decode_status(END_OF_OPERATION), Ok(()));
    let cases = [
        (WRITE_PROTECTION_ERROR, FlashError::WriteProtected),
        (PROGRAMMING_ALIGNMENT_ERROR, FlashError::ProgramAlignment),
        (
            PROGRAMMING_PARALLELISM_ERROR,
            FlashError::ProgramParallelism,
        ),
        (PROGRAMMING_SEQUENCE_ERROR, FlashError::ProgramSequence),
        (OPERATION_ERROR, FlashError::Operation),
        (READ_PROTECTION_ERROR, FlashError::ReadProtected),
    ];
    for (bit, error) in cases {
        assert_eq!(decode_status(bit | END_OF_OPERATION), Err(error));
        assert_ne!(
            CLEAR_ALL & bit,
            0,
            "stale {error:?} must be cleared before each operation"
        );
    }
    assert_eq!(CLEAR_ALL & BUSY, 0);
    // Several bits at once: the first in the order above wins.
    for (index, &(_, error)) in cases.iter().enumerate() {
        let status = cases[index..].iter().fold(0, |bits, &(bit, _)| bits | bit);
        assert_eq!(decode_status(status), Err(error), "status 0x{status:08x}");
    }
}

#[test]
fn each_program_changes_only_the_partitions_its_layout_grants_it() {
    let dual = &NUCLEO_F429ZI_DUAL_SLOT;
    let offset = |address: u32| address - dual.board.part.flash.base;
    let bootloader = Grants::bootloader(dual);
    let application = Grants::application(dual);
    let partitions = dual.partitions;
    let (secondary, scratch, state, data) = (
        partitions.secondary.unwrap(),
        partitions.scratch.unwrap(),
        partitions.state.unwrap(),
        partitions.application_data.unwrap(),
    );
    // The bootloader's own sectors: never, by either.
    for grants in [bootloader, application] {
        assert_eq!(grants.check(0x7FFC, 4), Err(FlashError::Protected));
        assert_eq!(grants.check(0, 0x20_0000), Err(FlashError::Protected));
        assert_eq!(grants.check(0x4000, 0), Ok(()));
    }
    // The bootloader: primary, secondary, scratch, state; not the application's data.
    for region in [partitions.primary, secondary, scratch, state] {
        assert_eq!(bootloader.check(offset(region.start), region.size), Ok(()));
    }
    assert!(bootloader.check(offset(data.start), 4).is_err());
    // The application: secondary, state, its data; not the slot it runs from.
    for region in [secondary, state, data] {
        assert_eq!(application.check(offset(region.start), region.size), Ok(()));
    }
    assert!(application
        .check(offset(partitions.primary.start), 4)
        .is_err());
    assert!(application.check(offset(scratch.start), 4).is_err());
    // A range running out of a granted partition into the next is refused whole.
    assert!(bootloader
        .check(offset(scratch.start + scratch.size - 4), 8)
        .is_err());
    // The single-slot bootloader changes its one slot only.
    let single = &NUCLEO_F429ZI_SINGLE_SLOT;
    let grants = Grants::bootloader(single);
    let primary = single.partitions.primary;
    assert_eq!(grants.check(offset(primary.start), primary.size), Ok(()));
    assert!(grants.check(0, 4).is_err());
}
