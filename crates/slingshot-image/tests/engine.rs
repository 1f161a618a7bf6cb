//! The pluggable SHA-256 path: `sha256_with` (one piece) and `Sha256Hasher` (in pieces) over
//! an engine must equal sha2's `sha256()` on every length (the 55/56/64-byte padding edges
//! included) and every way of splitting the input, give the FIPS 180-4 example digests, and
//! `verify_*_with` must really hash with the engine it is given.

mod common;

use common::*;
use embedded_storage::nor_flash::{ErrorType, NorFlashErrorKind, ReadNorFlash};
use slingshot_image::*;
use std::cell::Cell;

/// Deterministic test bytes (the tests' one generator, fixed seed).
fn bytes(length: usize, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0; length];
    slingshot_flash_sim::SplitMix64::new(seed).fill(&mut bytes);
    bytes
}

fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

thread_local! {
    static BLOCKS: Cell<usize> = const { Cell::new(0) };
}

/// sha2's block function that also counts the blocks it was given.
struct CountingEngine;

impl Sha256Engine for CountingEngine {
    fn compress(state: &mut [u32; 8], blocks: &[[u8; 64]]) {
        BLOCKS.with(|count| count.set(count.get() + blocks.len()));
        Sha2Engine::compress(state, blocks);
    }
}

/// A wrong block function (one state bit flipped per block): a path that ignored the engine
/// would still verify.
struct WrongEngine;

impl Sha256Engine for WrongEngine {
    fn compress(state: &mut [u32; 8], blocks: &[[u8; 64]]) {
        Sha2Engine::compress(state, blocks);
        state[0] ^= 1;
    }
}

#[test]
fn engine_path_matches_sha2_on_every_length_up_to_300_and_beyond() {
    let data = bytes(70_000, 0x1234_5678);
    let lengths = (0..=300).chain([
        511, 512, 513, 1000, 4095, 4096, 4097, 65_535, 65_536, 70_000,
    ]);
    for length in lengths {
        let expected = sha256(&data[..length]);
        assert_eq!(
            sha256_with::<Sha2Engine>(&data[..length]),
            expected,
            "length {length}"
        );
        // The streaming hasher (a `ReadNorFlash` slot) pads the same, fed in two pieces.
        let mut hasher = Sha256Hasher::<Sha2Engine>::new();
        hasher.update(&data[..length / 3]);
        hasher.update(&data[length / 3..length]);
        assert_eq!(hasher.finalize(), expected, "hasher, length {length}");
    }
}

#[test]
fn padding_uses_one_block_up_to_55_bytes_and_two_from_56() {
    for (length, blocks) in [
        (0, 1),
        (55, 1),
        (56, 2),
        (63, 2),
        (64, 2),
        (119, 2),
        (120, 3),
        (128, 3),
    ] {
        BLOCKS.with(|count| count.set(0));
        let digest = sha256_with::<CountingEngine>(&bytes(length, 7));
        assert_eq!(digest, sha256(&bytes(length, 7)), "length {length}");
        assert_eq!(BLOCKS.with(Cell::get), blocks, "blocks for {length} bytes");
    }
}

#[test]
fn any_split_of_the_input_gives_the_same_digest() {
    let data = bytes(1000, 99);
    let expected = sha256(&data);
    for piece in [1, 3, 55, 56, 63, 64, 65, 127, 128, 256, 999] {
        let mut hasher = Sha256Hasher::<Sha2Engine>::new();
        for chunk in data.chunks(piece) {
            hasher.update(chunk);
        }
        assert_eq!(hasher.finalize(), expected, "pieces of {piece} bytes");
    }
}

#[test]
fn fips_180_examples() {
    let million_a = vec![b'a'; 1_000_000];
    let vectors: [(&[u8], &str); 5] = [
        (
            b"",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            b"abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        ),
        (
            b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
        ),
        (
            &million_a,
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
        ),
    ];
    for (message, expected) in vectors {
        assert_eq!(hex(&sha256_with::<Sha2Engine>(message)), expected);
    }
}

#[test]
fn key_id_with_matches_key_id() {
    let key = public(&SEED);
    assert_eq!(key_id_with::<Sha2Engine>(&key), key_id(&key));
}

#[test]
fn verify_slot_with_hashes_with_the_given_engine() {
    let slot = in_slot(&signed(10_001, &SEED), 0x8000);
    let keys = [public(&SEED)];
    let plain = verify_slot(&slot, LOAD_ADDRESS, BOARD_ID, &keys).expect("valid");
    assert_eq!(
        verify_slot_with::<Sha2Engine>(&slot, LOAD_ADDRESS, BOARD_ID, &keys),
        Ok(plain)
    );
    assert_eq!(
        verify_slot_with::<WrongEngine>(&slot, LOAD_ADDRESS, BOARD_ID, &keys),
        Err(ImageError::HashMismatch)
    );
}

/// A `ReadNorFlash` over a byte vector.
struct VectorFlash(Vec<u8>);

#[derive(Debug)]
struct NeverFails;

impl embedded_storage::nor_flash::NorFlashError for NeverFails {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

impl ErrorType for VectorFlash {
    type Error = NeverFails;
}

impl ReadNorFlash for VectorFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), NeverFails> {
        let start = offset as usize;
        bytes.copy_from_slice(&self.0[start..start + bytes.len()]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.0.len()
    }
}

#[test]
fn verify_flash_with_hashes_with_the_given_engine() {
    let slot = in_slot(&signed(5_000, &SEED), 0x4000);
    let keys = [public(&SEED)];
    let mut flash = VectorFlash(slot.clone());
    let expected = verify_slot(&slot, LOAD_ADDRESS, BOARD_ID, &keys).expect("valid");
    assert_eq!(
        verify_flash_with::<_, Sha2Engine>(&mut flash, 0, 0x4000, LOAD_ADDRESS, BOARD_ID, &keys),
        Ok(expected)
    );
    assert_eq!(
        verify_flash_with::<_, WrongEngine>(&mut flash, 0, 0x4000, LOAD_ADDRESS, BOARD_ID, &keys),
        Err(ImageError::HashMismatch)
    );
}
