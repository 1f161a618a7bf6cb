//! Benchmark sections measured by the crates' own harnesses: `cargo xtask bench` runs each
//! command and embeds its Markdown output verbatim under a heading that names the command,
//! so every figure in docs/BENCHMARKS.md can be reproduced by hand.

use crate::process::{cargo, describe, repository_root};
use anyhow::{bail, Result};
use std::fmt::Write as _;
use std::process::Command;

/// One externally measured section.
struct Section {
    title: &'static str,
    explanation: &'static str,
    arguments: &'static [&'static str],
    /// Keep only lines that start with this (the Markdown table rows), dropping test-harness
    /// chatter.
    keep_prefix: &'static str,
    /// Whether the measurement needs the single-slot firmware build too.
    needs_single_slot_build: bool,
}

const SECTIONS: &[Section] = &[
    Section {
        title: "Verified boot: instructions from reset to the application",
        explanation: "The default (verifying) bootloader in QEMU with signed images of each \
             size: SHA-256 of image and descriptor with the Thumb-2 assembly block function \
             (27.2 instructions per byte) and an Ed25519 verify (`slingshot_image::ed25519`: one \
             joint double-scalar multiplication on salty's field arithmetic). Counted from QEMU's \
             per-instruction trace streamed through a FIFO; modelled time = instructions ÷ \
             clock. The update engine is off in QEMU (no flash interface model), so this is the \
             verify-before-every-boot path; QEMU never locks the PLL, so the whole boot runs \
             on the 16 MHz reset clock (the \"at 16 MHz\" column is the default build's boot \
             time on a chip whose PLL does not lock). \"1 MB\" is 992 KB, what QEMU's 1 MB flash holds \
             after the bootloader (single-slot layout).",
        arguments: &[
            "test",
            "--quiet",
            "--release",
            "-p",
            "slingshot-qemu-tests",
            "--test",
            "boot_instructions",
            "--",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ],
        keep_prefix: "|",
        needs_single_slot_build: true,
    },
    Section {
        title: "Boot time on the F429 twin: power-on to the application's first instruction",
        explanation: "The default bootloader (logging, verification, serial update service, \
             dual-slot engine, watchdog on trial, decision on the PLL) on the twin, whose \
             modelled time follows the clock the bootloader sets: 16 MHz HSI from reset, \
             168 MHz (PLL from the HSI, 5 wait states, ART on) for the whole boot decision \
             (update engine, SHA-256, Ed25519; its one line of output goes out while the image \
             is hashed), the reset clock again for the hand-off. Each image is the example application stopped by a `bkpt` at its first \
             instruction, padded with seeded filler and signed with the development key. The \
             first power-on of a blank device also formats the update journal (one 16 KB \
             state-sector erase, 250 ms typical); the next power-on is the figure that counts. \
             The twin counts one cycle per instruction (see below for silicon). Goals: 64 KB \
             ≤ 20 ms, 256 KB ≤ 50 ms, 864 KB ≤ 150 ms, enforced by the test command (the \
             ceiling column). The first table is bootloader mode's start-up with both slots \
             full: the slot survey (both images verified for the info reply, on the PLL) \
             before the first reply.",
        arguments: &[
            "test",
            "--quiet",
            "--release",
            "-p",
            "slingshot-twin",
            "--test",
            "boot_time",
            "--",
            "--nocapture",
            "--test-threads=1",
        ],
        keep_prefix: "|",
        needs_single_slot_build: false,
    },
    Section {
        title: "Update engine: modelled install time and wear on the F429",
        explanation: "Dual-slot install on the F429 sector map with datasheet typical x32 timings \
             (16 µs per word, 250 ms / 550 ms / 1 s per 16 / 64 / 128 KB sector erase), from the \
             simulated flash's time model; signature verification not included. Slingshot swaps \
             only the sectors the images occupy and packs the small sectors into one scratch \
             erase; the whole-slot swap is the naive approach on the same layout.",
        arguments: &[
            "run",
            "--quiet",
            "--release",
            "-p",
            "slingshot-update",
            "--example",
            "install_time",
        ],
        keep_prefix: "|",
        needs_single_slot_build: false,
    },
    Section {
        title: "Serial protocol: goodput in the link simulator",
        explanation: "256 KB image over an 8N1 link paced at the baud rate in virtual time, \
             against a stop-and-wait exchange of 256-byte writes with three acknowledgements per \
             write (the pattern of ST's ROM bootloader, AN3155) in the same harness and run. \
             Line rate = baud / 10 bytes per second.",
        arguments: &[
            "test",
            "--quiet",
            "--release",
            "-p",
            "slingshot-protocol",
            "--test",
            "benchmark",
            "--",
            "--nocapture",
            "--test-threads=1",
        ],
        keep_prefix: "|",
        needs_single_slot_build: false,
    },
    Section {
        title: "Serial update on the F429 twin: the real bootloader, the real host library",
        explanation: "256 KB image into the dual-slot bootloader on the twin, the UART paced at \
             the real baud rate in modelled time (10 bits per byte), DMA reception, datasheet \
             erase and program times, read-while-write stalls. Beside it, in the same harness \
             and run, the bootloader's AN3155 service (ST's serial bootloader protocol) fed \
             the bytes stm32flash sends (`twin/tests/serial_fixture/an3155_client.rs`: \
             Extended Erase of the sectors, 256-byte Write Memory commands each waiting for \
             its three acknowledgements, with `-v` each block read back, then Go, which \
             verifies and installs); AN3155 runs at 115200 baud only. Transfer time runs from \
             StartUpdate (Slingshot) or the synchronization byte (AN3155) to the last \
             acknowledgement, erases included; end to end from the first byte (including the \
             `b` that puts the application into the bootloader) to the new banner after the \
             install swap.",
        arguments: &[
            "test",
            "--quiet",
            "--release",
            "-p",
            "slingshot-twin",
            "--test",
            "serial_benchmark",
            "--",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ],
        keep_prefix: "|",
        needs_single_slot_build: false,
    },
    Section {
        title: "stm32flash through Slingshot, wall clock",
        explanation: "The real client: Debian's stm32flash 0.7 updates the application through the \
             bootloader running on the twin (`slingshot-twin run --serial pty`, modelled time \
             paced to the wall clock), then `slingshot flash` sends an image of the same size \
             over the same pseudo-terminal, in the same run. Wall-clock figures: the twin's \
             terminal adds about 11 ms to every round trip (it takes input between 2 ms slices \
             of modelled time), which a stop-and-wait client such as stm32flash pays at every \
             acknowledgement; the modelled-time table above is the figure for the protocols \
             themselves. The test also checks the refusals (a tampered image at Go, a write at \
             0x08000000).",
        arguments: &[
            "test",
            "--quiet",
            "--release",
            "-p",
            "slingshot-twin",
            "--test",
            "stm32flash",
            "--",
            "--nocapture",
        ],
        keep_prefix: "|",
        needs_single_slot_build: false,
    },
    Section {
        title: "F429 twin: emulation speed",
        explanation:
            "Million instructions per second of the Unicorn-based twin with every hook in \
             place, and one boot of the real bootloader and signed application (new twin, load \
             both, power on, signature check, until the application prints its VTOR line). CPU \
             time of the measuring thread is given beside wall time because the machine is \
             shared.",
        arguments: &[
            "run",
            "--quiet",
            "--release",
            "-p",
            "slingshot-twin",
            "--",
            "bench",
            "--markdown",
        ],
        keep_prefix: "|",
        needs_single_slot_build: false,
    },
];

