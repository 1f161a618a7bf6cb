//! `cargo xtask test [all|lint|host|qemu|twin|twin-model|twin-system|fuzz|boards]`: every
//! check and test, in the order CI runs them, or one tier of them (see [`Tier`]). `boards`
//! (the full board matrix on the twin) is not part of `all`; `twin-model` and `twin-system`
//! are the two halves of `twin`.
//!
//! 1. prerequisites (Cortex-M target; qemu-system-arm, cmake, libclang-dev, gdb-multiarch,
//!    stm32flash);
//! 2. `cargo fmt --check` on both workspaces;
//! 3. firmware builds: default, quiet and single-slot variants, each within its budget
//!    ([`crate::budgets`]: flash of each build, instructions of the quiet boot);
//! 4. the negative link test: a bootloader larger than its partition must not link;
//! 5. `cargo clippy --all-targets -D warnings` on both workspaces;
//! 6. `cargo test --workspace` on the host: unit, property, power-cut sweeps, QEMU system
//!    tests and twin tests of the real binaries;
//! 7. the bootloader's Ed25519 verifier (`slingshot-image --features salty`) and bitwise
//!    CRC-32 (`slingshot-checksum --features small`), which the host workspace does not enable;
//! 8. a short fuzzing run of every parser (`cargo xtask fuzz` runs longer).

use crate::build::{self, BuildArguments, LayoutChoice};
use crate::prerequisites::{
    ensure_firmware_target, ensure_packages, CMAKE, GDB, LIBCLANG, QEMU, STM32FLASH,
};
use crate::process::{capture, cargo, firmware_directory, repository_root, run_checked};
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use std::process::Command;

/// A tier of the test command: what it runs and what it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Tier {
    /// Everything below, in the order CI runs it.
    All,
    /// `cargo fmt --check` and `cargo clippy -D warnings` on both workspaces, and `cargo deny`
    /// on what ships.
    Lint,
    /// Host tests: unit, property, power-cut sweeps and link simulations, no firmware (plus the
    /// bootloader's Ed25519 verifier on the host).
    Host,
    /// Firmware builds, size and boot budgets, the negative link test, and the QEMU system
    /// tests of the real binaries (needs qemu-system-arm).
    Qemu,
    /// Firmware builds and the F429 twin: its model tests and its system tests of the real
    /// binaries.
    Twin,
    /// The twin's model tests alone: its peripherals and core against small assembly programs
    /// (`twin/tests/programs`), no firmware build.
    TwinModel,
    /// The twin's system tests alone: firmware builds and the real binaries on the twin.
    TwinSystem,
    /// A short, fixed-seed fuzzing run of every parser (libFuzzer targets in `fuzz/`).
    Fuzz,
    /// The full board matrix, not part of `all` (a few minutes): every board's single-slot
    /// build, booted and updated over serial on a twin of its board.
    Boards,
}

/// Arguments of `cargo xtask test`.
#[derive(Args)]
pub struct TestArguments {
    /// Which tier to run (default: all of them).
    #[arg(value_enum, default_value_t = Tier::All)]
    tier: Tier,
    /// Skip formatting and lint checks (for a quick local run; CI never skips them).
    #[arg(long)]
    no_lints: bool,
    /// Seconds each fuzz target runs.
    #[arg(long, default_value_t = 15)]
    fuzz_seconds: u32,
}

