//! ST's serial bootloader protocol with the real client: Debian's `stm32flash` updates the
//! application through the real bootloader running on the F429 twin, over a pseudo-terminal
//! (`slingshot-twin run --serial pty`, modelled time paced to the wall clock, as stm32flash
//! times its waits by the wall clock). Needs `cargo xtask build` and stm32flash
//! (`cargo xtask test` installs it).
//!
//! One twin, one session of a user's day: the application is running; `b` asks it for the
//! bootloader; stm32flash writes a signed v2 with read-back and Go; v2 starts on trial (the
//! engine swapped it in). Then a tampered image is refused at Go and nothing changes; a write
//! at 0x08000000 is refused at the erase with the bootloader intact; `-g` alone restarts into
//! the installed application. Last, `slingshot flash` sends an image of the same size over the
//! same terminal; both throughputs are printed for docs/BENCHMARKS.md.
//!
//! Pseudo-terminals carry no parity, so the ROM's own framing, 8E1 (stm32flash's default), is
//! tested in modelled time instead: the bytes stm32flash sends, framed 8E1 by the twin's line
//! (`slingshot_twin::line_framing`), reach the bootloader, which must notice the framing and
//! answer in it.

mod process_fixture;
mod serial_fixture;

use anyhow::{bail, ensure, Context, Result};
use process_fixture::{Running, PRIMARY};
use rustix::termios::{self, OptionalActions};
use serial_fixture::{signed_bytes, unchecked_image, ImageSpec, BANNER};
use slingshot_cli::flashing::{flash, FlashOptions, RunningVersion};
use slingshot_cli::port::{open_port, PortSpec};
use slingshot_testkit::artifacts::{firmware_file, Program};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Filler appended to v2 (one sector more than v1 occupies).
const V2_FILLER: usize = 24 * 1024;
/// Longest wait for an expected line (the dual-slot swap of v2 takes about 3 s modelled).
const LINE_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest an stm32flash run may take.
const STM32FLASH_TIMEOUT: Duration = Duration::from_secs(180);

/// Starts the twin with the bootloader and the signed v1; returns it and its terminal's path.
fn start_twin() -> Result<(Running, PathBuf)> {
    let (running, path) = process_fixture::start_twin("pty", &[])?;
    Ok((running, PathBuf::from(path)))
}

/// The terminal, opened raw, as a user's terminal program would.
fn open_terminal(path: &Path) -> Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut settings = termios::tcgetattr(file.as_fd())?;
    settings.make_raw();
    settings.special_codes[termios::SpecialCodeIndex::VMIN] = 0;
    settings.special_codes[termios::SpecialCodeIndex::VTIME] = 1;
    termios::tcsetattr(file.as_fd(), OptionalActions::Now, &settings)?;
    Ok(file)
}

/// Reads from `terminal` until the text contains every one of `patterns` in order.
fn read_until(terminal: &mut File, patterns: &[&str]) -> Result<String> {
    let deadline = Instant::now() + LINE_TIMEOUT;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        let mut rest = text.as_str();
        let found = patterns.iter().all(|pattern| match rest.find(pattern) {
            Some(at) => {
                rest = &rest[at + pattern.len()..];
                true
            }
            None => false,
        });
        if found {
            return Ok(text);
        }
        if Instant::now() > deadline {
            bail!("{patterns:?} never arrived; received:\n{text}");
        }
        let count = terminal.read(&mut buffer)?;
        received.extend_from_slice(&buffer[..count]);
    }
}

/// Asks the running application for the bootloader and waits until it serves the port.
fn enter_bootloader(path: &Path) -> Result<()> {
    let mut terminal = open_terminal(path)?;
    read_until(&mut terminal, &["tick "])?;
    terminal.write_all(b"b")?;
    read_until(&mut terminal, &["staying in bootloader"])?;
    // Bootloader mode verifies both slots before it listens (well under a second here).
    std::thread::sleep(Duration::from_millis(1500));
    Ok(())
}

