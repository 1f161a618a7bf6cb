//! Where a slot's bytes come from while it is parsed and verified: a memory-mapped slice (the
//! bootloader's flash) or a `ReadNorFlash` device read in chunks. The parser
//! ([`crate::parse`]) and the verifier ([`crate::verify`]) both read through [`SlotSource`].

use crate::engine::{sha256_with, Sha256Engine, Sha256Hasher};
use crate::{ImageError, DIGEST_SIZE};
use embedded_storage::nor_flash::ReadNorFlash;

/// Where the slot's bytes come from. Offsets are relative to the slot start; callers stay
/// inside [`SlotSource::length`], and implementations check again.
pub(crate) trait SlotSource {
    /// Slot length in bytes.
    fn length(&self) -> usize;
    /// Read `buffer.len()` bytes at `offset`.
    fn read(&mut self, offset: usize, buffer: &mut [u8]) -> Result<(), ImageError>;
    /// SHA-256 of `length` bytes at `offset`, with the block function of `E`.
    fn digest<E: Sha256Engine>(
        &mut self,
        offset: usize,
        length: usize,
    ) -> Result<[u8; DIGEST_SIZE], ImageError>;
}

impl SlotSource for &[u8] {
    fn length(&self) -> usize {
        self.len()
    }

    fn read(&mut self, offset: usize, buffer: &mut [u8]) -> Result<(), ImageError> {
        let end = offset
            .checked_add(buffer.len())
            .ok_or(ImageError::ImageSizeBeyondSlot)?;
        let source = self
            .get(offset..end)
            .ok_or(ImageError::ImageSizeBeyondSlot)?;
        buffer.copy_from_slice(source);
        Ok(())
    }

    /// In one piece ([`sha256_with`]): the bootloader's path, which then links no buffering.
    fn digest<E: Sha256Engine>(
        &mut self,
        offset: usize,
        length: usize,
    ) -> Result<[u8; DIGEST_SIZE], ImageError> {
        let end = offset
            .checked_add(length)
            .ok_or(ImageError::ImageSizeBeyondSlot)?;
        Ok(sha256_with::<E>(
            self.get(offset..end)
                .ok_or(ImageError::ImageSizeBeyondSlot)?,
        ))
    }
}

/// Bytes hashed per flash read in [`crate::verify_flash`] (stack buffer size).
const CHUNK_SIZE: usize = 256;

/// A slot inside a `ReadNorFlash` device.
pub(crate) struct FlashSlot<'a, F> {
    pub(crate) flash: &'a mut F,
    pub(crate) start: u32,
    pub(crate) size: u32,
}

impl<F: ReadNorFlash> FlashSlot<'_, F> {
    fn absolute(&self, offset: usize, length: usize) -> Result<u32, ImageError> {
        let end = offset
            .checked_add(length)
            .ok_or(ImageError::ImageSizeBeyondSlot)?;
        if end > self.size as usize {
            return Err(ImageError::ImageSizeBeyondSlot);
        }
        // `offset < size <= u32::MAX`, and the slot lies inside the device (checked on entry).
        Ok(self.start + offset as u32)
    }
}

impl<F: ReadNorFlash> SlotSource for FlashSlot<'_, F> {
    fn length(&self) -> usize {
        self.size as usize
    }

    fn read(&mut self, offset: usize, buffer: &mut [u8]) -> Result<(), ImageError> {
        let address = self.absolute(offset, buffer.len())?;
        self.flash
            .read(address, buffer)
            .map_err(|_| ImageError::StorageRead)
    }

    fn digest<E: Sha256Engine>(
        &mut self,
        offset: usize,
        length: usize,
    ) -> Result<[u8; DIGEST_SIZE], ImageError> {
        self.absolute(offset, length)?;
        let mut hasher = Sha256Hasher::<E>::new();
        let mut buffer = [0; CHUNK_SIZE];
        let mut done = 0;
        while done < length {
            let count = (length - done).min(CHUNK_SIZE);
            let chunk = &mut buffer[..count];
            self.read(offset + done, chunk)?;
            hasher.update(&*chunk);
            done += count;
        }
        Ok(hasher.finalize())
    }
}
