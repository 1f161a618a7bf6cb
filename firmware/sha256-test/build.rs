//! Writes the 256 KB pseudo-random test buffer and its SHA-256 digests (whole, and without the
//! first byte: an unaligned start) computed on the host with sha2 into OUT_DIR, and puts
//! memory.x on the linker path.

use sha2::{Digest, Sha256};
use std::{env, fs, path::PathBuf};

/// Size of the pseudo-random buffer (the largest image the bootloader must verify fast).
const BUFFER_SIZE: usize = 256 * 1024;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut state: u32 = 0x2545_F491;
    let buffer: Vec<u8> = (0..BUFFER_SIZE)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    fs::write(out.join("buffer.bin"), &buffer).expect("OUT_DIR is writable");
    fs::write(out.join("buffer.sha256"), Sha256::digest(&buffer)).expect("OUT_DIR is writable");
    fs::write(
        out.join("buffer_from_1.sha256"),
        Sha256::digest(&buffer[1..]),
    )
    .expect("OUT_DIR is writable");
    fs::copy("memory.x", out.join("memory.x")).expect("memory.x is present");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=memory.x");
}
