#!/usr/bin/env bash
# Measure the stack high-water mark of the verification (harness and printing included) for
# each Ed25519 backend: run the bench firmware in QEMU under gdb, stop at the first
# semihosting call (made after every measurement), dump SRAM and find where the untouched
# (zero) RAM below the stack ends. QEMU starts SRAM zeroed.
#
#   firmware/crypto-bench/stack.sh        # needs qemu-system-arm, gdb-multiarch, python3
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(pwd)/../target/crypto-bench}"
ELF="$CARGO_TARGET_DIR/thumbv7em-none-eabihf/release/slingshot-crypto-bench"
DUMP="$(mktemp)"
trap 'rm -f "$DUMP"' EXIT
for backend in salty compact; do
    SLINGSHOT_BENCH_IMAGE_KB=64 cargo build --quiet --release --features "$backend"
    breakpoints=()
    for address in $(arm-none-eabi-objdump -d "$ELF" | awk '/bkpt/ { sub(":", "", $1); print $1 }'); do
        breakpoints+=(-ex "break *0x$address")
    done
    qemu-system-arm -M netduinoplus2 -nographic -monitor none -serial null \
        -icount shift=0,sleep=off -semihosting-config enable=on,target=native \
        -kernel "$ELF" -S -gdb tcp::1234 >/dev/null 2>&1 &
    qemu=$!
    sleep 1
    gdb-multiarch -q -batch "$ELF" -ex 'target remote :1234' "${breakpoints[@]}" -ex continue \
        -ex "dump binary memory $DUMP 0x20000000 0x20020000" >/dev/null 2>&1
    kill "$qemu" 2>/dev/null || true
    wait "$qemu" 2>/dev/null || true
    python3 - "$DUMP" "$backend" <<'PYTHON'
import re, sys
ram = open(sys.argv[1], 'rb').read()
start, end = max(((m.start(), m.end()) for m in re.finditer(b'\x00{256,}', ram)), key=lambda r: r[1] - r[0])
print(f"{sys.argv[2]}: stack high-water {len(ram) - end} bytes (stack top 0x20020000)")
PYTHON
done
