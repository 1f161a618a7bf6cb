//! SHA-512 (FIPS 180-4 §6.4) of a few byte strings, for Ed25519's `k = SHA-512(R ‖ A ‖ M)`,
//! written for the bootloader's flash rather than for speed.
//!
//! Verification hashes one 128-byte block (`R`, `A` and a 32-byte digest: 96 bytes plus
//! padding), so the block function's speed does not matter at boot, but its size does: sha2's
//! compact backend (an 852 B block function) behind its `Digest` buffering was larger; this
//! one-shot function with a rolled round loop, whose working variables change names instead
//! of places, is smaller (docs/SIZE_HISTORY.md has the figures). Of the 80 round constants it
//! stores only what SHA-256's table ([`SHA256_ROUND_CONSTANTS`], which the bootloader's
//! assembly reads too) lacks: the high halves of the first 64 are SHA-256's constants. The
//! tests below check it against sha2 on every length up to 300 bytes, each split into three
//! parts several ways.
//!
//! The block function is pluggable ([`crate::Sha256Engine::compress_sha512`], this module's
//! [`compress`] by default): the bootloader runs a smaller one in Thumb-2 assembly
//! (`slingshot_stm32::sha512`), tested in QEMU against this one.

use crate::{Sha256Engine, SHA256_ROUND_CONSTANTS};

/// The round constants (FIPS 180-4 §4.2.3) that SHA-256's table lacks: the low halves of all 80,
/// then the high halves of the last 16. The high halves of the first 64 are SHA-256's
/// constants ([`SHA256_ROUND_CONSTANTS`], the same cube roots to 32 bits), stored once for both
/// hashes; a firmware's own block function takes both tables (the bootloader's assembly,
/// `slingshot_stm32::sha512`).
pub static SHA512_ROUND_CONSTANTS_REST: [u32; 96] = [
    0xd728_ae22,
    0x23ef_65cd,
    0xec4d_3b2f,
    0x8189_dbbc,
    0xf348_b538,
    0xb605_d019,
    0xaf19_4f9b,
    0xda6d_8118,
    0xa303_0242,
    0x4570_6fbe,
    0x4ee4_b28c,
    0xd5ff_b4e2,
    0xf27b_896f,
    0x3b16_96b1,
    0x25c7_1235,
    0xcf69_2694,
    0x9ef1_4ad2,
    0x384f_25e3,
    0x8b8c_d5b5,
    0x77ac_9c65,
    0x592b_0275,
    0x6ea6_e483,
    0xbd41_fbd4,
    0x8311_53b5,
    0xee66_dfab,
    0x2db4_3210,
    0x98fb_213f,
    0xbeef_0ee4,
    0x3da8_8fc2,
    0x930a_a725,
    0xe003_826f,
    0x0a0e_6e70,
    0x46d2_2ffc,
    0x5c26_c926,
    0x5ac4_2aed,
    0x9d95_b3df,
    0x8baf_63de,
    0x3c77_b2a8,
    0x47ed_aee6,
    0x1482_353b,
    0x4cf1_0364,
    0xbc42_3001,
    0xd0f8_9791,
    0x0654_be30,
    0xd6ef_5218,
    0x5565_a910,
    0x5771_202a,
    0x32bb_d1b8,
    0xb8d2_d0c8,
    0x5141_ab53,
    0xdf8e_eb99,
    0xe19b_48a8,
    0xc5c9_5a63,
    0xe341_8acb,
    0x7763_e373,
    0xd6b2_b8a3,
    0x5def_b2fc,
    0x4317_2f60,
    0xa1f0_ab72,
    0x1a64_39ec,
    0x2363_1e28,
    0xde82_bde9,
    0xb2c6_7915,
    0xe372_532b,
    0xea26_619c,
    0x21c0_c207,
    0xcde0_eb1e,
    0xee6e_d178,
    0x7217_6fba,
    0xa2c8_98a6,
    0xbef9_0dae,
    0x131c_471b,
    0x2304_7d84,
    0x40c7_2493,
    0x15c9_bebc,
    0x9c10_0d4c,
    0xcb3e_42b6,
    0xfc65_7e2a,
    0x3ad6_faec,
    0x4a47_5817,
    0xca27_3ece,
    0xd186_b8c7,
    0xeada_7dd6,
    0xf57d_4f7f,
    0x06f0_67aa,
    0x0a63_7dc5,
    0x113f_9804,
    0x1b71_0b35,
    0x28db_77f5,
    0x32ca_ab7b,
    0x3c9e_be0a,
    0x431d_67c4,
    0x4cc5_d4be,
    0x597f_299c,
    0x5fcb_6fab,
    0x6c44_198c,
];

