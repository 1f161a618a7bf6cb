@ Enables the ART data cache, reads the erased word at 0x08100000, programs 0x12345678 there
@ without resetting the cache afterwards, reads it again (a stale line on silicon), then does
@ what RM0090 §3.5.2 asks (DCEN off, DCRST, DCEN on) and reads it a third time. Stores the
@ three reads at 0x20000000, 0x20000004 and 0x20000008, then stops (bkpt).
    .syntax unified
    .thumb
    .word 0x20001000
    .word reset + 1
    .thumb_func
reset:
    ldr r0, =0x40023C00         @ FLASH
    ldr r4, =0x20000000         @ results
    ldr r3, =0x08100000         @ sector 12, erased
    movs r1, #0x400             @ ACR: DCEN (zero wait states at 16 MHz)
    str r1, [r0]
    ldr r1, [r3]                @ first read: fills the cache line
    str r1, [r4]
    ldr r1, =0x45670123
    str r1, [r0, #4]            @ KEYR
    ldr r1, =0xCDEF89AB
    str r1, [r0, #4]
    ldr r1, =0x00000201         @ PG, PSIZE x32
    str r1, [r0, #0x10]
    ldr r1, =0x12345678
    str r1, [r3]                @ program the word
    dsb
wait:
    ldr r1, [r0, #0x0C]         @ FLASH_SR
    lsls r1, r1, #15            @ BSY (bit 16) into the sign bit
    bmi wait
    movs r1, #0
    str r1, [r0, #0x10]         @ CR: PG off
    ldr r1, [r3]                @ second read: the cache was not reset
    str r1, [r4, #4]
    movs r1, #0
    str r1, [r0]                @ ACR: DCEN off
    ldr r1, =0x1000
    str r1, [r0]                @ DCRST while DCEN is clear
    movs r1, #0
    str r1, [r0]
    movs r1, #0x400
    str r1, [r0]                @ DCEN on again
    ldr r1, [r3]                @ third read: fresh
    str r1, [r4, #8]
    bkpt #0
    .ltorg
