//! A pluggable SHA-256 block function: [`Sha256Engine`] supplies only the compression
//! function, and the portable code here does the padding and finalisation (FIPS 180-4
//! §5.1.1, §6.2): [`Sha256Hasher`] for data that arrives in pieces (a slot read from a
//! `ReadNorFlash`), [`sha256_with`] for data in one piece (a memory-mapped slot: the
//! bootloader's case, where it links no buffering; 136 B less flash than the hasher,
//! 2026-12-06). The tests hold both to sha2 on every length up to 300 bytes and beyond.
//!
//! The default engine [`Sha2Engine`] is sha2's software block function. A firmware can plug in
//! a faster one (the Cortex-M4 assembly in `slingshot_stm32::sha256`) and verify with
//! [`crate::verify_slot_with`] / [`crate::verify_flash_with`]; nothing of sha2 is linked then.

use crate::{DIGEST_SIZE, KEY_ID_SIZE, PUBLIC_KEY_SIZE};
use core::marker::PhantomData;

/// Bytes in one SHA-256 block.
pub const SHA256_BLOCK_SIZE: usize = 64;

/// The SHA-256 initial hash value H(0) (FIPS 180-4 §5.3.3).
const INITIAL_STATE: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// The SHA-256 round constants K (FIPS 180-4 §4.2.2), one table for the whole program. They
/// are also the high halves of SHA-512's first 64 constants (§4.2.3: the same cube roots, to 32
/// and to 64 bits), so Ed25519's SHA-512 (`ed25519::sha512`) reads them from here, and a
/// firmware hands this table to its own block function (`slingshot_stm32::sha256::compress`)
/// instead of storing a second copy: 256 bytes of flash saved in the bootloader.
pub static SHA256_ROUND_CONSTANTS: [u32; 64] = [
    0x428a_2f98,
    0x7137_4491,
    0xb5c0_fbcf,
    0xe9b5_dba5,
    0x3956_c25b,
    0x59f1_11f1,
    0x923f_82a4,
    0xab1c_5ed5,
    0xd807_aa98,
    0x1283_5b01,
    0x2431_85be,
    0x550c_7dc3,
    0x72be_5d74,
    0x80de_b1fe,
    0x9bdc_06a7,
    0xc19b_f174,
    0xe49b_69c1,
    0xefbe_4786,
    0x0fc1_9dc6,
    0x240c_a1cc,
    0x2de9_2c6f,
    0x4a74_84aa,
    0x5cb0_a9dc,
    0x76f9_88da,
    0x983e_5152,
    0xa831_c66d,
    0xb003_27c8,
    0xbf59_7fc7,
    0xc6e0_0bf3,
    0xd5a7_9147,
    0x06ca_6351,
    0x1429_2967,
    0x27b7_0a85,
    0x2e1b_2138,
    0x4d2c_6dfc,
    0x5338_0d13,
    0x650a_7354,
    0x766a_0abb,
    0x81c2_c92e,
    0x9272_2c85,
    0xa2bf_e8a1,
    0xa81a_664b,
    0xc24b_8b70,
    0xc76c_51a3,
    0xd192_e819,
    0xd699_0624,
    0xf40e_3585,
    0x106a_a070,
    0x19a4_c116,
    0x1e37_6c08,
    0x2748_774c,
    0x34b0_bcb5,
    0x391c_0cb3,
    0x4ed8_aa4a,
    0x5b9c_ca4f,
    0x682e_6ff3,
    0x748f_82ee,
    0x78a5_636f,
    0x84c8_7814,
    0x8cc7_0208,
    0x90be_fffa,
    0xa450_6ceb,
    0xbef9_a3f7,
    0xc671_78f2,
];

/// A SHA-256 compression function (FIPS 180-4 §6.2.2) over whole 64-byte blocks.
pub trait Sha256Engine {
    /// Process `blocks` in order, updating the eight working words `state`.
    fn compress(state: &mut [u32; 8], blocks: &[[u8; SHA256_BLOCK_SIZE]]);

    /// Process the `data.len() / 64` whole blocks at the start of `data` (a trailing partial
    /// block is ignored). The default calls [`Sha256Engine::compress`] once per block; an
    /// engine that reads bytes at any alignment overrides it to take them all in one call.
    fn compress_bytes(state: &mut [u32; 8], data: &[u8]) {
        for block in data.chunks_exact(SHA256_BLOCK_SIZE) {
            if let Ok(block) = <&[u8; SHA256_BLOCK_SIZE]>::try_from(block) {
                Self::compress(state, core::slice::from_ref(block));
            }
        }
    }

