//! Serial updates end to end (issue 6, Tests): the real bootloader on the F429 twin, updated by
//! the real host library `slingshot_cli::flashing::flash` over `serial_fixture::TwinLink` (the
//! twin's USART3 in modelled time, so every run is deterministic). Needs `cargo xtask build`
//! (dual slot) and `cargo xtask build --layout single` (firmware/target/variants/single).
//!
//! Run: `cargo test --release -p slingshot-twin --test serial_update`.

mod serial_fixture;

use anyhow::{bail, ensure, Context, Result};
use serial_fixture::cuts::{reference_operations, update_cut_by, CutPicker};
use serial_fixture::{
    check_power_on, expect_application, flash_image, observe_boot, options, settle_after_flash,
    signed_bytes, unchecked_image, Build, FaultCounts, ImageSpec, LinkFaults, TwinLink,
};
use slingshot_cli::flashing::{connect, flash, FlashReport, ImageRefusal, SignedImage};
use slingshot_flash_sim::SplitMix64;
use slingshot_protocol::host::HostError;
use slingshot_testkit::line::LineNoise;
use slingshot_twin::{PowerCut, Twin};
use std::time::Duration;

/// Seeded filler appended to v2: one sector more than v1 occupies.
const V2_FILLER: usize = 24 * 1024;

fn full_update(build: Build) -> Result<()> {
    let mut twin = build.twin(11)?;
    if build == Build::Dual {
        // Stress the ring reader: every received byte reaches RAM 8 cycles after DMA1 counts
        // it (RM0090 §10.3.5 stores before the count; the reader tolerates 12,
        // `dma_write_latency_margin`).
        twin.board_mut().dma_write_latency_cycles = 8;
    }
    let boot = observe_boot(&mut twin, 3)?;
    expect_application(&boot, "1.0.0", false)?;
    let v2 = signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(V2_FILLER))?;
    let size = v2.len() as u32;
    let (report, resumed) = flash_image(&mut twin, v2, &options())?;
    ensure!(resumed.is_none(), "a fresh transfer reported a resume");
    ensure!(
        report.transfer.image_size == size && report.transfer.resumed_from == 0,
        "transfer {:?}",
        report.transfer
    );
    let state = match build {
        Build::Dual => "trial",
        Build::Single | Build::SingleOn(_) => "unknown (single-slot layout)",
        Build::OverwriteOn(_) => "unknown (overwrite layout: no trial, no rollback)",
    };
    ensure!(
        serial_fixture::runs_v2(&report, Some(state)),
        "running after the reboot: {:?}",
        report.running
    );
    // The application keeps running: in dual slot it is a trial image that confirms itself.
    expect_application(
        &settle_after_flash(&mut twin)?,
        "2.0.0",
        build == Build::Dual,
    )?;
    // Before starting the trial watchdog the bootloader froze it for debugger halts
    // (DBGMCU_APB1_FZ.DBG_IWDG_STOP, bit 12).
    let frozen_in_debug = twin.board().debug_mcu[1] & (1 << 12) != 0;
    ensure!(
        frozen_in_debug == (build == Build::Dual),
        "DBG_IWDG_STOP {frozen_in_debug} after a {build:?} update"
    );
    // Power cycle: v2 again, and (dual slot) no second trial: it stays confirmed.
    twin.power_on()?;
    expect_application(&observe_boot(&mut twin, 5)?, "2.0.0", false)?;
    Ok(())
}

#[test]
fn full_update_dual_slot_boots_v2_confirmed() -> Result<()> {
    full_update(Build::Dual)
}

#[test]
fn full_update_single_slot_boots_v2() -> Result<()> {
    full_update(Build::Single)
}

