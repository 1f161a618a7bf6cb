//! The two primitives the format uses: SHA-256 (sha2) and Ed25519 verification, from
//! [`crate::ed25519`] (on salty's field arithmetic) when feature `salty` is on, else from
//! `ed25519-compact`.

use crate::{DIGEST_SIZE, KEY_ID_SIZE, PUBLIC_KEY_SIZE, SIGNATURE_SIZE};
use sha2::{Digest, Sha256};

// Without an Ed25519 backend (neither `salty` nor `ed25519-compact`) the crate is the format
// alone: descriptor, trailer parsing, errors and SHA-256, but no signature verification (the
// update engine uses it so, for the typed refusal causes).

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; DIGEST_SIZE] {
    Sha256::digest(data).into()
}

/// The key id the descriptor names: the first 8 bytes of SHA-256 of the public key.
pub fn key_id(public_key: &[u8; PUBLIC_KEY_SIZE]) -> [u8; KEY_ID_SIZE] {
    let digest = sha256(public_key);
    let mut id = [0; KEY_ID_SIZE];
    id.copy_from_slice(&digest[..KEY_ID_SIZE]);
    id
}

/// Whether `signature` is a valid Ed25519 signature of the 32-byte `digest` by `public_key`.
#[cfg(all(feature = "salty", not(feature = "salty-verify")))]
pub fn verify_signature(
    public_key: &[u8; PUBLIC_KEY_SIZE],
    digest: &[u8; DIGEST_SIZE],
    signature: &[u8; SIGNATURE_SIZE],
) -> bool {
    crate::ed25519::verify(public_key, digest, signature)
}

/// Whether `signature` is a valid Ed25519 signature of the 32-byte `digest` by `public_key`,
/// by salty's own verification (feature `salty-verify`, for measurements only: it also
/// accepts `s + L`, which [`crate::ed25519::verify`] rejects).
#[cfg(feature = "salty-verify")]
pub fn verify_signature(
    public_key: &[u8; PUBLIC_KEY_SIZE],
    digest: &[u8; DIGEST_SIZE],
    signature: &[u8; SIGNATURE_SIZE],
) -> bool {
    let Ok(public_key) = salty::PublicKey::try_from(public_key) else {
        return false;
    };
    public_key
        .verify(digest, &salty::Signature::from(signature))
        .is_ok()
}

/// Whether `signature` is a valid Ed25519 signature of the 32-byte `digest` by `public_key`.
#[cfg(all(feature = "ed25519-compact", not(feature = "salty")))]
pub fn verify_signature(
    public_key: &[u8; PUBLIC_KEY_SIZE],
    digest: &[u8; DIGEST_SIZE],
    signature: &[u8; SIGNATURE_SIZE],
) -> bool {
    let public_key = ed25519_compact::PublicKey::new(*public_key);
    let signature = ed25519_compact::Signature::new(*signature);
    public_key.verify(digest, &signature).is_ok()
}
