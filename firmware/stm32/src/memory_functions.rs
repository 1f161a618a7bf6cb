//! Small `memcpy`, `memset`, `memcmp` and their aliases (`__aeabi_memcpy*`, `__aeabi_memset*`,
//! `__aeabi_memclr*`, `bcmp`) in Thumb-2 assembly, for the bootloader's flash budget (feature
//! `compact-memory-functions`).
//!
//! Why by hand: the compiler's own versions (from `compiler_builtins`, linked weakly) are
//! tuned for speed with separate aligned, unaligned and tail paths, and take about 1.9 KB of
//! the bootloader's flash; these take about 150 bytes (`memcmp` 116 → 24 B). No crate ships
//! size-optimised ones. `memcmp` compares a byte at a time: the bootloader compares digests,
//! key ids and descriptors of a few dozen bytes.
//! They copy or fill a word at a time when the addresses allow it, else a byte at a time: the
//! bootloader's copies are journal records, frames and small structures (the image is hashed
//! in place, never copied), so speed hardly matters. Written in assembly, not Rust, because
//! LLVM turns a copy loop written in Rust back into a call to `memcpy`.
//!
//! Contract of every routine (AAPCS): arguments in r0–r2, only r0–r3, r12 and the flags are
//! changed (`memcpy` saves and restores r4–r6 on the stack for its 16-byte `ldm`/`stm` loop),
//! `memcpy` and `memset` return the destination in r0, `memcmp` and `bcmp` the difference of
//! the first differing bytes as unsigned values (zero when all `n` are equal). Regions must not
//! overlap (`memmove` is not replaced).

use core::arch::global_asm;

// SAFETY: these are the C library's `memcpy(dest, src, n)`, `memset(dest, c, n)`,
// `memcmp(a, b, n)` and `bcmp(a, b, n)` (which reads the `n` bytes at `a` and `b` and writes
// nothing) and the ARM run-time ABI's `__aeabi_memcpy{,4,8}(dest, src, n)`, `__aeabi_memset{,4,8}(dest, n, c)`
// and `__aeabi_memclr{,4,8}(dest, n)` (RTABI §4.3.4), with exactly those contracts: they
// write the `n` bytes at `dest` and read the `n` bytes at `src`, nothing else; word accesses
// are used only when both addresses are 4-byte aligned (so no unaligned access is ever made),
// and every loop counts `n` down to zero. They keep the AAPCS (r0–r3 and r12 only, r4–r6
// pushed and popped around memcpy's word loop, return through lr), and compiler_builtins' definitions of the same names are weak, so these
// replace them.
global_asm!(
    r#"
    .syntax unified
    .thumb

    .section .text.slingshot_memcpy, "ax", %progbits
    .p2align 1
    .global memcpy
    .global __aeabi_memcpy
    .global __aeabi_memcpy4
    .global __aeabi_memcpy8
    .type memcpy, %function
    .type __aeabi_memcpy, %function
    .type __aeabi_memcpy4, %function
    .type __aeabi_memcpy8, %function
    .thumb_func
memcpy:
    .thumb_func
__aeabi_memcpy:
    .thumb_func
__aeabi_memcpy4:
    .thumb_func
__aeabi_memcpy8:
    mov     r12, r0
    orr.w   r3, r0, r1
    tst.w   r3, #3
    bne     2f
    push    {{r4, r5, r6}}
0:  subs    r2, r2, #16
    blo     1f
    ldmia   r1!, {{r3, r4, r5, r6}}
    stmia   r12!, {{r3, r4, r5, r6}}
    b       0b
1:  pop     {{r4, r5, r6}}
    adds    r2, r2, #12
    blo     3f
6:  ldr     r3, [r1], #4
    str     r3, [r12], #4
    subs    r2, r2, #4
    bhs     6b
3:  adds    r2, r2, #4
2:  cbz     r2, 5f
4:  ldrb    r3, [r1], #1
    strb    r3, [r12], #1
    subs    r2, r2, #1
    bne     4b
5:  bx      lr
    .size memcpy, . - memcpy

    .section .text.slingshot_memset, "ax", %progbits
    .p2align 1
    .global memset
    .global __aeabi_memset
    .global __aeabi_memset4
    .global __aeabi_memset8
    .global __aeabi_memclr
    .global __aeabi_memclr4
    .global __aeabi_memclr8
    .type memset, %function
    .type __aeabi_memset, %function
    .type __aeabi_memset4, %function
    .type __aeabi_memset8, %function
    .type __aeabi_memclr, %function
    .type __aeabi_memclr4, %function
    .type __aeabi_memclr8, %function
    .thumb_func
memset:
    mov     r3, r1
    mov     r1, r2
    mov     r2, r3
    b       1f
    .thumb_func
__aeabi_memclr:
    .thumb_func
__aeabi_memclr4:
    .thumb_func
__aeabi_memclr8:
    movs    r2, #0
    .thumb_func
__aeabi_memset:
    .thumb_func
__aeabi_memset4:
    .thumb_func
__aeabi_memset8:
1:  mov     r12, r0
    uxtb    r2, r2
    orr.w   r2, r2, r2, lsl #8
    orr.w   r2, r2, r2, lsl #16
    tst.w   r0, #3
    bne     3f
    mov     r3, r2
0:  subs    r1, r1, #8
    blo     4f
    strd    r2, r3, [r12], #8
    b       0b
4:  adds    r1, r1, #8
    cmp     r1, #4
    blo     3f
    str     r2, [r12], #4
    subs    r1, r1, #4
3:  cbz     r1, 6f
5:  strb    r2, [r12], #1
    subs    r1, r1, #1
    bne     5b
6:  bx      lr
    .size memset, . - memset

    .section .text.slingshot_memcmp, "ax", %progbits
    .p2align 1
    .global memcmp
    .global bcmp
    .type memcmp, %function
    .type bcmp, %function
    .thumb_func
memcmp:
    .thumb_func
bcmp:
    mov     r3, r0
    movs    r0, #0
    cbz     r2, 1f
0:  ldrb    r0, [r3], #1
    ldrb    r12, [r1], #1
    subs    r0, r0, r12
    bne     1f
    subs    r2, r2, #1
    bne     0b
1:  bx      lr
    .size memcmp, . - memcmp
"#
);
