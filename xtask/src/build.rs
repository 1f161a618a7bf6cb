//! `cargo xtask build`: both firmware programs in release, plus `.bin` and `.hex` files
//! next to each ELF, and the application signed with the development key
//! (`example-application.signed.bin` / `.signed.hex`). The development key
//! (`keys/development.*`, git-ignored) is created on first use; the bootloader embeds its
//! public half unless `SLINGSHOT_TRUSTED_KEYS` names other keys.

use crate::prerequisites::{ensure_firmware_target, FIRMWARE_TARGET};
use crate::process::{cargo, firmware_directory, repository_root, run_checked};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use slingshot_cli::keys::{ensure_development_key, DEVELOPMENT_WARNING};
use slingshot_cli::signing::{sign_file, SignRequest};
use slingshot_files::{write_atomically, MemoryImage};
use slingshot_layout::layouts::layout_for;
use slingshot_layout::{Board, Layout, UpdateMode, ALL_BOARDS};
use std::path::{Path, PathBuf};

/// Which partition plan to build for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LayoutChoice {
    /// Primary and secondary slots with rollback (the F429 default).
    #[default]
    Dual,
    /// One application slot (2016 KB on the F429), written in place.
    Single,
    /// Primary and secondary slots on a single-bank part: the new image is copied over the
    /// old one at the next boot, resumably, without rollback.
    Overwrite,
}

impl LayoutChoice {
    /// The layout crate's update mode of this choice.
    pub fn update_mode(self) -> UpdateMode {
        match self {
            LayoutChoice::Dual => UpdateMode::DualSlot,
            LayoutChoice::Single => UpdateMode::SingleSlot,
            LayoutChoice::Overwrite => UpdateMode::Overwrite,
        }
    }

    /// The choice that builds a layout of `mode`.
    pub fn of(mode: UpdateMode) -> Self {
        match mode {
            UpdateMode::DualSlot => LayoutChoice::Dual,
            UpdateMode::SingleSlot => LayoutChoice::Single,
            UpdateMode::Overwrite => LayoutChoice::Overwrite,
        }
    }

    /// Its name on the command line and in variant directories.
    pub fn name(self) -> &'static str {
        match self {
            LayoutChoice::Dual => "dual",
            LayoutChoice::Single => "single",
            LayoutChoice::Overwrite => "overwrite",
        }
    }
}

/// The board built for when `--board` is not given.
pub const DEFAULT_BOARD: &str = "nucleo-f429zi";
/// Environment variable the layout crate reads at build time to pick the board.
pub const BOARD_VARIABLE: &str = "SLINGSHOT_BOARD";

/// Arguments of `cargo xtask build`.
#[derive(Args, Clone, Debug, Default)]
pub struct BuildArguments {
    /// Board to build for (`slingshot boards` lists them; default nucleo-f429zi).
    #[arg(long)]
    pub board: Option<String>,
    /// Partition plan.
    #[arg(long, value_enum, default_value_t)]
    pub layout: LayoutChoice,
    /// Build the quiet bootloader (no USART3 messages): the smallest validate-and-jump.
    #[arg(long)]
    pub quiet: bool,
    /// Extra bootloader features (e.g. `serial-update`, `watchdog-on-trial`).
    #[arg(long = "bootloader-feature")]
    pub bootloader_features: Vec<String>,
    /// Version to build into and sign the application with (default: its Cargo.toml).
    #[arg(long)]
    pub application_version: Option<String>,
    /// Name of a separate output directory under firmware/target/variants/, so this build
    /// does not replace the default one (e.g. a second application version for the demo).
    #[arg(long)]
    pub variant: Option<String>,
}

/// Paths of one build's outputs.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// The bootloader ELF.
    pub bootloader: PathBuf,
    /// The application ELF.
    pub application: PathBuf,
    /// The layout (and board) both were built for.
    pub layout: &'static Layout,
}

impl Artifacts {
    /// The file next to `elf` with another extension (`bin`, `hex`).
    pub fn with_extension(elf: &Path, extension: &str) -> PathBuf {
        elf.with_extension(extension)
    }

