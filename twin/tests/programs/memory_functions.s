@ Harness for the bootloader's memory functions (`twin/tests/memory_functions.rs`), placed
@ at 0x08008000 next to the bootloader's own code and entered from reset: calls the function
@ whose address (Thumb bit set) is at 0x20000000 with r0, r1, r2 from 0x20000004..0x2000000c,
@ stores the returned r0 at 0x20000010 and stops at `bkpt`. Position-independent (only
@ PC-relative literals), so it runs wherever it is loaded.
    .syntax unified
    .thumb
    .cpu cortex-m4
    .section .text
    .org 0
call:
    ldr r3, =0x20000000
    ldr r4, [r3, #0]
    ldr r0, [r3, #4]
    ldr r1, [r3, #8]
    ldr r2, [r3, #12]
    blx r4
    ldr r3, =0x20000000
    str r0, [r3, #16]
    bkpt #0
    b call
    .ltorg
