//! The bootloader's budgets, checked by `cargo xtask test`: flash of each standard build and
//! the instructions of the quiet validate-and-jump from reset to the application.
//!
//! The linker script already refuses a bootloader larger than its 32 KB partition. The
//! default build's goal is 24,576 bytes (8 KB of the partition kept free for what comes next).
//! The single-slot default build (every feature of its layout) has reached it and is held to
//! it; until the dual-slot default build reaches it too, [`DEFAULT_CEILING`] stops that one
//! from growing, and each step down lowers the ceiling (docs/BENCHMARKS.md and
//! docs/SIZE_HISTORY.md have the figures).

use crate::build;
use crate::size;
use anyhow::{bail, Result};
use slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT;

/// The default build's goal in bytes of flash (every feature in 24 KB).
pub const DEFAULT_GOAL: u64 = 24_576;
/// The default build may not grow past this while the goal is not reached (bytes). Each
/// change that raised or lowered it, with its commit and its before and after, is in
/// docs/SIZE_HISTORY.md (the last: a memory-mapped slot hashed in one piece, 24,732 ->
/// 24,596 B); only that file keeps the history.
pub const DEFAULT_CEILING: u64 = 24_596;
/// The quiet validate-and-jump's flash budget (bytes).
pub const QUIET_BUDGET: u64 = 1_126;
/// Instructions the quiet validate-and-jump may take from reset to the application.
pub const QUIET_INSTRUCTIONS: usize = 300;

/// Build each standard bootloader and check it against its budget.
pub fn check() -> Result<()> {
    let mut failures = Vec::new();
    for (name, arguments) in size::standard_builds() {
        let layout = arguments.resolved_layout()?;
        let quiet = arguments.quiet;
        let single_slot = matches!(arguments.layout, build::LayoutChoice::Single);
        let artifacts = build::run(arguments)?;
        let [(_, bootloader), _] = size::measure_both(layout, &artifacts)?;
        let budget = if quiet {
            QUIET_BUDGET
        } else if single_slot {
            DEFAULT_GOAL
        } else {
            DEFAULT_CEILING
        };
        eprintln!(
            "budget: bootloader, {name}: {} B of flash (budget {budget} B{})",
            bootloader.flash,
            if quiet || single_slot {
                String::new()
            } else {
                format!(
                    "; goal {DEFAULT_GOAL} B, {} B to go",
                    bootloader.flash.saturating_sub(DEFAULT_GOAL)
                )
            }
        );
        if bootloader.flash > budget {
            failures.push(format!(
                "bootloader, {name}: {} B of flash, over its budget of {budget} B by {} B \
                 (`cargo xtask size --breakdown` shows where the bytes go)",
                bootloader.flash,
                bootloader.flash - budget
            ));
        }
        if quiet && layout.name == NUCLEO_F429ZI_DUAL_SLOT.name {
            let instructions = crate::bench::boot_instructions(&artifacts)?;
            eprintln!(
                "budget: quiet validate-and-jump: {instructions} instructions from reset to \
                 the application (budget {QUIET_INSTRUCTIONS})"
            );
            if instructions > QUIET_INSTRUCTIONS {
                failures.push(format!(
                    "the quiet validate-and-jump takes {instructions} instructions from reset \
                     to the application, over its budget of {QUIET_INSTRUCTIONS}"
                ));
            }
        }
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(())
}
