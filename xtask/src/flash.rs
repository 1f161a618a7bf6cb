//! `cargo xtask flash`: program the bootloader, then the application, into a Nucleo-F429ZI
//! through probe-rs. `probe-rs download` erases only the sectors it writes, so the two
//! downloads do not disturb each other.

use crate::build::{self, Artifacts, BuildArguments};
use crate::process::{capture, on_path, run_checked};
use anyhow::{bail, Result};
use clap::Args;
use std::process::Command;

/// Arguments of `cargo xtask flash`.
#[derive(Args)]
pub struct FlashArguments {
    #[command(flatten)]
    build: BuildArguments,
}

/// Build, then program both programs and reset the board.
pub fn run(arguments: FlashArguments) -> Result<()> {
    let artifacts = build::run(arguments.build)?;
    flash_both(&artifacts)
}

fn require_probe_rs() -> Result<()> {
    if !on_path("probe-rs") {
        bail!("probe-rs is not installed: install it with `cargo install probe-rs-tools --locked` (see https://probe.rs)");
    }
    Ok(())
}

/// Whether probe-rs is installed and sees at least one debug probe.
pub fn probe_attached() -> bool {
    on_path("probe-rs")
        && capture(Command::new("probe-rs").arg("list"))
            .map(|output| {
                let text = String::from_utf8_lossy(&output.stdout).to_lowercase();
                output.status.success() && !text.contains("no debug probes") && text.contains("[0]")
            })
            .unwrap_or(false)
}

/// Program the bootloader, then the application, then reset.
pub fn flash_both(artifacts: &Artifacts) -> Result<()> {
    require_probe_rs()?;
    if !probe_attached() {
        bail!(
            "no debug probe found: connect the {}'s ST-LINK USB port, check `probe-rs list`, \
             and on Linux install probe-rs' udev rules (https://probe.rs/docs/getting-started/probe-setup/)",
            artifacts.layout.board.product
        );
    }
    let board = &artifacts.layout.board;
    let chip = board.probe_rs_chip;
    for elf in [&artifacts.bootloader, &artifacts.application] {
        let hex = Artifacts::with_extension(elf, "hex");
        run_checked(
            Command::new("probe-rs")
                .args(["download", "--chip", chip, "--binary-format", "hex"])
                .arg(&hex),
        )?;
    }
    run_checked(Command::new("probe-rs").args(["reset", "--chip", chip]))?;
    eprintln!(
        "xtask: both programs flashed; the board is running. Its serial port is {} on {}/{} \
         ({}, 115200 8N1).",
        board.serial.usart.name(),
        board.serial.transmit,
        board.serial.receive,
        board.serial.connection
    );
    Ok(())
}
