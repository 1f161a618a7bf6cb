//! SHA-512 block function (FIPS 180-4 §6.4.2) in hand-written Thumb-2 assembly for the
//! Cortex-M4, for Ed25519's `k = SHA-512(R ‖ A ‖ M)` in the bootloader's image verification.
//!
//! Written for flash, not speed: a verification hashes one 128-byte block, so the block
//! function's size counts and its speed does not. Rust's portable version
//! (`slingshot_image::ed25519`'s, 830 bytes with LLVM's 64-bit arithmetic spilling around
//! thirteen registers) is the reference it is tested against (`firmware/sha256-test`, in QEMU).
//! The layout that keeps it small:
//!
//! 1. **Schedule**: all 80 words `W` on the stack (640 bytes), 16 loaded big-endian from the
//!    block, 64 computed by a rolled loop.
//! 2. **Rounds**: a rolled loop over two histories on the stack, every `a` and every `e`,
//!    written downwards: round `t` finds `a, b, c, d` at one pointer and the 24 bytes above
//!    it, `e, f, g, h` 672 bytes higher, writes the next `e` and `a` just below them and moves
//!    the pointer down with the last store — no moves, no index arithmetic, and the state
//!    goes in and out in its own order (`ldm`/`stm`). Every 64-bit rotation is split into
//!    shifts of the two halves folded into `eor`s with shifted operands;
//!    `Ch = g ^ (e & (f ^ g))`, `Maj = b ^ ((a ^ b) & (b ^ c))`.
//! 3. **Constants**: the high halves of `K0..K63` are SHA-256's round constants (the same cube
//!    roots to 32 bits, `slingshot_image::SHA256_ROUND_CONSTANTS`, stored once); the other 384
//!    bytes (`slingshot_image::SHA512_ROUND_CONSTANTS_REST`: the low halves of all 80, then the
//!    high halves of `K64..K79`) come as a second table.
//!
//! Uses 2,040 bytes of stack.

use core::arch::global_asm;

/// Bytes in one SHA-512 block.
pub const BLOCK_SIZE: usize = 128;

/// Run the SHA-512 compression function over `block`, updating `state` (`H0..H7` of FIPS
/// 180-4 §6.4). `high` are the high halves of the round constants `K0..K63` (SHA-256's round
/// constants); `rest` the low halves of `K0..K79` followed by the high halves of `K64..K79`.
pub fn compress(
    state: &mut [u64; 8],
    block: &[u8; BLOCK_SIZE],
    high: &[u32; 64],
    rest: &[u32; 96],
) {
    // SAFETY: `state` is a valid, exclusive pointer to 8 words of 64 bits (read and written as
    // little-endian pairs of 32-bit halves, as `u64` is stored on this core), `block` points at
    // 128 readable bytes (read with `ldr`, which the Cortex-M4 allows unaligned), `high` at 64
    // and `rest` at 96 readable words. The routine follows the AAPCS (below) and touches no
    // other memory than its own stack frame.
    unsafe {
        slingshot_sha512_compress(
            state.as_mut_ptr(),
            block.as_ptr(),
            high.as_ptr(),
            rest.as_ptr(),
        )
    }
}

extern "C" {
    /// The assembly routine below: `state` = 8 × 64-bit words, `block` = 128 bytes, `high` =
    /// 64 words, `rest` = 96 words.
    fn slingshot_sha512_compress(
        state: *mut u64,
        block: *const u8,
        high: *const u32,
        rest: *const u32,
    );
}

