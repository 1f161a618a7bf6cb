//! Checks the Cortex-M4 SHA-256 assembly (`slingshot_stm32::sha256::compress`, plugged into
//! `slingshot_image::Sha256Hasher`) on the real instruction set in QEMU:
//!
//! - the FIPS 180-4 / NIST examples: "", "abc", the 448-bit and 896-bit messages, one million
//!   'a' (fed in 1000-byte pieces);
//! - a pseudo-random 256 KB buffer, aligned and from an odd address, against digests build.rs
//!   computed on the host;
//! - sha2's portable code on the device for every length 0..=300 (all padding edges) and for
//!   several ways of splitting the input;
//! - the SHA-512 block assembly (`slingshot_stm32::sha512::compress`, Ed25519's `k` in the
//!   bootloader): FIPS 180-4's "abc" and its two-block example, and 300 pseudo-random states
//!   and blocks against the portable block function of `slingshot_image::ed25519`.
//!
//! Prints `PASS <name>` / `FAIL <name>` per check, `instructions_per_byte <x.xx>` for the
//! 256 KB buffer (TIM2 counts instructions under `-icount shift=0`), then
//! `sha256-test: <n> passed, <m> failed` over semihosting, and exits with status 0 only if
//! everything passed.
#![no_std]
#![no_main]
// The only unsafe code is the assembly's calls in `firmware/stm32/src/sha256.rs` and
// `sha512.rs`, compiled here as modules (see Cargo.toml for why they are not a dependency).
#![deny(unsafe_code)]

use core::hint::black_box;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use slingshot_image::{
    sha256, Sha256Engine, Sha256Hasher, SHA256_BLOCK_SIZE, SHA256_ROUND_CONSTANTS,
    SHA512_ROUND_CONSTANTS_REST,
};
use stm32f4::stm32f429 as pac;

/// The SHA-256 assembly of the hardware crate, `slingshot_stm32::sha256`.
#[allow(unsafe_code)]
#[path = "../../stm32/src/sha256.rs"]
mod sha256;

/// The SHA-512 block assembly of the hardware crate, `slingshot_stm32::sha512`.
#[allow(unsafe_code)]
#[path = "../../stm32/src/sha512.rs"]
mod sha512;

/// 256 KB of pseudo-random bytes (build.rs).
static BUFFER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/buffer.bin"));
/// SHA-256 of [`BUFFER`], computed on the host.
static BUFFER_DIGEST: &[u8; 32] = include_bytes!(concat!(env!("OUT_DIR"), "/buffer.sha256"));
/// SHA-256 of `BUFFER[1..]`, computed on the host.
static BUFFER_FROM_1_DIGEST: &[u8; 32] =
    include_bytes!(concat!(env!("OUT_DIR"), "/buffer_from_1.sha256"));

/// The assembly block function.
struct AssemblyEngine;

impl Sha256Engine for AssemblyEngine {
    fn compress(state: &mut [u32; 8], blocks: &[[u8; SHA256_BLOCK_SIZE]]) {
        sha256::compress(state, blocks, &SHA256_ROUND_CONSTANTS);
    }

    fn compress_bytes(state: &mut [u32; 8], data: &[u8]) {
        sha256::compress_bytes(state, data, &SHA256_ROUND_CONSTANTS);
    }
}

/// SHA-256 of `data` with the assembly.
fn assembly_sha256(data: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256Hasher::<AssemblyEngine>::new();
    hasher.update(data);
    hasher.finalize()
}

/// A digest from its hex text.
fn digest_from_hex(text: &str) -> [u8; 32] {
    let mut digest = [0; 32];
    for (index, byte) in digest.iter_mut().enumerate() {
        let pair = &text[index * 2..index * 2 + 2];
        *byte = u8::from_str_radix(pair, 16).unwrap_or(0);
    }
    digest
}

/// Wait forever (after semihosting exit, which QEMU never returns from).
fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("FAIL panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    halt()
}

/// Pass/fail tally.
#[derive(Default)]
struct Tally {
    passed: u32,
    failed: u32,
}

impl Tally {
    fn check(&mut self, name: &str, ok: bool) {
        if ok {
            self.passed += 1;
            hprintln!("PASS {}", name);
        } else {
            self.failed += 1;
            hprintln!("FAIL {}", name);
        }
    }
}

/// Deterministic bytes (xorshift32) for the comparison with sha2.
fn fill(buffer: &mut [u8], mut state: u32) {
    for byte in buffer {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *byte = state as u8;
    }
}

fn fips_examples(tally: &mut Tally) {
    let vectors: [(&str, &[u8], &str); 4] = [
        (
            "fips empty",
            b"",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            "fips abc",
            b"abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            "fips 448-bit",
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        ),
        (
            "fips 896-bit",
            b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
        ),
    ];
    for (name, message, expected) in vectors {
        tally.check(name, assembly_sha256(message) == digest_from_hex(expected));
    }
    let piece = [b'a'; 1000];
    let mut hasher = Sha256Hasher::<AssemblyEngine>::new();
    for _ in 0..1000 {
        hasher.update(&piece);
    }
    tally.check(
        "fips million a",
        hasher.finalize()
            == digest_from_hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    );
}

