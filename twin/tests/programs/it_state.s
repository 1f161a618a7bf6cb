@ IT state across address-translation misses: each IT block loads from a flash page the core
@ has not touched before (Unicorn fills its TLB inside the block and, doing so, writes the
@ block's IT state into the CPU state), then leaves the block with the condition false and
@ enters new code through an indirect call (`blx`) and through SVC. Stale IT state there
@ would make the first instructions of `target` and the instruction after `svc` conditional
@ and skip them.
@ Result at `bkpt`: r4 = 128 (two per iteration), r7 = 64 (one per iteration), r1 = r2, and
@ r5 = r6 when the SIMD GE flags (APSR[19:16]) survive an SVC whose handler clears them.
@ When the word at 0x20000010 is not zero, SysTick interrupts every that many cycles (plus
@ one) and the handler counts them at 0x20000000.
    .syntax unified
    .thumb
    .cpu cortex-m4
    .section .text
    .org 0
    .word 0x20001000            @ initial MSP
    .word reset + 1             @ 1: reset
    .rept 9
    .word 0
    .endr
    .word svc_handler + 1       @ 11: SVCall
    .word 0, 0, 0
    .word tick_handler + 1      @ 15: SysTick
reset:
    ldr r0, =0x20000000
    movs r3, #0
    str r3, [r0]                @ tick count
    ldr r3, [r0, #16]           @ SysTick reload chosen by the test (0: no SysTick)
    cbz r3, start
    ldr r0, =0xE000E010         @ SYST_CSR
    str r3, [r0, #4]
    movs r3, #0
    str r3, [r0, #8]
    movs r3, #7                 @ ENABLE | TICKINT | CLKSOURCE (core clock)
    str r3, [r0]
start:
    movs r4, #0
    movs r7, #0
    ldr r1, =0x08010000         @ 128 pages of 1 KB, never read before
    ldr r2, =0x08030000
    ldr r6, =target + 1
loop:
    cmp r1, r2
    bcs done
    itt cc
    ldrcc r5, [r1]              @ first access to this page: TLB fill inside the block
    addcc r1, r1, #1024
    cmp r1, r1                  @ carry set: "cc" is false from here on
    blx r6                      @ the next block is looked up with the CPU's IT state
    cmp r1, r2
    itt ne
    ldrne r5, [r1]              @ another new page
    addne r1, r1, #1024
    cmp r1, r1                  @ equal: "ne" is false from here on
    svc #0                      @ exception entry stacks xPSR (with its IT bits)
    adds r7, #1
    b loop
done:
    ldr r0, =0x000F0000
    msr APSR_g, r0              @ GE = 1111: `sel` takes every byte from its first operand
    svc #0                      @ the handler clears GE; exception return restores it
    movs r3, #0
    sel r5, r6, r3              @ r5 = r6 when GE survived the exception, else 0
    bkpt #0
target:
    adds r4, #1
    adds r4, #1
    bx lr
svc_handler:
    movs r0, #0
    msr APSR_g, r0              @ GE = 0000 in the handler
    bx lr
tick_handler:
    ldr r0, =0x20000000
    ldr r1, [r0]
    adds r1, #1
    str r1, [r0]
    bx lr
    .ltorg