/// Rounds per block.
const ROUNDS: usize = 80;

/// The constant K of `round` (0–79).
fn round_constant(round: usize) -> u64 {
    let high = match round.checked_sub(SHA256_ROUND_CONSTANTS.len()) {
        None => SHA256_ROUND_CONSTANTS[round],
        Some(tail) => SHA512_ROUND_CONSTANTS_REST[ROUNDS + tail],
    };
    u64::from(high) << 32 | u64::from(SHA512_ROUND_CONSTANTS_REST[round])
}

/// The initial hash value (FIPS 180-4 §5.3.5).
pub const INITIAL_STATE: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// Bytes per block.
const BLOCK_SIZE: usize = 128;

/// Where the 128-bit message length starts in the last block (its upper 64 bits stay zero:
/// the messages here are far below 2^61 bytes).
const LENGTH_OFFSET: usize = BLOCK_SIZE - 8;

/// SHA-512 of `R ‖ A ‖ M` for the `R` half of `signature`, `public_key` and a 32-byte
/// `message` (an image digest: what the bootloader verifies), with the block function of
/// `E`: 96 bytes fit one block, whose padding is fixed, so no buffering and no length
/// arithmetic are linked.
pub(super) fn sha512_of_one_block<E: Sha256Engine>(
    signature: &[u8; 64],
    public_key: &[u8; 32],
    message: &[u8; 32],
) -> [u8; 64] {
    let mut block = [0u8; BLOCK_SIZE];
    block[..32].copy_from_slice(&signature[..32]);
    block[32..64].copy_from_slice(public_key);
    block[64..96].copy_from_slice(message);
    block[96] = 0x80;
    // The length in bits, 768, in the last two bytes of the 128-bit length field.
    block[BLOCK_SIZE - 2..].copy_from_slice(&(96u16 * 8).to_be_bytes());
    let mut state = INITIAL_STATE;
    E::compress_sha512(&mut state, &block);
    digest(state)
}

