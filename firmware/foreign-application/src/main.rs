//! A Cortex-M4 program that knows nothing of Slingshot: its own vector table and reset
//! handler, no runtime crate, registers written with raw volatile stores. It turns on the
//! clocks of GPIOD and USART3, routes PD8 to USART3 TX (AF7), sends one line at 115200 baud
//! from the 16 MHz HSI and sleeps. The Slingshot QEMU tests sign it as a raw binary and check
//! that the verifying bootloader starts it.
#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};

/// RCC_AHB1ENR: GPIOD clock enable is bit 3.
const RCC_AHB1ENR: *mut u32 = 0x4002_3830 as *mut u32;
/// RCC_APB1ENR: USART3 clock enable is bit 18.
const RCC_APB1ENR: *mut u32 = 0x4002_3840 as *mut u32;
/// GPIOD_MODER.
const GPIOD_MODER: *mut u32 = 0x4002_0C00 as *mut u32;
/// GPIOD_AFRH (pins 8–15).
const GPIOD_AFRH: *mut u32 = 0x4002_0C24 as *mut u32;
/// USART3 registers.
const USART3_SR: *mut u32 = 0x4000_4800 as *mut u32;
const USART3_DR: *mut u32 = 0x4000_4804 as *mut u32;
const USART3_BRR: *mut u32 = 0x4000_4808 as *mut u32;
const USART3_CR1: *mut u32 = 0x4000_480C as *mut u32;
/// SR.TXE and SR.TC.
const TRANSMIT_EMPTY: u32 = 1 << 7;
const TRANSMIT_COMPLETE: u32 = 1 << 6;
/// CR1.UE and CR1.TE.
const ENABLE_AND_TRANSMIT: u32 = (1 << 13) | (1 << 3);
/// 16 MHz / 115200 = 138.9: mantissa 8, fraction 11 (0x8B).
const BAUD_115200_AT_16_MHZ: u32 = 0x8B;

const GREETING: &[u8] = b"\r\nforeign application: a program that knows nothing of Slingshot\r\n";

/// The Cortex-M vector table: initial stack pointer, reset handler, then the 14 other
/// system exception entries (zero: this program takes no exception it could handle).
#[repr(C)]
pub struct VectorTable {
    initial_stack_pointer: *const u32,
    reset: unsafe extern "C" fn() -> !,
    exceptions: [usize; 14],
}

// SAFETY: the table is read-only data the core reads; it is never written.
unsafe impl Sync for VectorTable {}

extern "C" {
    /// Top of RAM, from link.x.
    static _stack_top: u32;
}

/// The vector table, placed at the start of the image by link.x.
#[link_section = ".vector_table"]
#[no_mangle]
#[used]
pub static VECTOR_TABLE: VectorTable = VectorTable {
    initial_stack_pointer: core::ptr::addr_of!(_stack_top),
    reset,
    exceptions: [0; 14],
};

/// The reset handler: set up USART3, print, sleep.
///
/// # Safety
///
/// Entered by the core (or a bootloader) as a reset handler, with a valid stack.
#[no_mangle]
pub unsafe extern "C" fn reset() -> ! {
    // SAFETY: these are the STM32F4's documented RCC, GPIOD and USART3 registers; this
    // program is the only code running, and read-modify-writes touch only its own bits.
    unsafe {
        write_volatile(RCC_AHB1ENR, read_volatile(RCC_AHB1ENR) | (1 << 3));
        write_volatile(RCC_APB1ENR, read_volatile(RCC_APB1ENR) | (1 << 18));
        let moder = read_volatile(GPIOD_MODER) & !(0b11 << 16);
        write_volatile(GPIOD_MODER, moder | (0b10 << 16));
        let alternate = read_volatile(GPIOD_AFRH) & !0xF;
        write_volatile(GPIOD_AFRH, alternate | 7);
        write_volatile(USART3_BRR, BAUD_115200_AT_16_MHZ);
        write_volatile(USART3_CR1, ENABLE_AND_TRANSMIT);
        for &byte in GREETING {
            while read_volatile(USART3_SR) & TRANSMIT_EMPTY == 0 {}
            write_volatile(USART3_DR, u32::from(byte));
        }
        while read_volatile(USART3_SR) & TRANSMIT_COMPLETE == 0 {}
    }
    loop {
        // SAFETY: `wfi` only waits for an interrupt.
        unsafe { core::arch::asm!("wfi") };
    }
}

#[panic_handler]
fn panic(_information: &core::panic::PanicInfo) -> ! {
    loop {}
}