// SAFETY: the routine is only entered through `compress`, whose arguments satisfy its contract
// (8 writable 64-bit state words, 128 readable block bytes, 64 and 96 readable constant words).
// It keeps the AAPCS: r4–r11 and lr are pushed and restored, sp is restored, r0–r3 and r12
// are the only other registers it changes, and it does not touch the FPU. Its only memory
// writes are the state words and its own 2,004-byte frame above sp (it writes nothing below
// sp, so an exception frame cannot clobber live data).
//
// Frame (sp after the prologue): W[0..80] at sp+0 (640 bytes), the history of a, A[0..84], at
// sp+640 and that of e, E[0..84], at sp+1312 (672 bytes each; round t reads A and E from
// index 80 - t up and writes index 79 - t), the state pointer at sp+1984, the `high` pointer
// at sp+1988, the `rest` pointer at sp+1992, the round loop's limit at sp+1996 (2,004 bytes
// with 4 of padding; 2,040 with the 36 pushed).
global_asm!(
    r#"
    .syntax unified
    .thumb

    @ \d = one half of a Σ: the xor of three 64-bit rotations of x = (low, high), each given
    @ as the half its low bits come from (\x1), the other half (\y1) and a count below 32
    @ (a rotation by n ≥ 32 is the one by n − 32 with the halves swapped). `lsrs` sets flags:
    @ only between additions' carry chains.
    .macro SLINGSHOT_SHA512_SIGMA_HALF d, x1, y1, n1, x2, y2, n2, x3, y3, n3
    lsrs \d, \x1, #\n1
    eor \d, \d, \y1, lsl #(32 - \n1)
    eor \d, \d, \x2, lsr #\n2
    eor \d, \d, \y2, lsl #(32 - \n2)
    eor \d, \d, \x3, lsr #\n3
    eor \d, \d, \y3, lsl #(32 - \n3)
    .endm

    @ \d = the high half of a σ: two rotations as above and a right shift of \x3 by \n3.
    .macro SLINGSHOT_SHA512_SMALL_SIGMA_HIGH d, x1, y1, n1, x2, y2, n2, x3, n3
    lsrs \d, \x1, #\n1
    eor \d, \d, \y1, lsl #(32 - \n1)
    eor \d, \d, \x2, lsr #\n2
    eor \d, \d, \y2, lsl #(32 - \n2)
    eor \d, \d, \x3, lsr #\n3
    .endm

    .section .text.slingshot_sha512_compress,"ax",%progbits
    .global slingshot_sha512_compress
    .type slingshot_sha512_compress,%function
    .thumb_func
    .p2align 2
slingshot_sha512_compress:
    push {{r4-r11, lr}}
    subw sp, sp, #2004
    str r0, [sp, #1984]
    str r2, [sp, #1988]
    str r3, [sp, #1992]

    @ 1. W[0..16]: each word big-endian, stored as a little-endian pair (low half first).
    mov r4, sp
    add r5, r1, #128
1:
    ldr r6, [r1], #4
    ldr r7, [r1], #4
    rev r6, r6
    rev r7, r7
    strd r7, r6, [r4], #8
    cmp r1, r5
    bne 1b

    @ 2. W[16..80]: W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], r12 = &W[t-16].
    mov r12, sp
    add lr, sp, #512
2:
    @ σ0(W[t-15]) = ROTR1 ^ ROTR8 ^ SHR7 into r2 (low), r3 (high).
    @ (SHR7's low half is a rotation's: its high bits come from the high word.)
    ldrd r0, r1, [r12, #8]
    SLINGSHOT_SHA512_SIGMA_HALF r2, r0, r1, 1, r0, r1, 8, r0, r1, 7
    SLINGSHOT_SHA512_SMALL_SIGMA_HIGH r3, r1, r0, 1, r1, r0, 8, r1, 7
    @ σ1(W[t-2]) = ROTR19 ^ ROTR61 ^ SHR6 into r4 (low), r5 (high).
    ldrd r0, r1, [r12, #112]
    SLINGSHOT_SHA512_SIGMA_HALF r4, r0, r1, 19, r1, r0, 29, r0, r1, 6
    SLINGSHOT_SHA512_SMALL_SIGMA_HIGH r5, r1, r0, 19, r0, r1, 29, r1, 6
    adds r2, r2, r4
    adcs r3, r5
    ldrd r0, r1, [r12, #72]
    adds r2, r2, r0
    adcs r3, r1
    ldrd r0, r1, [r12], #8
    adds r2, r2, r0
    adcs r3, r1
    @ W[t] is 128 bytes above the old r12, 120 above the new one.
    strd r2, r3, [r12, #120]
    cmp r12, lr
    bne 2b

    @ 3. The histories: a, b, c, d at A[80..84] (sp+1280), e, f, g, h at E[80..84] (672 bytes
    @ higher), in the state's order.
    ldr r0, [sp, #1984]
    add r12, sp, #1280
    ldm r0!, {{r4-r11}}
    stm r12, {{r4-r11}}
    ldm r0, {{r4-r11}}
    add r0, r12, #672
    stm r0, {{r4-r11}}

    @ 4. Rounds: r12 = &A[80 - t] (a; b, c, d above it, e..h 672 bytes higher), r11 = &W[t],
    @ r10 = high half of K[t], r9 = its low half. Rounds 0–63 first, then r10 moves to the high
    @ halves of K64..K79 for 64–79.
    mov r11, sp
    ldr r10, [sp, #1988]
    ldr r9, [sp, #1992]
    add r0, sp, #768
    str r0, [sp, #1996]
3:
    @ T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t] into r2 (low), r3 (high).
    @ Σ1(e) = ROTR14 ^ ROTR18 ^ ROTR41.
    ldrd r0, r1, [r12, #672]
    SLINGSHOT_SHA512_SIGMA_HALF r2, r0, r1, 14, r0, r1, 18, r1, r0, 9
    SLINGSHOT_SHA512_SIGMA_HALF r3, r1, r0, 14, r1, r0, 18, r0, r1, 9
    ldrd r4, r5, [r12, #680]
    ldrd r6, r7, [r12, #688]
    eors r4, r6
    ands r4, r0
    eors r4, r6
    eors r5, r7
    ands r5, r1
    eors r5, r7
    adds r2, r2, r4
    adcs r3, r5
    ldrd r4, r5, [r12, #696]
    adds r2, r2, r4
    adcs r3, r5
    ldr r4, [r9], #4
    ldr r5, [r10], #4
    adds r2, r2, r4
    adcs r3, r5
    ldrd r4, r5, [r11], #8
    adds r2, r2, r4
    adcs r3, r5
    @ The next e = d + T1, below e.
    ldrd r4, r5, [r12, #24]
    adds r4, r4, r2
    adcs r5, r3
    strd r4, r5, [r12, #664]
    @ The next a = T1 + Σ0(a) + Maj(a, b, c), below a (r12 moves down to it).
    @ Σ0(a) = ROTR28 ^ ROTR34 ^ ROTR39.
    ldrd r0, r1, [r12]
    SLINGSHOT_SHA512_SIGMA_HALF r4, r0, r1, 28, r1, r0, 2, r1, r0, 7
    SLINGSHOT_SHA512_SIGMA_HALF r5, r1, r0, 28, r0, r1, 2, r0, r1, 7
    adds r2, r2, r4
    adcs r3, r5
    ldrd r4, r5, [r12, #8]
    ldrd r6, r7, [r12, #16]
    eors r0, r4
    eors r6, r4
    ands r0, r6
    eors r0, r4
    eors r1, r5
    eors r7, r5
    ands r1, r7
    eors r1, r5
    adds r2, r2, r0
    adcs r3, r1
    strd r2, r3, [r12, #-8]!
    ldr r0, [sp, #1996]
    cmp r12, r0
    bne 3b
    @ After round 63 (the limit was A[16]): rounds 64–79 take their high halves from
    @ rest[80..96], 64 words past r9 (rest[64] now); after round 79 the limit is A[0].
    add r0, sp, #640
    cmp r12, r0
    beq 4f
    str r0, [sp, #1996]
    add r10, r9, #64
    b 3b
4:
    @ 5. state[i] += A[i] (the final a, b, c, d) and state[4 + i] += E[i] (e, f, g, h).
    ldr r0, [sp, #1984]
    movs r1, #4
5:
    ldrd r2, r3, [r12, #672]
    ldrd r4, r5, [r0, #32]
    adds r2, r2, r4
    adcs r3, r5
    strd r2, r3, [r0, #32]
    ldrd r2, r3, [r12], #8
    ldrd r4, r5, [r0]
    adds r2, r2, r4
    adcs r3, r5
    strd r2, r3, [r0], #8
    subs r1, #1
    bne 5b

    addw sp, sp, #2004
    pop {{r4-r11, pc}}

    .size slingshot_sha512_compress, . - slingshot_sha512_compress
    .text
"#
);