/// The digest bytes of a final state (each word big-endian).
fn digest(state: [u64; 8]) -> [u8; 64] {
    let mut digest = [0; 64];
    for (bytes, word) in digest.chunks_exact_mut(8).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// SHA-512 of the concatenation of `parts`, with the block function of `E`.
pub(super) fn sha512<E: Sha256Engine>(parts: &[&[u8]]) -> [u8; 64] {
    let mut state = INITIAL_STATE;
    let mut block = [0u8; BLOCK_SIZE];
    let mut filled = 0;
    let mut length: u64 = 0;
    for part in parts {
        for &byte in *part {
            block[filled] = byte;
            filled += 1;
            if filled == BLOCK_SIZE {
                E::compress_sha512(&mut state, &block);
                filled = 0;
            }
        }
        length += part.len() as u64;
    }
    block[filled] = 0x80;
    filled += 1;
    if filled > BLOCK_SIZE - 16 {
        block[filled..].fill(0);
        E::compress_sha512(&mut state, &block);
        filled = 0;
    }
    block[filled..LENGTH_OFFSET].fill(0);
    block[LENGTH_OFFSET..].copy_from_slice(&(length * 8).to_be_bytes());
    E::compress_sha512(&mut state, &block);
    digest(state)
}

/// The block function (FIPS 180-4 §6.4.2), the message schedule kept in 16 words: the
/// portable one, [`crate::Sha256Engine::compress_sha512`]'s default.
#[inline(never)]
pub fn compress(state: &mut [u64; 8], block: &[u8; BLOCK_SIZE]) {
    let mut schedule = [0u64; 16];
    for (word, bytes) in schedule.iter_mut().zip(block.chunks_exact(8)) {
        *word = bytes
            .iter()
            .fold(0, |word, &byte| word << 8 | u64::from(byte));
    }
    // Built once per block (640 bytes of stack): smaller than combining the halves in the
    // round loop.
    let constants: [u64; ROUNDS] = core::array::from_fn(round_constant);
    let mut working = *state;
    for (round, constant) in constants.iter().enumerate() {
        let index = round % 16;
        if round >= 16 {
            schedule[index] = schedule[index]
                .wrapping_add(sigma(schedule[(index + 14) % 16], 19, 61, 6))
                .wrapping_add(schedule[(index + 9) % 16])
                .wrapping_add(sigma(schedule[(index + 1) % 16], 1, 8, 7));
        }
        // The working variables a..h stay where they are and their names move instead (a is
        // at `slot(0)`, h at `slot(7)`): no eight 64-bit moves per round on a core with
        // thirteen 32-bit registers.
        let slot = |variable: usize| (variable + ROUNDS - round) % 8;
        let [a, b, c, e, f, g, h] = [0, 1, 2, 4, 5, 6, 7].map(|variable| working[slot(variable)]);
        let temporary1 = h
            .wrapping_add(big_sigma(e, 14, 18, 41))
            .wrapping_add((e & f) ^ (!e & g))
            .wrapping_add(*constant)
            .wrapping_add(schedule[index]);
        let temporary2 = big_sigma(a, 28, 34, 39).wrapping_add((a & b) ^ (a & c) ^ (b & c));
        // d + T1 is the next round's e, T1 + T2 in h's place its a.
        working[slot(3)] = working[slot(3)].wrapping_add(temporary1);
        working[slot(7)] = temporary1.wrapping_add(temporary2);
    }
    for (word, value) in state.iter_mut().zip(working) {
        *word = word.wrapping_add(value);
    }
}

/// Σ: the xor of three rotations (Σ0 with 28, 34, 39; Σ1 with 14, 18, 41).
fn big_sigma(word: u64, first: u32, second: u32, third: u32) -> u64 {
    word.rotate_right(first) ^ word.rotate_right(second) ^ word.rotate_right(third)
}

/// σ: the xor of two rotations and a shift (σ0 with 1, 8 and 7; σ1 with 19, 61 and 6).
fn sigma(word: u64, first: u32, second: u32, shift: u32) -> u64 {
    word.rotate_right(first) ^ word.rotate_right(second) ^ (word >> shift)
}

#[cfg(test)]
mod tests {
    extern crate alloc;

    use crate::Sha2Engine;
    use alloc::vec::Vec;

    fn sha512(parts: &[&[u8]]) -> [u8; 64] {
        super::sha512::<Sha2Engine>(parts)
    }
    use sha2::{Digest, Sha512};

    #[test]
    fn the_fips_examples() {
        let abc = sha512(&[b"abc"]);
        assert_eq!(
            abc[..8],
            [0xdd, 0xaf, 0x35, 0xa1, 0x93, 0x61, 0x7a, 0xba],
            "FIPS 180-4 example \"abc\""
        );
        assert_eq!(abc[..], Sha512::digest(b"abc")[..]);
        let empty = sha512(&[]);
        assert_eq!(empty[..4], [0xcf, 0x83, 0xe1, 0x35], "SHA-512 of no bytes");
    }

    #[test]
    fn one_block_form_agrees_with_sha2() {
        let data: Vec<u8> = (0..128u32).map(|index| (index * 89 + 11) as u8).collect();
        let signature: [u8; 64] = data[..64].try_into().unwrap();
        let public_key: [u8; 32] = data[64..96].try_into().unwrap();
        let message: [u8; 32] = data[96..].try_into().unwrap();
        let mut input = Vec::new();
        input.extend_from_slice(&signature[..32]);
        input.extend_from_slice(&public_key);
        input.extend_from_slice(&message);
        assert_eq!(
            super::sha512_of_one_block::<Sha2Engine>(&signature, &public_key, &message)[..],
            Sha512::digest(&input)[..]
        );
    }

    #[test]
    fn agrees_with_sha2_on_every_length_and_split() {
        let data: Vec<u8> = (0..300u32).map(|index| (index * 131 + 7) as u8).collect();
        for length in 0..=data.len() {
            let expected = Sha512::digest(&data[..length]);
            for first in [0, 1, 32, length / 3, length] {
                for second in [0, 32, 64, length / 2] {
                    let first = first.min(length);
                    let second = (first + second).min(length);
                    let parts = [&data[..first], &data[first..second], &data[second..length]];
                    assert_eq!(
                        sha512(&parts)[..],
                        expected[..],
                        "length {length}, split at {first} and {second}"
                    );
                }
            }
        }
    }
}
