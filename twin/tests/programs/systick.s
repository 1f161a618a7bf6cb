@ Counts SysTick interrupts through a vector table relocated to 0x08000200 (VTOR).
@ Stops with `bkpt` after 10 interrupts; the count is also stored at 0x20000000, and the
@ handler stores the stacked return address and xPSR at 0x20000004/0x20000008.
    .syntax unified
    .thumb
    .cpu cortex-m4
    .section .text
    .org 0
    .word 0x20001000            @ initial MSP
    .word reset + 1             @ reset vector
reset:
    ldr r0, =0xE000ED08         @ SCB_VTOR
    ldr r1, =relocated
    str r1, [r0]
    movs r4, #0
    ldr r0, =0xE000E010         @ SYST_CSR
    ldr r1, =999                @ reload: 1000 cycles per tick
    str r1, [r0, #4]
    movs r1, #0
    str r1, [r0, #8]
    movs r1, #7                 @ ENABLE | TICKINT | CLKSOURCE (core clock)
    str r1, [r0]
loop:
    wfi
    cmp r4, #10
    blt loop
    bkpt #0
handler:
    adds r4, #1
    ldr r0, =0x20000000
    str r4, [r0]
    ldr r1, [sp, #24]           @ stacked PC
    str r1, [r0, #4]
    ldr r1, [sp, #28]           @ stacked xPSR
    str r1, [r0, #8]
    bx lr
    .ltorg
    .org 0x200
relocated:
    .word 0x20001000
    .word reset + 1
    .rept 13
    .word 0
    .endr
    .word handler + 1           @ 15: SysTick