    /// The application signed with the development key, as a raw binary from the slot start
    /// (what QEMU loads at the primary slot).
    pub fn signed_application(&self) -> PathBuf {
        Self::with_extension(&self.application, "signed.bin")
    }
}

/// Environment variable overriding the application's version for signing (and its banner).
pub const VERSION_VARIABLE: &str = "SLINGSHOT_APPLICATION_VERSION";
/// Environment variable setting the signed application's security counter (default 0).
pub const SECURITY_COUNTER_VARIABLE: &str = "SLINGSHOT_APPLICATION_SECURITY_COUNTER";

impl BuildArguments {
    /// The board's short name (`--board`, default nucleo-f429zi).
    pub fn board_name(&self) -> &str {
        self.board.as_deref().unwrap_or(DEFAULT_BOARD)
    }

    /// The board this build is for, or an error naming the boards that exist.
    pub fn resolved_board(&self) -> Result<&'static Board> {
        let name = self.board_name();
        let Some(board) = Board::by_name(name) else {
            let known: Vec<&str> = ALL_BOARDS.iter().map(|board| board.name).collect();
            bail!(
                "unknown board {name:?}: known boards are {}",
                known.join(", ")
            );
        };
        Ok(board)
    }

    /// The layout this build is for: the board's plan of the chosen kind, or an error naming
    /// the ones it has.
    pub fn resolved_layout(&self) -> Result<&'static Layout> {
        let board = self.resolved_board()?;
        layout_for(board, self.layout.update_mode()).with_context(|| {
            let why = match self.layout {
                LayoutChoice::Dual => {
                    "its flash has one bank, so no sector can be swapped with a twin of the \
                     same size"
                }
                _ => "its two banks give it the dual-slot layout with rollback instead",
            };
            let has: Vec<String> = [
                LayoutChoice::Dual,
                LayoutChoice::Overwrite,
                LayoutChoice::Single,
            ]
            .into_iter()
            .filter(|choice| layout_for(board, choice.update_mode()).is_some())
            .map(|choice| format!("`--layout {}`", choice.name()))
            .collect();
            format!(
                "the {} has no {} layout ({why}): build it with {}",
                board.product,
                self.layout.name(),
                has.join(" or ")
            )
        })
    }
}

/// The cargo target directory of a build variant: the default build keeps cargo's default
/// so tests find it; variants get their own directories so they never overwrite it.
pub fn target_directory(arguments: &BuildArguments) -> PathBuf {
    let base = firmware_directory().join("target");
    if let Some(variant) = &arguments.variant {
        return base.join("variants").join(variant);
    }
    if arguments.board_name() != DEFAULT_BOARD {
        let plan = arguments.layout.name();
        let quiet = if arguments.quiet { "-quiet" } else { "" };
        return base
            .join("variants")
            .join(format!("{}-{plan}{quiet}", arguments.board_name()));
    }
    match (arguments.layout, arguments.quiet) {
        (LayoutChoice::Dual, false) => base,
        (LayoutChoice::Dual, true) => base.join("variants/dual-quiet"),
        (LayoutChoice::Single, false) => base.join("variants/single"),
        (LayoutChoice::Single, true) => base.join("variants/single-quiet"),
        (LayoutChoice::Overwrite, quiet) => base.join(format!(
            "variants/overwrite{}",
            if quiet { "-quiet" } else { "" }
        )),
    }
}

