@ Reads the word at 0x08100000 (flash bank 2) with PA12 at its reset state (a floating input),
@ then stops (bkpt). On revisions before 0x2001 the strict twin refuses the read (ES0206
@ §2.2.11); on later ones it is an ordinary read.
    .syntax unified
    .thumb
    .word 0x20001000
    .word reset + 1
    .thumb_func
reset:
    ldr r1, =0x08100000
    ldr r0, [r1]
    bkpt #0
    .ltorg
