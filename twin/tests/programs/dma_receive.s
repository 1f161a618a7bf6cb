@ USART3 at 115200 baud receives by DMA1 stream 1 (channel 4, circular, memory increment,
@ bytes) into an 8-byte ring at 0x20000100, then sleeps in WFI forever: every byte the host
@ sends lands in the ring without the CPU running. No interrupt is enabled.
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
    ldr r6, =0x40026028         @ DMA1 stream 1
    ldr r1, =0x40004804         @ USART3_DR
    str r1, [r6, #8]            @ S1PAR
    ldr r1, =0x20000100
    str r1, [r6, #0x0C]         @ S1M0AR
    movs r1, #8
    str r1, [r6, #4]            @ S1NDTR
    ldr r1, =0x08000500         @ CHSEL 4 | MINC | CIRC
    str r1, [r6]
    orr r1, r1, #1              @ EN
    str r1, [r6]
    movs r1, #0x40              @ DMAR
    str r1, [r5, #0x14]         @ CR3
sleep:
    wfi
    b sleep
    .ltorg