/// One refused image: `flash` fails with a message containing `expected`, and the device
/// erased and programmed nothing; v1 still boots after a power cycle.
fn expect_refusal(twin: &mut Twin, bytes: Vec<u8>, expected: &str) -> Result<()> {
    let image = unchecked_image(bytes)?;
    let mut link = TwinLink::new(twin);
    link.track_erases = true;
    let outcome = flash(&mut link, &image, &options(), &mut |_| {});
    let (operations, erased) = (link.flash_operations, link.erased_sectors.clone());
    let error = match outcome {
        Ok(report) => bail!("the image was accepted: {report:?}"),
        Err(error) => error.to_string(),
    };
    ensure!(
        error.contains(expected),
        "expected a refusal mentioning {expected:?}, got: {error}"
    );
    ensure!(
        operations == 0 && erased.is_empty(),
        "refused ({error}) after {operations} flash operations, erasing sectors {erased:?}"
    );
    twin.power_on()?;
    expect_application(&observe_boot(twin, 5)?, "1.0.0", false)
}

#[test]
fn rejections_before_any_erase_keep_v1() -> Result<()> {
    let build = Build::Dual;
    let signed_v1 = build.signed_v1()?;
    let (_, descriptor) = serial_fixture::v1_parts(&signed_v1)?;
    let mut twin = build.twin(21)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;

    let wrong_board = ImageSpec {
        board_id: Some(descriptor.board_id ^ 0x0000_0100),
        ..ImageSpec::version_2(0)
    };
    expect_refusal(
        &mut twin,
        signed_bytes(&signed_v1, &wrong_board)?,
        "board id",
    )?;

    let slot = build.layout().partitions.secondary.expect("dual slot").size as usize;
    let too_large = ImageSpec::version_2(slot);
    expect_refusal(&mut twin, signed_bytes(&signed_v1, &too_large)?, "bytes")?;

    // The same two, past the host's own checks: the bootloader's StartUpdate refuses them.
    for (spec, label) in [(wrong_board, "wrong board"), (too_large, "too large")] {
        let image = unchecked_image(signed_bytes(&signed_v1, &spec)?)?;
        let mut link = TwinLink::new(&mut twin);
        link.track_erases = true;
        let (mut session, _) = connect(&mut link, &options(), &mut |_| {})?;
        let size = image.bytes.len() as u32;
        let outcome = session.start_update(size, &image.descriptor_bytes);
        drop(session);
        ensure!(
            matches!(
                (label, &outcome),
                ("wrong board", Err(HostError::WrongBoard { .. }))
                    | ("too large", Err(HostError::ImageTooLarge { .. }))
            ),
            "{label}: StartUpdate answered {outcome:?}"
        );
        ensure!(
            link.flash_operations == 0,
            "{label}: {} flash operations",
            link.flash_operations
        );
        twin.power_on()?;
        expect_application(&observe_boot(&mut twin, 5)?, "1.0.0", false)?;
    }

    // Unsigned: the host library refuses it before opening a session.
    let unsigned = serial_fixture::patched_application(&signed_v1, &ImageSpec::version_2(0))?;
    let refusal = SignedImage::from_bytes("unsigned", unsigned, build.layout())
        .expect_err("an unsigned image was accepted");
    ensure!(
        matches!(refusal, ImageRefusal::NotSigned { .. }),
        "{refusal}"
    );
    Ok(())
}

