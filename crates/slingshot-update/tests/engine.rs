//! Behaviour of the dual-slot engine without power cuts: what it copies and erases, trial boot,
//! confirm, revert, anti-rollback, refusals, the watchdog flag and long-run journal compaction.

mod common;

use common::{f429, fake_image, program_image, uniform, FakeVerifier};
use slingshot_flash_sim::SimulatedFlash;
use slingshot_update::{
    BootAction, BootEvent, DualSlotConfiguration, DualSlotEngine, Phase, Refusal, StayCause,
    UpdateError,
};

const KIB: u32 = 1024;

fn f429_flash(erased_value: u8) -> (DualSlotConfiguration, SimulatedFlash<4>) {
    let device = f429(4, erased_value, 0, 0, "F429");
    (
        device.configuration,
        SimulatedFlash::new(device.geometry, 3),
    )
}

/// Boot once with the fake verifier.
/// The F429 (erased value `erased_value`) with `image` in its primary slot, booted once (the
/// journal formatted): the engine, its configuration and the flash.
fn running(
    erased_value: u8,
    image: &[u8],
) -> (DualSlotEngine, DualSlotConfiguration, SimulatedFlash<4>) {
    let (configuration, mut flash) = f429_flash(erased_value);
    let engine = DualSlotEngine::new(configuration);
    program_image(&mut flash, configuration.primary, image);
    boot(&engine, &mut flash);
    (engine, configuration, flash)
}

fn boot(engine: &DualSlotEngine, flash: &mut SimulatedFlash<4>) -> slingshot_update::BootOutcome {
    engine
        .boot(flash, &mut FakeVerifier::default())
        .expect("no power cut planned")
}

fn version_started(action: BootAction) -> (u16, bool) {
    match action {
        BootAction::Start { image, trial, .. } => (image.version.major(), trial),
        other => panic!("expected a hand-off, got {other:?}"),
    }
}

/// Install `image` through the secondary slot and boot it on trial.
fn install(
    engine: &DualSlotEngine,
    flash: &mut SimulatedFlash<4>,
    image: &[u8],
) -> slingshot_update::BootOutcome {
    program_image(flash, engine.configuration().secondary, image);
    engine
        .mark_pending(flash, &mut FakeVerifier::default())
        .expect("valid pending image");
    boot(engine, flash)
}

#[test]
fn install_copies_only_the_sectors_the_images_occupy() {
    let (engine, _, mut flash) = running(0xFF, &fake_image(1, 40 * KIB, 1, 1));
    flash.reset_statistics();
    let outcome = install(&engine, &mut flash, &fake_image(2, 20 * KIB, 1, 2));
    assert_eq!(outcome.event, BootEvent::Installed);
    assert_eq!(version_started(outcome.action), (2, true));
    let erases = &flash.statistics().erases_per_sector;
    // 40 KB + trailer covers sectors 2, 3 and 4 (16 + 16 + 64 KB): nothing beyond is touched.
    for sector in [5, 6, 7, 8, 9, 10, 17, 18, 19, 20, 21, 22] {
        assert_eq!(erases[sector], 0, "sector {sector} was erased");
    }
    // The three small sectors share one scratch erase (packed at 0, 16 and 32 KB).
    assert_eq!(erases[11], 1, "scratch erases");
    assert!(erases[2] == 1 && erases[3] == 1 && erases[4] == 1);
    // The secondary sectors were erased either by the test's programmer (sector 14) or by the swap.
    assert_eq!(erases[14] + erases[15] + erases[16], 3);
}

#[test]
fn trial_confirm_raises_the_minimum_and_refuses_older_images() {
    let (engine, configuration, mut flash) = running(0xFF, &fake_image(1, 8 * KIB, 3, 1));
    let outcome = install(&engine, &mut flash, &fake_image(2, 8 * KIB, 7, 2));
    assert_eq!(version_started(outcome.action), (2, true));
    engine.confirm(&mut flash).unwrap();
    let state = engine.state(&mut flash).unwrap();
    assert_eq!(
        (state.phase, state.minimum_security_counter),
        (Phase::Confirmed, 7)
    );
    assert_eq!(
        version_started(boot(&engine, &mut flash).action),
        (2, false)
    );
    // An older image is refused by the application side...
    program_image(
        &mut flash,
        configuration.secondary,
        &fake_image(3, 8 * KIB, 6, 3),
    );
    let refused = engine.mark_pending(&mut flash, &mut FakeVerifier::default());
    assert_eq!(
        refused,
        Err(UpdateError::Refused(Refusal::BelowMinimum {
            security_counter: 6,
            minimum: 7
        }))
    );
    // ...and an equal counter is accepted.
    program_image(
        &mut flash,
        configuration.secondary,
        &fake_image(4, 8 * KIB, 7, 4),
    );
    assert_eq!(
        version_started(install(&engine, &mut flash, &fake_image(4, 8 * KIB, 7, 4)).action),
        (4, true)
    );
}

