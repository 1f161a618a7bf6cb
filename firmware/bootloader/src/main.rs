//! The Slingshot bootloader: runs from sectors 0–1, decides what to run (on the PLL at 168 MHz
//! with `fast-verify`, a default feature) and hands off to it on the reset clock (HSI 16 MHz);
//! otherwise it stays in bootloader mode, says why over USART3 (115200 8N1) and lights LD3.
//!
//! With the `verify` feature (default) the image must be signed by an embedded trusted key
//! and, in the dual-slot layout, the update engine installs, reverts or refuses updates first
//! ([`verified`]); without it the bootloader is the plain validate-and-jump ([`plain`]).
//! Decisions come from host-tested crates (`slingshot-boot`, `slingshot-image`,
//! `slingshot-update`); register access from `slingshot-stm32`. This file only wires them.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

#[cfg(feature = "logging")]
mod phrasebook;
#[cfg(not(feature = "verify"))]
mod plain;
mod refusal;
#[macro_use]
mod report;
#[cfg(feature = "serial-update")]
mod serial;
mod start;
#[cfg(feature = "verify")]
mod verified;

use cortex_m_rt::entry;
#[cfg(not(feature = "verify"))]
use plain as flow;
use refusal::Refusal;
use slingshot_stm32::{board, mailbox};
#[cfg(feature = "verify")]
use verified as flow;

#[entry]
fn main() -> ! {
    // A build for another part would erase and program with the wrong sector map: check the
    // chip before anything touches flash or a peripheral the board table names. (The plain
    // validate-and-jump writes nothing, so it does without.)
    #[cfg(feature = "verify")]
    if let Err(wrong) = slingshot_boot::check_part(
        slingshot_stm32::identity::EXPECTED,
        slingshot_stm32::identity::read_chip(),
    ) {
        wrong_part(wrong);
    }
    // With the hardware watchdog option the IWDG already runs (512 ms): its longest timeout
    // first, before anything that can take long (a journal format, a swap, bootloader mode).
    #[cfg(feature = "verify")]
    slingshot_stm32::watchdog::lengthen_hardware_watchdog();
    // Before the first read of bank 2 (journal, secondary slot): PA12 driven low on the early
    // revisions whose bank-2 reads it can corrupt (ES0206 §2.2.11); nothing on later ones.
    #[cfg(feature = "verify")]
    slingshot_stm32::errata::guard_bank_two_reads();
    let request = mailbox::take().request;
    let button_held = board::button_held();
    let decision = at_decision_speed(|| {
        let decision = flow::decide(request, button_held);
        // Its messages leave at the baud rate set for this clock, before the clock changes.
        report::flush();
        decision
    });
    match decision {
        Ok(start) => start.hand_off(),
        Err(refusal) => stay(refusal),
    }
}

/// Run the boot decision (update engine, verification, its messages) — and bootloader mode's
/// slot survey — on the PLL at 168 MHz with the `fast-verify` feature, and return to the exact
/// reset clock state before the hand-off or bootloader mode; on the reset clock otherwise.
/// Without a locked PLL (QEMU) the decision runs on the HSI.
fn at_decision_speed<R>(decision: impl FnOnce() -> R) -> R {
    #[cfg(feature = "fast-verify")]
    {
        slingshot_stm32::clock::at_full_speed(decision).0
    }
    #[cfg(not(feature = "fast-verify"))]
    {
        decision()
    }
}

/// Built for another part: say so (the board's serial port is the likeliest to be wired the
/// same), change nothing, wait. No serial update service: its flash writes assume the sector
/// map of the part the build is for.
#[cfg(feature = "verify")]
fn wrong_part(wrong: slingshot_boot::WrongPart) -> ! {
    report::wrong_part(wrong);
    loop {
        cortex_m::asm::wfi();
    }
}

/// Bootloader mode: LD3 on, the reason on USART3, then wait.
fn stay(refusal: Refusal) -> ! {
    board::Led::Red.enable();
    board::Led::Red.set(true);
    report::staying(refusal);
    #[cfg(feature = "serial-update")]
    serial::serve();
    #[cfg(not(feature = "serial-update"))]
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_information: &core::panic::PanicInfo) -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
