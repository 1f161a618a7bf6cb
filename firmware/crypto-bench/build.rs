//! Builds the signed test image the benchmark verifies: a fake application of
//! `SLINGSHOT_BENCH_IMAGE_KB` KB (default 256) signed with a fixed key (RFC 8032 test 1
//! seed), plus that key, into OUT_DIR; and puts memory.x on the linker path.

use slingshot_image::signing::{public_key_from_seed, sign_image, SigningParameters};
use slingshot_image::Version;
use std::{env, fs, path::PathBuf};

/// RFC 8032 §7.1 test 1 secret key.
const SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let kilobytes: usize = env::var("SLINGSHOT_BENCH_IMAGE_KB")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(256);
    // Leave room for the trailer inside the size (at least 256 bytes of image).
    let length = (kilobytes * 1024).saturating_sub(1024).max(256);
    let mut image = vec![0u8; length];
    image[0..4].copy_from_slice(&0x2002_0000u32.to_le_bytes());
    image[4..8].copy_from_slice(&0x0800_8101u32.to_le_bytes());
    let mut state: u32 = 0x1234_5678;
    for byte in image.iter_mut().skip(64) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *byte = state as u8;
    }
    let parameters = SigningParameters {
        load_address: 0x0800_8000,
        board_id: 0x0429_0001,
        version: Version {
            major: 1,
            minor: 0,
            patch: 0,
            build: 0,
        },
        security_counter: 0,
    };
    let signed = sign_image(&image, &parameters, &SEED).expect("the bench image is signable");
    fs::write(out.join("image.bin"), &signed).expect("OUT_DIR is writable");
    fs::write(out.join("key.bin"), public_key_from_seed(&SEED)).expect("OUT_DIR is writable");
    fs::copy("memory.x", out.join("memory.x")).expect("memory.x is present");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-env-changed=SLINGSHOT_BENCH_IMAGE_KB");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=memory.x");
}
