//! Power-cut sweeps over install, revert, confirm and recovery-from-recovery, on the device
//! matrix (F429 mixed map and uniform maps, write sizes 4/8/16, erased 0xFF and 0x00).
//!
//! Each scenario starts from the same snapshot (old image installed and running, new image
//! received and marked pending), cuts the power before or inside one flash operation (and
//! optionally once more during the recovery), then reboots until the state is stable. At every
//! boot it asserts: the primary slot holds exactly the old or exactly the new image and it
//! verifies (never a mix, never none); once a confirm returned, the new image is never
//! reverted; a refused image never runs and nothing was erased for it.
//!
//! The default run samples cut points with fixed seeds; `SLINGSHOT_FULL_SWEEP=1` cuts at every
//! operation.

mod common;

use common::{fake_image, matrix, program_image, read_region, sample, Device, FakeVerifier};
use slingshot_flash_sim::{PowerCut, SimulatedFlash};
use slingshot_update::{BootAction, BootEvent, DualSlotEngine, Journal, Phase, UpdateState};

const OLD_COUNTER: u32 = 5;
const NEW_COUNTER: u32 = 6;
/// Cut points sampled per sweep in the default run.
const SAMPLES: u64 = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setup {
    /// A valid, newer image is pending.
    Install,
    /// The pending image's signature (checksum) is broken.
    BadSignature,
    /// The pending image's security counter is below the stored minimum.
    BelowMinimum,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Old,
    New,
}

struct Fixture<const W: usize> {
    device: Device,
    snapshot: SimulatedFlash<W>,
    old: Vec<u8>,
    new: Vec<u8>,
    setup: Setup,
}

fn prepare<const W: usize>(device: Device, setup: Setup) -> Fixture<W> {
    let configuration = device.configuration;
    let engine = DualSlotEngine::new(configuration);
    let mut flash =
        SimulatedFlash::<W>::new(device.geometry, 0x5EED ^ u64::from(device.new_length));
    let old_counter = if setup == Setup::BelowMinimum {
        9
    } else {
        OLD_COUNTER
    };
    let old = fake_image(1, device.old_length, old_counter, 1);
    let mut new = fake_image(2, device.new_length, NEW_COUNTER, 2);
    if setup == Setup::BadSignature {
        new[100] ^= 0x10;
    }
    program_image(&mut flash, configuration.primary, &old);
    program_image(&mut flash, configuration.secondary, &new);
    let mut verifier = FakeVerifier::default();
    let first = engine
        .boot(&mut flash, &mut verifier)
        .expect("first boot formats the journal");
    assert!(
        matches!(first.action, BootAction::Start { trial: false, .. }),
        "{}: {first:?}",
        device.name
    );
    match setup {
        Setup::Install => {
            engine
                .mark_pending(&mut flash, &mut verifier)
                .expect("the application marks the new image pending");
        }
        Setup::BadSignature | Setup::BelowMinimum => {
            // A buggy or hostile application marks an image the engine must refuse.
            let mut journal = Journal::open(&mut flash, &configuration).unwrap();
            let minimum = if setup == Setup::BelowMinimum { 8 } else { 0 };
            let pending = UpdateState {
                phase: Phase::Pending,
                minimum_security_counter: minimum,
                ..journal.state()
            };
            journal.append(&mut flash, &configuration, pending).unwrap();
        }
    }
    // Fill the active state sector up to ten free slots, so every script compacts the journal
    // into the other sector early on and the cuts hit the compaction too.
    let mut journal = Journal::open(&mut flash, &configuration).unwrap();
    let state = journal.state();
    let slots = device
        .geometry
        .sectors_in(configuration.state)
        .map(|sector| sector.size)
        .min()
        .unwrap()
        / 32;
    for _ in 0..slots - 12 {
        journal.append(&mut flash, &configuration, state).unwrap();
    }
    flash.reset_statistics();
    Fixture {
        device,
        snapshot: flash,
        old,
        new,
        setup,
    }
}

/// Where the power fails: a first cut relative to the snapshot, an optional second one relative
/// to the first recovery.
#[derive(Clone, Copy, Debug)]
struct Cuts {
    first: Option<(bool, u64)>,
    second: Option<(bool, u64)>,
}