/// An image the device can only judge by its signature: refused at Verify, after the transfer
/// wrote (and erased) the secondary slot only — the primary slot is byte for byte unchanged
/// and v1 still boots. ("Before any erase" cannot hold here: the signature covers the whole
/// image, which the device sees only at the end.)
fn expect_signature_refusal(
    twin: &mut Twin,
    build: Build,
    bytes: Vec<u8>,
    expected: &str,
) -> Result<()> {
    let layout = build.layout();
    let primary = layout.partitions.primary;
    let base = layout.board.part.flash.region().start;
    let range = (primary.start - base) as usize..(primary.end() - base) as usize;
    let before = twin.board().flash.content[range.clone()].to_vec();
    let image = unchecked_image(bytes)?;
    let mut link = TwinLink::new(twin);
    link.track_erases = true;
    let outcome = flash(&mut link, &image, &options(), &mut |_| {});
    let erased = link.erased_sectors.clone();
    let error = match outcome {
        Ok(report) => bail!("the image was accepted: {report:?}"),
        Err(error) => error.to_string(),
    };
    ensure!(
        error.contains(expected),
        "expected a refusal at verification, got: {error}"
    );
    let secondary = layout.partitions.secondary.expect("dual slot");
    for number in &erased {
        let sector = layout
            .board
            .part
            .flash
            .sectors_in(layout.board.part.flash.region())
            .find(|sector| sector.number == *number)
            .expect("sector");
        ensure!(
            secondary.contains_region(sector.region()),
            "sector {number} at 0x{:08x} erased outside the secondary slot",
            sector.start
        );
    }
    ensure!(
        twin.board().flash.content[range] == before[..],
        "the primary slot changed"
    );
    twin.power_on()?;
    expect_application(&observe_boot(twin, 5)?, "1.0.0", false)
}

#[test]
fn unknown_key_refused_before_any_erase_and_bad_signature_at_verify_keep_v1() -> Result<()> {
    let build = Build::Dual;
    let signed_v1 = build.signed_v1()?;
    let mut twin = build.twin(22)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    // StartUpdate checks the descriptor's key id against the embedded keys: nothing erased.
    let unknown_key = ImageSpec {
        signing_seed: Some([0x5A; 32]),
        ..ImageSpec::version_2(0)
    };
    let bytes = signed_bytes(&signed_v1, &unknown_key)?;
    expect_refusal(&mut twin, bytes, "not signed by a trusted key")?;
    // A signature field of zeros under the trusted key's id: only Verify can tell, after the
    // secondary slot was written (on a fresh device, so nothing of an earlier attempt is
    // resumed).
    let mut twin = build.twin(24)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let mut stripped = signed_bytes(&signed_v1, &ImageSpec::version_2(0))?;
    let length = stripped.len();
    stripped[length - 64..].fill(0);
    expect_signature_refusal(&mut twin, build, stripped, "signature invalid")
}

#[test]
fn older_than_the_anti_rollback_minimum_is_refused_before_any_erase() -> Result<()> {
    let build = Build::Dual;
    let signed_v1 = build.signed_v1()?;
    let (_, descriptor) = serial_fixture::v1_parts(&signed_v1)?;
    let mut twin = build.twin(23)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    // v2 raises the security counter; once it is confirmed, v3 with v1's counter is too old.
    let newer = ImageSpec {
        security_counter: Some(descriptor.security_counter + 1),
        ..ImageSpec::version_2(0)
    };
    let (report, _) = flash_image(&mut twin, signed_bytes(&signed_v1, &newer)?, &options())?;
    ensure!(
        serial_fixture::runs_v2(&report, None),
        "{:?}",
        report.running
    );
    expect_application(&settle_after_flash(&mut twin)?, "2.0.0", true)?;
    let older = ImageSpec {
        version: (3, 0, 0),
        security_counter: Some(descriptor.security_counter),
        ..ImageSpec::version_2(0)
    };
    let image = unchecked_image(signed_bytes(&signed_v1, &older)?)?;
    let mut link = TwinLink::new(&mut twin);
    link.track_erases = true;
    let error = match flash(&mut link, &image, &options(), &mut |_| {}) {
        Ok(report) => bail!("the older image was accepted: {report:?}"),
        Err(error) => error.to_string(),
    };
    ensure!(
        error.contains("0x0012") || error.to_lowercase().contains("too old"),
        "expected VersionTooOld, got: {error}"
    );
    ensure!(
        link.flash_operations == 0,
        "refused after {} flash operations (erased {:?})",
        link.flash_operations,
        link.erased_sectors
    );
    twin.power_on()?;
    expect_application(&observe_boot(&mut twin, 5)?, "2.0.0", false)
}

