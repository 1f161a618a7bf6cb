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

#[test]
fn floating_point_state_is_stacked_and_restored_with_the_extended_frame() {
    let mut twin = twin_with(include_bytes!("programs/fp_frame.bin"));
    assert_eq!(
        twin.run(100_000).expect("run"),
        Stop::Breakpoint,
        "pc 0x{:08x}",
        twin.pc()
    );
    assert_eq!(
        word(&twin, 0x2000_0000),
        0xFFFF_FFE9,
        "EXC_RETURN: thread, MSP, FP frame"
    );
    assert_eq!(
        word(&twin, 0x2000_0008),
        1.5f32.to_bits(),
        "S0 stacked at +0x20"
    );
    assert_eq!(
        word(&twin, 0x2000_0004),
        1.5f32.to_bits(),
        "S0 restored on return"
    );
}
