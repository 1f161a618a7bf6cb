@ Read-while-write: starts a sector erase and polls USART3 while it runs.
@ Configuration (written by the test): 0x20000000 FLASH_CR value for the erase (SER, SNB,
@ PSIZE), 0x20000004 non-zero = receive by DMA1 stream 1 into a 32-byte circular ring at
@ 0x20000200, 0x20000008 an address read once right after the erase starts.
@ Results: 0x20000010 bytes polled into 0x20000100, 0x20000014 USART3_SR when the last polled
@ byte was read, 0x20000018 S1NDTR at the end, 0x2000001C DWT_CYCCNT cycles the read took.
    .syntax unified
    .thumb
    .cpu cortex-m4
    .section .text
    .org 0
    .word 0x20001000
    .word reset + 1
reset:
    ldr r0, =0x40023830         @ RCC_AHB1ENR
    ldr r1, =0x00200000         @ DMA1EN
    str r1, [r0]
    ldr r1, =0x00040000         @ USART3EN
    str r1, [r0, #0x10]         @ RCC_APB1ENR
    ldr r5, =0x40004800         @ USART3
    movs r1, #0x8B
    str r1, [r5, #8]            @ BRR
    ldr r1, =0x200C             @ UE | TE | RE
    str r1, [r5, #0x0C]
    ldr r7, =0x20000000
    ldr r6, =0x40026028         @ DMA1 stream 1
    ldr r0, [r7, #4]
    cbz r0, no_dma
    ldr r1, =0x40004804         @ USART3_DR
    str r1, [r6, #8]            @ S1PAR
    ldr r1, =0x20000200
    str r1, [r6, #0x0C]         @ S1M0AR
    movs r1, #32
    str r1, [r6, #4]            @ S1NDTR
    ldr r1, =0x08000501         @ CHSEL 4 | MINC | CIRC | EN
    str r1, [r6]
    movs r1, #0x40              @ DMAR
    str r1, [r5, #0x14]         @ CR3
no_dma:
    ldr r3, =0x40023C00         @ FLASH
    ldr r1, =0x45670123
    str r1, [r3, #4]            @ KEYR
    ldr r1, =0xCDEF89AB
    str r1, [r3, #4]
    ldr r1, [r7]
    str r1, [r3, #0x10]         @ CR: SER, SNB, PSIZE
    ldr r0, [r7, #8]
    ldr r10, =0xE0001004        @ DWT_CYCCNT
    orr r1, r1, #0x10000        @ STRT
    str r1, [r3, #0x10]
    ldr r9, [r10]
    ldr r0, [r0]                @ the read under test
    ldr r2, [r10]
    sub r2, r2, r9
    str r2, [r7, #0x1C]
    movs r8, #0
    ldr r4, =0x20000100
poll:
    ldr r2, [r5]                @ SR
    tst r2, #0x20               @ RXNE
    beq 1f
    str r2, [r7, #0x14]
    ldr r1, [r5, #4]            @ DR
    strb r1, [r4, r8]
    add r8, r8, #1
1:  ldr r2, [r3, #0x0C]         @ FLASH_SR
    tst r2, #0x10000            @ BSY
    bne poll
    str r8, [r7, #0x10]
    ldr r2, [r6, #4]
    str r2, [r7, #0x18]
    bkpt #0
    .ltorg
