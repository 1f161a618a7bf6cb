//! The overwrite install (single-bank parts) on the real sector maps of every overwrite layout:
//! its rules one by one, then power-cut sweeps on the 512 KB, 1 MB and 1.5 MB maps (write sizes
//! 4, 8 and 16, erased 0xFF and 0x00, new image larger and smaller than the old one).
//!
//! At every boot that completes, the sweeps assert: a valid newer image received is what runs,
//! exactly (never a mix, never nothing); a refused image never runs and the old one is intact;
//! an image that does not verify costs no erase. The default run samples cut points with fixed
//! seeds; `SLINGSHOT_FULL_SWEEP=1` cuts at every operation.

mod common;

use common::{fake_image, program_image, read_region, sample, FakeVerifier};
use slingshot_flash_sim::{PowerCut, SimulatedFlash};
use slingshot_layout::{FlashGeometry, Layout, UpdateMode, ALL_LAYOUTS};
use slingshot_update::{
    BootAction, BootEvent, OverwriteConfiguration, OverwriteEngine, Refusal, StayCause,
};

/// Cut points sampled per sweep in the default run.
const SAMPLES: u64 = 96;

/// Every overwrite layout.
fn overwrite_layouts() -> impl Iterator<Item = &'static Layout> {
    ALL_LAYOUTS
        .iter()
        .copied()
        .filter(|layout| layout.update_mode == UpdateMode::Overwrite)
}

/// The layout named `name` with another write size and erased value.
fn configuration(name: &str, write_size: u32, erased_value: u8) -> OverwriteConfiguration {
    let layout = Layout::by_name(name).expect("a layout of that name");
    let geometry = FlashGeometry {
        write_size,
        erased_value,
        ..layout.board.part.flash
    };
    let configuration = OverwriteConfiguration::from_layout(layout).expect("an overwrite layout");
    OverwriteConfiguration::new(geometry, configuration.primary, configuration.secondary)
        .expect("the layout's slots suit the install")
}

/// A flash holding `old` in the primary slot and `new` (if any) in the secondary slot.
fn flash_with<const W: usize>(
    configuration: &OverwriteConfiguration,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
) -> SimulatedFlash<W> {
    let mut flash = SimulatedFlash::<W>::new(configuration.geometry, 0x0BE5_1DE5);
    for sector in configuration.geometry.sectors {
        flash.load_erased(sector.start, sector.size);
    }
    if let Some(old) = old {
        program_image(&mut flash, configuration.primary, old);
    }
    if let Some(new) = new {
        program_image(&mut flash, configuration.secondary, new);
    }
    flash.reset_statistics();
    flash
}

fn primary_holds<const W: usize>(
    flash: &mut SimulatedFlash<W>,
    configuration: &OverwriteConfiguration,
    image: &[u8],
) -> bool {
    let base = configuration.geometry.base;
    read_region(flash, base, configuration.primary.start, image.len() as u32) == image
}

fn started_version(action: &BootAction) -> Option<u16> {
    match action {
        BootAction::Start { image, trial, .. } => {
            assert!(!trial, "the overwrite install never starts a trial");
            Some(image.version.major())
        }
        BootAction::StayInBootloader(_) => None,
    }
}