    /// SHA-512's block function (FIPS 180-4 §6.4.2) over one 128-byte block, for Ed25519's
    /// `k` (feature `salty`): the other SHA-2 function a verification runs. The default is the
    /// portable [`crate::ed25519::sha512_compress`]; the bootloader plugs in a smaller one in
    /// assembly (`slingshot_stm32::sha512`).
    #[cfg(feature = "salty")]
    fn compress_sha512(state: &mut [u64; 8], block: &[u8; 128]) {
        crate::ed25519::sha512_compress(state, block);
    }
}

/// sha2's portable block function (`sha2::block_api::compress256`): the default engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sha2Engine;

impl Sha256Engine for Sha2Engine {
    fn compress(state: &mut [u32; 8], blocks: &[[u8; SHA256_BLOCK_SIZE]]) {
        sha2::block_api::compress256(state, blocks);
    }
}

/// Incremental SHA-256 over the block function of `E`.
#[derive(Clone, Debug)]
pub struct Sha256Hasher<E> {
    state: [u32; 8],
    buffer: [u8; SHA256_BLOCK_SIZE],
    buffered: usize,
    length: u64,
    engine: PhantomData<E>,
}

impl<E: Sha256Engine> Default for Sha256Hasher<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Sha256Engine> Sha256Hasher<E> {
    /// A hasher over the empty message.
    pub const fn new() -> Self {
        Self {
            state: INITIAL_STATE,
            buffer: [0; SHA256_BLOCK_SIZE],
            buffered: 0,
            length: 0,
            engine: PhantomData,
        }
    }

    /// Append `data` to the message.
    pub fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        if self.buffered > 0 {
            let taken = (SHA256_BLOCK_SIZE - self.buffered).min(data.len());
            self.buffer[self.buffered..self.buffered + taken].copy_from_slice(&data[..taken]);
            self.buffered += taken;
            data = &data[taken..];
            if self.buffered < SHA256_BLOCK_SIZE {
                return;
            }
            E::compress(&mut self.state, core::slice::from_ref(&self.buffer));
            self.buffered = 0;
        }
        let whole = data.len() - data.len() % SHA256_BLOCK_SIZE;
        let (blocks, rest) = data.split_at(whole);
        if !blocks.is_empty() {
            E::compress_bytes(&mut self.state, blocks);
        }
        self.buffer[..rest.len()].copy_from_slice(rest);
        self.buffered = rest.len();
    }

    /// Pad the message (a 1 bit, zeros, the 64-bit big-endian bit length) and return the digest.
    pub fn finalize(mut self) -> [u8; DIGEST_SIZE] {
        finish::<E>(&mut self.state, &self.buffer[..self.buffered], self.length)
    }
}

/// The end of a message of `length` bytes whose whole blocks `state` has taken: the `rest`
/// (under one block), the padding and the 64-bit bit length, one or two blocks from a stack
/// buffer; returns the digest. The one padding of [`Sha256Hasher`] and [`sha256_with`].
fn finish<E: Sha256Engine>(state: &mut [u32; 8], rest: &[u8], length: u64) -> [u8; DIGEST_SIZE] {
    let mut tail = [0u8; 2 * SHA256_BLOCK_SIZE];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    // One block if the 0x80 and the 64-bit length fit after the rest, else two.
    let end = if rest.len() < SHA256_BLOCK_SIZE - 8 {
        SHA256_BLOCK_SIZE
    } else {
        2 * SHA256_BLOCK_SIZE
    };
    tail[end - 8..end].copy_from_slice(&length.wrapping_mul(8).to_be_bytes());
    E::compress_bytes(state, &tail[..end]);
    let mut digest = [0; DIGEST_SIZE];
    for (bytes, word) in digest.chunks_exact_mut(4).zip(*state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// SHA-256 of `data` with the block function of `E`, in one piece: the whole blocks straight
/// from `data`, then the rest and the padding (one or two blocks) from a stack buffer. No
/// buffering between calls is linked (the bootloader hashes memory-mapped images so).
pub fn sha256_with<E: Sha256Engine>(data: &[u8]) -> [u8; DIGEST_SIZE] {
    let mut state = INITIAL_STATE;
    let whole = data.len() - data.len() % SHA256_BLOCK_SIZE;
    let (blocks, rest) = data.split_at(whole);
    E::compress_bytes(&mut state, blocks);
    finish::<E>(&mut state, rest, data.len() as u64)
}

/// [`crate::key_id`] with the block function of `E`.
pub fn key_id_with<E: Sha256Engine>(public_key: &[u8; PUBLIC_KEY_SIZE]) -> [u8; KEY_ID_SIZE] {
    let digest = sha256_with::<E>(public_key);
    let mut id = [0; KEY_ID_SIZE];
    id.copy_from_slice(&digest[..KEY_ID_SIZE]);
    id
}
