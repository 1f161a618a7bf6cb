//! A bootloader that cannot fit its 32 KB partition: it must FAIL TO LINK with the layout's
//! message. `cargo xtask test` builds it and expects that failure (a negative link test, as
//! cortex-m-rt keeps for its own linker script).
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use cortex_m_rt::entry;

/// 40 KB of read-only data: more than the whole bootloader partition.
static PADDING: [u8; 40 * 1024] = [0x5A; 40 * 1024];

#[entry]
fn main() -> ! {
    let index = cortex_m::peripheral::SYST::get_current() as usize % PADDING.len();
    let byte = core::hint::black_box(&PADDING)[index];
    loop {
        core::hint::black_box(byte);
    }
}

#[panic_handler]
fn panic(_information: &core::panic::PanicInfo) -> ! {
    loop {}
}