/// Build both programs and write their `.bin` and `.hex` files.
pub fn run(arguments: BuildArguments) -> Result<Artifacts> {
    let layout = arguments.resolved_layout()?;
    ensure_firmware_target()?;
    let key = ensure_development_key(repository_root())
        .context("creating the development signing key")?;
    if key.created {
        eprintln!(
            "xtask: created the development key {} (git-ignored).\n{DEVELOPMENT_WARNING}",
            key.files.private_pem.display()
        );
    }
    let target_directory = target_directory(&arguments);
    // Two cargo invocations, not one: Cargo unifies the features of the packages built
    // together, and the application's `slingshot-stm32/device-interrupts` (the PAC's 91-entry
    // interrupt table) would land in the bootloader too (360 B; firmware/stm32/Cargo.toml).
    let mut bootloader_features = Vec::new();
    let mut application_features = Vec::new();
    if arguments.layout == LayoutChoice::Single {
        bootloader_features.push("single-slot".to_string());
        application_features.push("single-slot".to_string());
    }
    bootloader_features.extend(arguments.bootloader_features.iter().cloned());
    for (package, features, no_default) in [
        (
            "slingshot-bootloader",
            &bootloader_features,
            arguments.quiet,
        ),
        ("example-application", &application_features, false),
    ] {
        let mut command = cargo();
        command
            .current_dir(firmware_directory())
            .args(["build", "--release", "-p", package])
            .arg("--target-dir")
            .arg(&target_directory)
            .env(BOARD_VARIABLE, layout.board.name);
        if no_default {
            command.arg("--no-default-features");
        }
        if !features.is_empty() {
            command.arg("--features").arg(features.join(","));
        }
        if let Some(version) = &arguments.application_version {
            command.env(VERSION_VARIABLE, version);
        }
        run_checked(&mut command)?;
    }
    let directory = target_directory.join(FIRMWARE_TARGET).join("release");
    let artifacts = Artifacts {
        bootloader: directory.join("slingshot-bootloader"),
        application: directory.join("example-application"),
        layout,
    };
    for elf in [&artifacts.bootloader, &artifacts.application] {
        write_binary_and_hex(elf)?;
    }
    sign_application(
        &artifacts,
        layout,
        arguments.application_version.as_deref(),
        &key.files.private_pem,
    )?;
    eprintln!(
        "xtask: built {} and {} (+ .bin, .hex, .signed.bin, .signed.hex)",
        artifacts.bootloader.display(),
        artifacts.application.display()
    );
    Ok(artifacts)
}

/// The version to sign the application with: `SLINGSHOT_APPLICATION_VERSION`, else the
/// `version` of firmware/application/Cargo.toml (what its banner prints too).
fn application_version(requested: Option<&str>) -> Result<String> {
    if let Some(version) = requested {
        return Ok(version.to_string());
    }
    if let Ok(version) = std::env::var(VERSION_VARIABLE) {
        return Ok(version);
    }
    let manifest_path = firmware_directory().join("application/Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    manifest
        .lines()
        .find_map(|line| {
            let value = line
                .trim()
                .strip_prefix("version")?
                .trim()
                .strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_string())
        })
        .with_context(|| format!("{} has no version line", manifest_path.display()))
}

/// Sign the application ELF with `key` into `.signed.bin` and `.signed.hex` next to it,
/// through the `slingshot sign` library code (same checks as the command line).
fn sign_application(
    artifacts: &Artifacts,
    layout: &'static Layout,
    version: Option<&str>,
    key: &Path,
) -> Result<()> {
    let security_counter = match std::env::var(SECURITY_COUNTER_VARIABLE) {
        Ok(text) => text
            .parse()
            .with_context(|| format!("{SECURITY_COUNTER_VARIABLE}={text:?} is not a number"))?,
        Err(_) => 0,
    };
    let text = application_version(version)?;
    let version = slingshot_cli::signing::Version::parse(&text)
        .with_context(|| format!("application version {text:?}"))?;
    let outputs = [
        artifacts.signed_application(),
        Artifacts::with_extension(&artifacts.application, "signed.hex"),
    ];
    if slingshot_cli::keys::is_development_key(key) {
        eprintln!("{}", slingshot_cli::keys::DEVELOPMENT_WARNING);
    }
    let report = sign_file(&SignRequest {
        input: &artifacts.application,
        address: None,
        layout,
        key,
        version: Some(version),
        security_counter,
        outputs: &outputs,
    })
    .with_context(|| format!("signing {}", artifacts.application.display()))?;
    let mut summary = Vec::new();
    report.write(&mut summary)?;
    eprint!("{}", String::from_utf8_lossy(&summary));
    Ok(())
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
