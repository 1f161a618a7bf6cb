//! Fuzz the signed-image parser and verifier with arbitrary slot content: never a panic, never
//! an out-of-bounds read, and nothing but the genuine signed bytes is ever accepted.
//!
//! The target trusts one key, whose seed is below, and knows the one image signed with it
//! (`reference`, also committed as the seed `fuzz/seeds/image_trailer/signed_by_the_fuzz_key.bin`),
//! so inputs derived from that seed reach the hash and signature checks: whatever verifies
//! must be the reference image, byte for byte, up to the end of its signature.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slingshot_image::signing::{public_key_from_seed, sign_image, SigningParameters};
use slingshot_image::{parse_trailer, verify_slot, Version};
use std::sync::OnceLock;

/// The signing seed of the target's one trusted key (a test key, public on purpose).
const FUZZ_KEY_SEED: [u8; 32] = [0x46; 32];
const LOAD_ADDRESS: u32 = 0x0800_8000;
const BOARD_ID: u32 = 0x0429_0001;

/// The image signed with the trusted key: 2 KB of application (stack pointer, reset vector,
/// word 7 for the trailer offset, then a byte pattern), version 1.2.3+4, counter 5.
fn reference() -> &'static [u8] {
    static REFERENCE: OnceLock<Vec<u8>> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let mut application: Vec<u8> = (0..2048u32).map(|index| (index * 13 + 7) as u8).collect();
        application[0..4].copy_from_slice(&0x2002_FFE0u32.to_le_bytes());
        application[4..8].copy_from_slice(&(LOAD_ADDRESS + 0x101).to_le_bytes());
        application[28..32].fill(0);
        let parameters = SigningParameters {
            load_address: LOAD_ADDRESS,
            board_id: BOARD_ID,
            version: Version {
                major: 1,
                minor: 2,
                patch: 3,
                build: 4,
            },
            security_counter: 5,
        };
        sign_image(&application, &parameters, &FUZZ_KEY_SEED).expect("signed")
    })
}

fn trusted_key() -> [u8; 32] {
    public_key_from_seed(&FUZZ_KEY_SEED)
}

fuzz_target!(|slot: &[u8]| {
    if let Ok(trailer) = parse_trailer(slot) {
        assert!(
            trailer.total_length() <= slot.len(),
            "a parsed trailer lies inside the slot"
        );
    }
    if verify_slot(slot, LOAD_ADDRESS, BOARD_ID, &[trusted_key()]).is_ok() {
        let reference = reference();
        let end = parse_trailer(slot)
            .expect("a verified slot has a trailer")
            .total_length();
        assert!(
            end == reference.len() && slot[..end] == reference[..],
            "bytes other than the genuine signed image were accepted"
        );
    }
    if std::env::var_os("IMAGE_TRAILER_WRITE_SEED").is_some() {
        // `IMAGE_TRAILER_WRITE_SEED=1 image_trailer ANY_INPUT` writes the committed seed.
        std::fs::write(
            "seeds/image_trailer/signed_by_the_fuzz_key.bin",
            reference(),
        )
        .expect("run from fuzz/");
    }
});
