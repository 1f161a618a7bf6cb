@ Switches to 168 MHz (HSE 8 MHz bypass, PLL M=8 N=336 P=2 Q=7, APB1 /4, APB2 /2) with 5 flash wait states
@ and the ART accelerator off, then measures a 100-iteration loop (300 instructions) with
@ DWT_CYCCNT into 0x20000000; turns PRFTEN and ICEN on and measures again into 0x20000004.
    .syntax unified
    .thumb
    .cpu cortex-m4
    .section .text
    .org 0
    .word 0x20001000
    .word reset + 1
reset:
    ldr r0, =0x40023800         @ RCC
    ldr r1, [r0]
    orr r1, r1, #0x50000        @ HSEON | HSEBYP
    str r1, [r0]
1:  ldr r1, [r0]
    tst r1, #0x20000            @ HSERDY
    beq 1b
    ldr r1, =0x07405408         @ PLLSRC=HSE, P=2, N=336, M=8, Q=7 (48 MHz)
    str r1, [r0, #4]
    ldr r1, [r0]
    orr r1, r1, #0x1000000      @ PLLON
    str r1, [r0]
2:  ldr r1, [r0]
    tst r1, #0x2000000          @ PLLRDY
    beq 2b
    ldr r2, =0x40023C00         @ FLASH_ACR
    movs r1, #5
    str r1, [r2]
    ldr r1, =0x9402             @ PPRE2 /2, PPRE1 /4, SW = PLL
    str r1, [r0, #8]
3:  ldr r1, [r0, #8]
    and r1, r1, #0xC
    cmp r1, #8                  @ SWS = PLL
    bne 3b
    ldr r6, =0x20000000
    bl measure
    str r0, [r6]
    ldr r1, =0x305              @ LATENCY 5 | PRFTEN | ICEN
    str r1, [r2]
    bl measure
    str r0, [r6, #4]
    bkpt #0
measure:                        @ r0 = cycles of 100 iterations of a 3-instruction loop
    ldr r3, =0xE0001004         @ DWT_CYCCNT
    movs r4, #100
    ldr r5, [r3]
4:  subs r4, #1
    nop
    bne 4b
    ldr r0, [r3]
    subs r0, r0, r5
    bx lr
    .ltorg
