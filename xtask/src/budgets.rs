//! The bootloader's budgets, checked by `cargo xtask test`: flash of each standard build and
//! the instructions of the quiet validate-and-jump from reset to the application.
//!
//! The linker script already refuses a bootloader larger than its 32 KB partition. The
//! default builds — every feature, dual-slot and single-slot — must fit [`DEFAULT_BUDGET`],
//! 24,576 bytes, so that 8 KB of the partition stay free for what comes next (reached on
//! 2026-12-06; docs/BENCHMARKS.md and docs/SIZE_HISTORY.md have the figures and how).

use crate::build;
use crate::size;
use anyhow::{bail, Result};
use slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT;

/// The default builds' flash budget in bytes (every feature in 24 KB).
pub const DEFAULT_BUDGET: u64 = 24_576;
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
        let artifacts = build::run(arguments)?;
        let [(_, bootloader), _] = size::measure_both(layout, &artifacts)?;
        let budget = if quiet { QUIET_BUDGET } else { DEFAULT_BUDGET };
        eprintln!(
            "budget: bootloader, {name}: {} B of flash (budget {budget} B, {} B free)",
            bootloader.flash,
            budget.saturating_sub(bootloader.flash)
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
