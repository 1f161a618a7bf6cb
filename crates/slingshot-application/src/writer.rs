//! [`FirmwareWriter`]: streams a new image into the secondary slot from any transport, in
//! chunks of any size, erasing each sector just before the stream first enters it, and marks
//! the image pending only after it verifies.

use crate::{Platform, Updater};
use embedded_storage::nor_flash::NorFlash;
use slingshot_update::{ImageSummary, ImageVerifier, UpdateError};

/// The largest write size supported (the engine's journal needs it to divide 16).
const MAXIMUM_WRITE_SIZE: usize = 16;

/// Streams an image into the secondary slot. Created by [`Updater::firmware_writer`].
pub struct FirmwareWriter<'a, F, P> {
    updater: &'a mut Updater<F, P>,
    /// Bytes accepted so far (offset into the slot of the next byte).
    offered: u32,
    /// Bytes not yet programmed because they do not fill a write unit.
    carry: [u8; MAXIMUM_WRITE_SIZE],
    carry_length: usize,
    /// Slot offset up to which the sectors have been erased by this writer.
    erased_until: u32,
}

impl<'a, F: NorFlash, P: Platform> FirmwareWriter<'a, F, P> {
    pub(crate) fn new(updater: &'a mut Updater<F, P>) -> Self {
        Self {
            updater,
            offered: 0,
            carry: [0; MAXIMUM_WRITE_SIZE],
            carry_length: 0,
            erased_until: 0,
        }
    }

    /// Bytes accepted so far.
    pub fn bytes_written(&self) -> u32 {
        self.offered
    }

    /// Append `chunk` to the image.
    pub fn write(&mut self, mut chunk: &[u8]) -> Result<(), UpdateError> {
        let slot_size = self.updater.engine().configuration().secondary.size;
        let offered = self.offered as usize + chunk.len();
        if offered > slot_size as usize {
            return Err(UpdateError::ImageTooLarge {
                offered: offered as u32,
                slot_size,
            });
        }
        let write_size = F::WRITE_SIZE;
        // Complete a pending write unit first.
        if self.carry_length > 0 {
            let take = (write_size - self.carry_length).min(chunk.len());
            self.carry[self.carry_length..self.carry_length + take].copy_from_slice(&chunk[..take]);
            self.carry_length += take;
            self.offered += take as u32;
            chunk = &chunk[take..];
            if self.carry_length == write_size {
                let unit = self.carry;
                self.program(self.offered - write_size as u32, &unit[..write_size])?;
                self.carry_length = 0;
            }
        }
        // Whole write units straight from the chunk.
        let whole = chunk.len() - chunk.len() % write_size;
        if whole > 0 {
            self.program(self.offered, &chunk[..whole])?;
            self.offered += whole as u32;
        }
        // Keep the tail for the next chunk.
        let tail = &chunk[whole..];
        self.carry[..tail.len()].copy_from_slice(tail);
        self.carry_length = tail.len();
        self.offered += tail.len() as u32;
        Ok(())
    }

    /// Program `bytes` at slot offset `offset`, erasing the sectors it enters first.
    fn program(&mut self, offset: u32, bytes: &[u8]) -> Result<(), UpdateError> {
        let configuration = *self.updater.engine().configuration();
        let end = offset + bytes.len() as u32;
        while self.erased_until < end {
            let address = configuration.secondary.start + self.erased_until;
            let Some(sector) = configuration.geometry.sector_at(address) else {
                break;
            };
            // A 128 KB erase takes up to 2 s on the F429.
            self.updater.platform().feed_watchdog();
            self.updater.flash().erase(
                configuration.offset(sector.start),
                configuration.offset(sector.start + sector.size),
            )?;
            self.erased_until = sector.start + sector.size - configuration.secondary.start;
        }
        self.updater.platform().feed_watchdog();
        self.updater.flash().write(
            configuration.offset(configuration.secondary.start + offset),
            bytes,
        )?;
        Ok(())
    }

    /// Flush the last bytes (padded with the erased value), verify the image and mark it
    /// pending. A refused image is reported and not marked; nothing else changes.
    pub fn finish<V: ImageVerifier<F>>(
        mut self,
        verifier: &mut V,
    ) -> Result<ImageSummary, UpdateError> {
        if self.carry_length > 0 {
            let write_size = F::WRITE_SIZE;
            let erased = self.updater.engine().configuration().geometry.erased_value;
            let mut unit = self.carry;
            unit[self.carry_length..write_size].fill(erased);
            let offset = self.offered - self.carry_length as u32;
            self.program(offset, &unit[..write_size])?;
            self.carry_length = 0;
        }
        let updater = &mut *self.updater;
        // Verification hashes the whole image (about a second for 864 KB at 16 MHz).
        updater.platform.feed_watchdog();
        updater.engine.mark_pending(&mut updater.flash, verifier)
    }
}
