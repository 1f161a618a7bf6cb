//! Locations of the firmware build's outputs (`cargo xtask build`).

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// The repository's root directory.
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/slingshot-testkit lies two levels below the root")
        .to_path_buf()
}

/// The directory holding release firmware builds for the Cortex-M4F.
pub fn firmware_release_directory() -> PathBuf {
    repository_root().join("firmware/target/thumbv7em-none-eabihf/release")
}

/// Which firmware program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// The bootloader (default features, dual-slot layout).
    Bootloader,
    /// The example application (dual-slot layout).
    Application,
}

impl Program {
    /// The binary's file name.
    pub const fn file_name(self) -> &'static str {
        match self {
            Program::Bootloader => "slingshot-bootloader",
            Program::Application => "example-application",
        }
    }
}

/// A built firmware file: `extension` is `""` (ELF), `"bin"` or `"hex"`.
///
/// Fails with the command to run when the file is missing, so a test that needs firmware
/// never passes silently without it.
pub fn firmware_file(program: Program, extension: &str) -> Result<PathBuf> {
    output_file(
        firmware_release_directory(),
        program,
        extension,
        "cargo xtask build",
    )
}

/// A file of the build for another board: `cargo xtask build --board BOARD --layout single`
/// writes it under firmware/target/variants/BOARD-single (`plan` is `"single"` or `"dual"`).
pub fn board_firmware_file(
    board: &str,
    plan: &str,
    program: Program,
    extension: &str,
) -> Result<PathBuf> {
    let directory = repository_root()
        .join("firmware/target/variants")
        .join(format!("{board}-{plan}"))
        .join("thumbv7em-none-eabihf/release");
    let command = format!("cargo xtask build --board {board} --layout {plan}");
    output_file(directory, program, extension, &command)
}

fn output_file(
    directory: PathBuf,
    program: Program,
    extension: &str,
    command: &str,
) -> Result<PathBuf> {
    let mut path = directory.join(program.file_name());
    if !extension.is_empty() {
        path.set_extension(extension);
    }
    if !path.exists() {
        bail!(
            "{} is missing: build the firmware first with `{command}` \
             (or run every test with `cargo xtask test`)",
            path.display()
        );
    }
    Ok(path)
}
