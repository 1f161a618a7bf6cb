@ Warm resets: counts boots in the word at 0x20000000 (tagged 0x5AFE0000, so random RAM at
@ power-on starts the count at 1). Boots 1 and 2 reset through AIRCR.SYSRESETREQ; boot 3
@ starts the IWDG with a short timeout and spins; the boot after the watchdog reset sees
@ RCC_CSR.IWDGRSTF and stops with `bkpt`. RAM survives every warm reset.
    .syntax unified
    .thumb
    .cpu cortex-m4
    .section .text
    .org 0
    .word 0x20001000
    .word reset + 1
reset:
    ldr r0, =0x40023874         @ RCC_CSR
    ldr r1, [r0]
    tst r1, #0x20000000         @ IWDGRSTF
    bne watchdog_fired
    ldr r2, =0x20000000
    ldr r3, [r2]
    lsrs r4, r3, #16
    ldr r5, =0x5AFE
    cmp r4, r5
    beq counted
    ldr r3, =0x5AFE0000
counted:
    adds r3, #1
    str r3, [r2]
    uxth r4, r3
    cmp r4, #3
    beq start_watchdog
    ldr r0, =0xE000ED0C         @ AIRCR
    ldr r1, =0x05FA0004         @ VECTKEY | SYSRESETREQ
    dsb
    str r1, [r0]
    dsb
1:  b 1b
start_watchdog:
    ldr r0, =0x40003000         @ IWDG
    ldr r1, =0x5555
    str r1, [r0]
    movs r1, #0
    str r1, [r0, #4]            @ PR: divide by 4
    movs r1, #10
    str r1, [r0, #8]            @ RLR: 11 periods of 125 us
    ldr r1, =0xCCCC
    str r1, [r0]
2:  b 2b
watchdog_fired:
    bkpt #0
    .ltorg