/// Image for the link-fault tests: v2 with 64 KB of filler (about 81 KB on the wire).
fn link_test_image(build: Build) -> Result<Vec<u8>> {
    signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(64 * 1024))
}

#[test]
fn corrupted_and_dropped_bytes_one_in_ten_thousand_update_completes() -> Result<()> {
    let build = Build::Dual;
    let bytes = link_test_image(build)?;
    let image = unchecked_image(bytes)?;
    let mut twin = build.twin(31)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let mut injected = FaultCounts::default();
    let mut failures = Vec::new();
    let mut report = None;
    for run in 0..3u64 {
        let faults = LinkFaults {
            noise: LineNoise {
                corrupt_per_million: 100,
                drop_per_million: 100,
                insert_per_million: 0,
            },
            random: SplitMix64::new(0x5EED + run),
            ..LinkFaults::none()
        };
        let mut link = TwinLink::with_faults(&mut twin, faults);
        let outcome = flash(&mut link, &image, &options(), &mut |_| {});
        injected.corrupted += link.counts.corrupted;
        injected.dropped += link.counts.dropped;
        match outcome {
            Ok(done) => {
                report = Some(done);
                break;
            }
            Err(error) => {
                let message = error.to_string();
                ensure!(
                    message.contains("run `slingshot flash` again"),
                    "run {run}: not a resumable link error: {message}"
                );
                failures.push(message);
            }
        }
    }
    let report = report.with_context(|| format!("three runs failed: {failures:#?}"))?;
    eprintln!(
        "link faults: {injected:?}, failed runs {}, transfer {:?}, running {:?}",
        failures.len(),
        report.transfer,
        report.running
    );
    ensure!(
        injected.corrupted + injected.dropped >= 4,
        "too few faults injected to mean anything: {injected:?}"
    );
    // The banner itself may have been hit by a fault: judge by what runs afterwards.
    expect_application(&settle_after_flash(&mut twin)?, "2.0.0", true)
}

#[test]
fn cable_pull_mid_transfer_stops_with_a_clear_error_and_the_next_run_resumes() -> Result<()> {
    let build = Build::Dual;
    let bytes = link_test_image(build)?;
    let total = bytes.len() as u64;
    let image = unchecked_image(bytes)?;
    let mut twin = build.twin(32)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let faults = LinkFaults {
        pull_after_bytes: Some(total / 2),
        pull_duration: Duration::from_secs(2),
        ..LinkFaults::none()
    };
    let mut link = TwinLink::with_faults(&mut twin, faults);
    let error = match flash(&mut link, &image, &options(), &mut |_| {}) {
        Ok(report) => bail!("the transfer survived a cable pull: {report:?}"),
        Err(error) => error.to_string(),
    };
    ensure!(
        error.contains("disconnected") && error.contains("run `slingshot flash` again"),
        "unclear error after a cable pull: {error}"
    );
    // The cable is back after two seconds; the board kept running in its bootloader.
    link.idle(Duration::from_secs(3))?;
    let (report, resumed) = flash_image(&mut twin, image.bytes.clone(), &options())?;
    let offset = resumed.context("the second run did not resume")?;
    ensure!(
        offset > 0 && offset < total && u64::from(report.transfer.resumed_from) == offset,
        "resumed at {offset} of {total}: {:?}",
        report.transfer
    );
    ensure!(
        report.transfer.data_bytes_sent < total,
        "the resumed run sent {} of {total} bytes",
        report.transfer.data_bytes_sent
    );
    ensure!(
        serial_fixture::runs_v2(&report, None),
        "{:?}",
        report.running
    );
    expect_application(&settle_after_flash(&mut twin)?, "2.0.0", true)
}

