//! A host twin of an STM32F4 board — the Nucleo-F429ZI by default, any board of the layout
//! crate's table through [`TwinConfig::board`] — on the Unicorn CPU emulator (GPL-2.0, test and
//! development only: nothing Slingshot ships links this crate).
//!
//! The twin runs the exact firmware binaries: a Cortex-M4 core (Unicorn, `Mode::THUMB` with the
//! Cortex-M4 CPU model) plus models of what the firmware touches — flash with its controller,
//! SysTick/NVIC/SCB, RCC, GPIO, the board's serial USART with DMA1, TIM2, IWDG and CRC — driven by modelled time. Tests control it
//! through [`Twin`]: run, reset, cut power at a chosen instruction or flash operation, talk to
//! the serial port, and read counters. See `docs/TWIN.md` for what each model covers.
#![forbid(unsafe_code)]

pub mod art_cache;
pub mod board;
pub mod board_dma;
pub mod board_leds;
pub mod core_exceptions;
pub mod crc;
pub mod cycle_model;
pub mod dma;
pub mod emulator;
pub mod errata;
pub mod exception_frames;
pub mod flash_controller;
pub mod flash_registers;
pub mod flash_timing;
pub mod gpio;
pub mod iwdg;
pub mod line_framing;
pub mod machine;
pub mod memory;
pub mod peripheral_bus;
pub mod power;
pub mod rcc;
pub mod regulator;
pub mod serial_endpoint;
pub mod timer;
pub mod usart;

pub use machine::{Stop, Twin, TwinConfig};
pub use power::PowerCut;
pub use rcc::ResetCause;

/// What went wrong in the twin.
#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    /// The emulator stopped with an error (unmapped access, invalid instruction, a fault).
    #[error("emulator stopped at pc 0x{pc:08x}: {message}")]
    Emulator {
        /// What the emulator reported.
        message: String,
        /// Program counter when it stopped.
        pc: u32,
    },
    /// A firmware file could not be loaded or saved.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// A loaded image lies (partly) outside flash.
    #[error("image segment at 0x{address:08x} ({size} bytes) is outside flash")]
    OutsideFlash {
        /// Segment start.
        address: u32,
        /// Segment size in bytes.
        size: usize,
    },
    /// A host access to memory the twin does not have.
    #[error("no memory at 0x{address:08x} ({size} bytes)")]
    OutsideMemory {
        /// Address.
        address: u32,
        /// Size in bytes.
        size: usize,
    },
    /// Strict mode: the firmware accessed an unmodelled peripheral.
    #[error("{} of unmodelled peripheral register 0x{address:08x}", if *write { "write" } else { "read" })]
    Unmodelled {
        /// Address.
        address: u32,
        /// Whether it was a write.
        write: bool,
    },
    /// Strict mode: a model diagnostic (something the chip would reject or misbehave on).
    #[error("model diagnostic at pc 0x{pc:08x}: {message}")]
    Diagnostic {
        /// The diagnostic.
        message: String,
        /// Program counter when the run stopped.
        pc: u32,
    },
    /// The twin is powered off (after a power cut): call `power_on`.
    #[error("the twin is powered off: call power_on first")]
    PoweredOff,
}
