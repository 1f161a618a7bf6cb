@ IT blocks that cross a 1 KB page: each block's IT instruction ends one page and its four
@ conditional instructions start the next, in pages the core has not run before, so the block
@ after the IT instruction is translated (a fetch that misses Unicorn's TLB) with the IT state
@ pending. Two of the four instructions must be skipped ("ne" is false), two must run.
@ Result at `bkpt`: r4 = 0 (skipped instructions that ran), r5 = 32 (two per block, 16 blocks).
@ When the word at 0x20000010 is not zero, SysTick interrupts every that many cycles (plus
@ one) and the handler counts them at 0x20000000.
    .syntax unified
    .thumb
    .cpu cortex-m4
    .section .text
    .org 0
    .word 0x20001000            @ initial MSP
    .word reset + 1             @ 1: reset
    .rept 13
    .word 0
    .endr
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
    movs r5, #0
    b block1
tick_handler:
    ldr r0, =0x20000000
    ldr r1, [r0]
    adds r1, #1
    str r1, [r0]
    bx lr
    .ltorg
    .org 0x3fc
block1:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 1 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block2
    .org 0x7fc
block2:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 2 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block3
    .org 0xbfc
block3:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 3 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block4
    .org 0xffc
block4:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 4 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block5
    .org 0x13fc
block5:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 5 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block6
    .org 0x17fc
block6:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 6 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block7
    .org 0x1bfc
block7:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 7 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block8
    .org 0x1ffc
block8:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 8 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block9
    .org 0x23fc
block9:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 9 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block10
    .org 0x27fc
block10:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 10 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block11
    .org 0x2bfc
block11:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 11 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block12
    .org 0x2ffc
block12:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 12 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block13
    .org 0x33fc
block13:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 13 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block14
    .org 0x37fc
block14:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 14 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block15
    .org 0x3bfc
block15:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 15 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b block16
    .org 0x3ffc
block16:
    cmp r0, r0                  @ Z = 1: "ne" false, "eq" true
    itete ne
    addne r4, r4, #1            @ page 16 starts here: skipped
    addeq r5, r5, #1            @ runs
    addne r4, r4, #1            @ skipped
    addeq r5, r5, #1            @ runs
    b finish
finish:
    bkpt #0
