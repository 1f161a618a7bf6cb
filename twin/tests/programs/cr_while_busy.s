@ Starts an erase of sector 12 (bank 2, 16 KB) and, while BSY, writes FLASH_CR = LOCK: the
@ write must wait on the bus until the erase is over and then take effect. Stores FLASH_SR
@ and FLASH_CR read after that write at 0x20000000 and 0x20000004, then stops (bkpt).
    .syntax unified
    .thumb
    .word 0x20001000
    .word reset + 1
    .thumb_func
reset:
    ldr r0, =0x40023C00         @ FLASH
    ldr r1, =0x45670123
    str r1, [r0, #4]            @ KEYR
    ldr r1, =0xCDEF89AB
    str r1, [r0, #4]
    ldr r1, =0x00000282         @ SER, SNB 16 (sector 12), PSIZE x32
    str r1, [r0, #0x10]
    ldr r1, =0x00010282         @ + STRT
    str r1, [r0, #0x10]
    ldr r1, =0x80000000         @ LOCK, written while BSY
    str r1, [r0, #0x10]
    ldr r2, =0x20000000
    ldr r1, [r0, #0x0C]         @ FLASH_SR
    str r1, [r2]
    ldr r1, [r0, #0x10]         @ FLASH_CR
    str r1, [r2, #4]
    bkpt #0
    .ltorg
