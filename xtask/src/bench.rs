//! `cargo xtask bench`: measure and write `docs/BENCHMARKS.md`, every figure with the
//! command that reproduces it. Counts (bytes, instructions) rather than wall-clock time:
//! CI machines are shared and noisy, QEMU's instruction count is exact.

use crate::build::{self, Artifacts, BuildArguments, LayoutChoice};
use crate::prerequisites::{ensure_packages, QEMU};
use crate::process::repository_root;
use crate::size;
use anyhow::{Context, Result};
use clap::Args;
use slingshot_layout::{NUCLEO_F429ZI_DUAL_SLOT, NUCLEO_F429ZI_SINGLE_SLOT};
use slingshot_testkit::qemu::{count_instructions_to, Machine};
use std::fmt::Write as _;

/// Arguments of `cargo xtask bench`.
#[derive(Args)]
pub struct BenchArguments {
    /// Print the report instead of writing docs/BENCHMARKS.md.
    #[arg(long)]
    print: bool,
}

/// The application's reset handler address (vector word 1 without the Thumb bit).
fn reset_handler(artifacts: &Artifacts) -> Result<u32> {
    let binary = std::fs::read(artifacts.signed_application())?;
    let word = binary
        .get(4..8)
        .context("the application binary is shorter than 8 bytes")?;
    Ok(u32::from_le_bytes(word.try_into()?) & !1)
}

/// Instructions QEMU executes from reset to the first instruction of the application.
pub(crate) fn boot_instructions(artifacts: &Artifacts) -> Result<usize> {
    let machine = Machine::new(&artifacts.bootloader).with_raw_image(
        &artifacts.signed_application(),
        NUCLEO_F429ZI_DUAL_SLOT.partitions.primary.start,
    );
    count_instructions_to(machine, reset_handler(artifacts)?)
}

/// Measure everything and write the report.
pub fn run(arguments: BenchArguments) -> Result<()> {
    ensure_packages(&[QEMU])?;
    let mut report = String::new();
    writeln!(report, "# Slingshot benchmarks\n")?;
    writeln!(
        report,
        "Written by `cargo xtask bench`; each figure names the command that reproduces it. \
         Sizes are bytes of flash (code, read-only data and initial values of `.data`); \
         instruction counts are exact, from QEMU's per-instruction trace \
         (`-icount shift=0,sleep=off -singlestep -d exec,nochain`). Modelled time on the \
         chip is instructions ÷ clock (16 MHz HSI after reset).\n"
    )?;
    foundation(&mut report)?;
    flash_breakdown(&mut report)?;
    crate::feature_costs::section(&mut report)?;
    crate::reports::external_sections(&mut report)?;
    writeln!(report, "{}", include_str!("bench_notes.md"))?;
    crate::reports::signing_time(&mut report)?;
    writeln!(
        report,
        "## Crypto options for the bootloader\n\nFlash size and instructions of each Ed25519 \
         backend (salty, ed25519-compact) and SHA-256 implementation (sha2 unrolled or compact, \
         the Thumb-2 assembly block function) are measured by \
         `firmware/crypto-bench/measure.sh` (needs `arm-none-eabi-size` from Debian's \
         binutils-arm-none-eabi); the table and the per-round instruction breakdown are in \
         docs/IMAGE_FORMAT.md. The assembly SHA-256's 27.18 instructions per byte are checked \
         by `cargo test -p slingshot-qemu-tests --test sha256_firmware` on every test run.\n"
    )?;
    if arguments.print {
        print!("{report}");
    } else {
        let path = repository_root().join("docs/BENCHMARKS.md");
        slingshot_files::write_atomically(&path, report.as_bytes())?;
        eprintln!("xtask: wrote {}", path.display());
    }
    Ok(())
}

fn foundation(report: &mut String) -> Result<()> {
    writeln!(report, "## Bootloader size and boot time\n")?;
    writeln!(
        report,
        "| build | layout | flash | budget | RAM statics | instructions reset → application | at 16 MHz |"
    )?;
    writeln!(report, "|---|---|---|---|---|---|---|")?;
    for (name, arguments, layout) in [
        (
            "quiet (no logging)",
            BuildArguments {
                layout: LayoutChoice::Dual,
                quiet: true,
                ..Default::default()
            },
            &NUCLEO_F429ZI_DUAL_SLOT,
        ),
        (
            "default (every feature)",
            BuildArguments {
                layout: LayoutChoice::Dual,
                quiet: false,
                ..Default::default()
            },
            &NUCLEO_F429ZI_DUAL_SLOT,
        ),
        (
            "quiet (no logging)",
            BuildArguments {
                layout: LayoutChoice::Single,
                quiet: true,
                ..Default::default()
            },
            &NUCLEO_F429ZI_SINGLE_SLOT,
        ),
    ] {
        let artifacts = build::run(arguments.clone())?;
        let [(_, bootloader), _] = size::measure_both(layout, &artifacts)?;
        // The default build verifies the signed image (millions of instructions): its boot
        // count comes from the streaming measurement in crates/slingshot-qemu-tests/tests/
        // boot_instructions.rs; the per-line trace used here is for the short quiet path.
        let instructions = if arguments.layout == LayoutChoice::Dual && arguments.quiet {
            let count = boot_instructions(&artifacts)?;
            format!("{count} | {:.1} µs", count as f64 / 16.0)
        } else {
            "— | —".to_owned()
        };
        writeln!(
            report,
            "| {name} | {} | {} B | {} B | {} B | {instructions} |",
            layout.name, bootloader.flash, bootloader.flash_budget, bootloader.ram
        )?;
    }
    writeln!(
        report,
        "\nBudgets, checked by `cargo xtask test` (xtask/src/budgets.rs): the quiet \
         validate-and-jump ≤ {} B of flash and ≤ {} instructions from reset to the \
         application's reset handler; the default builds (logging, verification, serial \
         update service with AN3155, dual-slot engine or single-slot install, watchdog on \
         trial, verification on the PLL) ≤ {} B (every feature in 24 KB, 8 KB of the \
         partition free).\n\n\
         Reproduce: `cargo xtask bench` (this table), `cargo xtask size` (sizes alone).\n",
        crate::budgets::QUIET_BUDGET,
        crate::budgets::QUIET_INSTRUCTIONS,
        crate::budgets::DEFAULT_BUDGET,
    )?;
    Ok(())
}

/// For each standard bootloader build, the top lines of `cargo xtask size --breakdown`.
fn flash_breakdown(report: &mut String) -> Result<()> {
    writeln!(report, "## Where the bootloader's flash goes\n")?;
    writeln!(
        report,
        "Bytes per crate and the largest functions and data objects, read from each ELF's \
         symbols after link-time optimisation (code inlined into a caller counts for the \
         caller; `[no symbol]` is mostly string literals and padding). Earlier states are \
         kept in docs/SIZE_HISTORY.md.\n\nReproduce: `cargo xtask size --breakdown` (every \
         crate and the 20 largest objects).\n"
    )?;
    for (name, arguments) in size::standard_builds() {
        let artifacts = build::run(arguments)?;
        let bytes = std::fs::read(&artifacts.bootloader)
            .with_context(|| format!("reading {}", artifacts.bootloader.display()))?;
        let breakdown = crate::breakdown::analyse(&bytes)?;
        writeln!(
            report,
            "{}",
            breakdown.to_markdown(&format!("**Bootloader, {name}**"), 8, 10)
        )?;
    }
    Ok(())
}
