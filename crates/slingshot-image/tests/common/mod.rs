//! Shared fixtures for the slingshot-image tests: a fake application image, fixed keys and
//! the board/load address the images are signed for.
#![allow(dead_code)]

use slingshot_image::signing::{public_key_from_seed, sign_image, SigningParameters};
use slingshot_image::Version;

/// The primary slot start of the dual-slot F429 layout.
pub const LOAD_ADDRESS: u32 = 0x0800_8000;
/// The Nucleo-F429ZI board id.
pub const BOARD_ID: u32 = 0x0429_0001;

/// RFC 8032 §7.1 test 1 secret key (a published, fixed seed).
pub const SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];
/// A second fixed seed (the "rotated" key).
pub const SECOND_SEED: [u8; 32] = [0x11; 32];
/// A seed whose key is never trusted.
pub const UNKNOWN_SEED: [u8; 32] = [0x77; 32];

/// The public key of a seed.
pub fn public(seed: &[u8; 32]) -> [u8; 32] {
    public_key_from_seed(seed)
}

/// A fake application: vector table (stack pointer, reset vector with Thumb bit), word 7
/// zero, then `length - 32` bytes of deterministic "code".
pub fn application(length: usize) -> Vec<u8> {
    let mut image = vec![0u8; length];
    image[0..4].copy_from_slice(&0x2002_FFE0u32.to_le_bytes());
    image[4..8].copy_from_slice(&0x0800_8101u32.to_le_bytes());
    for (index, byte) in image.iter_mut().enumerate().skip(64) {
        *byte = (index * 7 + 3) as u8;
    }
    image
}

/// The parameters the tests sign with.
pub fn parameters() -> SigningParameters {
    SigningParameters {
        load_address: LOAD_ADDRESS,
        board_id: BOARD_ID,
        version: Version {
            major: 1,
            minor: 2,
            patch: 3,
            build: 4,
        },
        security_counter: 5,
    }
}

/// `application(length)` signed with `seed`.
pub fn signed(length: usize, seed: &[u8; 32]) -> Vec<u8> {
    sign_image(&application(length), &parameters(), seed).expect("signable")
}

/// Put `image` at the start of an erased slot of `slot_size` bytes.
pub fn in_slot(image: &[u8], slot_size: usize) -> Vec<u8> {
    let mut slot = vec![0xFF; slot_size];
    slot[..image.len()].copy_from_slice(image);
    slot
}
