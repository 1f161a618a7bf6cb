//! Slingshot's example application, and the template to copy for your own.
//!
//! Linked at the primary slot (0x0800_8000 on the Nucleo-F429ZI) from slingshot-layout. It
//! runs on HSI 16 MHz (no clock setup that could hang where a ready bit never comes), prints
//! a banner with its version and the VTOR it runs with over USART3, blinks LD1 from the
//! SysTick interrupt (which proves the relocated vector table works) and reports the tick
//! count. Sending `b` over the serial port asks for the bootloader: a mailbox request and a
//! system reset.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::{entry, exception};
use slingshot_boot::Request;
use slingshot_stm32::{board::Led, mailbox, system, usart::Usart3, HSI_HZ};

/// SysTick interrupts per second.
const TICKS_PER_SECOND: u32 = 10;

/// SysTick interrupts taken so far.
static TICKS: AtomicU32 = AtomicU32::new(0);

#[entry]
fn main() -> ! {
    let mut usart = Usart3::new(115_200);
    let mut core = cortex_m::Peripherals::take().expect("taken once, at start");
    let _ = writeln!(
        usart,
        "\r\nslingshot example application v{}\r",
        env!("APPLICATION_VERSION")
    );
    let _ = writeln!(usart, "VTOR=0x{:08x}\r", core.SCB.vtor.read());
    let _ = writeln!(usart, "send 'b' to enter the bootloader\r");

    Led::Green.enable();
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(HSI_HZ / TICKS_PER_SECOND - 1);
    core.SYST.clear_current();
    core.SYST.enable_interrupt();
    core.SYST.enable_counter();

    let mut reported = 0;
    loop {
        cortex_m::asm::wfi();
        let ticks = TICKS.load(Ordering::Relaxed);
        if ticks != reported {
            reported = ticks;
            let _ = writeln!(usart, "tick {ticks}\r");
        }
        if usart.read_byte() == Some(b'b') {
            let _ = writeln!(usart, "requesting the bootloader\r");
            usart.flush();
            mailbox::post(Request::StayInBootloader, 0);
            system::reset();
        }
    }
}

#[exception]
fn SysTick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
    Led::Green.toggle();
}

#[panic_handler]
fn panic(_information: &core::panic::PanicInfo) -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