/// Run every section's command and append its tables to `report`.
pub fn external_sections(report: &mut String) -> Result<()> {
    for section in SECTIONS {
        if section.needs_single_slot_build {
            crate::build::run(crate::build::BuildArguments {
                layout: crate::build::LayoutChoice::Single,
                quiet: false,
                ..Default::default()
            })?;
            crate::build::run(crate::build::BuildArguments::default())?;
        }
        let mut command: Command = cargo();
        command
            .current_dir(repository_root())
            .args(section.arguments);
        let display =
            describe(&command).replacen(&std::env::var("CARGO").unwrap_or_default(), "cargo", 1);
        eprintln!("$ {display}");
        let output = command.output()?;
        if !output.status.success() {
            bail!(
                "`{display}` failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        writeln!(report, "## {}\n\n{}\n", section.title, section.explanation)?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut previous_was_table = false;
        for line in text.lines() {
            // `cargo test --quiet` prints a dot per test, sometimes in front of a line.
            let line = line.trim_start_matches('.');
            let is_table = line.starts_with(section.keep_prefix);
            if is_table {
                writeln!(report, "{line}")?;
            } else if !line.trim().is_empty()
                && !line.starts_with("running ")
                && !line.starts_with("test ")
            {
                if previous_was_table {
                    writeln!(report)?;
                }
                writeln!(report, "{}\n", line.trim())?;
            }
            previous_was_table = is_table;
        }
        writeln!(report, "\nReproduce: `{display}`\n")?;
    }
    Ok(())
}

/// Time the release `slingshot sign` on the largest image the single-slot layout takes: 2016 KB
/// minus the trailer reserve, random content behind a valid vector table. Wall-clock time
/// (median of five runs, process start included), with the machine's load in mind.
pub fn signing_time(report: &mut String) -> Result<()> {
    let layout = &slingshot_layout::NUCLEO_F429ZI_SINGLE_SLOT;
    let slot = layout.partitions.primary;
    let size = (slot.size - slingshot_layout::SIGNATURE_TRAILER_RESERVE) as usize;
    let directory = tempfile::tempdir()?;
    let mut image = vec![0u8; size];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for byte in image.iter_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = state as u8;
    }
    image[0..4].copy_from_slice(&layout.board.part.ram.end().to_le_bytes());
    image[4..8].copy_from_slice(&(slot.start + 0x201).to_le_bytes());
    image[0x1C..0x20].fill(0);
    let input = directory.path().join("large.bin");
    std::fs::write(&input, &image)?;
    let key = slingshot_cli::keys::ensure_development_key(repository_root())?;
    crate::process::run_checked(cargo().current_dir(repository_root()).args([
        "build",
        "--quiet",
        "--release",
        "-p",
        "slingshot-cli",
    ]))?;
    let binary = crate::demo::host_binary("slingshot");
    let mut rows = Vec::new();
    for extension in ["bin", "hex"] {
        let mut runs = Vec::new();
        for round in 0..5 {
            let output = directory.path().join(format!("signed-{round}.{extension}"));
            let mut command = Command::new(&binary);
            command
                .args([
                    "sign",
                    "--layout",
                    layout.name,
                    "--version",
                    "1.0.0",
                    "--address",
                ])
                .arg(format!("0x{:08x}", slot.start))
                .arg("--key")
                .arg(&key.files.private_pem)
                .arg(&input)
                .arg("-o")
                .arg(&output)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            let started = std::time::Instant::now();
            let status = command.status()?;
            if !status.success() {
                bail!("`{}` failed ({status})", describe(&command));
            }
            runs.push(started.elapsed().as_secs_f64());
        }
        runs.sort_by(f64::total_cmp);
        rows.push((extension, runs[runs.len() / 2]));
    }
    writeln!(report, "## Signing a 2 MB image\n")?;
    writeln!(
        report,
        "The release `slingshot sign` on a {size}-byte image, the largest the single-slot \
         layout takes (process start included); median wall-clock time of five runs on this \
         shared machine.\n"
    )?;
    writeln!(report, "| output | median time |\n|---|---|")?;
    for (extension, time) in rows {
        writeln!(report, "| .{extension} | {time:.3} s |")?;
    }
    writeln!(
        report,
        "\nReproduce: `cargo xtask bench`, or by hand: `slingshot sign --layout {} --address \
         0x{:08x} --key keys/development.pem IMAGE.bin -o OUT.bin`\n",
        layout.name, slot.start
    )?;
    Ok(())
}
