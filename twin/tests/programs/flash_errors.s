@ Provokes every FLASH_SR error bit (RM0090 §3.7.5) on bank 2 and records SR after each step
@ at 0x20000000 + 4 * step. Stops with `bkpt`.
    .syntax unified
    .thumb
    .cpu cortex-m4
    .section .text
    .org 0
    .word 0x20001000
    .word reset + 1
reset:
    ldr r5, =0x40023C00         @ FLASH interface
    ldr r6, =0x20000000         @ SR after each step (advances by 4)
    ldr r7, =0x20000040         @ flash words read back
    ldr r0, =0x08100000         @ sector 12 (bank 2)
    ldr r1, =0x12345678
    @ step 0: store while locked -> PGSERR
    str r1, [r0]
    bl record
    @ unlock
    ldr r2, =0x45670123
    str r2, [r5, #4]
    ldr r2, =0xCDEF89AB
    str r2, [r5, #4]
    @ step 1: PG with PSIZE x32, halfword store -> PGPERR
    ldr r2, =0x00000201
    str r2, [r5, #0x10]
    strh r1, [r0]
    bl record
    @ step 2: misaligned word store -> PGAERR
    str r1, [r0, #2]
    bl record
    @ step 3: valid word program with EOPIE -> EOP
    ldr r2, =0x01000201
    str r2, [r5, #0x10]
    str r1, [r0]
    bl record
    @ step 4: programming only clears bits: 0xFFFF0000 over 0x12345678 -> 0x12340000
    ldr r2, =0xFFFF0000
    str r2, [r0]
    bl record
    ldr r2, [r0]
    str r2, [r7]
    @ step 5: ERRIE with a byte store -> PGPERR | OPERR
    ldr r2, =0x02000201
    str r2, [r5, #0x10]
    strb r1, [r0, #4]
    bl record
    @ step 6: stale PGPERR left set, then a valid store -> PGSERR added, nothing programmed
    ldr r2, =0x00000201
    str r2, [r5, #0x10]
    strb r1, [r0, #4]
    str r1, [r0, #8]
    bl record
    ldr r2, [r0, #8]
    str r2, [r7, #4]
    @ step 7: erase sector 12 (SNB 16) with EOPIE -> EOP, sector erased
    ldr r2, =0x01000282         @ EOPIE | PSIZE x32 | SNB 16 | SER
    str r2, [r5, #0x10]
    ldr r2, =0x01010282         @ ... | STRT
    str r2, [r5, #0x10]
    bl record
    ldr r2, [r0]
    str r2, [r7, #8]
    @ step 8: write-protect sector 13 through the option bytes, then erase it -> WRPERR
    ldr r2, =0x08192A3B
    str r2, [r5, #8]
    ldr r2, =0x4C5D6E7F
    str r2, [r5, #8]
    ldr r2, =0x0FFD0000         @ nWRP13 = 0
    str r2, [r5, #0x18]
    ldr r2, [r5, #0x14]
    orr r2, r2, #2              @ OPTSTRT
    str r2, [r5, #0x14]
    bl wait
    ldr r2, =0x0000028A         @ PSIZE x32 | SNB 17 | SER
    str r2, [r5, #0x10]
    ldr r2, =0x0001028A
    str r2, [r5, #0x10]
    bl record
    @ step 9: a store to flash with PG clear -> PGSERR
    movs r2, #0
    str r2, [r5, #0x10]
    str r1, [r0, #12]
    bl record
    bkpt #0
record:                         @ wait for BSY to clear, store SR, clear its flags
    push {lr}
    bl wait
    ldr r2, [r5, #0x0C]
    str r2, [r6], #4
    bl clear
    pop {pc}
wait:
    ldr r2, [r5, #0x0C]
    tst r2, #0x10000
    bne wait
    bx lr
clear:
    ldr r2, =0xF3
    str r2, [r5, #0x0C]
    bx lr
    .ltorg
