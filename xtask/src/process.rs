//! Running child processes with clear errors: which command failed and how.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Command, Output};

/// The repository root (xtask lives one level below it).
pub fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lies below the repository root")
}

/// The firmware workspace directory. Cargo must run *inside* it so that its
/// `.cargo/config.toml` (target, linker script flags) applies.
pub fn firmware_directory() -> std::path::PathBuf {
    repository_root().join("firmware")
}

/// A `cargo` command (the same cargo that runs xtask).
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Describe a command for messages: program and arguments.
pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for argument in command.get_args() {
        text.push(' ');
        text.push_str(&argument.to_string_lossy());
    }
    text
}

/// Run `command` with inherited output; fail if it does not succeed.
pub fn run_checked(command: &mut Command) -> Result<()> {
    let description = describe(command);
    eprintln!("$ {description}");
    let status = command
        .status()
        .with_context(|| format!("cannot start `{description}`"))?;
    if !status.success() {
        bail!("`{description}` failed ({status})");
    }
    Ok(())
}

/// Run `command` capturing its output (not checking its status).
pub fn capture(command: &mut Command) -> Result<Output> {
    let description = describe(command);
    command
        .output()
        .with_context(|| format!("cannot start `{description}`"))
}

/// Whether `program` is found on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths).any(|directory| directory.join(program).is_file())
        })
        .unwrap_or(false)
}