#[test]
fn power_cuts_during_transfer_erase_and_install_never_brick() -> Result<()> {
    let build = Build::Dual;
    let bytes = signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(V2_FILLER))?;
    let image = unchecked_image(bytes)?;
    const SEED: u64 = 41;
    // Reference run: which flash operations (counted from the moment a cut would be armed)
    // the update makes, and which of them come after the host's last request (the install
    // at the next boot).
    let operations = reference_operations(build, &image, SEED)?;
    let (transfer_programs, transfer_erases) =
        (&operations.transfer_programs, &operations.transfer_erases);
    let install = &operations.install;
    ensure!(!install.is_empty(), "reference run: no install operations");
    let install_erases: Vec<u64> = install.iter().filter(|op| op.1).map(|op| op.0).collect();
    let install_programs: Vec<u64> = install.iter().filter(|op| !op.1).map(|op| op.0).collect();
    let mut picker = CutPicker::new(0xC0FFEE);
    let mut pick = |from: &[u64]| picker.pick(from);
    let cuts = [
        (
            "transfer, before a program",
            PowerCut::BeforeFlashOperation(pick(transfer_programs)),
        ),
        (
            "transfer, torn program",
            PowerCut::DuringFlashOperation {
                index: pick(transfer_programs),
                per_mille: 400,
            },
        ),
        (
            "torn erase during the transfer",
            PowerCut::DuringFlashOperation {
                index: pick(transfer_erases),
                per_mille: 500,
            },
        ),
        (
            "install, torn erase",
            PowerCut::DuringFlashOperation {
                index: pick(if install_erases.is_empty() {
                    &install_programs
                } else {
                    &install_erases
                }),
                per_mille: 300,
            },
        ),
        (
            "install, torn program",
            PowerCut::DuringFlashOperation {
                index: pick(if install_programs.is_empty() {
                    &install_erases
                } else {
                    &install_programs
                }),
                per_mille: 700,
            },
        ),
    ];
    for (label, cut) in cuts {
        let mut twin = update_cut_by(build, SEED, &image, cut, label)?;
        let state = check_power_on(&mut twin, label)?;
        let (report, resumed) = flash_image(&mut twin, image.bytes.clone(), &options())
            .with_context(|| format!("{label}: flash after the cut ({state})"))?;
        ensure!(
            serial_fixture::runs_v2(&report, None),
            "{label}: running {:?}",
            report.running
        );
        // A cut during the install: the power-on finished the swap and v2 confirmed itself on
        // trial, so the next run finds it installed and only restarts it (already confirmed);
        // otherwise the run installs v2, which confirms itself.
        if report.already_installed {
            ensure!(
                serial_fixture::runs_v2(&report, Some("confirmed")),
                "{label}: {:?}",
                report.running
            );
        }
        expect_application(
            &settle_after_flash(&mut twin)?,
            "2.0.0",
            !report.already_installed,
        )?;
        eprintln!(
            "{label} ({cut:?}): power-on showed {state}; flash again {}: v2 confirmed",
            if report.already_installed {
                "found it installed and sent nothing".to_owned()
            } else {
                format!("resumed at {resumed:?}")
            }
        );
    }
    Ok(())
}

/// A serial update with DMA1's memory write trailing its NDTR count by `latency` core cycles
/// (`Board::dma_write_latency_cycles`): whether the update completes and its link counters.
fn update_with_dma_write_latency(latency: u64) -> Result<FlashReport> {
    let build = Build::Dual;
    let mut twin = build.twin(11)?;
    twin.board_mut().dma_write_latency_cycles = latency;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let v2 = signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(V2_FILLER))?;
    Ok(flash_image(&mut twin, v2, &options())?.0)
}

#[test]
#[ignore = "exploration, about 4 minutes: prints the DMA write latency the ring readers tolerate"]
fn dma_write_latency_margin() -> Result<()> {
    for latency in [0, 2, 4, 8, 12, 16, 24, 32, 64, 128, 512] {
        match update_with_dma_write_latency(latency) {
            Ok(report) => println!("latency {latency}: ok, {:?}", report.transfer),
            Err(error) => println!("latency {latency}: failed: {error:#}"),
        }
    }
    Ok(())
}
