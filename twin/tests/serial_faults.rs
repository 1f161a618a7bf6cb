//! Faults on the serial line between the real host library and the real bootloader on the
//! F429 twin, one scenario each (issue 13, item 4): bytes inserted in both directions, a stall
//! of several seconds, the cable pulled right after Verify and right after Install, and a lost
//! frame of every kind an update sends or receives. Each must end with v2 running, the report
//! naming it, and a device that boots: a run that fails says to run `slingshot flash` again,
//! and the next run finishes without sending the image again.
//! Needs `cargo xtask build` first.

mod serial_fixture;

use anyhow::{bail, ensure, Context, Result};
use serial_fixture::{
    expect_application, observe_boot, options, runs_v2, settle_after_flash, signed_bytes,
    unchecked_image, Build, ImageSpec, LinkFaults, TwinLink,
};
use slingshot_cli::flashing::{flash, FlashEvent, FlashReport, RunningVersion, SignedImage};
use slingshot_protocol::host::Transport;
use slingshot_protocol::message::frame_type;
use slingshot_testkit::line::LineNoise;
use slingshot_twin::Twin;
use std::time::Duration;

/// v2 with 24 KB of filler (about 41 KB on the wire, two sectors of the slot).
fn image(build: Build) -> Result<SignedImage> {
    unchecked_image(signed_bytes(
        &build.signed_v1()?,
        &ImageSpec::version_2(24 * 1024),
    )?)
}

/// A dual-slot twin running v1, with `seed`.
fn twin_running_v1(seed: u64) -> Result<Twin> {
    let mut twin = Build::Dual.twin(seed)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    Ok(twin)
}

/// After a successful `flash`: the report names v2 on trial and the board runs it.
fn expect_v2(twin: &mut Twin, report: &FlashReport, scenario: &str) -> Result<()> {
    ensure!(
        runs_v2(report, Some("trial")),
        "{scenario}: the report says {:?}",
        report.running
    );
    expect_application(&settle_after_flash(twin)?, "2.0.0", true)
        .with_context(|| format!("{scenario}: after the update"))
}

#[test]
fn bytes_inserted_in_both_directions_cost_retries_not_the_update() -> Result<()> {
    let image = image(Build::Dual)?;
    let mut twin = twin_running_v1(61)?;
    let faults = LinkFaults {
        noise: LineNoise {
            insert_per_million: 200,
            ..LineNoise::CLEAN
        },
        random: slingshot_flash_sim::SplitMix64::new(0x1A5E),
        ..LinkFaults::none()
    };
    let mut link = TwinLink::with_faults(&mut twin, faults);
    let report = flash(&mut link, &image, &options(), &mut |_| {})?;
    let inserted = link.counts.inserted;
    println!("inserted bytes: {inserted}, transfer {:?}", report.transfer);
    ensure!(
        inserted >= 4,
        "too few bytes inserted to mean anything: {inserted}"
    );
    expect_v2(&mut twin, &report, "inserted bytes")
}

#[test]
fn a_stall_of_five_seconds_mid_transfer_costs_the_stall_and_no_restart() -> Result<()> {
    let build = Build::Dual;
    let image = image(build)?;
    let clean_time = {
        let mut twin = twin_running_v1(62)?;
        let mut link = TwinLink::new(&mut twin);
        flash(&mut link, &image, &options(), &mut |_| {})?;
        link.elapsed()
    };
    let mut twin = twin_running_v1(62)?;
    let stall = Duration::from_secs(5);
    let faults = LinkFaults {
        stall_after_bytes: Some(image.bytes.len() as u64 / 2),
        stall_duration: stall,
        ..LinkFaults::none()
    };
    let mut link = TwinLink::with_faults(&mut twin, faults);
    let report = flash(&mut link, &image, &options(), &mut |_| {})?;
    let took = link.elapsed();
    println!(
        "stalled {stall:?}: {took:?} against {clean_time:?} clean, transfer {:?}",
        report.transfer
    );
    ensure!(link.counts.stalls == 1, "{:?}", link.counts);
    ensure!(
        report.transfer.restarts == 0,
        "a stall restarted the transfer: {:?}",
        report.transfer
    );
    ensure!(
        took <= clean_time + stall + Duration::from_secs(3),
        "the stall cost {:?} beyond itself",
        took.saturating_sub(clean_time + stall)
    );
    expect_v2(&mut twin, &report, "stall")
}

/// Pulls the cable right after the first frame of `frame_type` has passed: the run fails with
/// the advice to run again, the rerun (cable back) finishes without resending the image.
fn cable_pulled_after(frame_type: u8, scenario: &str, seed: u64) -> Result<()> {
    let image = image(Build::Dual)?;
    let total = image.bytes.len() as u64;
    let mut twin = twin_running_v1(seed)?;
    let faults = LinkFaults {
        pull_after_frame_type: Some(frame_type),
        pull_duration: Duration::from_secs(2),
        ..LinkFaults::none()
    };
    let mut link = TwinLink::with_faults(&mut twin, faults);
    let error = match flash(&mut link, &image, &options(), &mut |_| {}) {
        Ok(report) => bail!("{scenario}: the run survived the cable pull: {report:?}"),
        Err(error) => error.to_string(),
    };
    ensure!(
        error.contains("run `slingshot flash` again"),
        "{scenario}: unclear error: {error}"
    );
    link.idle(Duration::from_secs(3))?;
    let mut link = TwinLink::new(&mut twin);
    let report = flash(&mut link, &image, &options(), &mut |_| {})
        .with_context(|| format!("{scenario}: the run after the cable came back"))?;
    println!(
        "{scenario}: first run: {error}; second run: {:?}",
        report.transfer
    );
    ensure!(
        report.transfer.data_bytes_sent < total / 4,
        "{scenario}: the second run sent {} of {total} bytes again",
        report.transfer.data_bytes_sent
    );
    expect_v2(&mut twin, &report, scenario)
}

