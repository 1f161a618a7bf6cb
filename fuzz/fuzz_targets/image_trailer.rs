//! Fuzz the signed-image parser and verifier with arbitrary slot content: never a panic,
//! never an out-of-bounds read, and nothing unsigned is ever accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slingshot_image::{parse_trailer, verify_slot};

/// A fixed trusted key: arbitrary input cannot carry a valid signature for it.
const TRUSTED_KEY: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];

fuzz_target!(|slot: &[u8]| {
    if let Ok(trailer) = parse_trailer(slot) {
        assert!(
            trailer.total_length() <= slot.len(),
            "a parsed trailer lies inside the slot"
        );
    }
    let verdict = verify_slot(slot, 0x0800_8000, 0x0429_0001, &[TRUSTED_KEY]);
    assert!(
        verdict.is_err(),
        "arbitrary bytes were accepted as a signed image"
    );
});