/// Run the tier (everything by default); fail on the first failing step.
pub fn run(arguments: TestArguments) -> Result<()> {
    let tier = arguments.tier;
    let wants = |wanted: Tier| (tier == Tier::All && wanted != Tier::Boards) || tier == wanted;
    ensure_firmware_target()?;
    match tier {
        Tier::All => ensure_packages(&[QEMU, CMAKE, LIBCLANG, GDB, STM32FLASH])?,
        Tier::Qemu => ensure_packages(&[QEMU, CMAKE, LIBCLANG, GDB])?,
        // The twin's Unicorn build needs cmake and libclang; its AN3155 test, stm32flash.
        Tier::Twin | Tier::TwinSystem => ensure_packages(&[CMAKE, LIBCLANG, STM32FLASH])?,
        Tier::TwinModel | Tier::Boards => ensure_packages(&[CMAKE, LIBCLANG])?,
        Tier::Host | Tier::Lint | Tier::Fuzz => {}
    }
    let root = repository_root();
    let lints = wants(Tier::Lint) && !arguments.no_lints;
    if lints {
        step("format (host)");
        run_checked(cargo().current_dir(root).args(["fmt", "--all", "--check"]))?;
        step("format (firmware)");
        run_checked(
            cargo()
                .current_dir(firmware_directory())
                .args(["fmt", "--all", "--check"]),
        )?;
    }
    if wants(Tier::Qemu) || wants(Tier::Twin) || tier == Tier::TwinSystem {
        step("firmware builds");
        build_firmware()?;
    }
    if wants(Tier::Qemu) {
        step("size and boot budgets of the bootloader builds");
        crate::budgets::check()?;
        step("negative link test: an oversized bootloader must not link");
        oversized_bootloader_fails_to_link()?;
    }
    if lints {
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
        step("supply chain: licenses, bans and sources of what ships (cargo deny)");
        crate::supply_chain::check()?;
    }
    match tier {
        Tier::All => {
            step("host tests (unit, property, sweeps, QEMU and twin system tests)");
            cargo_test(&["--workspace"])?;
        }
        Tier::Host => {
            step("host tests (unit, property, sweeps, link simulations)");
            cargo_test(&[
                "--workspace",
                "--exclude",
                TWIN_PACKAGE,
                "--exclude",
                QEMU_PACKAGE,
            ])?;
        }
        Tier::Qemu => {
            step("QEMU system tests of the real binaries");
            cargo_test(&["-p", QEMU_PACKAGE])?;
        }
        Tier::Twin => {
            step("F429 twin: model tests and system tests of the real binaries");
            build_host_tool()?;
            cargo_test(&["-p", TWIN_PACKAGE])?;
        }
        Tier::TwinModel => {
            step("F429 twin: model tests (no firmware)");
            let mut selection = vec!["-p", TWIN_PACKAGE, "--lib", "--bins"];
            for test in TWIN_MODEL_TESTS {
                selection.extend(["--test", test]);
            }
            cargo_test(&selection)?;
        }
        Tier::TwinSystem => {
            step("F429 twin: system tests of the real binaries");
            build_host_tool()?;
            let mut selection = vec!["-p", TWIN_PACKAGE];
            for test in TWIN_SYSTEM_TESTS {
                selection.extend(["--test", test]);
            }
            cargo_test(&selection)?;
        }
        Tier::Boards => {
            step("board matrix: every board's single-slot and overwrite builds");
            for layout in slingshot_layout::ALL_LAYOUTS {
                if layout.update_mode == slingshot_layout::UpdateMode::DualSlot {
                    continue;
                }
                build::run(BuildArguments {
                    board: Some(layout.board.name.into()),
                    layout: LayoutChoice::of(layout.update_mode),
                    ..Default::default()
                })?;
            }
            step("board matrix: each boots and updates over serial on its twin");
            build_host_tool()?;
            cargo_test(&[
                "-p",
                TWIN_PACKAGE,
                "--test",
                "other_boards",
                "--test",
                "overwrite_boards",
                "--",
                "--ignored",
            ])?;
        }
        Tier::Lint | Tier::Fuzz => {}
    }
    if wants(Tier::Host) {
        step("Ed25519 verifier of the bootloader (slingshot-image with feature salty)");
        cargo_test(&["-p", "slingshot-image", "--features", "salty"])?;
        step("the bootloader's bitwise CRC-32 (slingshot-checksum with feature small)");
        cargo_test(&["-p", "slingshot-checksum", "--features", "small"])?;
    }
    if wants(Tier::Fuzz) {
        step("fuzzing: every parser for a short, fixed-seed run");
        crate::fuzz::run(crate::fuzz::FuzzArguments {
            seconds: arguments.fuzz_seconds,
            target: None,
        })?;
    }
    eprintln!("\nxtask: every check and test of tier {tier:?} passed");
    Ok(())
}

