//! SHA-256 block function (FIPS 180-4 compression) in hand-written Thumb-2 assembly for the
//! Cortex-M4, for the bootloader's image verification.
//!
//! Padding and finalisation stay portable (`slingshot_image::Sha256Engine` calls
//! [`compress`] on whole 64-byte blocks only). The assembly is organised for the fewest
//! executed instructions (the budget is instructions ÷ clock) in little flash (1,088 bytes; the
//! caller passes the 64 round constants, `slingshot_image::SHA256_ROUND_CONSTANTS`, which
//! Ed25519's SHA-512 also reads, so one table serves both hashes):
//!
//! 1. **Message words**: 16 unaligned `ldr` + `rev` (big-endian) into a 64-word array `X` on
//!    the stack.
//! 2. **Schedule pass**: `W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]` eight words
//!    per loop iteration with `ldm`/`ldrd`, `W[t-2]`/`W[t-1]` kept in registers; the same pass overwrites each `W[t-16]`, once no later
//!    word needs it, with `W[t-16] + K[t-16]`, so the rounds read one precomputed word.
//! 3. **Rounds**: a loop of 8 unrolled rounds with the eight state words in r0–r7 (their roles
//!    rotate instead of moving), 16 instructions per round: every rotation of Σ0/Σ1 is folded
//!    into a shifted operand (`Σ1(e) = ror(e ^ ror(e,5) ^ ror(e,19), 6)`), `Maj` reuses the
//!    previous round's `a ^ b`, and `W+K` words come off the stack with `pop {r11, r12}` (two
//!    per instruction; consumed words lie below `sp`, where an exception frame may overwrite
//!    them harmlessly).
//!
//! Measured in QEMU (`firmware/sha256-test`, see `docs/IMAGE_FORMAT.md`): 27.2 instructions
//! per byte (1739 per block), against 37.4 for sha2 0.11's unrolled Rust (7 KB) and 66.8 for
//! its compact backend. The ALU work alone is 24.0 per byte; the rest is loads, stores and
//! loop branches. On silicon `ldm`/`stm`/`pop`/`ldrd` take one cycle per word plus one, so
//! cycles per byte are higher than the instruction count (as for any code).

use core::arch::global_asm;

/// Bytes in one SHA-256 block.
pub const BLOCK_SIZE: usize = 64;

/// Run the SHA-256 compression function over each block of `blocks` in order, updating
/// `state` (the eight working words, `H0..H7` of FIPS 180-4 §6.2).
///
/// Only the block function: the caller pads the message (FIPS 180-4 §5.1.1) and passes the
/// round constants K (FIPS 180-4 §4.2.2; `slingshot_image::SHA256_ROUND_CONSTANTS`, so that the
/// program stores them once).
pub fn compress(state: &mut [u32; 8], blocks: &[[u8; BLOCK_SIZE]], round_constants: &[u32; 64]) {
    if blocks.is_empty() {
        return;
    }
    // SAFETY: `state` is a valid, exclusive pointer to 8 words and `blocks` to
    // `blocks.len() * 64` readable bytes (any alignment: the code reads them with `ldr`, which
    // the Cortex-M4 allows unaligned, and never with `ldm`/`ldrd`). The count is non-zero, as
    // the routine requires; `round_constants` points at 64 readable words. It follows the
    // AAPCS: it saves r4–r11 and returns through the saved lr, restores sp, uses 312 bytes of
    // stack, and touches no other memory.
    unsafe {
        slingshot_sha256_compress_blocks(
            state.as_mut_ptr(),
            blocks.as_ptr().cast(),
            blocks.len(),
            round_constants.as_ptr(),
        )
    }
}

/// Run the compression function over the `data.len() / 64` whole blocks at the start of
/// `data` (any alignment; a trailing partial block is ignored), updating `state`, with the
/// round constants as for [`compress`].
pub fn compress_bytes(state: &mut [u32; 8], data: &[u8], round_constants: &[u32; 64]) {
    let count = data.len() / BLOCK_SIZE;
    if count == 0 {
        return;
    }
    // SAFETY: as in `compress`: `state` is 8 exclusive words, `data` holds at least
    // `count * 64` readable bytes (read with unaligned-capable `ldr` only), `count` ≥ 1,
    // `round_constants` 64 readable words.
    unsafe {
        slingshot_sha256_compress_blocks(
            state.as_mut_ptr(),
            data.as_ptr(),
            count,
            round_constants.as_ptr(),
        )
    }
}

extern "C" {
    /// The assembly routine below: `state` = 8 words, `blocks` = `count` × 64 bytes,
    /// `count` ≥ 1, `round_constants` = 64 words.
    fn slingshot_sha256_compress_blocks(
        state: *mut u32,
        blocks: *const u8,
        count: usize,
        round_constants: *const u32,
    );
}

