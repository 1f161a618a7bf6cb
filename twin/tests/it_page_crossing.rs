//! IT blocks that cross a translation page keep their conditions, whatever the run length and
//! wherever interrupts arrive (`programs/it_page_crossing.s`).
//!
//! Regression test for a twin bug found on 2026-12-05: the TLB hook cleared the IT state also
//! after an instruction fetch's fill, which comes between translated blocks, when a block that
//! ended inside an IT block has just stored the IT state its successor needs. A run that then
//! stopped before that successor ran resumed with the conditions lost, so skipped instructions
//! ran: the example application printed rodata garbage and the Nucleo-F411RE and -F412ZG
//! bootloaders stopped answering, depending only on code layout.

mod common;

use common::{run_to_breakpoint, twin_with_systick, word};
use slingshot_twin::Twin;
use unicorn_engine::RegisterARM;

const PROGRAM: &[u8] = include_bytes!("programs/it_page_crossing.bin");
/// Where the SysTick handler counts its interrupts.
const TICKS_ADDRESS: u32 = 0x2000_0000;
/// IT blocks, each crossing into a page the core has not run before.
const BLOCKS: u32 = 16;

fn started(reload: u32) -> Twin {
    twin_with_systick(PROGRAM, reload)
}

fn assert_results(twin: &Twin, context: &str) {
    assert_eq!(
        twin.register(RegisterARM::R4),
        0,
        "{context}: instructions whose condition failed ran"
    );
    assert_eq!(
        twin.register(RegisterARM::R5),
        2 * BLOCKS,
        "{context}: instructions whose condition held were skipped"
    );
}

#[test]
fn conditions_survive_every_run_length() {
    for step in 1..=40 {
        let mut twin = started(0);
        run_to_breakpoint(&mut twin, step);
        assert_results(&twin, &format!("runs of {step}"));
    }
}

#[test]
fn conditions_survive_interrupts_at_every_phase() {
    for reload in 10..=40 {
        for step in [1, 7, 1_000] {
            let mut twin = started(reload);
            run_to_breakpoint(&mut twin, step);
            let context = format!("SysTick reload {reload}, runs of {step}");
            assert_results(&twin, &context);
            assert!(
                word(&twin, TICKS_ADDRESS) > 0,
                "{context}: no SysTick interrupt"
            );
        }
    }
}
