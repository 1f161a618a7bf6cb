//! Host-side signing (feature `signing`): pad the image, patch vector-table word 7 with the
//! trailer offset, build the descriptor, hash, sign with an Ed25519 key and append the trailer.

use crate::{
    key_id, sha256, Descriptor, Version, MINIMUM_IMAGE_SIZE, PUBLIC_KEY_SIZE,
    TRAILER_POINTER_OFFSET,
};
use alloc::vec::Vec;

/// What the signer puts in the descriptor besides sizes and algorithm ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigningParameters {
    /// Address the image runs at (the primary slot start).
    pub load_address: u32,
    /// Board the image is for.
    pub board_id: u32,
    /// Semantic version and build number.
    pub version: Version,
    /// Anti-rollback counter.
    pub security_counter: u32,
}

/// Why an image cannot be signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningError {
    /// The image is shorter than the vector table up to word 7 (32 bytes).
    ImageTooSmall {
        /// The image size in bytes.
        size: usize,
    },
    /// Vector-table word 7 is neither zero nor the padded image size, so the image uses it
    /// for something else (or is already signed with a different layout).
    TrailerPointerInUse {
        /// The value found in word 7.
        value: u32,
    },
    /// The padded image does not fit a 32-bit size.
    ImageTooLarge {
        /// The image size in bytes.
        size: usize,
    },
}

impl core::fmt::Display for SigningError {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SigningError::ImageTooSmall { size } => write!(
                formatter,
                "image is {size} bytes: it must hold at least the vector table up to word 7 \
                 ({MINIMUM_IMAGE_SIZE} bytes)"
            ),
            SigningError::TrailerPointerInUse { value } => write!(
                formatter,
                "vector-table word 7 (offset 0x{TRAILER_POINTER_OFFSET:02x}) holds 0x{value:08x}: \
                 it must be zero (reserved) for slingshot to record the trailer offset there"
            ),
            SigningError::ImageTooLarge { size } => {
                write!(
                    formatter,
                    "image is {size} bytes: too large for a 32-bit image size"
                )
            }
        }
    }
}

impl core::error::Error for SigningError {}

/// Pad `image` with `0xFF` to a multiple of 4 bytes and write the padded size into word 7.
/// Returns the patched image. Word 7 must be zero, or already hold the padded size (an image
/// whose trailer was stripped for re-signing).
pub fn prepare_image(image: &[u8]) -> Result<Vec<u8>, SigningError> {
    if image.len() < MINIMUM_IMAGE_SIZE {
        return Err(SigningError::ImageTooSmall { size: image.len() });
    }
    let padded_length = image.len().next_multiple_of(4);
    let padded_size = u32::try_from(padded_length)
        .map_err(|_| SigningError::ImageTooLarge { size: image.len() })?;
    let word = &image[TRAILER_POINTER_OFFSET..TRAILER_POINTER_OFFSET + 4];
    let value = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
    if value != 0 && value != padded_size {
        return Err(SigningError::TrailerPointerInUse { value });
    }
    let mut patched = Vec::with_capacity(padded_length + crate::TRAILER_SIZE);
    patched.extend_from_slice(image);
    patched.resize(padded_length, 0xFF);
    patched[TRAILER_POINTER_OFFSET..TRAILER_POINTER_OFFSET + 4]
        .copy_from_slice(&padded_size.to_le_bytes());
    Ok(patched)
}

/// Sign `image` (an unsigned application binary starting with its vector table) with the
/// Ed25519 key pair derived from `seed`, returning image, padding and trailer.
pub fn sign_image(
    image: &[u8],
    parameters: &SigningParameters,
    seed: &[u8; 32],
) -> Result<Vec<u8>, SigningError> {
    let public_key = public_key_from_seed(seed);
    let mut signed = prepare_image(image)?;
    let image_size = u32::try_from(signed.len())
        .map_err(|_| SigningError::ImageTooLarge { size: image.len() })?;
    let descriptor = Descriptor::new(
        image_size,
        parameters.load_address,
        parameters.board_id,
        parameters.version,
        parameters.security_counter,
        key_id(&public_key),
    );
    signed.extend_from_slice(&descriptor.encode());
    Ok(seal(&signed, seed))
}

/// The Ed25519 public key for a 32-byte private seed.
pub fn public_key_from_seed(seed: &[u8; 32]) -> [u8; PUBLIC_KEY_SIZE] {
    *ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(*seed)).pk
}

/// Append SHA-256(`image_and_descriptor`) and its Ed25519 signature by the key of `seed`.
/// [`sign_image`] uses it; tools and tests that build unusual descriptors (for example a
/// larger future descriptor) call it directly.
pub fn seal(image_and_descriptor: &[u8], seed: &[u8; 32]) -> Vec<u8> {
    let key_pair = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(*seed));
    let digest = sha256(image_and_descriptor);
    let signature = key_pair.sk.sign(digest, None);
    let mut sealed = Vec::with_capacity(image_and_descriptor.len() + 96);
    sealed.extend_from_slice(image_and_descriptor);
    sealed.extend_from_slice(&digest);
    sealed.extend_from_slice(signature.as_ref());
    sealed
}
