//! IT-block state is the same whatever the run length (`programs/it_state.s`).
//!
//! Regression test for a twin bug that made the real bootloader fail only with long runs
//! (`Twin::run(1000)` and up): a load inside an IT block that missed Unicorn's TLB left the
//! block's IT state in the CPU state, and the next indirect branch or SVC made the first
//! instructions after it conditional (so they were skipped). Stops restore the IT state of the
//! stop instruction, which hid the bug at small run lengths. The program takes 128 such TLB
//! misses; every run length, and SysTick interrupts at every phase of its loop, must give the
//! same result and the same instruction count. It also checks that exception return restores
//! the SIMD GE flags (APSR[19:16]) the handler changed.

mod common;

use common::{run_to_breakpoint, twin_with_systick, word};
use slingshot_twin::Twin;
use unicorn_engine::RegisterARM;

const PROGRAM: &[u8] = include_bytes!("programs/it_state.bin");
/// Where the SysTick handler counts its interrupts.
const TICKS_ADDRESS: u32 = 0x2000_0000;
/// Loop iterations: 128 KB of flash read 1 KB apart, two pages per iteration.
const ITERATIONS: u32 = 64;
/// Instructions per iteration: 7 up to and including `blx`, 3 in `target`, 6 up to and
/// including `svc`, 3 in the SVC handler, `adds` and `b`.
const INSTRUCTIONS_PER_ITERATION: u64 = 21;
/// Instructions after the loop: `cmp`, `bcs`, 3 up to and including `svc`, 3 in the SVC
/// handler, `movs`, `sel`, `bkpt`.
const EPILOGUE: u64 = 11;

fn started(reload: u32) -> Twin {
    twin_with_systick(PROGRAM, reload)
}

fn assert_loop_results(twin: &Twin, context: &str) {
    assert_eq!(
        twin.register(RegisterARM::R4),
        2 * ITERATIONS,
        "{context}: instructions after an indirect call were skipped"
    );
    assert_eq!(
        twin.register(RegisterARM::R7),
        ITERATIONS,
        "{context}: instructions after an SVC return were skipped"
    );
    assert_eq!(twin.register(RegisterARM::R1), 0x0803_0000, "{context}");
    assert_eq!(
        twin.register(RegisterARM::R5),
        twin.register(RegisterARM::R6),
        "{context}: GE flags not restored by the return from an SVC handler that cleared them"
    );
    assert_eq!(
        twin.register(RegisterARM::XPSR) & 0x0600_FC00,
        0,
        "{context}: IT bits at bkpt"
    );
}

#[test]
fn results_and_counts_do_not_depend_on_the_run_length() {
    // Prologue: 5 instructions to the `cbz` that skips SysTick, 5 set-up instructions; after
    // the loop, the epilogue.
    let expected = 10 + u64::from(ITERATIONS) * INSTRUCTIONS_PER_ITERATION + EPILOGUE;
    for step in [1, 2, 3, 4, 5, 6, 7, 8, 13, 16, 19, 100, 1_000, 100_000] {
        let mut twin = started(0);
        let executed = run_to_breakpoint(&mut twin, step);
        let context = format!("runs of {step}");
        assert_loop_results(&twin, &context);
        assert_eq!(executed, expected, "{context}: instructions");
    }
}

#[test]
fn results_do_not_depend_on_where_interrupts_arrive() {
    // Reloads of 20..=59 (periods of 21..=60 cycles, one instruction per cycle at 16 MHz) put
    // SysTick interrupts at every instruction boundary of the 21-instruction loop.
    for reload in 20..=59 {
        for step in [1, 1_000] {
            let mut twin = started(reload);
            let executed = run_to_breakpoint(&mut twin, step);
            let context = format!("SysTick reload {reload}, runs of {step}");
            assert_loop_results(&twin, &context);
            let ticks = word(&twin, TICKS_ADDRESS);
            assert!(ticks > 0, "{context}: no SysTick interrupt");
            // SysTick set-up adds 6 instructions, each interrupt runs the 5-instruction handler;
            // nothing else changes.
            assert_eq!(
                executed,
                10 + 6
                    + u64::from(ITERATIONS) * INSTRUCTIONS_PER_ITERATION
                    + EPILOGUE
                    + 5 * u64::from(ticks),
                "{context}: instructions ({ticks} interrupts)"
            );
        }
    }
}
