//! Full verification of a slot: structure ([`crate::parse_trailer`]), load address, board,
//! SHA-256 digest and Ed25519 signature against a list of trusted keys, over memory-mapped
//! flash ([`verify_slot`]) or any `ReadNorFlash` ([`verify_flash`]). The `_with` variants
//! take the SHA-256 block function as a type parameter ([`Sha256Engine`]); the plain ones use
//! sha2's ([`Sha2Engine`]).

use crate::crypto::TrustedKey;
use crate::engine::{Sha256Engine, Sha2Engine};
use crate::parse::{locate, Trailer};
use crate::source::{FlashSlot, SlotSource};
use crate::{Descriptor, ImageError, DIGEST_SIZE, PUBLIC_KEY_SIZE};
use embedded_storage::nor_flash::ReadNorFlash;

/// An image that passed every check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedImage {
    /// The (now authenticated) descriptor.
    pub descriptor: Descriptor,
    /// SHA-256 of the image and descriptor.
    pub digest: [u8; DIGEST_SIZE],
    /// Index in the trusted key list of the key that signed the image.
    pub key_index: usize,
}

/// Verify the signed image at the start of a memory-mapped slot (the bootloader's case:
/// `slot` covers the whole primary partition).
///
/// Accepts only an image whose trailer lies inside `slot`, built for `load_address` and
/// `board_id`, whose SHA-256 matches and whose signature verifies with one of `keys`
/// (any of them: key rotation). Returns the first refusal otherwise; see [`ImageError`].
pub fn verify_slot(
    slot: &[u8],
    load_address: u32,
    board_id: u32,
    keys: &[[u8; PUBLIC_KEY_SIZE]],
) -> Result<VerifiedImage, ImageError> {
    verify_slot_with::<Sha2Engine>(slot, load_address, board_id, keys)
}

/// [`verify_slot`] hashing with the block function of `E` (e.g. the Cortex-M4 assembly of
/// `slingshot_stm32::sha256`), with keys in any [`TrustedKey`] form (raw public keys or
/// [`crate::PreparedKey`]s); the same checks in the same order, the same results.
pub fn verify_slot_with<E: Sha256Engine>(
    slot: &[u8],
    load_address: u32,
    board_id: u32,
    keys: &[impl TrustedKey],
) -> Result<VerifiedImage, ImageError> {
    verify_source::<_, E, _>(&mut &*slot, load_address, board_id, keys)
}

/// Verify the signed image in the slot `[slot_start, slot_start + slot_size)` of `flash`
/// (the update engine's case), hashing through a 256-byte stack buffer. Reads are at
/// 4-byte-aligned offsets with lengths that are multiples of 4, so the device's `READ_SIZE`
/// must divide 4 (it is 1 on the STM32F4). A slot outside the device is refused as
/// [`ImageError::ImageSizeBeyondSlot`].
pub fn verify_flash<F: ReadNorFlash>(
    flash: &mut F,
    slot_start: u32,
    slot_size: u32,
    load_address: u32,
    board_id: u32,
    keys: &[[u8; PUBLIC_KEY_SIZE]],
) -> Result<VerifiedImage, ImageError> {
    verify_flash_with::<F, Sha2Engine>(flash, slot_start, slot_size, load_address, board_id, keys)
}

/// [`verify_flash`] hashing with the block function of `E`, with keys in any [`TrustedKey`]
/// form; the same checks, the same results.
pub fn verify_flash_with<F: ReadNorFlash, E: Sha256Engine>(
    flash: &mut F,
    slot_start: u32,
    slot_size: u32,
    load_address: u32,
    board_id: u32,
    keys: &[impl TrustedKey],
) -> Result<VerifiedImage, ImageError> {
    let capacity = flash.capacity();
    let inside = (slot_start as usize)
        .checked_add(slot_size as usize)
        .is_some_and(|end| end <= capacity);
    if !inside {
        return Err(ImageError::ImageSizeBeyondSlot);
    }
    let mut source = FlashSlot {
        flash,
        start: slot_start,
        size: slot_size,
    };
    verify_source::<_, E, _>(&mut source, load_address, board_id, keys)
}

fn verify_source<S: SlotSource, E: Sha256Engine, K: TrustedKey>(
    slot: &mut S,
    load_address: u32,
    board_id: u32,
    keys: &[K],
) -> Result<VerifiedImage, ImageError> {
    let trailer: Trailer = locate(slot)?;
    let descriptor = trailer.descriptor;
    if descriptor.load_address != load_address {
        return Err(ImageError::WrongLoadAddress);
    }
    if descriptor.board_id != board_id {
        return Err(ImageError::WrongBoard);
    }
    // `locate` bounded `hashed_length` by the slot; `digest` checks again.
    let digest = slot.digest::<E>(0, trailer.hashed_length())?;
    if digest != trailer.stored_digest {
        return Err(ImageError::HashMismatch);
    }
    // The signature is checked over the digest just computed, never over the stored one.
    let mut named_key_found = false;
    for (key_index, key) in keys.iter().enumerate() {
        if key.key_id::<E>() != descriptor.key_id {
            continue;
        }
        named_key_found = true;
        if key.verifies::<E>(&digest, &trailer.signature) {
            return Ok(VerifiedImage {
                descriptor,
                digest,
                key_index,
            });
        }
    }
    Err(if named_key_found {
        ImageError::BadSignature
    } else {
        ImageError::NoTrustedKey
    })
}
