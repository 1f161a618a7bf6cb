//! SHA-512 (FIPS 180-4 §6.4) of a few byte strings, for Ed25519's `k = SHA-512(R ‖ A ‖ M)`,
//! written for the bootloader's flash rather than for speed.
//!
//! Verification hashes one 128-byte block (`R`, `A` and a 32-byte digest: 96 bytes plus
//! padding), so the block function's speed does not matter at boot, but its size does: sha2's
//! compact backend (an 852 B block function) behind its `Digest` buffering was larger; this
//! one-shot function with a rolled round loop, whose working variables change names instead
//! of places, is 120 B smaller (docs/SIZE_HISTORY.md has the figures). The tests below check it
//! against sha2 on every length up to 300 bytes, each split into three parts several ways.

/// The round constants (FIPS 180-4 §4.2.3).
const ROUND_CONSTANTS: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

/// The initial hash value (FIPS 180-4 §5.3.5).
const INITIAL_STATE: [u64; 8] = [
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

/// SHA-512 of the concatenation of `parts`.
pub(super) fn sha512(parts: &[&[u8]]) -> [u8; 64] {
    let mut state = INITIAL_STATE;
    let mut block = [0u8; BLOCK_SIZE];
    let mut filled = 0;
    let mut length: u64 = 0;
    for part in parts {
        for &byte in *part {
            block[filled] = byte;
            filled += 1;
            if filled == BLOCK_SIZE {
                compress(&mut state, &block);
                filled = 0;
            }
        }
        length += part.len() as u64;
    }
    block[filled] = 0x80;
    filled += 1;
    if filled > BLOCK_SIZE - 16 {
        block[filled..].fill(0);
        compress(&mut state, &block);
        filled = 0;
    }
    block[filled..LENGTH_OFFSET].fill(0);
    block[LENGTH_OFFSET..].copy_from_slice(&(length * 8).to_be_bytes());
    compress(&mut state, &block);
    let mut digest = [0; 64];
    for (bytes, word) in digest.chunks_exact_mut(8).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// The block function (FIPS 180-4 §6.4.2), the message schedule kept in 16 words.
#[inline(never)]
fn compress(state: &mut [u64; 8], block: &[u8; BLOCK_SIZE]) {
    let mut schedule = [0u64; 16];
    for (word, bytes) in schedule.iter_mut().zip(block.chunks_exact(8)) {
        *word = bytes
            .iter()
            .fold(0, |word, &byte| word << 8 | u64::from(byte));
    }
    let mut working = *state;
    for (round, constant) in ROUND_CONSTANTS.iter().enumerate() {
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
        let slot = |variable: usize| (variable + ROUND_CONSTANTS.len() - round) % 8;
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

    use super::sha512;
    use alloc::vec::Vec;
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
