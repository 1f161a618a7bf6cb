@ Extended (FP) exception frame: thread code puts 1.5 in s0 (which sets CONTROL.FPCA), waits
@ for one SysTick interrupt whose handler records LR (EXC_RETURN) at 0x20000000 and the
@ stacked S0 at 0x20000008, then overwrites s0 with 2.0. After the return, thread code stores
@ s0 at 0x20000004: it must be 1.5 again (restored from the frame).
    .syntax unified
    .thumb
    .cpu cortex-m4
    .fpu fpv4-sp-d16
    .section .text
    .org 0
    .word 0x20001000
    .word reset + 1
    .rept 13
    .word 0
    .endr
    .word handler + 1           @ 15: SysTick
reset:
    ldr r0, =0xE000ED88         @ CPACR: full access to CP10/CP11
    ldr r1, =0x00F00000
    str r1, [r0]
    dsb
    isb
    vmov.f32 s0, #1.5
    movs r4, #0
    ldr r0, =0xE000E010
    ldr r1, =499
    str r1, [r0, #4]
    movs r1, #0
    str r1, [r0, #8]
    movs r1, #7
    str r1, [r0]
wait:
    cmp r4, #0
    beq wait
    movs r1, #0
    str r1, [r0]                @ SysTick off
    ldr r2, =0x20000000
    vstr s0, [r2, #4]
    bkpt #0
handler:
    ldr r2, =0x20000000
    str lr, [r2]
    ldr r3, [sp, #0x20]         @ stacked S0
    str r3, [r2, #8]
    vmov.f32 s0, #2.0
    movs r4, #1
    bx lr
    .ltorg
