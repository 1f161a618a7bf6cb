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

/// A key a verifier trusts, in whatever form it keeps it: the raw 32-byte public key (its id
/// and point derived at each verification) or a [`PreparedKey`] (derived ahead of time).
pub trait TrustedKey {
    /// The key id the descriptor names: the first 8 bytes of SHA-256 of the public key
    /// (hashed with the block function of `E` if it has to be computed).
    fn key_id<E: crate::Sha256Engine>(&self) -> [u8; KEY_ID_SIZE];

    /// Whether `signature` is a valid Ed25519 signature of the 32-byte `digest` by this key
    /// (its SHA-512 on the block function of `E` where the backend takes one).
    fn verifies<E: crate::Sha256Engine>(
        &self,
        digest: &[u8; DIGEST_SIZE],
        signature: &[u8; SIGNATURE_SIZE],
    ) -> bool;
}

#[cfg(any(feature = "salty", feature = "ed25519-compact"))]
impl TrustedKey for [u8; PUBLIC_KEY_SIZE] {
    fn key_id<E: crate::Sha256Engine>(&self) -> [u8; KEY_ID_SIZE] {
        crate::key_id_with::<E>(self)
    }

    fn verifies<E: crate::Sha256Engine>(
        &self,
        digest: &[u8; DIGEST_SIZE],
        signature: &[u8; SIGNATURE_SIZE],
    ) -> bool {
        verify_signature(self, digest, signature)
    }
}

/// A trusted public key with what verification derives from it computed ahead of time: its
/// key id and the x coordinate of its negated point (`crate::ed25519::negated_x`). The
/// bootloader's build script prepares the keys it embeds ([`PreparedKey::prepare`] on the
/// host), so a boot neither hashes the key nor takes the square root that decoding the point
/// needs (592 B less bootloader flash, 41,848 instructions fewer per verifying boot,
/// 2026-12-06), and a key that is no curve point is refused when the bootloader is built.
/// Verification with it accepts exactly what verification with the raw key accepts.
#[cfg(feature = "salty")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreparedKey {
    /// The Ed25519 public key as encoded (hashed into every signature's `k`).
    pub public_key: [u8; PUBLIC_KEY_SIZE],
    /// [`key_id`]`(public_key)`.
    pub key_id: [u8; KEY_ID_SIZE],
    /// `crate::ed25519::negated_x(public_key)`: the canonical encoding of the x coordinate
    /// of `−A`.
    pub negated_x: [u8; 32],
}

#[cfg(feature = "salty")]
impl PreparedKey {
    /// The prepared form of `public_key`, or `None` when it encodes no point on the curve
    /// (no signature could verify with it).
    pub fn prepare(public_key: &[u8; PUBLIC_KEY_SIZE]) -> Option<Self> {
        Some(Self {
            public_key: *public_key,
            key_id: key_id(public_key),
            negated_x: crate::ed25519::negated_x(public_key)?,
        })
    }
}

#[cfg(feature = "salty")]
impl TrustedKey for PreparedKey {
    fn key_id<E: crate::Sha256Engine>(&self) -> [u8; KEY_ID_SIZE] {
        self.key_id
    }

    #[cfg(not(feature = "salty-verify"))]
    fn verifies<E: crate::Sha256Engine>(
        &self,
        digest: &[u8; DIGEST_SIZE],
        signature: &[u8; SIGNATURE_SIZE],
    ) -> bool {
        crate::ed25519::verify_prepared::<E>(&self.public_key, &self.negated_x, digest, signature)
    }

    /// salty's own verification (measurements only) decodes the raw key itself.
    #[cfg(feature = "salty-verify")]
    fn verifies<E: crate::Sha256Engine>(
        &self,
        digest: &[u8; DIGEST_SIZE],
        signature: &[u8; SIGNATURE_SIZE],
    ) -> bool {
        verify_signature(&self.public_key, digest, signature)
    }
}