fn against_sha2(tally: &mut Tally) {
    let mut data = [0u8; 301];
    fill(&mut data, 0x9E37_79B9);
    let every_length =
        (0..=300).all(|length| assembly_sha256(&data[..length]) == sha256(&data[..length]));
    tally.check("sha2 lengths 0..=300", every_length);
    let expected = sha256(&data);
    let every_split = [1usize, 3, 55, 56, 63, 64, 65, 128, 200]
        .iter()
        .all(|&piece| {
            let mut hasher = Sha256Hasher::<AssemblyEngine>::new();
            for chunk in data.chunks(piece) {
                hasher.update(chunk);
            }
            hasher.finalize() == expected
        });
    tally.check("sha2 splits", every_split);
    // Several blocks in one call (the assembly's block loop).
    let mut blocks = [[0u8; SHA256_BLOCK_SIZE]; 4];
    let mut reference = [0x1234_5678u32; 8];
    let mut state = reference;
    for (index, block) in blocks.iter_mut().enumerate() {
        fill(block, 77 + index as u32);
    }
    sha256::compress(&mut state, &blocks, &SHA256_ROUND_CONSTANTS);
    slingshot_image::Sha2Engine::compress(&mut reference, &blocks);
    tally.check("four blocks in one call", state == reference);
}

/// The final SHA-512 state of a message that fits one or two blocks, with the assembly block
/// function (the digest is this state's words, big-endian).
fn assembly_sha512(message: &[u8]) -> [u64; 8] {
    let mut state = slingshot_image::ed25519::SHA512_INITIAL_STATE;
    let mut padded = [0u8; 256];
    padded[..message.len()].copy_from_slice(message);
    padded[message.len()] = 0x80;
    let blocks = if message.len() + 17 > 128 { 2 } else { 1 };
    let end = blocks * 128;
    padded[end - 8..end].copy_from_slice(&(message.len() as u64 * 8).to_be_bytes());
    for block in padded[..end].chunks_exact(128) {
        let block: &[u8; 128] = block.try_into().unwrap_or(&[0; 128]);
        sha512::compress(
            &mut state,
            block,
            &SHA256_ROUND_CONSTANTS,
            &SHA512_ROUND_CONSTANTS_REST,
        );
    }
    state
}

/// The final SHA-512 state of a digest given as hex text (eight big-endian words).
fn state_from_hex(text: &str) -> [u64; 8] {
    let mut state = [0; 8];
    for (index, word) in state.iter_mut().enumerate() {
        *word = u64::from_str_radix(&text[index * 16..index * 16 + 16], 16).unwrap_or(0);
    }
    state
}

fn sha512_block_function(tally: &mut Tally) {
    tally.check(
        "sha512 fips abc",
        assembly_sha512(b"abc")
            == state_from_hex(
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
    );
    tally.check(
        "sha512 fips two blocks",
        assembly_sha512(b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
            == state_from_hex(
                "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
            ),
    );
    let mut random = 0x5EED_5120_u32;
    let agrees = (0..300).all(|_| {
        let mut block = [0u8; 128];
        random = random.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        fill(&mut block, random | 1);
        let mut state_bytes = [0u8; 64];
        fill(&mut state_bytes, random.rotate_left(7) | 1);
        let mut state = [0u64; 8];
        for (word, bytes) in state.iter_mut().zip(state_bytes.chunks_exact(8)) {
            *word = u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
        }
        let mut reference = state;
        sha512::compress(
            &mut state,
            &block,
            &SHA256_ROUND_CONSTANTS,
            &SHA512_ROUND_CONSTANTS_REST,
        );
        slingshot_image::ed25519::sha512_compress(&mut reference, &block);
        state == reference
    });
    tally.check("sha512 300 random blocks against the portable one", agrees);
}

#[entry]
fn main() -> ! {
    let peripherals = pac::Peripherals::take().expect("first and only take");
    let timer = peripherals.TIM2;
    timer.cr1().modify(|_, writer| writer.cen().set_bit());
    let mut tally = Tally::default();
    fips_examples(&mut tally);
    against_sha2(&mut tally);
    sha512_block_function(&mut tally);

    let overhead = {
        let start = timer.cnt().read().bits();
        timer.cnt().read().bits().wrapping_sub(start)
    };
    let start = timer.cnt().read().bits();
    let digest = assembly_sha256(black_box(BUFFER));
    let instructions = timer
        .cnt()
        .read()
        .bits()
        .wrapping_sub(start)
        .wrapping_sub(overhead);
    tally.check("host digest 256 KB", &digest == BUFFER_DIGEST);
    tally.check(
        "host digest 256 KB from an odd address",
        &assembly_sha256(black_box(&BUFFER[1..])) == BUFFER_FROM_1_DIGEST,
    );
    let hundredths = u64::from(instructions) * 100 / BUFFER.len() as u64;
    hprintln!(
        "sha256 {} bytes {} instructions",
        BUFFER.len(),
        instructions
    );
    hprintln!(
        "instructions_per_byte {}.{:02}",
        hundredths / 100,
        hundredths % 100
    );
    hprintln!(
        "sha256-test: {} passed, {} failed",
        tally.passed,
        tally.failed
    );
    debug::exit(if tally.failed == 0 {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    halt()
}
