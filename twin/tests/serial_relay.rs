//! The real `slingshot` binary against the real bootloader on the twin, as separate processes,
//! with a fault-injecting relay between them (issue 13, item 4): `slingshot-twin run --serial
//! tcp:0` (modelled time paced to the wall clock) ← relay → `slingshot flash --port
//! tcp:127.0.0.1:PORT`. The relay corrupts, drops and inserts bytes in both directions
//! (`slingshot_testkit::line::LineNoise`, the line model of every other link test), stalls the
//! line, loses a frame of a given type, and pulls the cable (closes the tool's connection; the
//! board keeps running, its output meanwhile is lost). Each scenario ends with the new image
//! running and the tool's own output saying so; a run the fault broke exits 1 telling the user
//! to run `slingshot flash` again, and the rerun does not send the image again.
//!
//! Needs `cargo xtask build` and the `slingshot` binary next to this test's executable
//! (`cargo build --release -p slingshot-cli`; `cargo xtask test` builds both).

mod process_fixture;
mod relay_fixture;
mod serial_fixture;

use anyhow::{bail, ensure, Context, Result};
use relay_fixture::{Relay, RelayCounts};
use serial_fixture::{signed_bytes, ImageSpec, LinkFaults};
use slingshot_flash_sim::SplitMix64;
use slingshot_protocol::message::frame_type;
use slingshot_testkit::line::LineNoise;
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Filler appended to v2: about 41 KB on the wire, two sectors of the slot.
const V2_FILLER: usize = 24 * 1024;
/// Longest a `slingshot flash` run may take before the test kills it.
const TOOL_TIMEOUT: Duration = Duration::from_secs(240);

/// The `slingshot` binary: built by `cargo build --release -p slingshot-cli` into the same
/// target directory as this test.
fn slingshot_binary() -> Result<PathBuf> {
    let test = std::env::current_exe()?;
    let directory = test
        .parent()
        .and_then(|deps| deps.parent())
        .context("the test executable's directory")?;
    let binary = directory.join("slingshot");
    ensure!(
        binary.exists(),
        "{} is missing: run `cargo build --release -p slingshot-cli` (cargo xtask test does)",
        binary.display()
    );
    Ok(binary)
}

/// Runs `slingshot flash --port PORT --progress plain IMAGE` with a time limit.
fn slingshot_flash(port: &str, image: &std::path::Path) -> Result<Output> {
    let mut child = Command::new(slingshot_binary()?)
        .args(["flash", "--port", port, "--progress", "plain"])
        .arg(image)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting slingshot flash")?;
    let started = Instant::now();
    while child.try_wait()?.is_none() {
        if started.elapsed() > TOOL_TIMEOUT {
            let _ = child.kill();
            bail!("slingshot flash ran longer than {TOOL_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(child.wait_with_output()?)
}

/// Standard output and error of a run, for messages.
fn transcript(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The signed v2 written to a temporary file.
fn v2_file(directory: &tempfile::TempDir) -> Result<(PathBuf, u64)> {
    let signed_v1 = serial_fixture::Build::Dual.signed_v1()?;
    let bytes = signed_bytes(&signed_v1, &ImageSpec::version_2(V2_FILLER))?;
    let path = directory.path().join("v2.signed.bin");
    std::fs::write(&path, &bytes)?;
    Ok((path, bytes.len() as u64))
}

/// A successful run's output names v2 on trial.
fn expect_v2_running(output: &Output, scenario: &str) -> Result<()> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success() && stdout.contains("now running: 2.0.0+0 (trial)"),
        "{scenario}: {}",
        transcript(output)
    );
    Ok(())
}

/// Runs one scenario: a fresh twin running v1, the relay with `faults`, `slingshot flash`
/// through it; if that run fails (a cable pull), it must say to run again, and the rerun must
/// finish, sending at most `rerun_limit` bytes of image. Returns both outputs and the counts.
fn scenario(
    name: &str,
    faults: LinkFaults,
    rerun_limit: Option<u64>,
) -> Result<(Output, Option<Output>, RelayCounts)> {
    let directory = tempfile::tempdir()?;
    let (image, size) = v2_file(&directory)?;
    let (_twin, address) = process_fixture::start_twin("tcp:0", &[])?;
    let relay = Relay::start(&address, faults)?;
    let started = Instant::now();
    let first = slingshot_flash(&relay.port(), &image)?;
    let mut rerun = None;
    if !first.status.success() {
        let Some(limit) = rerun_limit else {
            bail!("{name}: the run failed: {}", transcript(&first));
        };
        let stderr = String::from_utf8_lossy(&first.stderr);
        ensure!(
            first.status.code() == Some(1) && stderr.contains("run `slingshot flash` again"),
            "{name}: a failed run must exit 1 and say to run again: {}",
            transcript(&first)
        );
        let second = slingshot_flash(&relay.port(), &image)?;
        expect_v2_running(&second, name)?;
        let stdout = String::from_utf8_lossy(&second.stdout);
        let sent = stdout
            .lines()
            .find_map(|line| line.strip_prefix("transferred "))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|bytes| bytes.parse::<u64>().ok())
            .with_context(|| format!("{name}: no transfer line: {}", transcript(&second)))?;
        ensure!(
            sent <= limit,
            "{name}: the rerun sent {sent} bytes of a {size}-byte image (at most {limit} expected)"
        );
        rerun = Some(second);
    } else {
        ensure!(
            rerun_limit.is_none(),
            "{name}: the run survived the cable pull: {}",
            transcript(&first)
        );
        expect_v2_running(&first, name)?;
    }
    let counts = relay.finish()?;
    println!(
        "{name}: {:.1} s wall, {counts:?}\n{}",
        started.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&rerun.as_ref().unwrap_or(&first).stdout)
    );
    Ok((first, rerun, counts))
}

