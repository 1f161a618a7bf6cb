//! Slingshot's signed image format: a trailer after the image, found through vector-table
//! word 7, holding a descriptor, a SHA-256 digest and an Ed25519 signature.
//!
//! # Why a trailer
//!
//! The application's vector table must stay at the start of its slot (the core reads the
//! initial stack pointer and reset vector there, and VTOR needs 512-byte alignment), and any
//! Cortex-M binary — ours, one built with cortex-m-rt, a C program from STM32CubeIDE — must be
//! signable without relinking it. So nothing can go in front of the image. The signer appends
//! a trailer right after the image instead and records the trailer's offset from the image
//! start in **vector-table word 7** (offset 0x1C). ARMv7-M reserves words 7–10; toolchains
//! write zero there and the core never reads them (NXP's LPC parts keep a checksum in word 7
//! the same way). Finding the trailer therefore costs one word read, needs no scanning and
//! no size stored elsewhere.
//!
//! The signer pads the image with `0xFF` to a multiple of 4 bytes, writes that padded size into
//! word 7 **before** hashing, and then hashes the patched image, so the digest (and with it the
//! signature) covers word 7 itself: moving the trailer pointer breaks the hash.
//!
//! # Layout in the slot
//!
//! | part | offset from slot start | size | contents |
//! |------|------------------------|------|----------|
//! | image | 0 | `image_size` | the application; word 7 = `image_size` |
//! | descriptor | `image_size` | `descriptor_size` (128 in version 1) | see below |
//! | digest | `image_size + descriptor_size` | 32 | SHA-256(image ‖ descriptor) |
//! | signature | `image_size + descriptor_size + 32` | 64 | Ed25519 over the 32-byte digest |
//!
//! # Descriptor (format version 1, all fields little-endian)
//!
//! | field | offset | size | meaning |
//! |-------|--------|------|---------|
//! | magic | 0x00 | 4 | [`MAGIC`], bytes `"SLIM"` |
//! | format version | 0x04 | 2 | [`FORMAT_VERSION`] (1) |
//! | descriptor size | 0x06 | 2 | bytes of descriptor, 128–512, multiple of 4 (room to grow) |
//! | image size | 0x08 | 4 | bytes of image before the trailer; equals word 7 |
//! | load address | 0x0C | 4 | where the image runs (the primary slot start) |
//! | board id | 0x10 | 4 | `slingshot_layout::Board::board_id` of the target board |
//! | version major | 0x14 | 2 | semantic version, major |
//! | version minor | 0x16 | 2 | semantic version, minor |
//! | version patch | 0x18 | 2 | semantic version, patch |
//! | hash algorithm | 0x1A | 1 | [`HASH_ALGORITHM_SHA256`] (1) |
//! | signature algorithm | 0x1B | 1 | [`SIGNATURE_ALGORITHM_ED25519`] (1) |
//! | version build | 0x1C | 4 | build number (the `+4` in `1.2.3+4`) |
//! | security counter | 0x20 | 4 | anti-rollback counter: never install a lower one |
//! | flags | 0x24 | 4 | none defined yet; signers write 0 |
//! | key id | 0x28 | 8 | first 8 bytes of SHA-256(signing public key) |
//! | reserved | 0x30 | 80 | zero; later format versions put new fields here |
//!
//! Everything up to the signature is hashed, so every field, the reserved bytes and the
//! padding are covered by the signature.
//!
//! # Verification
//!
//! [`verify_slot`] (memory-mapped flash, as in the bootloader) and [`verify_flash`] (any
//! [`embedded_storage::nor_flash::ReadNorFlash`], as in the update engine) run the same checks.
//! Every read is bounded by the slot before it happens, the hash always covers exactly the
//! declared size, and the signature is checked over the digest *computed* from the slot, never
//! over the stored one — so no check relies on an earlier one having run.
//!
//! In the bootloader (flash is memory-mapped, so the slot is a byte slice):
//!
//! ```
//! # let primary_slot: &[u8] = &[0xFF; 1024];
//! # const TRUSTED_KEYS: [[u8; 32]; 0] = [];
//! match slingshot_image::verify_slot(primary_slot, 0x0800_8000, 0x0429_0001, &TRUSTED_KEYS) {
//!     Ok(image) => { /* hand off; image.descriptor.version for the log */ }
//!     Err(refusal) => {
//!         // e.g. print "refused 0x30: unsigned image: ..." over USART3 and stay.
//!         assert_eq!(refusal, slingshot_image::ImageError::NoDescriptor);
//!         let (_code, _message) = (refusal.code(), refusal.message());
//!     }
//! }
//! ```
//!
//! Ed25519 comes from `ed25519-compact` (default feature) or, with feature `salty`, from
//! `ed25519::verify` (one joint double-scalar multiplication on salty's field arithmetic);
//! `docs/IMAGE_FORMAT.md` has the measurements behind the choice. SHA-256 is sha2's block
//! function by default; [`verify_slot_with`] and [`verify_flash_with`] take any
//! [`Sha256Engine`] (e.g. the Cortex-M4 assembly in `slingshot_stm32::sha256`), with the
//! padding done once in [`Sha256Hasher`].
// The format alone (no Ed25519 backend): the slot-hashing half of `source` and a constant
// serve only verification, which is not compiled then.
#![cfg_attr(
    not(any(feature = "salty", feature = "ed25519-compact")),
    allow(dead_code, unused_imports)
)]
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "signing")]
extern crate alloc;

