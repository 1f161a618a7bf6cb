//! The overwrite install, for sector maps where no swap is possible (the single-bank F4 parts:
//! `slingshot_layout::layouts` says why): a verified image in the secondary slot is copied over
//! the primary slot by the bootloader, without a journal and without rollback.
//!
//! The slots themselves are the state, so a power cut at any point resumes:
//!
//! | the boot finds | it does |
//! |----------------|---------|
//! | no image that verifies in the secondary slot (erased, or a transfer not finished) | nothing: the primary image runs if it verifies |
//! | a secondary image that verifies, fits the primary slot and whose security counter is not below the primary image's (when that one verifies) | erase and copy every primary sector the image covers, then erase the secondary slot's first sector |
//! | a secondary image that verifies but is too large or below the primary's counter | erase the secondary slot's first sector (refused; the primary image stays) |
//!
//! The secondary image is never written during the copy, so an interrupted copy (the primary
//! slot then verifies as nothing, or as the new image once its last sector is written) is
//! simply done again from the start; the first sector of the secondary slot is erased only
//! after the whole copy, so until then the image to copy is still there. Erasing it is what
//! marks the install done: an interrupted erase leaves either an image that still verifies
//! (copied once more: the same bytes) or one that does not (nothing to do).
//!
//! The anti-rollback minimum is the primary image's security counter, as in the single-slot
//! plan (`single_slot`): a copy interrupted by a power cut leaves no valid primary image and so
//! no minimum, but only the image that was checked before the copy began is in the secondary
//! slot to be copied.

use crate::engine::{start_or_stay, verify_fitting, BootAction, BootEvent};
use crate::swap::{copy, erase_covering};
use crate::{
    ConfigurationError, FlashFailure, ImageSummary, ImageVerifier, Refusal, Slot, SlotLocation,
    UpdateError,
};
use embedded_storage::nor_flash::NorFlash;
use slingshot_layout::{FlashGeometry, Layout, Region, UpdateMode};

/// The overwrite install's partitions on one flash device.
#[derive(Clone, Copy, Debug)]
pub struct OverwriteConfiguration {
    /// The flash device (base, sector map, write size, erased value).
    pub geometry: FlashGeometry,
    /// Where the application runs.
    pub primary: Region,
    /// Where a new image is received.
    pub secondary: Region,
}

impl OverwriteConfiguration {
    /// The configuration of an overwrite layout.
    pub fn from_layout(layout: &Layout) -> Result<Self, ConfigurationError> {
        match (layout.update_mode, layout.partitions.secondary) {
            (UpdateMode::Overwrite, Some(secondary)) => Self::new(
                layout.board.part.flash,
                layout.partitions.primary,
                secondary,
            ),
            _ => Err(ConfigurationError::NotOverwrite),
        }
    }

    /// A configuration from explicit slots (e.g. for a uniform test map).
    pub fn new(
        geometry: FlashGeometry,
        primary: Region,
        secondary: Region,
    ) -> Result<Self, ConfigurationError> {
        let aligned = |region: Region| region.size > 0 && geometry.is_sector_aligned(region);
        if !aligned(primary) || !aligned(secondary) || primary.overlaps(secondary) {
            return Err(ConfigurationError::NotSectorAligned);
        }
        if geometry.write_size == 0 || crate::swap::COPY_CHUNK as u32 % geometry.write_size != 0 {
            return Err(ConfigurationError::UnsupportedWriteSize);
        }
        Ok(Self {
            geometry,
            primary,
            secondary,
        })
    }

    /// The largest extent (image and trailer) that installs: the smaller slot.
    pub const fn largest_image(&self) -> u32 {
        if self.primary.size < self.secondary.size {
            self.primary.size
        } else {
            self.secondary.size
        }
    }

    /// The sizes of the sectors an install of the first `extent` bytes erases: the primary
    /// sectors the image covers, then the secondary slot's first sector. With the flash's
    /// erase times this tells a host how long the install at the next boot takes.
    pub fn install_erase_sizes(&self, extent: u32) -> impl Iterator<Item = u32> + '_ {
        let covered = Region::new(self.primary.start, extent.min(self.primary.size));
        let first_secondary = self.geometry.sectors_in(self.secondary).next();
        self.geometry
            .sectors_in(covered)
            .chain(first_secondary)
            .map(|sector| sector.size)
    }
}

/// The result of [`OverwriteEngine::boot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverwriteOutcome {
    /// What to run (never a trial: there is nothing to roll back to).
    pub action: BootAction,
    /// What happened on the way: [`BootEvent::Installed`], [`BootEvent::Refused`] or
    /// [`BootEvent::Nothing`].
    pub event: BootEvent,
}

/// The overwrite install engine (see the module documentation for its rules).
#[derive(Clone, Copy, Debug)]
pub struct OverwriteEngine {
    configuration: OverwriteConfiguration,
}

impl OverwriteEngine {
    /// An engine over a checked configuration.
    pub const fn new(configuration: OverwriteConfiguration) -> Self {
        Self { configuration }
    }

