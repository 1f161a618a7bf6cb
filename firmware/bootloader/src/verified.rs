//! The verifying boot flow (feature `verify`): a mailbox request or the button keeps the
//! bootloader; otherwise the dual-slot update engine ([`dual_slot`]), the overwrite install
//! ([`overwrite`], single-bank parts) or the single-slot check ([`single_slot`]) clears the
//! primary image, and its vector table is checked last, on what
//! the primary slot holds *after* any install or revert.
//!
//! Both checks must pass and each refusal keeps its own code: the vector-table reason is
//! reported when the vector table is bad (it says most about what is in the slot), the
//! image or engine reason otherwise. Neither check relies on the other having run.

#[cfg(not(feature = "single-slot"))]
mod dual_slot;
#[cfg(not(feature = "single-slot"))]
mod overwrite;
#[cfg(feature = "single-slot")]
mod single_slot;
#[cfg(any(not(feature = "single-slot"), feature = "serial-update"))]
pub(crate) mod tracked_flash;
pub(crate) mod verifier;

use crate::refusal::Refusal;
use crate::start::Start;
use slingshot_boot::{ApplicationBounds, Request, StartableApplication, StayReason};
use slingshot_layout::ACTIVE;

/// The primary slot and the memories its stack may use (a constant: only these few words
/// reach flash, not the whole layout).
const APPLICATION_BOUNDS: ApplicationBounds = ApplicationBounds::of(&ACTIVE);
use slingshot_stm32::system;
#[cfg(any(not(feature = "single-slot"), feature = "serial-update"))]
use slingshot_update::DualSlotConfiguration;
use slingshot_update::ImageSummary;

/// The update engine's configuration for the active layout, built at compile time (`None` for
/// a single-slot layout). `DualSlotConfiguration::from_layout` would check the same constant
/// partitions at every boot; slingshot-update's host tests run it on the F429 dual-slot layout
/// (`tests/common`, "F429 dual-slot layout suits the engine"), and leaving that code out of
/// the bootloader saves about 0.5 KB of flash.
#[cfg(any(not(feature = "single-slot"), feature = "serial-update"))]
pub const ENGINE_CONFIGURATION: Option<DualSlotConfiguration> = match (
    ACTIVE.partitions.secondary,
    ACTIVE.partitions.scratch,
    ACTIVE.partitions.state,
) {
    (Some(secondary), Some(scratch), Some(state)) => Some(DualSlotConfiguration {
        geometry: ACTIVE.board.part.flash,
        primary: ACTIVE.partitions.primary,
        secondary,
        scratch,
        state,
        watchdog_before_trial: cfg!(feature = "watchdog-on-trial"),
        whole_slot_swap: false,
    }),
    _ => None,
};

/// The active layout copies received images over the primary slot instead of swapping them
/// (a constant: the other plan's code is not linked).
#[cfg(not(feature = "single-slot"))]
const OVERWRITE: bool = matches!(ACTIVE.update_mode, slingshot_layout::UpdateMode::Overwrite);

/// The image checks passed: the primary image may be started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cleared {
    /// What its verification found (version, security counter), for the hand-off message.
    pub image: ImageSummary,
    /// The image runs on trial.
    pub trial: bool,
    /// Start the independent watchdog before the hand-off (trial boot, `watchdog-on-trial`).
    pub start_watchdog: bool,
}

/// What to run: a request or the button wins; then the image checks and the vector table.
pub fn decide(request: Request, button_held: bool) -> Result<Start, Refusal> {
    let requested = if request == Request::StayInBootloader {
        Some(StayReason::RequestedByApplication)
    } else if button_held {
        Some(StayReason::ButtonHeld)
    } else {
        None
    };
    if let Some(reason) = requested {
        #[cfg(not(feature = "single-slot"))]
        if OVERWRITE {
            overwrite::finish_interrupted_install();
        } else {
            dual_slot::finish_interrupted_swap();
        }
        return Err(Refusal::Boot(reason));
    }
    #[cfg(not(feature = "single-slot"))]
    let cleared = if OVERWRITE {
        overwrite::boot()
    } else {
        dual_slot::boot()
    };
    #[cfg(feature = "single-slot")]
    let cleared = single_slot::boot();
    let slot = ACTIVE.partitions.primary.start;
    let stack_pointer = system::flash_word(slot).unwrap_or(0);
    let reset_vector = system::flash_word(slot + 4).unwrap_or(0);
    let application = StartableApplication::check(&APPLICATION_BOUNDS, stack_pointer, reset_vector)
        .map_err(|error| Refusal::Boot(StayReason::VectorTable(error)))?;
    let cleared = cleared?;
    Ok(Start::verified(application, cleared))
}