fn cut(inside: bool, index: u64) -> PowerCut {
    if inside {
        PowerCut::InsideOperation(index)
    } else {
        PowerCut::BeforeOperation(index)
    }
}

struct Outcome {
    operations: u64,
    final_image: Which,
}

fn identify<const W: usize>(
    fixture: &Fixture<W>,
    flash: &mut SimulatedFlash<W>,
    context: &str,
) -> Which {
    let configuration = fixture.device.configuration;
    let base = configuration.geometry.base;
    if read_region(
        flash,
        base,
        configuration.primary.start,
        fixture.old.len() as u32,
    ) == fixture.old
    {
        Which::Old
    } else if read_region(
        flash,
        base,
        configuration.primary.start,
        fixture.new.len() as u32,
    ) == fixture.new
    {
        Which::New
    } else {
        panic!("{context}: the primary slot holds neither the old nor the new image (a mix)")
    }
}

fn run<const W: usize>(fixture: &Fixture<W>, confirms: bool, cuts: Cuts) -> Outcome {
    let device = fixture.device;
    let engine = DualSlotEngine::new(device.configuration);
    let mut flash = fixture.snapshot.clone();
    let start = flash.operations();
    let context = format!(
        "{} {:?} confirms={confirms} cuts={cuts:?}",
        device.name, fixture.setup
    );
    flash.plan_power_cut(cuts.first.map(|(inside, index)| cut(inside, start + index)));
    let mut second = cuts.second;
    let mut verifier = FakeVerifier::default();
    let mut confirmed = false;
    let mut trial_boots = 0;
    let mut recover = |flash: &mut SimulatedFlash<W>| {
        assert!(
            !flash.is_powered(),
            "{context}: an operation failed without a power cut"
        );
        flash.power_on();
        if let Some((inside, index)) = second.take() {
            flash.plan_power_cut(Some(cut(inside, flash.operations() + index)));
        }
    };
    for _boot in 0..50 {
        let before = flash.operations();
        let outcome = match engine.boot(&mut flash, &mut verifier) {
            Ok(outcome) => outcome,
            Err(_) => {
                recover(&mut flash);
                continue;
            }
        };
        let BootAction::Start { trial, image, .. } = outcome.action else {
            panic!("{context}: nothing bootable: {:?}", outcome.action);
        };
        let which = identify(fixture, &mut flash, &context);
        let expected_version = if which == Which::Old { 1 } else { 2 };
        assert_eq!(
            image.version.major(),
            expected_version,
            "{context}: the verifier saw another image"
        );
        if confirmed {
            assert_eq!(
                which,
                Which::New,
                "{context}: a confirmed image was reverted"
            );
        }
        if fixture.setup != Setup::Install {
            assert_eq!(which, Which::Old, "{context}: a refused image runs");
            assert!(!trial, "{context}: a refused image runs on trial");
        }
        if trial {
            assert_eq!(which, Which::New, "{context}: the old image runs on trial");
            trial_boots += 1;
            if confirms {
                match engine.confirm(&mut flash) {
                    Ok(()) => confirmed = true,
                    Err(_) => {
                        recover(&mut flash);
                        continue;
                    }
                }
            }
        }
        let stable = !trial && flash.operations() == before && outcome.event == BootEvent::Nothing;
        if !stable {
            continue;
        }
        let state = outcome.state;
        match fixture.setup {
            Setup::Install => {
                assert!(
                    trial_boots >= 1,
                    "{context}: the new image never ran on trial"
                );
                let expected = if confirmed { Which::New } else { Which::Old };
                assert_eq!(which, expected, "{context}: wrong final image");
                let phase = if confirmed {
                    Phase::Confirmed
                } else {
                    Phase::Reverted
                };
                assert_eq!(state.phase, phase, "{context}");
                let minimum = if confirmed { NEW_COUNTER } else { 0 };
                assert_eq!(state.minimum_security_counter, minimum, "{context}");
                // The other image survived the swaps intact in the secondary slot.
                let other = if which == Which::New {
                    &fixture.old
                } else {
                    &fixture.new
                };
                let configuration = device.configuration;
                let secondary = read_region(
                    &mut flash,
                    configuration.geometry.base,
                    configuration.secondary.start,
                    other.len() as u32,
                );
                assert!(
                    secondary == *other,
                    "{context}: the secondary slot lost the other image"
                );
            }
            Setup::BadSignature | Setup::BelowMinimum => {
                assert_eq!(state.phase, Phase::Refused, "{context}");
                let geometry = device.geometry;
                let erased_slots = geometry
                    .sectors
                    .iter()
                    .zip(&flash.statistics().erases_per_sector)
                    .filter(|(sector, erases)| {
                        **erases > 0 && !device.configuration.state.contains(sector.start)
                    })
                    .count();
                assert_eq!(
                    erased_slots, 0,
                    "{context}: a sector was erased for a refused image"
                );
                let configuration = device.configuration;
                let secondary = read_region(
                    &mut flash,
                    geometry.base,
                    configuration.secondary.start,
                    fixture.new.len() as u32,
                );
                assert_eq!(
                    secondary, fixture.new,
                    "{context}: the refused image was modified"
                );
            }
        }
        return Outcome {
            operations: flash.operations() - start,
            final_image: which,
        };
    }
    panic!("{context}: no stable state after 50 boots");
}