    /// The configuration.
    pub const fn configuration(&self) -> &OverwriteConfiguration {
        &self.configuration
    }

    /// The boot-time entry point: install the image the secondary slot holds, if any (finishing
    /// an install a power cut interrupted), then decide what to run. Safe to lose power
    /// anywhere inside it; call it again after the next reset.
    pub fn boot<F: NorFlash, V: ImageVerifier<F>>(
        &self,
        flash: &mut F,
        verifier: &mut V,
    ) -> Result<OverwriteOutcome, UpdateError> {
        let mut primary = self.verify(flash, verifier, Slot::Primary)?;
        let event = self.install_received(flash, verifier, primary.ok())?;
        if event == BootEvent::Installed {
            primary = self.verify(flash, verifier, Slot::Primary)?;
        }
        let action = start_or_stay(primary, self.configuration.primary.start);
        Ok(OverwriteOutcome { action, event })
    }

    /// For a bootloader that stays in bootloader mode (mailbox request, button) instead of
    /// calling [`boot`](Self::boot): when the primary image does not verify and the secondary
    /// one does, an install was interrupted (or never started on an empty device): finish it,
    /// so the only good copy is not erased by the next transfer. An image waiting beside a
    /// valid primary one is left for the next boot.
    pub fn finish_interrupted_install<F: NorFlash, V: ImageVerifier<F>>(
        &self,
        flash: &mut F,
        verifier: &mut V,
    ) -> Result<BootEvent, UpdateError> {
        match self.verify(flash, verifier, Slot::Primary)? {
            Ok(_) => Ok(BootEvent::Nothing),
            Err(_) => self.install_received(flash, verifier, None),
        }
    }

    /// Where `slot` is, for the verifier.
    fn location(&self, slot: Slot) -> SlotLocation {
        let region = match slot {
            Slot::Primary => self.configuration.primary,
            Slot::Secondary => self.configuration.secondary,
        };
        SlotLocation {
            slot,
            region,
            flash_offset: region.start - self.configuration.geometry.base,
        }
    }

    /// Verify the image in `slot`; it must fit the primary slot.
    fn verify<F: NorFlash, V: ImageVerifier<F>>(
        &self,
        flash: &mut F,
        verifier: &mut V,
        slot: Slot,
    ) -> Result<Result<ImageSummary, Refusal>, UpdateError> {
        let capacity = self.configuration.primary.size;
        verify_fitting(flash, verifier, self.location(slot), capacity)
    }

    /// Install the secondary image if it verifies and may replace `installed` (the primary
    /// image, `None` when none verifies).
    fn install_received<F: NorFlash, V: ImageVerifier<F>>(
        &self,
        flash: &mut F,
        verifier: &mut V,
        installed: Option<ImageSummary>,
    ) -> Result<BootEvent, UpdateError> {
        let refusal = match self.verify(flash, verifier, Slot::Secondary)? {
            // Nothing received, or a transfer not finished: the service may still resume it.
            Err(Refusal::Rejected(_)) => return Ok(BootEvent::Nothing),
            Err(refusal) => Some(refusal),
            Ok(candidate) => match installed {
                Some(image) if candidate.security_counter < image.security_counter => {
                    Some(Refusal::BelowMinimum {
                        security_counter: candidate.security_counter,
                        minimum: image.security_counter,
                    })
                }
                _ => {
                    self.copy_to_primary(flash, candidate.extent)?;
                    None
                }
            },
        };
        // Installed or refused: either way the secondary image must not be looked at again.
        self.erase_first_secondary_sector(flash)?;
        Ok(match refusal {
            Some(refusal) => BootEvent::Refused(refusal),
            None => BootEvent::Installed,
        })
    }

    /// Erase and program every primary sector the first `extent` bytes cover from the same
    /// offsets of the secondary slot (the rest of each sector stays erased).
    fn copy_to_primary<F: NorFlash>(&self, flash: &mut F, extent: u32) -> Result<(), FlashFailure> {
        let configuration = &self.configuration;
        let geometry = &configuration.geometry;
        let covered = Region::new(configuration.primary.start, extent);
        for sector in geometry.sectors_in(covered) {
            let destination = sector.region();
            erase_covering(flash, geometry, destination)?;
            let offset = destination.start - configuration.primary.start;
            // Whole write units: the verifier kept the extent inside the sector-aligned
            // secondary slot, so rounding it up stays inside too.
            let length = (extent - offset)
                .next_multiple_of(geometry.write_size)
                .min(destination.size);
            let source = Region::new(configuration.secondary.start + offset, length);
            copy(flash, geometry, source, destination, false)?;
        }
        Ok(())
    }

    /// Erase the sector holding the secondary image's start, so it no longer verifies.
    fn erase_first_secondary_sector<F: NorFlash>(&self, flash: &mut F) -> Result<(), FlashFailure> {
        let geometry = &self.configuration.geometry;
        let start = Region::new(self.configuration.secondary.start, 1);
        erase_covering(flash, geometry, start)
    }
}
