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
    let mut path = firmware_release_directory().join(program.file_name());
    if !extension.is_empty() {
        path.set_extension(extension);
    }
    if !path.exists() {
        bail!(
            "{} is missing: build the firmware first with `cargo xtask build` \
             (or run every test with `cargo xtask test`)",
            path.display()
        );
    }
    Ok(path)
}
