//! Exception entry and return through SysTick with a relocated vector table
//! (`programs/systick.s`).

mod common;

use common::{twin_with, word};
use slingshot_twin::Stop;

#[test]
fn systick_interrupts_are_taken_through_the_relocated_vector_table() {
    let mut twin = twin_with(include_bytes!("programs/systick.bin"));
    let stop = twin.run(1_000_000).expect("run");
    assert_eq!(stop, Stop::Breakpoint, "pc 0x{:08x}", twin.pc());
    assert_eq!(word(&twin, 0x2000_0000), 10, "interrupts counted");
    // The stacked return address lies in the wfi loop, the stacked xPSR has the Thumb bit.
    let stacked_pc = word(&twin, 0x2000_0004);
    assert!(
        (0x0800_0008..0x0800_0060).contains(&stacked_pc),
        "stacked pc 0x{stacked_pc:08x}"
    );
    assert_eq!(word(&twin, 0x2000_0008) & (1 << 24), 1 << 24);
    // Ten ticks of 1000 cycles: WFI skipped the idle time, so few instructions ran.
    assert!(twin.cycles() >= 10_000, "cycles {}", twin.cycles());
    assert!(
        twin.instructions() < 1_000,
        "instructions {}",
        twin.instructions()
    );
    // Back in thread mode on the main stack with the stack pointer restored.
    assert_eq!(twin.register(unicorn_engine::RegisterARM::IPSR), 0);
    assert_eq!(twin.register(unicorn_engine::RegisterARM::SP), 0x2000_1000);
}
