//! The one adapter from signed images (`slingshot-image`) to the update engine's
//! [`ImageVerifier`]: [`image_summary`] says what the engine needs to know of a verified image,
//! and [`FlashImageVerifier`] verifies a slot through any `ReadNorFlash` against a key list,
//! for the host tests, simulated boards and tools. (The bootloader's own verifier hashes
//! straight from memory-mapped flash with the assembly SHA-256 and uses [`image_summary`].)

use crate::KeyRing;
use embedded_storage::nor_flash::{NorFlashErrorKind, ReadNorFlash};
use slingshot_image::{
    key_id, verify_flash, Descriptor, ImageError, DIGEST_SIZE, KEY_ID_SIZE, PUBLIC_KEY_SIZE,
    SIGNATURE_SIZE,
};
use slingshot_layout::Layout;
use slingshot_update::{ImageSummary, ImageVerifier, SlotLocation, VerifyError, Version};

/// What the engine needs of a verified image: its extent (image, descriptor, digest and
/// signature), its security counter and its version, field by field.
pub fn image_summary(descriptor: &Descriptor) -> ImageSummary {
    let version = descriptor.version;
    ImageSummary {
        extent: descriptor.image_size
            + u32::from(descriptor.descriptor_size)
            + (DIGEST_SIZE + SIGNATURE_SIZE) as u32,
        security_counter: descriptor.security_counter,
        version: Version::new(version.major, version.minor, version.patch, version.build),
    }
}

/// The engine's error for an image error: a flash error for a failed read, otherwise a
/// rejection with the image error's code and message.
#[inline]
pub fn verify_error(error: ImageError) -> VerifyError {
    match error {
        ImageError::StorageRead => VerifyError::Flash(NorFlashErrorKind::Other),
        error => VerifyError::Rejected(error),
    }
}

/// Verifies slots as the bootloader does — descriptor, SHA-256, Ed25519 with one of `keys`,
/// the board id and the primary slot's load address of a layout — reading through the flash.
#[derive(Clone, Debug)]
pub struct FlashImageVerifier<K> {
    keys: K,
    load_address: u32,
    board_id: u32,
}

impl<K: AsRef<[[u8; PUBLIC_KEY_SIZE]]>> FlashImageVerifier<K> {
    /// A verifier for images built for `layout` (its board and primary slot) signed with one
    /// of `keys`.
    pub fn for_layout(layout: &Layout, keys: K) -> Self {
        Self {
            keys,
            load_address: layout.partitions.primary.start,
            board_id: layout.board.board_id,
        }
    }
}

impl<F: ReadNorFlash, K: AsRef<[[u8; PUBLIC_KEY_SIZE]]>> ImageVerifier<F>
    for FlashImageVerifier<K>
{
    fn verify(&mut self, flash: &mut F, slot: SlotLocation) -> Result<ImageSummary, VerifyError> {
        let verified = verify_flash(
            flash,
            slot.flash_offset,
            slot.region.size,
            self.load_address,
            self.board_id,
            self.keys.as_ref(),
        )
        .map_err(verify_error)?;
        Ok(image_summary(&verified.descriptor))
    }
}

impl<K: AsRef<[[u8; PUBLIC_KEY_SIZE]]>> KeyRing for FlashImageVerifier<K> {
    fn trusts(&self, id: &[u8; KEY_ID_SIZE]) -> bool {
        self.keys.as_ref().iter().any(|key| key_id(key) == *id)
    }
}