/// The crate of the QEMU system tests.
const QEMU_PACKAGE: &str = "slingshot-qemu-tests";
/// The twin's crate (model and system tests).
const TWIN_PACKAGE: &str = "slingshot-twin";

/// The twin's model tests: peripherals and core against the assembly programs of
/// `twin/tests/programs`, no firmware needed (`cargo xtask test twin-model`).
const TWIN_MODEL_TESTS: &[&str] = &[
    "clocks",
    "core_exceptions",
    "dma",
    "flash_controller",
    "flash_files",
    "flash_sim_comparison",
    "flash_stalls",
    "instruction_count",
    "it_page_crossing",
    "it_state",
    "models",
    "power_cuts",
    "resets",
    "unmodelled",
    "usart",
];

/// The twin's system tests: the real bootloader and application built by `cargo xtask build`.
const TWIN_SYSTEM_TESTS: &[&str] = &[
    "boot_time",
    "cli",
    "errata",
    "firmware_boot",
    "install_power_cuts",
    "memory_functions",
    "other_boards",
    "overwrite_boards",
    "protect",
    "serial_benchmark",
    "serial_faults",
    "serial_relay",
    "serial_tcp",
    "serial_timing",
    "serial_update",
    "stm32flash",
    "watchdog_option",
];

/// The `slingshot` binary the serial relay test runs as a separate process (`cargo test
/// --workspace` builds it anyway, for slingshot-cli's own tests).
fn build_host_tool() -> Result<()> {
    run_checked(cargo().current_dir(repository_root()).args([
        "build",
        "--release",
        "-p",
        "slingshot-cli",
        "--bin",
        "slingshot",
    ]))
}

/// `cargo test --release --no-fail-fast` with `selection` in the host workspace.
fn cargo_test(selection: &[&str]) -> Result<()> {
    run_checked(
        cargo()
            .current_dir(repository_root())
            .args(["test", "--release", "--no-fail-fast"])
            .args(selection),
    )
}

/// The standard builds the system tests run: default, quiet and single-slot for the
/// Nucleo-F429ZI, the single-slot builds of the STM32F4DISCOVERY, Nucleo-F401RE and
/// Nucleo-F412ZG, and the overwrite builds of the last two.
fn build_firmware() -> Result<()> {
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
    // Other boards: the STM32F4DISCOVERY (QEMU's F405 machine boots it), the Nucleo-F401RE
    // and the Nucleo-F412ZG (their twins boot, update and cut power).
    for board in ["stm32f4discovery", "nucleo-f401re", "nucleo-f412zg"] {
        build::run(BuildArguments {
            board: Some(board.into()),
            layout: LayoutChoice::Single,
            ..Default::default()
        })?;
    }
    for board in ["nucleo-f401re", "nucleo-f412zg"] {
        build::run(BuildArguments {
            board: Some(board.into()),
            layout: LayoutChoice::Overwrite,
            ..Default::default()
        })?;
    }
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

#[cfg(test)]
mod tests {
    use super::{TWIN_MODEL_TESTS, TWIN_SYSTEM_TESTS};
    use crate::process::repository_root;

    #[test]
    fn every_twin_test_file_is_in_exactly_one_tier() {
        let directory = repository_root().join("twin/tests");
        let mut files: Vec<String> = std::fs::read_dir(&directory)
            .expect("twin/tests")
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(String::from))?
            })
            .collect();
        files.sort();
        let mut listed: Vec<String> = TWIN_MODEL_TESTS
            .iter()
            .chain(TWIN_SYSTEM_TESTS)
            .map(|name| name.to_string())
            .collect();
        listed.sort();
        assert_eq!(
            files, listed,
            "twin/tests/*.rs and the model and system lists of xtask/src/test.rs differ"
        );
    }
}
