@ USART3 at 115200 baud from HSI 16 MHz (BRR 0x8B): prints "READY\n", then busy-waits about
@ 40 000 instructions without reading, then stores SR at 0x20000000 and DR at 0x20000004,
@ echoes every further byte plus one, forever.
    .syntax unified
    .thumb
    .cpu cortex-m4
    .section .text
    .org 0
    .word 0x20001000
    .word reset + 1
reset:
    ldr r0, =0x40023840         @ RCC_APB1ENR
    ldr r1, =0x00040000         @ USART3EN
    str r1, [r0]
    ldr r5, =0x40004800         @ USART3
    movs r1, #0x8B
    str r1, [r5, #8]            @ BRR
    ldr r1, =0x200C             @ UE | TE | RE
    str r1, [r5, #0x0C]
    adr r4, message
print:
    ldrb r1, [r4], #1
    cbz r1, printed
1:  ldr r2, [r5]
    tst r2, #0x80               @ TXE
    beq 1b
    str r1, [r5, #4]
    b print
printed:
    ldr r3, =20000
2:  subs r3, #1
    bne 2b
    ldr r6, =0x20000000
    ldr r2, [r5]
    str r2, [r6]
    ldr r2, [r5, #4]
    str r2, [r6, #4]
echo:
    ldr r2, [r5]
    tst r2, #0x20               @ RXNE
    beq echo
    ldr r1, [r5, #4]
    adds r1, #1
3:  ldr r2, [r5]
    tst r2, #0x80
    beq 3b
    str r1, [r5, #4]
    b echo
    .align 2
message:
    .asciz "READY\n"
    .ltorg
