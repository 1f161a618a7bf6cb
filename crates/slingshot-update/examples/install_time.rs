//! Modelled install time and wear on the STM32F429 (datasheet typical x32 timings from the
//! simulated flash's timing model) for 64 KB, 256 KB and 864 KB images, side by side with a
//! naive whole-slot swap on the same layout.
//!
//! Run: `cargo run --release -p slingshot-update --example install_time`
//!
//! Each row installs an image of the given size over a previous image of the same size (both
//! random content, so every chunk is programmed), then measures the boot that installs it
//! (swap + journal) and, separately, the boot that reverts it when it is not confirmed.
//! Verification time (hashing, signature) is not included: it is the same for both
//! approaches and is measured in the image crate's benchmarks.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{f429, fake_image, program_image, FakeVerifier, TRAILER_SIZE};
use slingshot_flash_sim::{SimulatedFlash, Statistics};
use slingshot_update::{BootAction, BootEvent, DualSlotEngine};

const KIB: u32 = 1024;

struct Measurement {
    install: Statistics,
    revert: Statistics,
}

fn measure(size: u32, whole_slot: bool) -> Measurement {
    let device = f429(4, 0xFF, 0, 0, "F429");
    let mut configuration = device.configuration;
    configuration.whole_slot_swap = whole_slot;
    let engine = DualSlotEngine::new(configuration);
    let mut flash = SimulatedFlash::<4>::new(device.geometry, 1);
    let length = size - TRAILER_SIZE;
    program_image(
        &mut flash,
        configuration.primary,
        &fake_image(1, length, 1, 1),
    );
    let mut verifier = FakeVerifier::default();
    engine
        .boot(&mut flash, &mut verifier)
        .expect("boot the old image");
    program_image(
        &mut flash,
        configuration.secondary,
        &fake_image(2, length, 1, 2),
    );
    engine
        .mark_pending(&mut flash, &mut verifier)
        .expect("mark the new image pending");
    flash.reset_statistics();
    let installed = engine.boot(&mut flash, &mut verifier).expect("install");
    assert_eq!(installed.event, BootEvent::Installed);
    assert!(matches!(
        installed.action,
        BootAction::Start { trial: true, .. }
    ));
    let install = flash.statistics().clone();
    flash.reset_statistics();
    let reverted = engine.boot(&mut flash, &mut verifier).expect("revert");
    assert_eq!(reverted.event, BootEvent::Reverted);
    Measurement {
        install,
        revert: flash.statistics().clone(),
    }
}

fn seconds(microseconds: u64) -> f64 {
    microseconds as f64 / 1e6
}

fn main() {
    println!("| image | approach | install (s) | sector erases | scratch erases | KB programmed | revert (s) |");
    println!("|---|---|---|---|---|---|---|");
    for size_kib in [64, 256, 864] {
        for (name, whole_slot) in [
            ("Slingshot (image sectors, packed scratch)", false),
            ("whole-slot swap", true),
        ] {
            let measurement = measure(size_kib * KIB, whole_slot);
            let install = &measurement.install;
            println!(
                "| {size_kib} KB | {name} | {:.2} | {} | {} | {} | {:.2} |",
                seconds(install.modelled_microseconds),
                install.erases,
                install.erases_per_sector[11],
                install.bytes_programmed / 1024,
                seconds(measurement.revert.modelled_microseconds),
            );
        }
    }
}
