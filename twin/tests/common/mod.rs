//! Helpers shared by the twin's integration tests: load a pre-assembled program (see
//! `programs/*.s`, rebuilt by `programs/build.sh`) at the start of flash and power on.

use slingshot_files::MemoryImage;
use slingshot_twin::{Stop, Twin, TwinConfig};

/// A powered-on twin running `program` from 0x0800_0000.
pub fn twin_with(program: &[u8]) -> Twin {
    let mut twin = Twin::new(TwinConfig {
        strict: true,
        seed: 7,
        ..TwinConfig::default()
    })
    .expect("twin");
    let image = MemoryImage::from_binary(program, 0x0800_0000).expect("image");
    twin.load_flash_image(&image).expect("load");
    twin.power_on().expect("power on");
    twin
}

/// [`twin_with`] for a program that provokes model diagnostics on purpose (the flash error
/// sequences of `programs/flash_errors.s`): strict about unmodelled accesses only.
#[allow(dead_code)]
pub fn twin_expecting_diagnostics(program: &[u8]) -> Twin {
    let mut twin = twin_with(program);
    twin.expect_diagnostics();
    twin
}

/// A little-endian word of RAM.
pub fn word(twin: &Twin, address: u32) -> u32 {
    let bytes = twin.read_memory(address, 4).expect("read");
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Where the SysTick programs (`it_state.s`, `it_page_crossing.s`) read their reload value
/// (0: no SysTick).
#[allow(dead_code)]
pub const SYSTICK_RELOAD_ADDRESS: u32 = 0x2000_0010;

/// [`twin_with`] for a program that reads its SysTick reload from
/// [`SYSTICK_RELOAD_ADDRESS`] (RAM is random after power-on).
#[allow(dead_code)]
pub fn twin_with_systick(program: &[u8], reload: u32) -> Twin {
    let mut twin = twin_with(program);
    twin.write_memory(SYSTICK_RELOAD_ADDRESS, &reload.to_le_bytes())
        .expect("write reload");
    twin
}

/// Runs the program in runs of `step` instructions until its `bkpt`; returns the
/// instructions executed.
#[allow(dead_code)]
pub fn run_to_breakpoint(twin: &mut Twin, step: u64) -> u64 {
    for _ in 0..1_000_000 {
        match twin.run(step).expect("run") {
            Stop::Breakpoint => return twin.instructions(),
            Stop::InstructionLimit => {}
            other => panic!("unexpected stop {other:?} at pc 0x{:08x}", twin.pc()),
        }
    }
    panic!("no bkpt after a million runs of {step}")
}
