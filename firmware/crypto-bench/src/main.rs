//! Measures, in QEMU with `-icount shift=0` (one virtual nanosecond per instruction, TIM2
//! clocked at 1 GHz, so TIM2 counts executed instructions): SHA-256 instructions per byte,
//! one Ed25519 verification over a 32-byte digest, and `slingshot_image::verify_slot` on a
//! whole signed image. Prints the counts over semihosting and exits.
//!
//! SHA-256 runs through `slingshot_image`'s pluggable engine: sha2's block function, or with
//! feature `sha-asm` the Cortex-M4 assembly of `firmware/stm32/src/sha256.rs`.
#![no_std]
#![no_main]
// The only unsafe code is the assembly's call in `firmware/stm32/src/sha256.rs`, compiled
// here as a module with feature `sha-asm` (a path dependency on slingshot-stm32 next to
// slingshot-image does not resolve: see firmware/sha256-test/Cargo.toml).
#![deny(unsafe_code)]

use core::hint::black_box;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use stm32f4::stm32f405 as pac;

/// The SHA-256 assembly of the hardware crate, `slingshot_stm32::sha256`.
#[cfg(feature = "sha-asm")]
#[allow(unsafe_code)]
#[path = "../../stm32/src/sha256.rs"]
mod sha256;

/// The block function under measurement: the assembly.
#[cfg(feature = "sha-asm")]
struct Engine;

#[cfg(feature = "sha-asm")]
impl slingshot_image::Sha256Engine for Engine {
    fn compress(state: &mut [u32; 8], blocks: &[[u8; 64]]) {
        sha256::compress(state, blocks, &slingshot_image::SHA256_ROUND_CONSTANTS);
    }

    fn compress_bytes(state: &mut [u32; 8], data: &[u8]) {
        sha256::compress_bytes(state, data, &slingshot_image::SHA256_ROUND_CONSTANTS);
    }
}

/// The block function under measurement: sha2's software backend.
#[cfg(not(feature = "sha-asm"))]
type Engine = slingshot_image::Sha2Engine;

/// The signed image (built by build.rs).
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/image.bin"));
/// Its public key.
static KEY: &[u8; 32] = include_bytes!(concat!(env!("OUT_DIR"), "/key.bin"));

/// Wait forever (after semihosting exit, which QEMU never returns from).
fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    halt()
}

/// Instructions spent in `work` (TIM2 counts instructions under icount shift=0), minus the
/// cost of reading the counter twice.
fn count(timer: &pac::TIM2, work: impl FnOnce()) -> u32 {
    let start = timer.cnt().read().bits();
    work();
    timer.cnt().read().bits().wrapping_sub(start)
}

#[entry]
fn main() -> ! {
    let peripherals = pac::Peripherals::take().expect("first and only take");
    let timer = peripherals.TIM2;
    timer.cr1().modify(|_, writer| writer.cen().set_bit());
    if cfg!(feature = "baseline") {
        hprintln!("baseline image {} bytes", black_box(IMAGE).len());
        debug::exit(debug::EXIT_SUCCESS);
        halt()
    }
    let overhead = count(&timer, || {});
    let hashed = IMAGE.len().min(64 * 1024);
    let mut digest = [0; 32];
    let sha = count(&timer, || {
        digest = slingshot_image::sha256_with::<Engine>(black_box(&IMAGE[..hashed]))
    });
    let trailer = slingshot_image::parse_trailer(IMAGE).expect("the bench image parses");
    let mut valid = false;
    let ed25519 = count(&timer, || {
        valid = slingshot_image::verify_signature(
            black_box(KEY),
            &trailer.stored_digest,
            &trailer.signature,
        )
    });
    let mut result = Err(slingshot_image::ImageError::StorageRead);
    let whole = count(&timer, || {
        result = slingshot_image::verify_slot_with::<Engine>(
            black_box(IMAGE),
            0x0800_8000,
            0x0429_0001,
            &[*KEY],
        )
    });
    hprintln!("overhead {}", overhead);
    hprintln!(
        "sha256 {} bytes {} instructions",
        hashed,
        sha.wrapping_sub(overhead)
    );
    hprintln!(
        "ed25519 verify {} instructions valid {}",
        ed25519.wrapping_sub(overhead),
        valid
    );
    hprintln!(
        "verify_slot {} bytes {} instructions ok {}",
        IMAGE.len(),
        whole.wrapping_sub(overhead),
        result.is_ok()
    );
    let _ = digest;
    debug::exit(if valid && result.is_ok() {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    halt()
}