#[test]
fn every_overwrite_layout_installs_a_received_image_and_then_boots_without_writing() {
    for layout in overwrite_layouts() {
        let configuration = OverwriteConfiguration::from_layout(layout).unwrap();
        let engine = OverwriteEngine::new(configuration);
        let largest = configuration.largest_image();
        assert_eq!(largest, layout.largest_image(), "{}", layout.name);
        // The largest image the layout takes, against a small old one.
        let old = fake_image(1, 48 * 1024, 3, 1);
        let new = fake_image(2, largest - 16, 4, 2);
        let mut flash = flash_with::<4>(&configuration, Some(&old), Some(&new));
        let mut verifier = FakeVerifier::default();
        let outcome = engine.boot(&mut flash, &mut verifier).unwrap();
        assert_eq!(outcome.event, BootEvent::Installed, "{}", layout.name);
        assert_eq!(started_version(&outcome.action), Some(2), "{}", layout.name);
        assert!(primary_holds(&mut flash, &configuration, &new));
        let erased_sectors: Vec<u32> = configuration.install_erase_sizes(largest).collect();
        assert_eq!(
            flash.statistics().erases,
            erased_sectors.len() as u64,
            "{}: the erases the host's install-time estimate counts",
            layout.name
        );
        // The next boot finds nothing to do: no erase, no program.
        flash.reset_statistics();
        let again = engine.boot(&mut flash, &mut verifier).unwrap();
        assert_eq!(again.event, BootEvent::Nothing);
        assert_eq!(started_version(&again.action), Some(2));
        assert_eq!(flash.statistics().erases + flash.statistics().programs, 0);
    }
}

#[test]
fn an_older_image_is_refused_and_the_secondary_slot_no_longer_offers_it() {
    let configuration = configuration("nucleo-f401re-overwrite", 4, 0xFF);
    let engine = OverwriteEngine::new(configuration);
    let old = fake_image(1, 40 * 1024, 7, 1);
    let older = fake_image(2, 30 * 1024, 6, 2);
    let mut flash = flash_with::<4>(&configuration, Some(&old), Some(&older));
    let mut verifier = FakeVerifier::default();
    let outcome = engine.boot(&mut flash, &mut verifier).unwrap();
    assert_eq!(
        outcome.event,
        BootEvent::Refused(Refusal::BelowMinimum {
            security_counter: 6,
            minimum: 7
        })
    );
    assert_eq!(started_version(&outcome.action), Some(1));
    assert!(primary_holds(&mut flash, &configuration, &old));
    // Only the secondary slot's first sector was erased.
    assert_eq!(flash.statistics().erases, 1);
    assert_eq!(flash.statistics().programs, 0);
    let again = engine.boot(&mut flash, &mut verifier).unwrap();
    assert_eq!(again.event, BootEvent::Nothing);
}

#[test]
fn an_image_that_does_not_verify_or_is_not_finished_costs_no_write() {
    let configuration = configuration("nucleo-f412zg-overwrite", 4, 0xFF);
    let engine = OverwriteEngine::new(configuration);
    let old = fake_image(1, 40 * 1024, 1, 1);
    let mut tampered = fake_image(2, 60 * 1024, 2, 2);
    tampered[5000] ^= 1;
    // A transfer that stopped half way: the start of the image, not its end.
    let complete = fake_image(3, 60 * 1024, 2, 2);
    let unfinished = &complete[..30 * 1024];
    for received in [&tampered[..], unfinished] {
        let mut flash = flash_with::<4>(&configuration, Some(&old), Some(received));
        let mut verifier = FakeVerifier::default();
        let outcome = engine.boot(&mut flash, &mut verifier).unwrap();
        assert_eq!(outcome.event, BootEvent::Nothing);
        assert_eq!(started_version(&outcome.action), Some(1));
        assert_eq!(flash.statistics().erases + flash.statistics().programs, 0);
        let base = configuration.geometry.base;
        let secondary = read_region(
            &mut flash,
            base,
            configuration.secondary.start,
            received.len() as u32,
        );
        assert_eq!(secondary, received, "kept for the service to resume");
    }
}

#[test]
fn an_image_larger_than_the_primary_slot_is_refused() {
    // F401: primary 224 KB, secondary 256 KB; the image fits the secondary slot only.
    let configuration = configuration("nucleo-f401re-overwrite", 4, 0xFF);
    let engine = OverwriteEngine::new(configuration);
    let old = fake_image(1, 40 * 1024, 1, 1);
    let huge = fake_image(2, 240 * 1024, 2, 2);
    let mut flash = flash_with::<4>(&configuration, Some(&old), Some(&huge));
    let outcome = engine
        .boot(&mut flash, &mut FakeVerifier::default())
        .unwrap();
    assert_eq!(
        outcome.event,
        BootEvent::Refused(Refusal::TooLarge {
            extent: 240 * 1024 + 16,
            slot_size: 224 * 1024
        })
    );
    assert_eq!(started_version(&outcome.action), Some(1));
}

