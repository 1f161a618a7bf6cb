//! Tests of the simulated flash itself: NOR rules, the non-uniform erase map, power cuts
//! (before and inside operations), accounting and the timing model.

use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};
use slingshot_flash_sim::{
    uniform_geometry, PowerCut, SimulatedFlash, SimulatedFlashError, TornOperation,
};
use slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT;

fn f429() -> SimulatedFlash<4> {
    SimulatedFlash::new(NUCLEO_F429ZI_DUAL_SLOT.board.part.flash, 7)
}

#[test]
fn initial_content_is_random_and_seeded() {
    let first = f429();
    let second = f429();
    let content = first.contents(0x0800_8000, 64);
    assert_eq!(content, second.contents(0x0800_8000, 64));
    assert!(content.iter().any(|byte| *byte != 0xFF));
}

#[test]
fn erase_needs_sector_boundaries_of_the_mixed_map() {
    let mut flash = f429();
    // Sector 4 is 64 KB at 0x10000; 0x14000 is not a boundary.
    assert!(matches!(
        flash.erase(0x1_0000, 0x1_4000),
        Err(SimulatedFlashError::NotSectorAligned { .. })
    ));
    flash.erase(0x1_0000, 0x2_0000).unwrap();
    assert!(flash
        .contents(0x0801_0000, 0x1_0000)
        .iter()
        .all(|byte| *byte == 0xFF));
    // Sectors 2 and 3 in one call: two operations.
    flash.erase(0x8000, 0x1_0000).unwrap();
    assert_eq!(flash.statistics().erases, 3);
    assert_eq!(flash.statistics().erases_per_sector[2], 1);
    assert_eq!(
        flash.statistics().modelled_microseconds,
        550_000 + 2 * 250_000
    );
}

#[test]
fn program_rules_alignment_and_erased_units() {
    let mut flash = f429();
    flash.erase(0x8000, 0xC000).unwrap();
    assert!(matches!(
        flash.write(0x8002, &[0; 4]),
        Err(SimulatedFlashError::NotAligned { .. })
    ));
    assert!(matches!(
        flash.write(0x8000, &[0; 3]),
        Err(SimulatedFlashError::NotAligned { .. })
    ));
    flash.write(0x8000, &[1, 2, 3, 4]).unwrap();
    let mut back = [0; 4];
    flash.read(0x8000, &mut back).unwrap();
    assert_eq!(back, [1, 2, 3, 4]);
    assert_eq!(flash.statistics().modelled_microseconds % 1000, 16);
}

#[test]
#[should_panic(expected = "NOR rule violated")]
fn programming_over_data_panics() {
    let mut flash = f429();
    flash.erase(0x8000, 0xC000).unwrap();
    flash.write(0x8000, &[0xF0; 4]).unwrap();
    flash.write(0x8000, &[0x00; 4]).unwrap();
}

#[test]
fn power_cut_before_an_operation_stops_everything_until_power_on() {
    let mut flash = f429();
    flash.plan_power_cut(Some(PowerCut::BeforeOperation(1)));
    flash.erase(0x8000, 0xC000).unwrap();
    assert_eq!(
        flash.write(0x8000, &[0; 4]),
        Err(SimulatedFlashError::PowerCut)
    );
    assert_eq!(flash.contents(0x8000 + 0x0800_0000, 4), &[0xFF; 4]);
    let mut byte = [0];
    assert_eq!(flash.read(0, &mut byte), Err(SimulatedFlashError::PowerCut));
    flash.power_on();
    flash.write(0x8000, &[0; 4]).unwrap();
}

#[test]
fn torn_program_applies_a_subset_of_the_bit_changes() {
    let mut saw_partial = false;
    for seed in 0..32 {
        let mut flash: SimulatedFlash<8> =
            SimulatedFlash::new(uniform_geometry(0, 4096, 4, 8, 0x00), seed);
        flash.erase(0, 4096).unwrap();
        flash.plan_power_cut(Some(PowerCut::InsideOperation(1)));
        let target = [0xA5u8; 64];
        assert_eq!(flash.write(0, &target), Err(SimulatedFlashError::PowerCut));
        let torn = flash.contents(0, 64);
        // Erased value 0x00: only bits set in the target may have been set.
        assert!(torn.iter().all(|byte| byte & !0xA5 == 0));
        saw_partial |= torn != target && torn.iter().any(|byte| *byte != 0);
    }
    assert!(saw_partial);
}

#[test]
fn torn_erase_leaves_the_sector_not_reliably_erased() {
    let mut flash = f429();
    flash.load(0x0800_8000, &[0x00; 0x4000]);
    flash.plan_power_cut(Some(PowerCut::InsideOperation(0)));
    assert_eq!(
        flash.erase(0x8000, 0xC000),
        Err(SimulatedFlashError::PowerCut)
    );
    assert!(!flash.is_powered());
    let content = flash.contents(0x0800_8000, 0x4000);
    assert!(content.iter().any(|byte| *byte != 0xFF));
}

#[test]
fn multiwrite_variant_allows_clearing_more_bits_but_not_setting_them() {
    let mut flash: SimulatedFlash<4, true> =
        SimulatedFlash::new(NUCLEO_F429ZI_DUAL_SLOT.board.part.flash, 7);
    flash.erase(0x8000, 0xC000).unwrap();
    flash.write(0x8000, &[0xF0; 4]).unwrap();
    flash.write(0x8000, &[0x30; 4]).unwrap();
    assert_eq!(flash.contents(0x0800_8000, 4), &[0x30; 4]);
    let result = std::panic::catch_unwind(move || flash.write(0x8000, &[0x31; 4]));
    assert!(
        result.is_err(),
        "setting a bit back must violate the NOR rule"
    );
}

#[test]
fn a_completed_operation_can_be_torn_afterwards() {
    let mut flash = f429();
    let base = flash.geometry().base;
    flash.erase(0, 0x4000).expect("erase");
    assert_eq!(
        flash.tear_last_operation(),
        None,
        "nothing kept until asked for"
    );
    flash.keep_last_operation(true);
    let wanted = [0x0Fu8; 1024];
    flash.write(0, &wanted).expect("program");
    assert_eq!(flash.tear_last_operation(), Some(TornOperation::Program));
    let torn = flash.contents(base, 1024).to_vec();
    assert!(
        torn.iter().all(|byte| byte & 0x0F == 0x0F),
        "a torn program only clears bits it was asked to clear"
    );
    assert!(
        torn.iter().any(|&byte| byte != 0x0F) && torn.iter().any(|&byte| byte != 0xFF),
        "part of the program happened, part did not"
    );
    assert_eq!(
        flash.tear_last_operation(),
        None,
        "an operation is torn once"
    );

    flash.write(0x2000, &[0x5A; 64]).expect("program elsewhere");
    flash.erase(0, 0x4000).expect("erase");
    assert_eq!(flash.tear_last_operation(), Some(TornOperation::Erase));
    assert!(
        flash
            .contents(base, 0x4000)
            .iter()
            .any(|&byte| byte != 0xFF),
        "a torn erase leaves the sector not fully erased"
    );
}