#[test]
fn an_unconfirmed_trial_is_reverted_at_the_next_boot() {
    let (engine, _, mut flash) = running(0x00, &fake_image(1, 200 * KIB, 1, 1));
    assert_eq!(
        version_started(install(&engine, &mut flash, &fake_image(2, 30 * KIB, 1, 2)).action),
        (2, true)
    );
    // The trial image writes nothing and resets.
    let outcome = boot(&engine, &mut flash);
    assert_eq!(outcome.event, BootEvent::Reverted);
    assert_eq!(version_started(outcome.action), (1, false));
    assert_eq!(outcome.state.phase, Phase::Reverted);
    // The reverted image is in the secondary again: confirm now is a no-op, state stays.
    engine.confirm(&mut flash).unwrap();
    assert_eq!(engine.state(&mut flash).unwrap().phase, Phase::Reverted);
}

#[test]
fn secondary_is_locked_while_a_trial_is_unconfirmed() {
    let (engine, _, mut flash) = running(0xFF, &fake_image(1, 8 * KIB, 1, 1));
    install(&engine, &mut flash, &fake_image(2, 8 * KIB, 1, 2));
    assert_eq!(
        engine.check_secondary_writable(&mut flash),
        Err(UpdateError::TrialNotConfirmed)
    );
    assert_eq!(
        engine.mark_pending(&mut flash, &mut FakeVerifier::default()),
        Err(UpdateError::TrialNotConfirmed)
    );
    engine.confirm(&mut flash).unwrap();
    assert!(engine.check_secondary_writable(&mut flash).is_ok());
}

#[test]
fn watchdog_is_requested_only_for_trial_boots_when_configured() {
    let (mut configuration, mut flash) = f429_flash(0xFF);
    configuration.watchdog_before_trial = true;
    let engine = DualSlotEngine::new(configuration);
    program_image(
        &mut flash,
        configuration.primary,
        &fake_image(1, 8 * KIB, 1, 1),
    );
    let normal = boot(&engine, &mut flash).action;
    assert!(!engine.should_start_watchdog(&normal));
    let trial = install(&engine, &mut flash, &fake_image(2, 8 * KIB, 1, 2)).action;
    assert!(engine.should_start_watchdog(&trial));
}

#[test]
fn bad_pending_image_is_refused_by_the_application_side() {
    let (engine, configuration, mut flash) = running(0xFF, &fake_image(1, 8 * KIB, 1, 1));
    let mut broken = fake_image(2, 8 * KIB, 1, 2);
    broken[5000] ^= 1;
    program_image(&mut flash, configuration.secondary, &broken);
    let result = engine.mark_pending(&mut flash, &mut FakeVerifier::default());
    assert!(
        matches!(result, Err(UpdateError::Refused(Refusal::Rejected(rejection))) if rejection == common::REJECT_CHECKSUM)
    );
    assert_eq!(engine.state(&mut flash).unwrap().phase, Phase::Idle);
}

#[test]
fn no_valid_image_stays_in_the_bootloader() {
    let (configuration, mut flash) = f429_flash(0xFF);
    let engine = DualSlotEngine::new(configuration);
    let outcome = boot(&engine, &mut flash);
    assert!(matches!(
        outcome.action,
        BootAction::StayInBootloader(StayCause::NoValidImage(_))
    ));
}

#[test]
fn first_install_without_a_previous_image_keeps_booting_the_trial() {
    let (configuration, mut flash) = f429_flash(0xFF);
    let engine = DualSlotEngine::new(configuration);
    let outcome = install(&engine, &mut flash, &fake_image(2, 8 * KIB, 1, 2));
    assert_eq!(version_started(outcome.action), (2, true));
    assert!(!outcome.state.has_fallback);
    // Nothing to revert to: the image runs on trial again until it confirms.
    assert_eq!(version_started(boot(&engine, &mut flash).action), (2, true));
    engine.confirm(&mut flash).unwrap();
    assert_eq!(
        version_started(boot(&engine, &mut flash).action),
        (2, false)
    );
}