/// Run every sweep for one device; returns the number of scenarios.
fn sweep<const W: usize>(device: Device, seed: u64) -> u64 {
    let mut scenarios = 0;
    let mut scripts = Vec::new();
    for setup in [Setup::Install, Setup::BadSignature, Setup::BelowMinimum] {
        let fixture = prepare::<W>(device, setup);
        let policies: &[bool] = if setup == Setup::Install {
            &[true, false]
        } else {
            &[true]
        };
        for &confirms in policies {
            let clean = run(
                &fixture,
                confirms,
                Cuts {
                    first: None,
                    second: None,
                },
            );
            scenarios += 1;
            if setup == Setup::Install {
                let expected = if confirms { Which::New } else { Which::Old };
                assert_eq!(
                    clean.final_image, expected,
                    "{}: uninterrupted run",
                    device.name
                );
            }
            let total = clean.operations;
            scripts.push(format!("{setup:?}/confirms={confirms}: {total} operations"));
            for index in sample(total, SAMPLES, seed ^ total ^ u64::from(confirms)) {
                run(
                    &fixture,
                    confirms,
                    Cuts {
                        first: Some((false, index)),
                        second: None,
                    },
                );
                run(
                    &fixture,
                    confirms,
                    Cuts {
                        first: Some((true, index)),
                        second: None,
                    },
                );
                scenarios += 2;
            }
            // Recovery from recovery: a torn operation, then another cut while recovering.
            let firsts = sample(total, SAMPLES / 2, seed.rotate_left(7) ^ total);
            let seconds = sample(total, SAMPLES / 2, seed.rotate_left(13) ^ total);
            for (position, (first, second)) in firsts.iter().zip(seconds.iter().rev()).enumerate() {
                let inside = position % 2 == 0;
                run(
                    &fixture,
                    confirms,
                    Cuts {
                        first: Some((true, *first)),
                        second: Some((inside, *second)),
                    },
                );
                scenarios += 1;
            }
        }
    }
    println!(
        "{}: {scenarios} power-cut scenarios ({})",
        device.name,
        scripts.join(", ")
    );
    scenarios
}

fn sweep_device(index: usize) {
    let device = matrix()[index];
    let seed = 0xC0FF_EE00 + index as u64;
    let scenarios = match device.geometry.write_size {
        4 => sweep::<4>(device, seed),
        8 => sweep::<8>(device, seed),
        16 => sweep::<16>(device, seed),
        other => panic!("no sweep instance for write size {other}"),
    };
    assert!(scenarios > 0);
}

#[test]
fn power_cuts_f429_write_4_erased_ff() {
    sweep_device(0);
}

#[test]
fn power_cuts_f429_write_8_erased_00() {
    sweep_device(1);
}

#[test]
fn power_cuts_uniform_4k_write_16_erased_ff() {
    sweep_device(2);
}

#[test]
fn power_cuts_uniform_8k_write_4_erased_00() {
    sweep_device(3);
}
