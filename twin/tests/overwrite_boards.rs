//! The overwrite layout of the single-bank parts on their twins, with the real binaries: the
//! Nucleo-F401RE (Nucleo-64, 96 KB SRAM, 512 KB map: primary 224 KB, secondary 256 KB) and the
//! Nucleo-F412ZG (Nucleo-144, 1 MB map: primary 480 KB, secondary 512 KB). Each board's
//! overwrite build receives v2 over its serial port into the secondary slot and the next boot
//! copies it over v1; power cuts during the transfer and during the copy (torn erases, torn
//! programs) never brick it, and a cut copy is finished by the very next power-on.
//!
//! Needs `cargo xtask build --board nucleo-f401re --layout overwrite` and the same for
//! `nucleo-f412zg` (`cargo xtask test` builds both). Every single-bank board's overwrite build
//! updated on its twin is part of the full matrix, `cargo xtask test boards`.

mod serial_fixture;

use anyhow::{ensure, Context, Result};
use serial_fixture::cuts::{reference_operations, update_cut_by, CutPicker};
use serial_fixture::{
    check_power_on, expect_application, flash_image, observe_boot, options, settle_after_flash,
    signed_bytes, unchecked_image, Build, ImageSpec, TwinLink,
};
use slingshot_protocol::host::{HostConfig, HostSession};
use slingshot_protocol::info::{SlotStatus, UpdateMode};
use slingshot_twin::PowerCut;

/// Seeded filler appended to v2 (the image then reaches a 64 KB sector beyond v1's).
const V2_FILLER: usize = 24 * 1024;
/// The overwrite layout's state as the application's boot report gives it.
const OVERWRITE_STATE: &str = "unknown (overwrite layout: no trial, no rollback)";

const NUCLEO_F401RE: Build = Build::OverwriteOn("nucleo-f401re");
const NUCLEO_F412ZG: Build = Build::OverwriteOn("nucleo-f412zg");

/// v1 boots; `slingshot flash` sends v2 into the secondary slot, the reboot copies it over v1
/// and v2 runs, again after a power cycle; the bootloader then reports an overwrite layout
/// whose secondary slot no longer offers an image, and a second run sends nothing.
fn updates(build: Build) -> Result<()> {
    let mut twin = build.twin(5)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let v2 = signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(V2_FILLER))?;
    let (report, resumed) = flash_image(&mut twin, v2.clone(), &options())?;
    ensure!(resumed.is_none(), "a fresh transfer reported a resume");
    ensure!(
        serial_fixture::runs_v2(&report, Some(OVERWRITE_STATE)),
        "running after the reboot: {:?}",
        report.running
    );
    let text = String::from_utf8_lossy(twin.serial_output()).into_owned();
    ensure!(
        text.contains("slingshot: update installed\r\n"),
        "the bootloader did not say it installed: {text:?}"
    );
    expect_application(&settle_after_flash(&mut twin)?, "2.0.0", false)?;
    twin.power_on()?;
    expect_application(&observe_boot(&mut twin, 5)?, "2.0.0", false)?;

    // What the bootloader says now, asked directly.
    let before = twin.serial_output().len();
    twin.send_serial(b"b");
    twin.run_until(4_000_000_000, |twin| {
        String::from_utf8_lossy(&twin.serial_output()[before..])
            .contains("slingshot: staying in bootloader")
    })?;
    let info = HostSession::new(TwinLink::new(&mut twin), HostConfig::default()).hello()?;
    ensure!(info.update_mode == UpdateMode::Overwrite, "{info:?}");
    ensure!(
        info.max_image_size == build.layout().largest_image(),
        "max image size {} for a largest image of {}",
        info.max_image_size,
        build.layout().largest_image()
    );
    let slots = info.slots();
    ensure!(slots[0].status == SlotStatus::Valid && slots[0].version.major == 2);
    ensure!(
        slots[1].status == SlotStatus::Empty,
        "the installed image is still offered in the secondary slot: {slots:?}"
    );
    let (again, _) = flash_image(&mut twin, v2, &options())?;
    ensure!(again.already_installed, "a rerun sent the image again");
    Ok(())
}

