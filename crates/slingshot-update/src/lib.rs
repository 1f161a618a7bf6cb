//! Slingshot's power-fail-safe update engine: journal, sector swap, trial boot, rollback and
//! anti-rollback, generic over `embedded-storage`'s `NorFlash` and independent of the image
//! format and its cryptography (an [`ImageVerifier`] is passed in).
//!
//! - [`journal`]: the update state as write-once, self-checking records (format table there).
//! - [`swap`]: the journaled sector-by-sector swap through the scratch area.
//! - [`DualSlotEngine`]: [`boot`](DualSlotEngine::boot) for the bootloader;
//!   [`mark_pending`](DualSlotEngine::mark_pending) and [`confirm`](DualSlotEngine::confirm)
//!   for the application.
//! - [`single_slot`]: the anti-rollback rule of the single-slot plan.
//!
//! Design, geometry reasoning and measured install times: `docs/UPDATE_ENGINE.md`.
#![no_std]
#![forbid(unsafe_code)]

mod configuration;
mod engine;
mod error;
pub mod journal;
pub mod single_slot;
pub mod swap;

pub use configuration::DualSlotConfiguration;
pub use engine::{BootAction, BootEvent, BootOutcome, DualSlotEngine, StayCause};
pub use error::{ConfigurationError, Refusal, Rejection, UpdateError, VerifyError};
pub use journal::{Journal, Phase, UpdateState};

use embedded_storage::nor_flash::ReadNorFlash;
use slingshot_layout::Region;

/// Which slot an image is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Where the application runs.
    Primary,
    /// Where a new image is received.
    Secondary,
}

/// Where a slot is, for an [`ImageVerifier`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotLocation {
    /// Which slot.
    pub slot: Slot,
    /// Its absolute addresses.
    pub region: Region,
    /// Offset of its start from the flash base (what `ReadNorFlash::read` takes).
    pub flash_offset: u32,
}

/// What a verifier learned from a valid image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageSummary {
    /// Bytes the image occupies from the slot start, trailer included: the swap copies only
    /// the sectors holding them.
    pub extent: u32,
    /// Anti-rollback counter.
    pub security_counter: u32,
    /// Version as the image format packs it (e.g. major.minor.patch + build).
    pub version: u64,
}

/// Checks an image in a slot (descriptor, hash, signature) without the engine knowing how.
/// The image helper's `slingshot-image` provides the real one; tests use a CRC'd fake.
pub trait ImageVerifier<F: ReadNorFlash> {
    /// Verify the image at the start of `slot`.
    fn verify(&mut self, flash: &mut F, slot: SlotLocation) -> Result<ImageSummary, VerifyError>;
}