/// Runs stm32flash with `arguments` and the terminal, with a time limit.
fn stm32flash(path: &Path, arguments: &[&str]) -> Result<(Output, Duration)> {
    let started = Instant::now();
    let mut child = Command::new("stm32flash")
        .args(["-m", "8n1", "-b", "115200"])
        .args(arguments)
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context(
            "running stm32flash (cargo xtask test installs it; or apt-get install stm32flash)",
        )?;
    while child.try_wait()?.is_none() {
        if started.elapsed() > STM32FLASH_TIMEOUT {
            let _ = child.kill();
            bail!("stm32flash {arguments:?} ran longer than {STM32FLASH_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output()?;
    Ok((output, started.elapsed()))
}

/// stm32flash's standard output and error, for messages.
fn transcript(output: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Writes `bytes` to a file in the target directory for stm32flash.
fn image_file(name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let directory =
        slingshot_testkit::artifacts::repository_root().join("target/stm32flash-images");
    std::fs::create_dir_all(&directory)?;
    let path = directory.join(name);
    std::fs::write(&path, bytes)?;
    Ok(path)
}

#[test]
fn stm32flash_updates_the_application_through_the_bootloader_and_is_refused_what_is_unsafe(
) -> Result<()> {
    let signed_v1 = std::fs::read(firmware_file(Program::Application, "signed.bin")?)?;
    let v2 = signed_bytes(&signed_v1, &ImageSpec::version_2(V2_FILLER))?;
    let v2_file = image_file("v2.signed.bin", &v2)?;
    let mut tampered = signed_bytes(
        &signed_v1,
        &ImageSpec {
            version: (3, 0, 0),
            ..ImageSpec::version_2(V2_FILLER)
        },
    )?;
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    let tampered_file = image_file("tampered.signed.bin", &tampered)?;
    let (_twin, path) = start_twin()?;

    // 1. The update. The terminal stays open while stm32flash runs (unread), so that what the
    //    board prints after stm32flash closes the port waits in it.
    enter_bootloader(&path)?;
    let mut terminal = open_terminal(&path)?;
    let (output, elapsed) = stm32flash(
        &path,
        &[
            "-w",
            v2_file.to_str().context("path")?,
            "-v",
            "-S",
            PRIMARY,
            "-g",
            PRIMARY,
        ],
    )?;
    let text = transcript(&output);
    ensure!(output.status.success(), "stm32flash failed:\n{text}");
    ensure!(
        text.contains("Device ID    : 0x0419")
            && text.contains("Starting execution at address 0x08008000... done."),
        "{text}"
    );
    let stm32flash_seconds = elapsed.as_secs_f64();
    let boot = read_until(
        &mut terminal,
        &[&format!("{BANNER}2.0.0"), "state trial", "tick "],
    )?;
    ensure!(!boot.contains("staying in bootloader"), "{boot}");
    drop(terminal);

    // 2. A tampered image: refused at Go with a NACK; the board stays in bootloader mode.
    enter_bootloader(&path)?;
    let (output, _) = stm32flash(
        &path,
        &[
            "-w",
            tampered_file.to_str().context("path")?,
            "-v",
            "-S",
            PRIMARY,
            "-g",
            PRIMARY,
        ],
    )?;
    let text = transcript(&output);
    ensure!(
        text.contains("Wrote and verified"),
        "the writes themselves pass:\n{text}"
    );
    // stm32flash 0.7 prints the refusal but still exits 0 (docs/PROTOCOL.md, section 14).
    ensure!(
        text.contains("Starting execution at address 0x08008000... failed"),
        "a tampered image was accepted:\n{text}"
    );

    // 3. A write at 0x08000000: refused at its erase, nothing written.
    let (output, _) = stm32flash(
        &path,
        &["-w", v2_file.to_str().context("path")?, "-S", "0x08000000"],
    )?;
    let text = transcript(&output);
    ensure!(
        !output.status.success() && text.contains("Failed to erase memory"),
        "a write over the bootloader was accepted:\n{text}"
    );

    // 4. Go alone restarts: the bootloader is intact and starts v2 again (the tampered v3
    //    was abandoned at its Go).
    let mut terminal = open_terminal(&path)?;
    let (output, _) = stm32flash(&path, &["-g", PRIMARY])?;
    let text = transcript(&output);
    ensure!(
        text.contains("Starting execution at address 0x08008000... done."),
        "Go failed:\n{text}"
    );
    let boot = read_until(&mut terminal, &["tick "])?;
    ensure!(!boot.contains(&format!("{BANNER}3.0.0")), "{boot}");
    drop(terminal);

    // 5. The same size of image through Slingshot's own protocol on the same terminal, for the
    //    comparison in docs/BENCHMARKS.md.
    let v4 = signed_bytes(
        &signed_v1,
        &ImageSpec {
            version: (4, 0, 0),
            ..ImageSpec::version_2(V2_FILLER)
        },
    )?;
    let port = open_port(&PortSpec::parse(path.to_str().context("path")?), 115_200)?;
    let report = flash(
        port,
        &unchecked_image(v4.clone())?,
        &FlashOptions::default(),
        &mut |_event| {},
    )?;
    ensure!(
        matches!(&report.running, Some(RunningVersion::Image { version, .. }) if version.starts_with("4.0.0")),
        "{:?}",
        report.running
    );
    let slingshot_seconds = report.transfer.elapsed.as_secs_f64();
    print_comparison(v4.len(), stm32flash_seconds, slingshot_seconds);
    Ok(())
}

/// The measured throughputs as a Markdown table (for docs/BENCHMARKS.md), with what the wire
/// alone allows each client at 115200 baud, 8N1 (11,520 bytes per second).
fn print_comparison(image_size: usize, stm32flash_seconds: f64, slingshot_seconds: f64) {
    const BYTES_PER_SECOND: f64 = 115_200.0 / 10.0;
    // Per 256-byte block, stm32flash -v waits for every answer: Write Memory (command 2,
    // address 5, count 1, data 256, checksum 1; 3 ACKs back), then Read Memory (command 2,
    // address 5, count 2; 3 ACKs and the 256 bytes back).
    let stm32flash_wire = 256.0 / ((265.0 + 3.0 + 9.0 + 259.0) / BYTES_PER_SECOND);
    // Slingshot: a 1024-byte Data frame is 1024 + 8 bytes (header, offset, CRC) + COBS 5;
    // the acknowledgements come back while the window keeps the line busy.
    let slingshot_wire = 1024.0 / ((1024.0 + 13.0) / BYTES_PER_SECOND);
    let kilobytes = |bytes_per_second: f64| bytes_per_second / 1000.0;
    println!("| client, 115200 baud 8N1 | image | time on the twin | throughput | the wire alone allows |");
    println!("|---|---|---|---|---|");
    println!(
        "| `stm32flash -m 8n1 -b 115200 -w IMAGE -v -S 0x08008000 -g 0x08008000` (AN3155: erase, 256-byte writes each read back, Go with verification and install) | {image_size} B | {stm32flash_seconds:.2} s | {:.2} KB/s | {:.2} KB/s |",
        kilobytes(image_size as f64 / stm32flash_seconds),
        kilobytes(stm32flash_wire)
    );
    println!(
        "| `slingshot flash` (Slingshot protocol: StartUpdate to the last acknowledgement, erase included) | {image_size} B | {slingshot_seconds:.2} s | {:.2} KB/s | {:.2} KB/s |",
        kilobytes(image_size as f64 / slingshot_seconds),
        kilobytes(slingshot_wire)
    );
    println!(
        "stm32flash took {:.1} times as long as slingshot flash for the same bytes, in the same run.",
        stm32flash_seconds / slingshot_seconds
    );
}

#[test]
fn an_8e1_host_is_recognized_and_answered_in_its_framing() -> Result<()> {
    use serial_fixture::{Build, TwinLink};
    use slingshot_protocol::host::Transport;
    use slingshot_twin::line_framing::HostFraming;

    let build = Build::Dual;
    let mut twin = build.twin(61)?;
    twin.run_until(2_000_000_000, |twin| {
        String::from_utf8_lossy(twin.serial_output()).contains("tick 1\r\n")
    })?;
    let v2 = signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(V2_FILLER))?;
    twin.set_line_framing(HostFraming::EightEven);
    {
        let mut link = TwinLink::new(&mut twin);
        // 'b' (0x62) has an even parity bit of 1: the 8N1 application reads it intact.
        link.write(b"b")?;
        link.flush()?;
        link.idle(Duration::from_millis(1500))?;
        let _ = link.received_text();
        let report = serial_fixture::an3155_client::flash(&mut link, build.layout(), &v2, true)
            .map_err(anyhow::Error::msg)?;
        ensure!(report.writes > 0, "{report:?}");
    }
    // The board is back at 8N1 after the reset: so is the host, to read the new banner.
    twin.set_line_framing(HostFraming::EightNone);
    let mut link = TwinLink::new(&mut twin);
    let banner = slingshot_cli::flashing::read_banner(&mut link, Duration::from_secs(60));
    ensure!(banner.as_deref() == Some("2.0.0"), "{banner:?}");
    Ok(())
}