/// Cuts during the transfer (before a program, a torn program, a torn erase) and during the
/// copy at the next boot (a torn erase, a torn program): after each, the power-on shows v1, v2
/// or the bootloader waiting — never a crash — and a cut during the copy is finished by that
/// power-on itself (v2 runs); `slingshot flash` again ends with v2 running.
fn power_cuts_never_brick(build: Build) -> Result<()> {
    let bytes = signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(V2_FILLER))?;
    let image = unchecked_image(bytes)?;
    const SEED: u64 = 47;
    let operations = reference_operations(build, &image, SEED)?;
    let (programs, erases) = (&operations.transfer_programs, &operations.transfer_erases);
    let install = &operations.install;
    let install_erases: Vec<u64> = install.iter().filter(|op| op.1).map(|op| op.0).collect();
    let install_programs: Vec<u64> = install.iter().filter(|op| !op.1).map(|op| op.0).collect();
    ensure!(
        !install_erases.is_empty() && !install_programs.is_empty(),
        "reference run: the copy made {} erases and {} programs",
        install_erases.len(),
        install_programs.len()
    );
    let mut picker = CutPicker::new(0x0E_2026);
    let mut pick = |from: &[u64]| picker.pick(from);
    let cuts = [
        (
            "transfer, before a program",
            PowerCut::BeforeFlashOperation(pick(programs)),
            false,
        ),
        (
            "transfer, torn program",
            PowerCut::DuringFlashOperation {
                index: pick(programs),
                per_mille: 400,
            },
            false,
        ),
        (
            "transfer, torn erase",
            PowerCut::DuringFlashOperation {
                index: pick(erases),
                per_mille: 500,
            },
            false,
        ),
        (
            "copy, torn erase",
            PowerCut::DuringFlashOperation {
                index: pick(&install_erases),
                per_mille: 300,
            },
            true,
        ),
        (
            "copy, torn program",
            PowerCut::DuringFlashOperation {
                index: pick(&install_programs),
                per_mille: 700,
            },
            true,
        ),
    ];
    for (label, cut, during_copy) in cuts {
        let mut twin = update_cut_by(build, SEED, &image, cut, label)?;
        let state = check_power_on(&mut twin, label)?;
        if during_copy {
            ensure!(
                state == "v2.0.0",
                "{label}: the power-on after a cut copy shows {state}, not v2"
            );
        }
        let (report, _) = flash_image(&mut twin, image.bytes.clone(), &options())
            .with_context(|| format!("{label}: flash after the cut ({state})"))?;
        ensure!(
            serial_fixture::runs_v2(&report, Some(OVERWRITE_STATE)),
            "{label}: running {:?}",
            report.running
        );
        ensure!(
            report.already_installed == during_copy,
            "{label}: already installed {}",
            report.already_installed
        );
        expect_application(&settle_after_flash(&mut twin)?, "2.0.0", false)?;
        eprintln!(
            "{} {label} ({cut:?}): power-on showed {state}; v2 runs",
            build.board().name
        );
    }
    Ok(())
}

#[test]
fn nucleo_f401re_overwrite_updates_over_usart2() -> Result<()> {
    updates(NUCLEO_F401RE)
}

#[test]
fn nucleo_f401re_overwrite_power_cuts_in_transfer_and_copy_never_brick() -> Result<()> {
    power_cuts_never_brick(NUCLEO_F401RE)
}

#[test]
fn nucleo_f412zg_overwrite_updates_over_usart3() -> Result<()> {
    updates(NUCLEO_F412ZG)
}

#[test]
fn nucleo_f412zg_overwrite_power_cuts_in_transfer_and_copy_never_brick() -> Result<()> {
    power_cuts_never_brick(NUCLEO_F412ZG)
}

#[test]
#[ignore = "full board matrix: run `cargo xtask test boards`, which builds every board first"]
fn every_single_bank_board_updates_by_overwrite() -> Result<()> {
    for layout in slingshot_layout::ALL_LAYOUTS {
        if layout.update_mode != slingshot_layout::UpdateMode::Overwrite {
            continue;
        }
        let board = layout.board;
        updates(Build::OverwriteOn(board.name))
            .with_context(|| format!("{} ({})", board.product, board.part.name))?;
        eprintln!(
            "{}: v1 boots, v2 received over {} and copied over it at the next boot",
            board.product,
            board.serial.usart.name()
        );
    }
    Ok(())
}
