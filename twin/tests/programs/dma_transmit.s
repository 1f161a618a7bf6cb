@ USART3 at 115200 baud transmits a message from flash by DMA1 stream 3 (channel 4,
@ memory-to-peripheral, memory increment, bytes), polls LISR.TCIF3, then stores S3NDTR at
@ 0x20000004 and LISR at 0x20000000 (the test zeroes it first) and loops forever.
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
    movs r1, #0x80              @ DMAT
    str r1, [r5, #0x14]         @ CR3
    ldr r4, =0x40026000         @ DMA1
    ldr r6, =0x40026058         @ DMA1 stream 3
    ldr r1, =0x40004804         @ USART3_DR
    str r1, [r6, #8]            @ S3PAR
    adr r1, message
    str r1, [r6, #0x0C]         @ S3M0AR
    movs r1, #14
    str r1, [r6, #4]            @ S3NDTR
    ldr r1, =0x08000441         @ CHSEL 4 | MINC | DIR memory-to-peripheral | EN
    str r1, [r6]
wait:
    ldr r2, [r4]                @ LISR
    tst r2, #0x08000000         @ TCIF3
    beq wait
    ldr r7, =0x20000000
    ldr r3, [r6, #4]
    str r3, [r7, #4]
    str r2, [r7]
done:
    b done
    .align 2
message:
    .ascii "HELLO FROM DMA"
    .align 2
    .ltorg
