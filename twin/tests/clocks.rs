//! Clocks and the cycle counter (`programs/clocks.s`): the PLL at 168 MHz becomes the system
//! clock after its modelled lock time, and flash wait states cost cycles unless the ART
//! accelerator is on.

mod common;

use common::{twin_with, word};
use slingshot_twin::Stop;

#[test]
fn wait_states_at_168_mhz_cost_cycles_without_the_art_accelerator() {
    let mut twin = twin_with(include_bytes!("programs/clocks.bin"));
    assert_eq!(twin.run(1_000_000).expect("run"), Stop::Breakpoint);
    assert_eq!(twin.board().core_clock_hz(), 168_000_000);
    assert_eq!(twin.board().apb1_clock_hz(), 42_000_000);
    // 300 loop instructions plus the load of CYCCNT that ends the measurement: 301
    // instructions at 1 + 5 cycles, then at 1 cycle with PRFTEN and ICEN.
    assert_eq!(word(&twin, 0x2000_0000), 301 * 6);
    assert_eq!(word(&twin, 0x2000_0004), 301);
    assert!(
        twin.board().diagnostics.is_empty(),
        "{:?}",
        twin.board().diagnostics
    );
    // The PLL took its 100 µs to lock (polled at 16 MHz: at least 1600 cycles).
    assert!(twin.board().picoseconds() > 100_000_000);
}
