@ Writes a wrong first key to FLASH_KEYR. RM0090 §3.5.1: the bus answers with an error (an
@ imprecise BusFault, escalated to HardFault since BusFault is disabled after reset) and
@ FLASH_CR stays locked until reset. The HardFault handler stores a marker, HFSR, CFSR and
@ FLASH_CR at 0x20000000.. and stops with bkpt #0; falling through to bkpt #1 means no fault.
    .syntax unified
    .thumb
    .word 0x20001000
    .word reset + 1
    .word reset + 1             @ NMI (unused)
    .word hard_fault + 1
    .thumb_func
reset:
    ldr r0, =0x40023C00         @ FLASH
    ldr r1, =0x12345678         @ not KEY1
    str r1, [r0, #4]            @ KEYR
    dsb
    nop
    nop
    bkpt #1
    .thumb_func
hard_fault:
    ldr r2, =0x20000000
    ldr r1, =0xFA17
    str r1, [r2]
    ldr r3, =0xE000ED2C         @ HFSR
    ldr r1, [r3]
    str r1, [r2, #4]
    ldr r3, =0xE000ED28         @ CFSR
    ldr r1, [r3]
    str r1, [r2, #8]
    ldr r0, =0x40023C00
    ldr r1, =0x45670123         @ the right keys now: CR must stay locked until reset
    str r1, [r0, #4]
    ldr r1, [r0, #0x10]         @ FLASH_CR
    str r1, [r2, #12]
    bkpt #0
    .ltorg