#[test]
fn cable_pulled_right_after_verify_the_next_run_installs_without_resending() -> Result<()> {
    cable_pulled_after(
        frame_type::VERIFY | frame_type::REPLY,
        "pull after Verified",
        63,
    )
}

#[test]
fn cable_pulled_right_after_install_the_next_run_finishes_without_resending() -> Result<()> {
    cable_pulled_after(
        frame_type::INSTALL | frame_type::REPLY,
        "pull after Installed",
        64,
    )
}

#[test]
fn a_lost_frame_of_each_kind_costs_one_retry_and_the_update_completes() -> Result<()> {
    let image = image(Build::Dual)?;
    let size = image.bytes.len() as u64;
    // (StartUpdate, Verified, Installed, Rebooting and Reboot: tests/serial_timing.rs.)
    // A lost Hello or Info costs one more probe of the connection, which retries anyway
    // while an application runs; a lost data frame is resent, which the bytes sent show;
    // every other loss is one command retry in the report.
    for (name, lost, command_retries) in [
        ("Hello request", frame_type::HELLO, 0),
        ("Info reply", frame_type::HELLO | frame_type::REPLY, 0),
        (
            "UpdateAccepted reply",
            frame_type::START_UPDATE | frame_type::REPLY,
            1,
        ),
        ("Data request", frame_type::DATA, 0),
        ("Ack reply", frame_type::DATA | frame_type::REPLY, 1),
        ("Verify request", frame_type::VERIFY, 1),
        ("Install request", frame_type::INSTALL, 1),
    ] {
        let mut twin = twin_running_v1(65)?;
        let mut link = TwinLink::with_faults(&mut twin, LinkFaults::losing(lost));
        let report = flash(&mut link, &image, &options(), &mut |_| {})
            .with_context(|| format!("lost {name}"))?;
        let took = link.elapsed();
        println!("lost {name}: {took:?}, transfer {:?}", report.transfer);
        ensure!(
            link.counts.lost_frames == 1,
            "lost {name}: {:?}",
            link.counts
        );
        ensure!(
            report.transfer.command_retries == command_retries,
            "lost {name}: {} command retries reported, {command_retries} expected",
            report.transfer.command_retries
        );
        if lost == frame_type::DATA {
            ensure!(
                report.transfer.data_bytes_sent > size,
                "lost {name}: the report shows no resent data: {:?}",
                report.transfer
            );
        }
        expect_v2(&mut twin, &report, name)?;
    }
    Ok(())
}

#[test]
fn cable_pulled_right_after_rebooting_the_run_says_it_could_not_see_what_runs() -> Result<()> {
    // The image is installed and the board reboots into it: the run is not a failure and
    // does not ask for another (which would send the image and swap again); it reports that
    // the port went away, not that nothing answered.
    let image = image(Build::Dual)?;
    let mut twin = twin_running_v1(66)?;
    let faults = LinkFaults {
        pull_after_frame_type: Some(frame_type::REBOOT | frame_type::REPLY),
        pull_duration: Duration::from_secs(30),
        ..LinkFaults::none()
    };
    let mut link = TwinLink::with_faults(&mut twin, faults);
    let report = flash(&mut link, &image, &options(), &mut |_| {})?;
    ensure!(
        report.running == Some(RunningVersion::PortLost),
        "the report should say the port was lost: {:?}",
        report.running
    );
    drop(link);
    // The board swaps v2 in and starts it (a new banner, after everything printed so far).
    expect_application(&observe_boot(&mut twin, 30)?, "2.0.0", true)
}

#[test]
fn a_rerun_after_a_completed_update_sends_nothing_and_changes_no_flash() -> Result<()> {
    // A user who runs `slingshot flash` again once the update went through (say, after a
    // pull that hid the outcome): the bootloader's info reply shows the primary slot holding
    // the same image, confirmed; the tool sends nothing and only restarts it.
    let image = image(Build::Dual)?;
    let mut twin = twin_running_v1(67)?;
    let report = flash(
        &mut TwinLink::new(&mut twin),
        &image,
        &options(),
        &mut |_| {},
    )?;
    expect_v2(&mut twin, &report, "first run")?;
    let mut link = TwinLink::new(&mut twin);
    let mut already = false;
    let rerun = flash(&mut link, &image, &options(), &mut |event| {
        already |= matches!(event, FlashEvent::AlreadyInstalled);
    })?;
    println!(
        "rerun: {:?}, flash operations {}, running {:?}",
        rerun.transfer, link.flash_operations, rerun.running
    );
    ensure!(
        already && rerun.already_installed,
        "the rerun did not see the image installed"
    );
    ensure!(
        rerun.transfer.data_bytes_sent == 0 && link.flash_operations == 0,
        "the rerun sent {} bytes and started {} flash operations",
        rerun.transfer.data_bytes_sent,
        link.flash_operations
    );
    ensure!(
        runs_v2(&rerun, Some("confirmed")),
        "the rerun reports {:?}",
        rerun.running
    );
    Ok(())
}
