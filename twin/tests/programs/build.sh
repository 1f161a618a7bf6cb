#!/bin/sh
# Rebuilds the pre-assembled test programs (needs binutils-arm-none-eabi; CI uses the
# committed .bin files). Each program is linked at 0x08000000.
set -e
cd "$(dirname "$0")"
for source in *.s; do
    name="${source%.s}"
    arm-none-eabi-as -o "/tmp/$name.o" "$source"
    arm-none-eabi-ld -e 0x08000000 -Ttext=0x08000000 -o "/tmp/$name.elf" "/tmp/$name.o"
    arm-none-eabi-objcopy -O binary "/tmp/$name.elf" "$name.bin"
done
