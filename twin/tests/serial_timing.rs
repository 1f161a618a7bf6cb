//! The host's timeouts for the slow requests (`slingshot_protocol::host::DeviceTiming`)
//! against the real bootloader on the twin: StartUpdate over a slot that already holds the
//! whole image (the longest prefix scan), Verify and Install of a 320 KB image. Each must
//! take less than half its timeout in the twin's modelled time (one cycle per instruction),
//! so that silicon at 1.5 cycles per instruction still finishes within three quarters of it.
//! And one lost StartUpdate request, Verified or Installed reply costs an update about that
//! operation's timeout, counted as one command retry in the report; a lost Rebooting reply
//! is not an error, and the report still names the image that runs and its state.
//! Needs `cargo xtask build` first.

mod serial_fixture;

use anyhow::{ensure, Result};
use serial_fixture::{
    expect_application, observe_boot, options, signed_bytes, unchecked_image, Build, ImageSpec,
    LinkFaults, TwinLink,
};
use slingshot_cli::flashing::{connect, flash, FlashOptions};
use slingshot_protocol::host::DeviceTiming;
use slingshot_protocol::host::Transport;
use std::time::Duration;

/// Seeded filler: a 320 KB image spanning the 64 KB and two 128 KB sectors of the slot.
const FILLER: usize = 300 * 1024;

#[test]
fn slow_requests_finish_well_within_their_timeouts() -> Result<()> {
    let build = Build::Dual;
    let mut twin = build.twin(51)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let image = unchecked_image(signed_bytes(
        &build.signed_v1()?,
        &ImageSpec::version_2(FILLER),
    )?)?;
    let size = image.bytes.len() as u32;
    let mut link = TwinLink::new(&mut twin);
    let connecting = FlashOptions {
        enter_bootloader: true,
        ..options()
    };
    let (mut session, _) = connect(&mut link, &connecting, &mut |_| {})?;
    session.transfer(&image.bytes, &image.descriptor_bytes, &mut |_, _| {})?;
    let timing = DeviceTiming::default();
    // The slot holds the whole image now: the prefix scan reads and checksums all of it.
    let started = session.transport().elapsed();
    let accepted = session.start_update(size, &image.descriptor_bytes)?;
    ensure!(
        accepted.prefix_end == size,
        "prefix {}",
        accepted.prefix_end
    );
    let took = session.transport().elapsed() - started;
    within("start (full prefix)", size, took, timing.start_update(size))?;
    session.transfer(&image.bytes, &image.descriptor_bytes, &mut |_, _| {})?;
    let started = session.transport().elapsed();
    session.verify()?;
    let took = session.transport().elapsed() - started;
    within("verify", size, took, timing.verify(size))?;
    let started = session.transport().elapsed();
    session.install()?;
    let took = session.transport().elapsed() - started;
    within("install", size, took, timing.install(size))?;
    ensure!(
        session.command_retries() == 0,
        "{} retries",
        session.command_retries()
    );
    Ok(())
}

/// `took` (modelled) is at most half of `timeout`.
fn within(name: &str, size: u32, took: Duration, timeout: Duration) -> Result<()> {
    println!("{name} of {size} bytes: {took:?} on the twin, timeout {timeout:?}");
    ensure!(
        took * 2 <= timeout,
        "{name}: {took:?} is more than half of {timeout:?}"
    );
    Ok(())
}

/// A dual-slot update of v2 (41 KB) over a link losing the first frame of `lost` (none with
/// `None`): the report and the modelled time from connecting to the reboot's acknowledgement.
fn update_losing(lost: Option<u8>) -> Result<(slingshot_cli::flashing::FlashReport, Duration)> {
    let build = Build::Dual;
    let mut twin = build.twin(53)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let image = unchecked_image(signed_bytes(
        &build.signed_v1()?,
        &ImageSpec::version_2(24 * 1024),
    )?)?;
    let faults = match lost {
        Some(frame_type) => LinkFaults::losing(frame_type),
        None => LinkFaults::none(),
    };
    let mut link = TwinLink::with_faults(&mut twin, faults);
    let report = flash(&mut link, &image, &options(), &mut |_| {})?;
    ensure!(
        link.counts.lost_frames == u64::from(lost.is_some()),
        "{:?}",
        link.counts
    );
    Ok((report, link.elapsed()))
}

#[test]
fn one_lost_request_or_reply_costs_its_own_timeout_not_a_minute() -> Result<()> {
    let (clean, clean_time) = update_losing(None)?;
    ensure!(clean.transfer.command_retries == 0);
    let timing = DeviceTiming::default();
    let size = clean.transfer.image_size;
    for (name, frame_type, timeout) in [
        ("StartUpdate request", 0x02, timing.start_update(size)),
        ("Verified reply", 0x86, timing.verify(size)),
        ("Installed reply", 0x87, timing.install(size)),
    ] {
        let (report, time) = update_losing(Some(frame_type))?;
        ensure!(
            report.running == clean.running,
            "{name} lost: running {:?}",
            report.running
        );
        ensure!(
            report.transfer.command_retries == 1,
            "{name} lost: {} command retries reported",
            report.transfer.command_retries
        );
        // The retry waited one timeout (plus the repeated work), seconds and not a minute.
        let extra = time.saturating_sub(clean_time);
        println!("{name} lost: {extra:?} longer than a clean update ({clean_time:?}), timeout {timeout:?}");
        ensure!(
            extra <= timeout * 2 + Duration::from_secs(1),
            "{name} lost: {extra:?} longer, timeout {timeout:?}"
        );
    }
    Ok(())
}

#[test]
fn a_lost_reply_to_reboot_is_not_an_error_and_the_report_says_what_runs() -> Result<()> {
    let (report, _) = update_losing(Some(0x88))?;
    ensure!(
        serial_fixture::runs_v2(&report, Some("trial")),
        "running: {:?}",
        report.running
    );
    // Not resent: the board had reset, and resends would only have swallowed its report.
    ensure!(
        report.transfer.command_retries == 0,
        "{} command retries",
        report.transfer.command_retries
    );
    Ok(())
}

#[test]
fn a_lost_reboot_request_is_sent_again_once_the_bootloader_still_answers() -> Result<()> {
    let (report, _) = update_losing(Some(0x08))?;
    ensure!(
        serial_fixture::runs_v2(&report, Some("trial")),
        "running: {:?}",
        report.running
    );
    Ok(())
}
