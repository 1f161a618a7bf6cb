//! `cargo xtask build`: both firmware programs in release, plus `.bin` and `.hex` files
//! next to each ELF.

use crate::prerequisites::{ensure_firmware_target, FIRMWARE_TARGET};
use crate::process::{cargo, firmware_directory, run_checked};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use slingshot_files::{write_atomically, MemoryImage};
use std::path::{Path, PathBuf};

/// Which partition plan to build for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LayoutChoice {
    /// Primary and secondary slots with rollback (the F429 default).
    #[default]
    Dual,
    /// One application slot of 2016 KB.
    Single,
}

/// Arguments of `cargo xtask build`.
#[derive(Args, Clone, Debug, Default)]
pub struct BuildArguments {
    /// Partition plan.
    #[arg(long, value_enum, default_value_t)]
    pub layout: LayoutChoice,
    /// Build the quiet bootloader (no USART3 messages): the smallest validate-and-jump.
    #[arg(long)]
    pub quiet: bool,
}

/// Paths of one build's outputs.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// The bootloader ELF.
    pub bootloader: PathBuf,
    /// The application ELF.
    pub application: PathBuf,
}

impl Artifacts {
    /// The file next to `elf` with another extension (`bin`, `hex`).
    pub fn with_extension(elf: &Path, extension: &str) -> PathBuf {
        elf.with_extension(extension)
    }
}

/// The cargo target directory of a build variant: the default build keeps cargo's default
/// so tests find it; variants get their own directories so they never overwrite it.
pub fn target_directory(arguments: &BuildArguments) -> PathBuf {
    let base = firmware_directory().join("target");
    match (arguments.layout, arguments.quiet) {
        (LayoutChoice::Dual, false) => base,
        (LayoutChoice::Dual, true) => base.join("variants/dual-quiet"),
        (LayoutChoice::Single, false) => base.join("variants/single"),
        (LayoutChoice::Single, true) => base.join("variants/single-quiet"),
    }
}

/// Build both programs and write their `.bin` and `.hex` files.
pub fn run(arguments: BuildArguments) -> Result<Artifacts> {
    ensure_firmware_target()?;
    let target_directory = target_directory(&arguments);
    let mut command = cargo();
    command
        .current_dir(firmware_directory())
        .args([
            "build",
            "--release",
            "-p",
            "slingshot-bootloader",
            "-p",
            "example-application",
        ])
        .arg("--target-dir")
        .arg(&target_directory);
    let mut features = Vec::new();
    if arguments.layout == LayoutChoice::Single {
        features.push("slingshot-bootloader/single-slot");
        features.push("example-application/single-slot");
    }
    if arguments.quiet {
        command.args(["--no-default-features"]);
    }
    if !features.is_empty() {
        command.arg("--features").arg(features.join(","));
    }
    run_checked(&mut command)?;
    let directory = target_directory.join(FIRMWARE_TARGET).join("release");
    let artifacts = Artifacts {
        bootloader: directory.join("slingshot-bootloader"),
        application: directory.join("example-application"),
    };
    for elf in [&artifacts.bootloader, &artifacts.application] {
        write_binary_and_hex(elf)?;
    }
    eprintln!(
        "xtask: built {} and {} (+ .bin, .hex)",
        artifacts.bootloader.display(),
        artifacts.application.display()
    );
    Ok(artifacts)
}

/// Write `ELF.bin` (from the lowest to the highest load address, gaps 0xFF) and `ELF.hex`.
pub fn write_binary_and_hex(elf: &Path) -> Result<()> {
    let image =
        MemoryImage::load(elf, None).with_context(|| format!("reading {}", elf.display()))?;
    let (_, bytes) = image
        .to_contiguous(0xFF)
        .context("the ELF has no loadable data")?;
    write_atomically(&Artifacts::with_extension(elf, "bin"), &bytes)?;
    write_atomically(
        &Artifacts::with_extension(elf, "hex"),
        image.to_ihex().as_bytes(),
    )?;
    Ok(())
}
