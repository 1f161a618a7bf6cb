//! Slingshot's hardware edge for the STM32F4: the one crate that touches registers, and so
//! the one crate with `unsafe`. Every `unsafe` block says why it is sound (`// SAFETY:`).
//!
//! - [`handoff`]: start an application in a reset-like core state.
//! - [`usart`]: USART3 on PD8/PD9, the ST-LINK virtual COM port of the Nucleo-F429ZI.
//! - [`usart_dma`]: USART3 reception by DMA into a RAM ring (keeps receiving during flash stalls).
//! - [`millisecond_timer`]: a polled millisecond clock from TIM2.
//! - [`board`]: LEDs and the user button.
//! - [`mailbox`]: the no-init words at the top of SRAM shared with the application.
//! - [`system`]: reading flash and resetting the chip.
//! - [`flash`]: the flash driver (`embedded-storage` `NorFlash`).
//! - [`clock`]: a burst of work at 168 MHz, then back to the reset clock state.
//! - [`errata`]: the bank-2 read erratum of early STM32F42x/F43x revisions (ES0206 §2.2.11).
//! - [`flash_interface`]: whether the flash interface is modelled at all (not in QEMU).
//! - [`option_bytes`]: reading and programming the user option bytes (`slingshot protect`).
//! - [`reset_reason`]: why the chip last reset (RCC_CSR).
//! - [`watchdog`]: the independent watchdog, started before a trial boot.
//! - [`platform`]: `slingshot_application::Platform` for the application.
//! - [`sha256`]: the SHA-256 block function in Thumb-2 assembly (image verification).
//! - [`sha512`]: the SHA-512 block function in Thumb-2 assembly, small (Ed25519's `k`).
//! - `interrupt_table` (without the feature `device-interrupts`): a one-entry interrupt vector
//!   table for programs that enable no interrupt, in place of the PAC's 91 entries.
//! - `memory_functions` (feature `compact-memory-functions`): small `memcpy`/`memset`/`memcmp`
//!   and their aliases in place of compiler_builtins' fast, large ones.
//!
//! Everything portable (decisions, formats, the update engine) lives in host-tested crates;
//! what is here only moves bits the reference manual (RM0090) describes.
#![no_std]

pub mod board;
pub mod clock;
pub mod errata;
pub mod flash;
pub mod flash_interface;
mod gpio;
pub mod handoff;
pub mod identity;
#[cfg(not(feature = "device-interrupts"))]
mod interrupt_table;
pub mod mailbox;
#[cfg(feature = "compact-memory-functions")]
mod memory_functions;
pub mod millisecond_timer;
pub mod option_bytes;
pub mod platform;
pub mod reset_reason;
pub mod sha256;
pub mod sha512;
pub mod system;
pub mod usart;
pub mod usart_dma;
pub mod watchdog;

pub use stm32f4::stm32f429 as pac;

/// The HSI clock the chip runs on after reset, and that both programs keep by default.
pub const HSI_HZ: u32 = 16_000_000;

/// The peripherals the drivers in this crate use: zero-sized register handles, so taking them
/// costs no code. (`pac::Peripherals::steal` also sets the PAC's "taken" flag, a store to RAM
/// wherever a driver took the peripherals: 292 B of the default bootloader, 2026-12-05.)
#[allow(non_snake_case)]
struct Device {
    DBGMCU: pac::DBGMCU,
    DMA1: pac::DMA1,
    FLASH: pac::FLASH,
    IWDG: pac::IWDG,
    PWR: pac::PWR,
    RCC: pac::RCC,
    TIM2: pac::TIM2,
}

/// The device peripherals, for drivers in this crate.
///
/// Each driver here owns a disjoint set of registers (or does read-modify-write of shared
/// RCC registers with interrupts off), so handing out a fresh view is sound.
fn device() -> Device {
    // SAFETY: the drivers of this crate are the only users of these registers; each touches
    // its own peripheral, and shared RCC enable registers are only modified from thread
    // mode in single-core, non-reentrant code (the bootloader and the example application
    // never touch them from interrupt handlers). Nothing here calls `pac::Peripherals::take`.
    unsafe {
        Device {
            DBGMCU: pac::DBGMCU::steal(),
            DMA1: pac::DMA1::steal(),
            FLASH: pac::FLASH::steal(),
            IWDG: pac::IWDG::steal(),
            PWR: pac::PWR::steal(),
            RCC: pac::RCC::steal(),
            TIM2: pac::TIM2::steal(),
        }
    }
}
