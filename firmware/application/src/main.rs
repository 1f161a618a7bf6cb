//! Slingshot's example application, and the template to copy for your own.
//!
//! Linked at the primary slot (0x0800_8000 on the Nucleo-F429ZI) from slingshot-layout and
//! signed by `cargo xtask build`. It runs on HSI 16 MHz (no clock setup that could hang where
//! a ready bit never comes), prints a banner with its version, the VTOR it runs with and its
//! boot information (version, slot, trial/confirmed state, reset reason) over USART3, blinks
//! LD1 from the SysTick interrupt (which proves the relocated vector table works) and reports
//! the tick count. A trial image confirms itself after [`CONFIRM_AFTER_TICKS`] ticks, so an
//! update that hangs or crashes before then is reverted at the next reset. Sending `b` over
//! the serial port asks for the bootloader: a mailbox request and a system reset.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

mod boot_report;

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::{entry, exception};
use slingshot_application::{ImageState, Platform, Updater};
use slingshot_layout::{UpdateMode, ACTIVE};
use slingshot_stm32::flash::Flash;
use slingshot_stm32::platform::Stm32Platform;
use slingshot_stm32::{board::Led, flash_interface, usart::Usart, watchdog, HSI_HZ};

/// SysTick interrupts per second.
const TICKS_PER_SECOND: u32 = 10;

/// Ticks a trial image runs before it confirms itself (its "self-test").
const CONFIRM_AFTER_TICKS: u32 = 3;

/// SysTick interrupts taken so far.
static TICKS: AtomicU32 = AtomicU32::new(0);

#[entry]
fn main() -> ! {
    // First: read (and clear) why the chip reset, before anything can reset it again.
    let mut platform = Stm32Platform::new();
    let mut usart = Usart::new(115_200);
    let mut core = cortex_m::Peripherals::take().expect("taken once, at start");
    let _ = writeln!(
        usart,
        "\r\nslingshot example application v{}\r",
        env!("APPLICATION_VERSION")
    );
    let _ = writeln!(usart, "VTOR=0x{:08x}\r", core.SCB.vtor.read());
    boot_report::print_image(&mut usart, boot_report::running_descriptor().as_ref());

    // The update state lives in flash bank 2; QEMU models neither it nor the flash interface.
    let mut updater = None;
    if !flash_interface::flash_interface_responds() {
        boot_report::print_without_state(&mut usart, platform.reset_reason(), "no flash interface");
    } else {
        match Updater::new(&ACTIVE, Flash::for_application(), platform) {
            Ok(candidate) => updater = Some(candidate),
            Err(_) => boot_report::print_without_state(
                &mut usart,
                platform.reset_reason(),
                match ACTIVE.update_mode {
                    UpdateMode::Overwrite => "overwrite layout: no trial, no rollback",
                    _ => "single-slot layout",
                },
            ),
        }
    }
    let mut trial = false;
    if let Some(updater) = updater.as_mut() {
        match updater.boot_info(&mut boot_report::DescriptorReader) {
            Ok(info) => {
                boot_report::print_boot_info(&mut usart, &info);
                trial = info.state == ImageState::Trial;
            }
            Err(error) => {
                let _ = writeln!(usart, "boot: update state unreadable: {error:?}\r");
            }
        }
    }
    let _ = writeln!(usart, "send 'b' to enter the bootloader\r");

    Led::Green.enable();
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(HSI_HZ / TICKS_PER_SECOND - 1);
    core.SYST.clear_current();
    core.SYST.enable_interrupt();
    core.SYST.enable_counter();

    // The independent watchdog may run: on a trial boot (the bootloader's `watchdog-on-trial`)
    // or from reset (the hardware watchdog option). Once started it cannot be stopped, so feed
    // it on every tick; feeding a watchdog that does not run changes nothing.
    let mut reported = 0;
    loop {
        cortex_m::asm::wfi();
        let ticks = TICKS.load(Ordering::Relaxed);
        if ticks != reported {
            reported = ticks;
            watchdog::feed_independent_watchdog();
            let _ = writeln!(usart, "tick {ticks}\r");
            if trial && ticks >= CONFIRM_AFTER_TICKS {
                trial = false;
                confirm(&mut usart, updater.as_mut());
            }
        }
        if usart.read_byte() == Some(b'b') {
            let _ = writeln!(usart, "requesting the bootloader\r");
            usart.flush();
            slingshot_application::request_update(&mut platform);
        }
    }
}

/// Keep the running trial image: the next reset will not revert it.
fn confirm(usart: &mut Usart, updater: Option<&mut Updater<Flash, Stm32Platform>>) {
    let Some(updater) = updater else { return };
    let _ = match updater.confirm() {
        Ok(()) => writeln!(usart, "confirmed\r"),
        Err(error) => writeln!(usart, "confirm failed: {error:?}\r"),
    };
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
