//! `cargo xtask test`: every check and test, in the order CI runs them.
//!
//! 1. prerequisites (Cortex-M target; qemu-system-arm, cmake, libclang-dev, gdb-multiarch);
//! 2. `cargo fmt --check` on both workspaces;
//! 3. firmware builds: default, quiet and single-slot variants, each within its budget
//!    ([`crate::budgets`]: flash of each build, instructions of the quiet boot);
//! 4. the negative link test: a bootloader larger than its partition must not link;
//! 5. `cargo clippy --all-targets -D warnings` on both workspaces;
//! 6. `cargo test --workspace` on the host: unit, property, power-cut sweeps, QEMU system
//!    tests and twin tests of the real binaries;
//! 7. the bootloader's Ed25519 verifier (`slingshot-image --features salty`, which the host
//!    workspace does not enable);
//! 8. a short fuzzing run of every parser (`cargo xtask fuzz` runs longer).

use crate::build::{self, BuildArguments, LayoutChoice};
use crate::prerequisites::{ensure_firmware_target, ensure_packages, CMAKE, GDB, LIBCLANG, QEMU};
use crate::process::{capture, cargo, firmware_directory, repository_root, run_checked};
use anyhow::{bail, Result};
use clap::Args;
use std::process::Command;

/// Arguments of `cargo xtask test`.
#[derive(Args)]
pub struct TestArguments {
    /// Skip formatting and lint checks (for a quick local run; CI never skips them).
    #[arg(long)]
    no_lints: bool,
    /// Seconds each fuzz target runs.
    #[arg(long, default_value_t = 15)]
    fuzz_seconds: u32,
}

/// Run everything; fail on the first failing step.
pub fn run(arguments: TestArguments) -> Result<()> {
    ensure_firmware_target()?;
    ensure_packages(&[QEMU, CMAKE, LIBCLANG, GDB])?;
    let root = repository_root();
    if !arguments.no_lints {
        step("format (host)");
        run_checked(cargo().current_dir(root).args(["fmt", "--all", "--check"]))?;
        step("format (firmware)");
        run_checked(
            cargo()
                .current_dir(firmware_directory())
                .args(["fmt", "--all", "--check"]),
        )?;
    }
    step("firmware builds");
    build::run(BuildArguments::default())?;
    build::run(BuildArguments {
        layout: LayoutChoice::Dual,
        quiet: true,
        ..Default::default()
    })?;
    build::run(BuildArguments {
        layout: LayoutChoice::Single,
        quiet: false,
        ..Default::default()
    })?;
    step("size and boot budgets of the bootloader builds");
    crate::budgets::check()?;
    step("negative link test: an oversized bootloader must not link");
    oversized_bootloader_fails_to_link()?;
    if !arguments.no_lints {
        step("clippy (firmware)");
        run_checked(cargo().current_dir(firmware_directory()).args([
            "clippy",
            "--release",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
        step("clippy (host)");
        run_checked(cargo().current_dir(root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    step("host tests (unit, property, sweeps, QEMU and twin system tests)");
    run_checked(cargo().current_dir(root).args([
        "test",
        "--workspace",
        "--release",
        "--no-fail-fast",
    ]))?;
    step("Ed25519 verifier of the bootloader (slingshot-image with feature salty)");
    run_checked(cargo().current_dir(root).args([
        "test",
        "--release",
        "-p",
        "slingshot-image",
        "--features",
        "salty",
    ]))?;
    step("fuzzing: every parser for a short, fixed-seed run");
    crate::fuzz::run(crate::fuzz::FuzzArguments {
        seconds: arguments.fuzz_seconds,
        target: None,
    })?;
    eprintln!("\nxtask: every check and test passed");
    Ok(())
}

fn step(name: &str) {
    eprintln!("\n=== xtask test: {name} ===");
}

/// Build the `oversized` example of the bootloader (40 KB of data in a 32 KB partition) and
/// require the link to fail with the layout's message.
fn oversized_bootloader_fails_to_link() -> Result<()> {
    let output = capture(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(firmware_directory())
            .args([
                "build",
                "--release",
                "-p",
                "slingshot-bootloader",
                "--example",
                "oversized",
            ]),
    )?;
    let text = String::from_utf8_lossy(&output.stderr);
    let expected = "slingshot: the bootloader does not fit its 32768 byte partition at 0x08000000";
    if output.status.success() {
        bail!("the oversized bootloader linked: the 32 KB budget is not enforced");
    }
    if !text.contains(expected) {
        bail!("the oversized bootloader failed to build, but not with the layout's message {expected:?}:\n{text}");
    }
    eprintln!("ok: the link failed with: {expected}");
    Ok(())
}