#[test]
fn noise_in_both_directions_between_the_processes_the_update_completes() -> Result<()> {
    let faults = LinkFaults {
        noise: LineNoise {
            corrupt_per_million: 100,
            drop_per_million: 100,
            insert_per_million: 100,
        },
        random: SplitMix64::new(0x4E15E),
        ..LinkFaults::none()
    };
    let (_, _, counts) = scenario("noise", faults, None)?;
    ensure!(
        counts.corrupted + counts.dropped + counts.inserted >= 4,
        "too few faults to mean anything: {counts:?}"
    );
    Ok(())
}

#[test]
fn a_five_second_stall_mid_transfer_the_update_completes() -> Result<()> {
    let faults = LinkFaults {
        stall_after_bytes: Some(20 * 1024),
        stall_duration: Duration::from_secs(5),
        ..LinkFaults::none()
    };
    let (output, _, counts) = scenario("stall", faults, None)?;
    ensure!(counts.stalls == 1, "{counts:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        stdout.contains("0 restarts"),
        "a stall restarted the transfer: {}",
        transcript(&output)
    );
    Ok(())
}

#[test]
fn cable_pulled_mid_transfer_the_rerun_resumes() -> Result<()> {
    let faults = LinkFaults {
        pull_after_bytes: Some(20 * 1024),
        ..LinkFaults::none()
    };
    // The rerun sends what the first run had not (about half the image), not all of it.
    let (_, rerun, counts) = scenario("pull mid-transfer", faults, Some(30 * 1024))?;
    ensure!(counts.pulls == 1, "{counts:?}");
    let stdout = String::from_utf8_lossy(&rerun.context("a rerun")?.stdout).into_owned();
    ensure!(stdout.contains("resuming at "), "no resume: {stdout}");
    Ok(())
}

#[test]
fn cable_pulled_right_after_verify_the_rerun_sends_nothing_again() -> Result<()> {
    let faults = LinkFaults {
        pull_after_frame_type: Some(frame_type::VERIFY | frame_type::REPLY),
        ..LinkFaults::none()
    };
    let (_, _, counts) = scenario("pull after Verified", faults, Some(0))?;
    ensure!(counts.pulls == 1, "{counts:?}");
    Ok(())
}

#[test]
fn cable_pulled_right_after_install_the_rerun_sends_nothing_again() -> Result<()> {
    let faults = LinkFaults {
        pull_after_frame_type: Some(frame_type::INSTALL | frame_type::REPLY),
        ..LinkFaults::none()
    };
    let (_, _, counts) = scenario("pull after Installed", faults, Some(0))?;
    ensure!(counts.pulls == 1, "{counts:?}");
    Ok(())
}

#[test]
fn a_lost_verified_reply_costs_one_retry_between_the_processes() -> Result<()> {
    let faults = LinkFaults {
        lose_frame_type: Some(frame_type::VERIFY | frame_type::REPLY),
        ..LinkFaults::none()
    };
    let (output, _, counts) = scenario("lost Verified reply", faults, None)?;
    ensure!(counts.lost_frames == 1, "{counts:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        stdout.contains("1 command retries"),
        "the retry is not in the report: {}",
        transcript(&output)
    );
    Ok(())
}

#[test]
fn cable_pulled_right_after_rebooting_the_tool_says_it_could_not_see_what_runs() -> Result<()> {
    let directory = tempfile::tempdir()?;
    let (image, _) = v2_file(&directory)?;
    let (_twin, address) = process_fixture::start_twin("tcp:0", &[])?;
    let faults = LinkFaults {
        pull_after_frame_type: Some(frame_type::REBOOT | frame_type::REPLY),
        ..LinkFaults::none()
    };
    let relay = Relay::start(&address, faults)?;
    let output = slingshot_flash(&relay.port(), &image)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Installed and rebooting: not a failure, no advice to run again (that would send the
    // image and swap again), and no claim about what runs.
    ensure!(
        output.status.success()
            && stdout.contains("the serial port disconnected after the reboot request")
            && !stdout.contains("now running"),
        "{}",
        transcript(&output)
    );
    // The cable comes back: the board runs v2 on trial, as `slingshot monitor` would show.
    let mut port = TcpStream::connect(relay.address)?;
    port.set_read_timeout(Some(Duration::from_secs(1)))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let mut buffer = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("tick 2") {
        ensure!(
            Instant::now() < deadline,
            "no application after the reboot: {}",
            String::from_utf8_lossy(&seen)
        );
        match port.read(&mut buffer) {
            Ok(0) => bail!("the relay closed the port"),
            Ok(count) => seen.extend_from_slice(&buffer[..count]),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let text = String::from_utf8_lossy(&seen).into_owned();
    println!("after the cable came back:\n{text}");
    ensure!(text.contains("2.0.0"), "v2 is not running: {text}");
    relay.finish()?;
    Ok(())
}