// SAFETY: the routine below is only entered through `compress`/`compress_bytes`, whose
// arguments satisfy its contract (8 writable state words, `count` ≥ 1 blocks of readable
// input, 64 readable round-constant words). It keeps the AAPCS: r4–r11 and lr are pushed and restored, sp is restored, the
// caller-saved r0–r3 and r12 are the only other registers it leaves changed, and it does not
// touch the FPU. Its only memory writes are the 8 state words and its own 276-byte frame;
// while the rounds run, sp walks up over W+K words already consumed, so an exception frame
// pushed below sp can only overwrite data that is no longer needed.
//
// Stack frame (sp after the prologue): X[0..64] at sp+0 (message schedule, then W+K),
// state pointer at sp+256, next input byte at sp+260, input end at sp+264, round constants
// at sp+268 (276 bytes with 4 of padding + 36 pushed = 312, 8-byte aligned).
global_asm!(
    r#"
    .syntax unified
    .thumb

    @ One round, FIPS 180-4 §6.2.2 step 3: h accumulates T1 (Σ1(e) + Ch(e,f,g) + W+K), then
    @ d += T1, then h += Σ0(a) + Maj(a,b,c). r8 is the scratch register; \xold holds b ^ c
    @ (the previous round's a ^ b) and \xnew receives a ^ b for the next round.
    .macro SLINGSHOT_SHA256_ROUND a, b, c, d, e, f, g, h, wk, xnew, xold
    eor r8, \e, \e, ror #5
    eor r8, r8, \e, ror #19
    add \h, \h, r8, ror #6
    eor r8, \f, \g
    and r8, r8, \e
    eor r8, r8, \g
    add \h, \h, r8
    add \h, \h, \wk
    add \d, \d, \h
    eor r8, \a, \a, ror #11
    eor r8, r8, \a, ror #20
    add \h, \h, r8, ror #2
    eor \xnew, \a, \b
    and r8, \xnew, \xold
    eor r8, r8, \b
    add \h, \h, r8
    .endm

    @ One schedule word: \w16 (holding W[t-16]) becomes W[t] from W[t-15], W[t-7], W[t-2].
    @ r8 is the scratch register (free once the W+K words are stored).
    .macro SLINGSHOT_SHA256_SCHEDULE w16, w15, w7, w2
    ror r8, \w15, #7
    eor r8, r8, \w15, ror #18
    eor r8, r8, \w15, lsr #3
    add \w16, \w16, r8
    add \w16, \w16, \w7
    ror r8, \w2, #17
    eor r8, r8, \w2, ror #19
    eor r8, r8, \w2, lsr #10
    add \w16, \w16, r8
    .endm

    @ Four message words: big-endian loads from r1 (advanced) stored at r12 (advanced).
    .macro SLINGSHOT_SHA256_LOAD_FOUR
    ldr r2, [r1], #4
    ldr r3, [r1], #4
    ldr r4, [r1], #4
    ldr r5, [r1], #4
    rev r2, r2
    rev r3, r3
    rev r4, r4
    rev r5, r5
    stm r12!, {{r2-r5}}
    .endm

    @ Four words at r12 (advanced) get K added from lr (advanced).
    .macro SLINGSHOT_SHA256_ADD_K_FOUR
    ldm r12, {{r0-r3}}
    ldm lr!, {{r4-r7}}
    add r4, r4, r0
    add r5, r5, r1
    add r6, r6, r2
    add r7, r7, r3
    stm r12!, {{r4-r7}}
    .endm

    .section .text.slingshot_sha256_compress_blocks,"ax",%progbits
    .global slingshot_sha256_compress_blocks
    .type slingshot_sha256_compress_blocks,%function
    .thumb_func
    .p2align 2
slingshot_sha256_compress_blocks:
    push {{r4-r11, lr}}
    sub sp, sp, #276
    add r2, r1, r2, lsl #6
    str r0, [sp, #256]
    str r2, [sp, #264]
    str r3, [sp, #268]

.Lslingshot_sha256_block:
    @ 1. Message words W[0..16], big-endian, r1 = this block.
    mov r12, sp
    SLINGSHOT_SHA256_LOAD_FOUR
    SLINGSHOT_SHA256_LOAD_FOUR
    SLINGSHOT_SHA256_LOAD_FOUR
    SLINGSHOT_SHA256_LOAD_FOUR
    str r1, [sp, #260]

    @ 2. Schedule W[16..64], eight words per pass in two halves of four; X[t-16..t-13]
    @ become W+K on the way. r12 = &X[t-16], lr = &K[t-16]; W[t-2], W[t-1] stay in
    @ registers from the half before: r2, r3 for the first half, r4, r9 for the second.
    mov r12, sp
    ldr lr, [sp, #268]
    add r11, sp, #192
    ldrd r2, r3, [sp, #56]
.Lslingshot_sha256_schedule:
    ldm r12, {{r0, r1, r4, r9, r10}}
    ldm lr!, {{r5-r8}}
    add r5, r5, r0
    add r6, r6, r1
    add r7, r7, r4
    add r8, r8, r9
    stm r12!, {{r5-r8}}
    @ Now r12 = &X[t-12].
    ldrd r5, r6, [r12, #20]
    SLINGSHOT_SHA256_SCHEDULE r0, r1, r5, r2
    SLINGSHOT_SHA256_SCHEDULE r1, r4, r6, r3
    ldrd r5, r6, [r12, #28]
    SLINGSHOT_SHA256_SCHEDULE r4, r9, r5, r0
    SLINGSHOT_SHA256_SCHEDULE r9, r10, r6, r1
    strd r0, r1, [r12, #48]
    strd r4, r9, [r12, #56]
    @ Second half: the same with W[t-2], W[t-1] in r4, r9.
    ldm r12, {{r0-r3, r10}}
    ldm lr!, {{r5-r8}}
    add r5, r5, r0
    add r6, r6, r1
    add r7, r7, r2
    add r8, r8, r3
    stm r12!, {{r5-r8}}
    ldrd r5, r6, [r12, #20]
    SLINGSHOT_SHA256_SCHEDULE r0, r1, r5, r4
    SLINGSHOT_SHA256_SCHEDULE r1, r2, r6, r9
    ldrd r5, r6, [r12, #28]
    SLINGSHOT_SHA256_SCHEDULE r2, r3, r5, r0
    SLINGSHOT_SHA256_SCHEDULE r3, r10, r6, r1
    strd r0, r1, [r12, #48]
    strd r2, r3, [r12, #56]
    cmp r12, r11
    bne .Lslingshot_sha256_schedule
    @ W+K for the last 16 words: r12 = &X[48], lr = &K[48].
    SLINGSHOT_SHA256_ADD_K_FOUR
    SLINGSHOT_SHA256_ADD_K_FOUR
    SLINGSHOT_SHA256_ADD_K_FOUR
    SLINGSHOT_SHA256_ADD_K_FOUR

    @ 3. Rounds: a..h in r0..r7, r9/r10 alternate as a^b / b^c, sp walks over X.
    ldr r8, [sp, #256]
    ldm r8, {{r0-r7}}
    eor r10, r1, r2
    add lr, sp, #256
.Lslingshot_sha256_rounds:
    pop {{r11, r12}}
    SLINGSHOT_SHA256_ROUND r0, r1, r2, r3, r4, r5, r6, r7, r11, r9, r10
    SLINGSHOT_SHA256_ROUND r7, r0, r1, r2, r3, r4, r5, r6, r12, r10, r9
    pop {{r11, r12}}
    SLINGSHOT_SHA256_ROUND r6, r7, r0, r1, r2, r3, r4, r5, r11, r9, r10
    SLINGSHOT_SHA256_ROUND r5, r6, r7, r0, r1, r2, r3, r4, r12, r10, r9
    pop {{r11, r12}}
    SLINGSHOT_SHA256_ROUND r4, r5, r6, r7, r0, r1, r2, r3, r11, r9, r10
    SLINGSHOT_SHA256_ROUND r3, r4, r5, r6, r7, r0, r1, r2, r12, r10, r9
    pop {{r11, r12}}
    SLINGSHOT_SHA256_ROUND r2, r3, r4, r5, r6, r7, r0, r1, r11, r9, r10
    SLINGSHOT_SHA256_ROUND r1, r2, r3, r4, r5, r6, r7, r0, r12, r10, r9
    cmp sp, lr
    bne .Lslingshot_sha256_rounds

    @ 4. Add the working words into the state; sp = frame + 256 here.
    ldr r8, [sp]
    ldm r8, {{r9-r12}}
    add r0, r0, r9
    add r1, r1, r10
    add r2, r2, r11
    add r3, r3, r12
    stm r8!, {{r0-r3}}
    ldm r8, {{r9-r12}}
    add r4, r4, r9
    add r5, r5, r10
    add r6, r6, r11
    add r7, r7, r12
    stm r8, {{r4-r7}}
    ldrd r1, r2, [sp, #4]
    sub sp, sp, #256
    cmp r1, r2
    bne .Lslingshot_sha256_block

    add sp, sp, #276
    pop {{r4-r11, pc}}

    .size slingshot_sha256_compress_blocks, . - slingshot_sha256_compress_blocks
    .text
"#
);
