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
/// The default build may not grow past this while the goal is not reached (bytes).
/// Raised by 60 B for the bank-2 read erratum workaround of early revisions (ES0206 §2.2.11:
/// 27,992 -> 28,056 B), by 860 B for `slingshot protect` and the chip block of the info
/// reply (option bytes: 28,056 -> 28,920 B) and by 140 B for the flash driver's partition
/// grants (28,920 -> 29,064 B), all `cargo xtask size`, 2026-12-05; lowered when the layout
/// stopped reaching flash whole (29,064 -> 28,892 B) and when the hardware edge came from the
/// board table (28,892 -> 28,828 B); raised by 304 B for the check that the chip is the part
/// the build is for (DEV_ID or flash size; 28,828 -> 29,152 B); lowered when a verifier's
/// rejection became the image format's typed error (29,148 -> 28,948 B); raised by 20 B when
/// the update admission and the trailer parser came to share one copy of the descriptor's
/// structure checks (`Descriptor::check_structure`; 28,948 -> 28,968 B) and by 32 B when the
/// journal decoder refused non-canonical records, a fuzzing finding (28,968 -> 29,000 B);
/// raised by 1,824 B for ST's serial bootloader protocol (AN3155) on the same port, so that
/// stm32flash and STM32CubeProgrammer work through Slingshot (29,000 -> 30,824 B), and by
/// 112 B when its writes stopped programming a word twice, a fuzzing finding (30,936 B), and
/// by 168 B for its 8E1 framing, the ROM's and stm32flash's default (31,104 B); raised by
/// 48 B when the device's selective acknowledgement learnt to follow frames shorter than a
/// chunk, which the host sends on a noisy line (31,096 -> 31,144 B). Lowered by 376 B when the
/// bootloader got a one-entry interrupt table instead of the PAC's 91 (31,208 -> 30,832 B), and
/// by 292 B when slingshot-stm32's drivers took zero-sized register handles instead of the
/// PAC's `Peripherals::steal`, which stores its "taken" flag at every call (30,540 B), and by
/// 272 B when the flash driver's error became one byte, returned in a register (30,268 B), and
/// by 244 B when the journal and the swap steps returned a one-byte `FlashFailure` (30,024 B),
/// and by 120 B for four small functions that had been inlined at several callers (29,904 B),
/// and by 120 B when Ed25519's SHA-512 became a one-shot function of slingshot-image instead of
/// sha2's compact backend behind its `Digest` buffering (29,784 B), and by 116 B for two more
/// constructors out of line (the tracked flash driver, the SHA-256 hasher; 29,668 B), and by
/// 160 B when SHA-256's round constants were stored once for SHA-256 and SHA-512 (29,508 B),
/// and by 208 B when the refusal messages became one catalogue looked up by code (29,300 B),
/// and by 128 B when every line went through one printer of compile-time formats (29,172 B),
/// and by 112 B when the message queue became atomics instead of a `Mutex<RefCell<…>>`
/// (29,060 B), and by 116 B for LLVM's outliner everywhere, LLD's identical-code folding and
/// an inline threshold of 35 (28,944 B), and by 204 B when `FlashGeometry::sectors_in` became
/// a run of the sector table instead of a filter over all of it (28,740 B), and by 92 B for a
/// small `memcmp` (28,648 B), and by 40 B when SHA-256's padding went through `update`
/// (28,608 B), and by 48 B for one "update engine off" format (28,560 B), and by 88 B for one
/// digit loop for decimal and hex numbers in the lines (28,472 B), and by 48 B when a primary
/// sector's twin was found by its offset into the secondary slot (28,424 B), and by 100 B when
/// the info reply's fields went out in fixed-size groups (28,324 B), and by 140 B when the
/// other replies did too (28,184 B), and by 28 B when the info reply became one array
/// (28,156 B), and by 40 B when the update service read the journal once for the
/// anti-rollback minimum (28,116 B), and by 68 B for an inline threshold of 40 (28,048 B), and
/// by 160 B for a plain flag in the message queue and slingshot-protocol at "z" (27,888 B),
/// and by 76 B when Ed25519's decoding compared canonical encodings (27,812 B), and by 44 B
/// for the flash status decoded by a chain of tests (27,768 B), and by 72 B for one out-of-line
/// byte collector in the AN3155 session (27,696 B), and by 300 B for nine functions out of line
/// that LLVM had inlined at several callers, found by trying every function (27,396 B), and by
/// 124 B when three earlier `#[inline(never)]` were dropped again (27,272 B), and by 76 B for
/// the protocol device's byte intake out of line (27,196 B).
pub const DEFAULT_CEILING: u64 = 27_196;
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