#[test]
fn many_update_cycles_compact_the_journal_and_keep_working() {
    let device = uniform(4096, 4, 0xFF, 0, 0, "uniform");
    let configuration = device.configuration;
    let engine = DualSlotEngine::new(configuration);
    let mut flash = SimulatedFlash::<4>::new(device.geometry, 11);
    program_image(
        &mut flash,
        configuration.primary,
        &fake_image(100, 10 * KIB, 0, 100),
    );
    boot(&engine, &mut flash);
    // Each cycle writes ~3 records per swapped sector plus 4; 128 records fit a 4 KB sector.
    for cycle in 1..=30u32 {
        let confirm = cycle % 3 != 0;
        let image = fake_image(u64::from(cycle), (4 + cycle % 5 * 7) * KIB, cycle, cycle);
        let outcome = install(&engine, &mut flash, &image);
        assert_eq!(
            version_started(outcome.action),
            (cycle as u16, true),
            "cycle {cycle}"
        );
        if confirm {
            engine.confirm(&mut flash).unwrap();
        }
        let after = boot(&engine, &mut flash);
        let (version, trial) = version_started(after.action);
        assert!(!trial);
        if confirm {
            assert_eq!(u32::from(version), cycle);
        } else {
            assert_eq!(after.event, BootEvent::Reverted, "cycle {cycle}");
        }
    }
    let state_erases: u32 = [27, 28]
        .iter()
        .map(|sector| flash.statistics().erases_per_sector[*sector])
        .sum();
    assert!(
        state_erases >= 2,
        "30 cycles must have compacted the journal"
    );
}

#[test]
fn staying_in_the_bootloader_finishes_an_interrupted_swap_without_consuming_the_trial() {
    let (engine, configuration, mut flash) = running(0xFF, &fake_image(1, 50 * KIB, 1, 1));
    program_image(
        &mut flash,
        configuration.secondary,
        &fake_image(2, 50 * KIB, 1, 2),
    );
    engine
        .mark_pending(&mut flash, &mut FakeVerifier::default())
        .unwrap();
    let start = flash.operations();
    flash.plan_power_cut(Some(slingshot_flash_sim::PowerCut::InsideOperation(
        start + 40,
    )));
    assert!(engine
        .boot(&mut flash, &mut FakeVerifier::default())
        .is_err());
    flash.power_on();
    assert_eq!(engine.state(&mut flash).unwrap().phase, Phase::Installing);
    let state = engine.finish_interrupted_swap(&mut flash).unwrap();
    assert_eq!(state.phase, Phase::Trial);
    assert_eq!(version_started(boot(&engine, &mut flash).action), (2, true));
}

/// Writes the journal of a real install, trial and confirm (its valid records, in journal order)
/// as a seed of the `journal_records` fuzz target. Run it to refresh the committed seed:
/// `cargo test -p slingshot-update --test engine -- --ignored record_fuzz_seeds`.
#[test]
#[ignore = "writes fuzz/seeds/journal_records (run by hand to refresh the seed)"]
fn record_fuzz_seeds() {
    let (engine, configuration, mut flash) = running(0xFF, &fake_image(1, 40 * KIB, 1, 1));
    install(&engine, &mut flash, &fake_image(2, 20 * KIB, 2, 2));
    engine.confirm(&mut flash).unwrap();
    let state = configuration.state;
    let records: Vec<u8> = flash
        .contents(state.start, state.size)
        .chunks_exact(slingshot_update::journal::RECORD_SIZE as usize)
        .filter(|record| {
            let record: &[u8; 32] = (*record).try_into().expect("a whole record");
            slingshot_update::journal::decode(record).is_some()
        })
        .flatten()
        .copied()
        .collect();
    assert!(
        records.len() >= 4 * 32,
        "install, trial and confirm wrote records"
    );
    let directory =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/journal_records");
    std::fs::create_dir_all(&directory).unwrap();
    std::fs::write(directory.join("install_trial_confirm"), &records).unwrap();
}
