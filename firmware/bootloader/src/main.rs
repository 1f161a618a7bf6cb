//! The Slingshot bootloader: runs from sectors 0–1 on the reset clock (HSI 16 MHz), decides
//! what to run, validates the application's vector table and hands off to it; otherwise it
//! stays in bootloader mode, says why over USART3 (115200 8N1) and lights LD3.
//!
//! All decisions come from `slingshot-boot` (host-tested); all register access from
//! `slingshot-stm32`. This file only wires them together.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

mod report;

use cortex_m_rt::entry;
use slingshot_boot::{decide, BootDecision, StayReason};
use slingshot_layout::ACTIVE;
use slingshot_stm32::{board, mailbox, system};

#[entry]
fn main() -> ! {
    let request = mailbox::take().request;
    let slot = ACTIVE.partitions.primary.start;
    let stack_pointer = system::flash_word(slot).unwrap_or(0);
    let reset_vector = system::flash_word(slot + 4).unwrap_or(0);
    let decision = decide(
        &ACTIVE,
        request,
        board::button_held(),
        stack_pointer,
        reset_vector,
    );
    match decision {
        BootDecision::HandOff(application) => {
            report::handing_off(application.vector_table());
            slingshot_stm32::handoff::start_application(application)
        }
        BootDecision::Stay(reason) => stay(reason),
    }
}

/// Bootloader mode: LD3 on, the reason on USART3, then wait.
fn stay(reason: StayReason) -> ! {
    board::Led::Red.enable();
    board::Led::Red.set(true);
    report::staying(reason);
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
