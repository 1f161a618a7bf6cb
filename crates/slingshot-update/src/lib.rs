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
//! - [`overwrite`]: the install of the overwrite plan (single-bank parts): the verified new
//!   image copied over the old one, resumable, no journal, no rollback.
//!
//! Design, geometry reasoning and measured install times: `docs/UPDATE_ENGINE.md`.
#![no_std]
#![forbid(unsafe_code)]

mod configuration;
mod engine;
mod error;
pub mod journal;
pub mod overwrite;
pub mod single_slot;
pub mod swap;

pub use configuration::DualSlotConfiguration;
pub use engine::{BootAction, BootEvent, BootOutcome, DualSlotEngine, StayCause};
pub use error::{ConfigurationError, FlashFailure, Refusal, Rejection, UpdateError, VerifyError};
pub use journal::{Journal, Phase, UpdateState};
pub use overwrite::{OverwriteConfiguration, OverwriteEngine, OverwriteOutcome};

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
    /// The image's version.
    pub version: Version,
}

/// An image's version as the engine reports it: major.minor.patch+build, read through its
/// accessors (no caller packs or unpacks it). Stored in one `u64` — major, minor and patch in
/// the top three 16-bit fields, the build number saturated at 0xFFFF in the lowest — because
/// the engine's results move through the bootloader's boot path by value: a struct of four
/// fields made the default bootloader 88 to 144 B larger (`cargo xtask size`, 2026-12-05).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u64);

impl Version {
    /// major.minor.patch+build (a build number above 0xFFFF is kept as 0xFFFF).
    pub const fn new(major: u16, minor: u16, patch: u16, build: u32) -> Self {
        let build = if build > 0xFFFF { 0xFFFF } else { build };
        Self(
            ((major as u64) << 48) | ((minor as u64) << 32) | ((patch as u64) << 16) | build as u64,
        )
    }

    /// Incompatible changes.
    pub const fn major(self) -> u16 {
        (self.0 >> 48) as u16
    }

    /// Compatible additions.
    pub const fn minor(self) -> u16 {
        (self.0 >> 32) as u16
    }

    /// Fixes.
    pub const fn patch(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// Build number (at most 0xFFFF).
    pub const fn build(self) -> u32 {
        (self.0 & 0xFFFF) as u32
    }
}

/// Checks an image in a slot (descriptor, hash, signature) without the engine knowing how.
/// The image helper's `slingshot-image` provides the real one; tests use a CRC'd fake.
pub trait ImageVerifier<F: ReadNorFlash> {
    /// Verify the image at the start of `slot`.
    fn verify(&mut self, flash: &mut F, slot: SlotLocation) -> Result<ImageSummary, VerifyError>;
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn version_fields_come_back_as_given_and_order_like_versions() {
        let version = Version::new(2, 65_535, 7, 17);
        assert_eq!(
            (
                version.major(),
                version.minor(),
                version.patch(),
                version.build()
            ),
            (2, 65_535, 7, 17)
        );
        assert_eq!(Version::new(1, 0, 0, 70_000).build(), 0xFFFF, "saturated");
        assert!(Version::new(1, 2, 3, 0) < Version::new(1, 10, 0, 0));
        assert!(Version::new(1, 2, 3, 9) < Version::new(1, 2, 4, 0));
    }
}