#[test]
fn an_empty_device_installs_the_first_image_and_without_one_stays_in_the_bootloader() {
    let configuration = configuration("nucleo-f413zh-overwrite", 4, 0xFF);
    let engine = OverwriteEngine::new(configuration);
    let mut blank = flash_with::<4>(&configuration, None, None);
    let outcome = engine
        .boot(&mut blank, &mut FakeVerifier::default())
        .unwrap();
    assert!(matches!(
        outcome.action,
        BootAction::StayInBootloader(StayCause::NoValidImage(_))
    ));
    assert_eq!(blank.statistics().erases + blank.statistics().programs, 0);
    let first = fake_image(2, 100 * 1024, 1, 2);
    let mut flash = flash_with::<4>(&configuration, None, Some(&first));
    let outcome = engine
        .boot(&mut flash, &mut FakeVerifier::default())
        .unwrap();
    assert_eq!(outcome.event, BootEvent::Installed);
    assert_eq!(started_version(&outcome.action), Some(2));
}

#[test]
fn staying_in_the_bootloader_finishes_only_an_interrupted_install() {
    let configuration = configuration("nucleo-f401re-overwrite", 4, 0xFF);
    let engine = OverwriteEngine::new(configuration);
    let old = fake_image(1, 40 * 1024, 1, 1);
    let new = fake_image(2, 50 * 1024, 2, 2);
    // Beside a valid primary image the received one waits for the next boot.
    let mut flash = flash_with::<4>(&configuration, Some(&old), Some(&new));
    let mut verifier = FakeVerifier::default();
    let event = engine
        .finish_interrupted_install(&mut flash, &mut verifier)
        .unwrap();
    assert_eq!(event, BootEvent::Nothing);
    assert!(primary_holds(&mut flash, &configuration, &old));
    // A copy cut after its first sector: the primary slot verifies as nothing; finish it.
    flash.plan_power_cut(Some(PowerCut::BeforeOperation(flash.operations() + 20)));
    assert!(engine.boot(&mut flash, &mut verifier).is_err());
    flash.power_on();
    assert!(!primary_holds(&mut flash, &configuration, &old));
    let event = engine
        .finish_interrupted_install(&mut flash, &mut verifier)
        .unwrap();
    assert_eq!(event, BootEvent::Installed);
    assert!(primary_holds(&mut flash, &configuration, &new));
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setup {
    /// A valid image with a higher security counter was received.
    Install,
    /// The received image's security counter is below the installed one's.
    BelowMinimum,
}

struct Fixture<const W: usize> {
    name: String,
    configuration: OverwriteConfiguration,
    snapshot: SimulatedFlash<W>,
    old: Vec<u8>,
    new: Vec<u8>,
    setup: Setup,
}

/// Boot until a boot completes without writing; assert the invariants at every completed
/// boot. Returns the operations the whole run took.
fn run<const W: usize>(
    fixture: &Fixture<W>,
    first: Option<PowerCut>,
    second: Option<PowerCut>,
) -> u64 {
    let configuration = &fixture.configuration;
    let engine = OverwriteEngine::new(*configuration);
    let mut flash = fixture.snapshot.clone();
    let start = flash.operations();
    let shift = |cut: PowerCut, base: u64| match cut {
        PowerCut::BeforeOperation(index) => PowerCut::BeforeOperation(base + index),
        PowerCut::InsideOperation(index) => PowerCut::InsideOperation(base + index),
    };
    flash.plan_power_cut(first.map(|cut| shift(cut, start)));
    let mut second = second;
    let context = format!(
        "{} {:?} cuts {first:?} then {second:?}",
        fixture.name, fixture.setup
    );
    let mut verifier = FakeVerifier::default();
    for _boot in 0..20 {
        let before = flash.operations();
        let Ok(outcome) = engine.boot(&mut flash, &mut verifier) else {
            assert!(!flash.is_powered(), "{context}: failed without a power cut");
            flash.power_on();
            let now = flash.operations();
            flash.plan_power_cut(second.take().map(|cut| shift(cut, now)));
            continue;
        };
        let (expected, version) = match fixture.setup {
            Setup::Install => (&fixture.new, 2),
            Setup::BelowMinimum => (&fixture.old, 1),
        };
        assert_eq!(
            started_version(&outcome.action),
            Some(version),
            "{context}: {outcome:?}"
        );
        assert!(
            primary_holds(&mut flash, configuration, expected),
            "{context}: the primary slot does not hold exactly the image that runs"
        );
        if flash.operations() == before {
            assert_eq!(outcome.event, BootEvent::Nothing, "{context}");
            return flash.operations() - start;
        }
    }
    panic!("{context}: no boot without writes after 20 boots");
}

/// Sweep one map: both setups, a cut before or inside each sampled operation, and a second
/// cut during the recovery.
fn sweep<const W: usize>(
    name: &str,
    write_size: u32,
    erased: u8,
    old_kib: u32,
    new_kib: u32,
    seed: u64,
) {
    let configuration = configuration(name, write_size, erased);
    let mut scenarios = 0;
    for setup in [Setup::Install, Setup::BelowMinimum] {
        let (old_counter, new_counter) = match setup {
            Setup::Install => (5, 6),
            Setup::BelowMinimum => (9, 6),
        };
        let old = fake_image(1, old_kib * 1024, old_counter, 1);
        let new = fake_image(2, new_kib * 1024, new_counter, 2);
        let snapshot = flash_with::<W>(&configuration, Some(&old), Some(&new));
        let fixture = Fixture {
            name: format!("{name}, write {write_size}, erased 0x{erased:02X}"),
            configuration,
            snapshot,
            old,
            new,
            setup,
        };
        let total = run(&fixture, None, None);
        scenarios += 1;
        for index in sample(total, SAMPLES, seed ^ total) {
            run(&fixture, Some(PowerCut::BeforeOperation(index)), None);
            run(&fixture, Some(PowerCut::InsideOperation(index)), None);
            scenarios += 2;
        }
        let firsts = sample(total, SAMPLES / 2, seed.rotate_left(7) ^ total);
        let seconds = sample(total, SAMPLES / 2, seed.rotate_left(13) ^ total);
        for (position, (first, second)) in firsts.iter().zip(seconds.iter().rev()).enumerate() {
            let second = if position % 2 == 0 {
                PowerCut::InsideOperation(*second)
            } else {
                PowerCut::BeforeOperation(*second)
            };
            run(
                &fixture,
                Some(PowerCut::InsideOperation(*first)),
                Some(second),
            );
            scenarios += 1;
        }
        println!(
            "{}: {setup:?}, {total} operations uninterrupted",
            fixture.name
        );
    }
    println!("{name}: {scenarios} power-cut scenarios");
}

#[test]
fn power_cuts_f401_map_write_4_erased_ff_new_larger() {
    sweep::<4>("nucleo-f401re-overwrite", 4, 0xFF, 40, 150, 0x0F40_1000);
}

#[test]
fn power_cuts_f412_map_write_8_erased_00_new_smaller() {
    sweep::<8>("nucleo-f412zg-overwrite", 8, 0x00, 300, 90, 0x0F41_2000);
}

#[test]
fn power_cuts_f413_map_write_16_erased_ff_large_image() {
    sweep::<16>("nucleo-f413zh-overwrite", 16, 0xFF, 200, 600, 0x0F41_3000);
}
