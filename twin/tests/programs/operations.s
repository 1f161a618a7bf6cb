@ Runs a table of flash operations the host wrote at 0x20000100: entries of three words
@ {kind, operand, value}; kind 0 ends, 1 erases sector SNB = operand, 2 programs the word
@ `value` at address `operand` (PSIZE x32). SR after each operation is ORed into 0x20000000.
    .syntax unified
    .thumb
    .cpu cortex-m4
    .section .text
    .org 0
    .word 0x20001000
    .word reset + 1
reset:
    ldr r5, =0x40023C00
    ldr r2, =0x45670123
    str r2, [r5, #4]
    ldr r2, =0xCDEF89AB
    str r2, [r5, #4]
    ldr r4, =0x20000100
next:
    ldr r0, [r4], #4
    cbz r0, done
    ldr r1, [r4], #4
    ldr r3, [r4], #4
    cmp r0, #1
    bne program
    lsls r1, r1, #3
    orr r1, r1, #0x200          @ PSIZE x32
    orr r1, r1, #0x2            @ SER
    str r1, [r5, #0x10]
    orr r1, r1, #0x10000        @ STRT
    str r1, [r5, #0x10]
    b finish
program:
    ldr r2, =0x201              @ PG | PSIZE x32
    str r2, [r5, #0x10]
    str r3, [r1]
finish:
    ldr r2, [r5, #0x0C]
    tst r2, #0x10000
    bne finish
    ldr r6, =0x20000000
    ldr r7, [r6]
    orr r7, r7, r2
    str r7, [r6]
    movs r2, #0xF3
    str r2, [r5, #0x0C]
    b next
done:
    bkpt #0
    .ltorg
