//! Finding and structurally checking the trailer: word 7, bounds, magic, format version,
//! descriptor size, algorithms. Every read is bounded by the slot before it happens, so no
//! input makes it panic or read outside the slot.

use crate::source::SlotSource;
use crate::{
    Descriptor, ImageError, DESCRIPTOR_SIZE, DIGEST_SIZE, MINIMUM_IMAGE_SIZE, SIGNATURE_SIZE,
    TRAILER_POINTER_OFFSET,
};

/// A structurally valid trailer, found through word 7. Nothing about it is trusted yet: see
/// [`crate::verify_slot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// The decoded descriptor.
    pub descriptor: Descriptor,
    /// The digest stored after the descriptor.
    pub stored_digest: [u8; DIGEST_SIZE],
    /// The signature stored after the digest.
    pub signature: [u8; SIGNATURE_SIZE],
}

impl Trailer {
    /// Offset of the descriptor from the slot start (= the image size = word 7).
    pub fn descriptor_offset(&self) -> usize {
        self.descriptor.image_size as usize
    }

    /// Number of bytes the digest covers: the image and the whole descriptor.
    pub fn hashed_length(&self) -> usize {
        self.descriptor_offset() + usize::from(self.descriptor.descriptor_size)
    }

    /// Offset of the stored digest from the slot start.
    pub fn digest_offset(&self) -> usize {
        self.hashed_length()
    }

    /// Offset of the signature from the slot start.
    pub fn signature_offset(&self) -> usize {
        self.hashed_length() + DIGEST_SIZE
    }

    /// Total length of image plus trailer: where the next byte after the signature would be.
    pub fn total_length(&self) -> usize {
        self.signature_offset() + SIGNATURE_SIZE
    }
}

/// Find and structurally check the trailer of the image at the start of `slot_bytes`.
///
/// Checks word 7, that the trailer lies inside `slot_bytes`, the magic, the format version,
/// the descriptor size, the algorithm ids and that the descriptor's image size equals word 7.
/// It checks neither the load address, the board, the hash nor the signature. Never panics.
pub fn parse_trailer(slot_bytes: &[u8]) -> Result<Trailer, ImageError> {
    locate(&mut &*slot_bytes)
}

/// Whether the region `[offset, offset + length)` lies inside a slot of `slot_length` bytes.
fn fits(offset: usize, length: usize, slot_length: usize) -> bool {
    offset
        .checked_add(length)
        .is_some_and(|end| end <= slot_length)
}

pub(crate) fn locate<S: SlotSource>(slot: &mut S) -> Result<Trailer, ImageError> {
    let slot_length = slot.length();
    if slot_length < MINIMUM_IMAGE_SIZE {
        return Err(ImageError::NoDescriptor);
    }
    let mut word = [0; 4];
    slot.read(TRAILER_POINTER_OFFSET, &mut word)?;
    let pointer = u32::from_le_bytes(word);
    if pointer == 0
        || pointer == u32::MAX
        || (pointer as usize) < MINIMUM_IMAGE_SIZE
        || pointer % 4 != 0
    {
        return Err(ImageError::NoDescriptor);
    }
    let descriptor_offset = pointer as usize;
    if !fits(
        descriptor_offset,
        DESCRIPTOR_SIZE + DIGEST_SIZE + SIGNATURE_SIZE,
        slot_length,
    ) {
        return Err(ImageError::ImageSizeBeyondSlot);
    }
    let mut bytes = [0; DESCRIPTOR_SIZE];
    slot.read(descriptor_offset, &mut bytes)?;
    let descriptor = Descriptor::decode(&bytes);
    descriptor.check_structure()?;
    let descriptor_size = usize::from(descriptor.descriptor_size);
    if descriptor.image_size != pointer {
        return Err(ImageError::ImageSizeMismatch);
    }
    if !fits(
        descriptor_offset,
        descriptor_size + DIGEST_SIZE + SIGNATURE_SIZE,
        slot_length,
    ) {
        return Err(ImageError::ImageSizeBeyondSlot);
    }
    let digest_offset = descriptor_offset + descriptor_size;
    let mut stored_digest = [0; DIGEST_SIZE];
    slot.read(digest_offset, &mut stored_digest)?;
    let mut signature = [0; SIGNATURE_SIZE];
    slot.read(digest_offset + DIGEST_SIZE, &mut signature)?;
    Ok(Trailer {
        descriptor,
        stored_digest,
        signature,
    })
}