mod crypto;
mod descriptor;
#[cfg(feature = "salty")]
pub mod ed25519;
mod engine;
mod error;
mod parse;
#[cfg(feature = "signing")]
pub mod signing;
mod source;
#[cfg(any(feature = "salty", feature = "ed25519-compact"))]
mod verify;

#[cfg(any(feature = "salty", feature = "ed25519-compact"))]
pub use crypto::verify_signature;
#[cfg(feature = "salty")]
pub use crypto::PreparedKey;
pub use crypto::{key_id, sha256, TrustedKey};
pub use descriptor::{Descriptor, Version};
#[cfg(feature = "salty")]
pub use ed25519::SHA512_ROUND_CONSTANTS_REST;
pub use engine::{
    key_id_with, sha256_with, Sha256Engine, Sha256Hasher, Sha2Engine, SHA256_BLOCK_SIZE,
    SHA256_ROUND_CONSTANTS,
};
pub use error::ImageError;
pub use parse::{parse_trailer, Trailer};
#[cfg(any(feature = "salty", feature = "ed25519-compact"))]
pub use verify::{verify_flash, verify_flash_with, verify_slot, verify_slot_with, VerifiedImage};

/// Descriptor magic: the bytes `"SLIM"` read as a little-endian word.
pub const MAGIC: u32 = u32::from_le_bytes(*b"SLIM");

/// The descriptor format version this crate writes and reads.
pub const FORMAT_VERSION: u16 = 1;

/// Size in bytes of a version-1 descriptor (what the signer writes).
pub const DESCRIPTOR_SIZE: usize = 128;

/// Largest descriptor size a reader accepts (later versions may grow up to this).
pub const MAXIMUM_DESCRIPTOR_SIZE: usize = 512;

/// Size in bytes of the stored SHA-256 digest.
pub const DIGEST_SIZE: usize = 32;

/// Size in bytes of an Ed25519 signature.
pub const SIGNATURE_SIZE: usize = 64;

/// Size in bytes of an Ed25519 public key.
pub const PUBLIC_KEY_SIZE: usize = 32;

/// Size in bytes of the key id stored in the descriptor.
pub const KEY_ID_SIZE: usize = 8;

/// Size in bytes of the trailer the signer appends (version-1 descriptor, digest, signature).
pub const TRAILER_SIZE: usize = DESCRIPTOR_SIZE + DIGEST_SIZE + SIGNATURE_SIZE;

/// Bytes an application should keep free at the end of its slot for the padding and trailer
/// (`slingshot_layout::linker::write_memory_x`'s `reserve_at_end`): the largest trailer a
/// reader accepts plus 3 bytes of padding, rounded up to 1 KB.
pub const TRAILER_RESERVE: u32 = 1024;

/// Index of the vector-table word that holds the trailer offset.
pub const TRAILER_POINTER_WORD: usize = 7;

/// Byte offset of the trailer pointer in the vector table (word 7).
pub const TRAILER_POINTER_OFFSET: usize = TRAILER_POINTER_WORD * 4;

/// Smallest image: the vector table up to and including word 7.
pub const MINIMUM_IMAGE_SIZE: usize = TRAILER_POINTER_OFFSET + 4;

/// Hash algorithm id for SHA-256.
pub const HASH_ALGORITHM_SHA256: u8 = 1;

/// Signature algorithm id for Ed25519 (over the SHA-256 digest).
pub const SIGNATURE_ALGORITHM_ED25519: u8 = 1;

const _: () = {
    assert!(TRAILER_SIZE == 224);
    assert!((MAXIMUM_DESCRIPTOR_SIZE + DIGEST_SIZE + SIGNATURE_SIZE + 3) as u32 <= TRAILER_RESERVE);
};
