//! Portable boot decisions, shared by the bootloader, the application and the host tools.
//!
//! - [`vector_table`]: is there a startable Cortex-M application at the start of a slot?
//! - [`mailbox`]: the no-init words the application leaves for the bootloader across a reset.
//! - [`StayReason`]: why the bootloader did not hand off, with a stable number and message.
//! - [`part_check`]: is this the part the build is for (DEV_ID, or the flash size)?
//!
//! No hardware access here: the bootloader reads the words and the hardware crate moves the
//! core; this crate only decides, so every decision is tested on the host.
#![no_std]
#![forbid(unsafe_code)]

pub mod mailbox;
pub mod part_check;
pub mod vector_table;

pub use mailbox::{Mailbox, Request};
pub use part_check::{check_part, ChipIdentity, ExpectedPart, WrongPart};
pub use vector_table::{
    check_application_bounds, check_vector_table, ApplicationBounds, StartableApplication,
    VectorTableError,
};

/// Why the bootloader stays in bootloader mode instead of handing off. The number is stable
/// (it appears in logs and in the serial protocol); the message is what a human reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StayReason {
    /// The application's vector table is not startable.
    VectorTable(VectorTableError),
    /// The application asked for the bootloader through the mailbox.
    RequestedByApplication,
    /// The user held the bootloader button at reset.
    ButtonHeld,
}

impl StayReason {
    /// Every reason, in code order (for tables built at compile time, tests and docs).
    pub const ALL: [StayReason; 9] = [
        StayReason::VectorTable(VectorTableError::ALL[0]),
        StayReason::VectorTable(VectorTableError::ALL[1]),
        StayReason::VectorTable(VectorTableError::ALL[2]),
        StayReason::VectorTable(VectorTableError::ALL[3]),
        StayReason::VectorTable(VectorTableError::ALL[4]),
        StayReason::VectorTable(VectorTableError::ALL[5]),
        StayReason::VectorTable(VectorTableError::ALL[6]),
        StayReason::RequestedByApplication,
        StayReason::ButtonHeld,
    ];

    /// Stable reason number.
    pub const fn code(&self) -> u8 {
        match self {
            StayReason::VectorTable(error) => error.code(),
            StayReason::RequestedByApplication => 0x20,
            StayReason::ButtonHeld => 0x21,
        }
    }

    /// One-line human-readable explanation.
    pub const fn message(&self) -> &'static str {
        match self {
            StayReason::VectorTable(error) => error.message(),
            StayReason::RequestedByApplication => "the application requested the bootloader",
            StayReason::ButtonHeld => "the bootloader button was held at reset",
        }
    }
}

/// What the bootloader does after reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootDecision {
    /// Start this application (its vector table passed the checks).
    HandOff(StartableApplication),
    /// Stay in bootloader mode, for this reason.
    Stay(StayReason),
}

/// Decide what to run from the mailbox request, the button state and the first two words
/// of the primary slot. A request or the button wins over a valid application; the vector
/// table is checked otherwise.
pub fn decide(
    bounds: &ApplicationBounds,
    request: Request,
    button_held: bool,
    initial_stack_pointer: u32,
    reset_vector: u32,
) -> BootDecision {
    if request == Request::StayInBootloader {
        return BootDecision::Stay(StayReason::RequestedByApplication);
    }
    if button_held {
        return BootDecision::Stay(StayReason::ButtonHeld);
    }
    match StartableApplication::check(bounds, initial_stack_pointer, reset_vector) {
        Ok(application) => BootDecision::HandOff(application),
        Err(error) => BootDecision::Stay(StayReason::VectorTable(error)),
    }
}
