//! Measures, in QEMU with `-icount shift=0` (one virtual nanosecond per instruction, TIM2
//! clocked at 1 GHz, so TIM2 counts executed instructions): SHA-256 instructions per byte,
//! one Ed25519 verification over a 32-byte digest, and `slingshot_image::verify_slot` on a
//! whole signed image. Prints the counts over semihosting and exits.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::hint::black_box;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use stm32f4::stm32f405 as pac;

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
        digest = slingshot_image::sha256(black_box(&IMAGE[..hashed]))
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
        result = slingshot_image::verify_slot(black_box(IMAGE), 0x0800_8000, 0x0429_0001, &[*KEY])
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
