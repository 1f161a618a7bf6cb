#!/usr/bin/env bash
# Measure flash size and instruction counts of the signed-image crypto on thumbv7em in QEMU.
#
#   firmware/crypto-bench/measure.sh            # prints a markdown table
#   IMAGE_SIZES="256" BACKENDS="compact salty" SHA_BACKENDS="asm" firmware/crypto-bench/measure.sh
#
# Each variant is built in release (opt-level "s", LTO, like the bootloader) and run in
# qemu-system-arm -M netduinoplus2 with -icount shift=0,sleep=off: one virtual nanosecond per
# instruction, and TIM2 (1 GHz) counts executed instructions. Flash size is the variant's
# .text + .rodata + .data minus the embedded test image, minus the same for the harness-only
# baseline: what the verification adds to a program that already prints.
# Variants: Ed25519 backend (salty = salty's own verify, salty-joint = slingshot_image::ed25519
# on salty's field arithmetic, ed25519-compact opt_size, ed25519-compact default) and
# the SHA-256 block function: sha2 0.11's software backend (default "unroll" or
# `--cfg sha2_backend_soft="compact"`) or "asm", the Cortex-M4 assembly of
# firmware/stm32/src/sha256.rs (feature sha-asm).
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(pwd)/../target/crypto-bench}"
ELF="$CARGO_TARGET_DIR/thumbv7em-none-eabihf/release/slingshot-crypto-bench"
# The firmware workspace's .cargo/config.toml supplies the target, -Tlink.x and sha2's compact
# backend (what the bootloader ships). For the "unroll" rows RUSTFLAGS replaces the config's
# flags with the same flags minus that cfg, read from the config itself.
flash_bytes() { # embedded-image-bytes
    # .text + .rodata + .data of the ELF minus the embedded image (when it is in .rodata). The
    # image size comes from the firmware's own output: picking the newest build-script
    # image.bin went wrong when cargo reused an older build script run.
    arm-none-eabi-size -A "$ELF" | awk -v image="$1" '
        $1 == ".vector_table" || $1 == ".text" || $1 == ".rodata" || $1 == ".data" { total += $2 }
        $1 == ".rodata" { rodata = $2 }
        END { if (rodata >= image) total -= image; print total }'
}

build() { # features sha-backend image-kb
    local features="$1" flags=""
    if [ "$2" = unroll ]; then
        flags=$(unrolled_rustflags)
    fi
    if [ "$2" = asm ]; then
        features="$1,sha-asm"
    fi
    if [ -n "$flags" ]; then
        RUSTFLAGS="$flags" SLINGSHOT_BENCH_IMAGE_KB="$3" cargo build --quiet --release --features "$features"
    else
        env -u RUSTFLAGS SLINGSHOT_BENCH_IMAGE_KB="$3" cargo build --quiet --release --features "$features"
    fi
}

unrolled_rustflags() { # the firmware config's rustflags without sha2_backend_soft
    python3 - ../.cargo/config.toml <<'PYTHON'
import sys, tomllib
with open(sys.argv[1], "rb") as config:
    flags = tomllib.load(config)["target"]["thumbv7em-none-eabihf"]["rustflags"]
kept = []
for flag in flags:
    if flag.startswith("sha2_backend_soft"):
        kept.pop()  # its "--cfg"
    else:
        kept.append(flag)
print(" ".join(kept))
PYTHON
}

run() {
    timeout 600 qemu-system-arm -M netduinoplus2 -nographic -monitor none -serial null \
        -icount shift=0,sleep=off -semihosting-config enable=on,target=native -kernel "$ELF"
}

build baseline unroll 1
baseline=$(flash_bytes "$(run | awk '/^baseline image/ { print $3 }')")
echo "| Ed25519 backend | SHA-256 block function | image | flash added | SHA-256 instr/byte | Ed25519 verify instr | verify_slot instr | at 16 MHz | at 168 MHz |"
echo "|---|---|---|---|---|---|---|---|---|"
for image_kb in ${IMAGE_SIZES:-64 256}; do
    for backend in ${BACKENDS:-salty salty-joint compact compact-fast}; do
        for sha in ${SHA_BACKENDS:-unroll compact asm}; do
            build "$backend" "$sha" "$image_kb"
            output=$(run)
            size=$(( $(flash_bytes "$(echo "$output" | awk '/^verify_slot/ { print $2 }')") - baseline ))
            sha_bytes=$(echo "$output" | awk '/^sha256/ { print $2 }')
            sha_count=$(echo "$output" | awk '/^sha256/ { print $4 }')
            verify=$(echo "$output" | awk '/^ed25519/ { print $3 }')
            whole=$(echo "$output" | awk '/^verify_slot/ { print $4 }')
            ok=$(echo "$output" | awk '/^verify_slot/ { print $7 }')
            [ "$ok" = true ] || { echo "verification failed: $output" >&2; exit 1; }
            awk -v b="$backend" -v s="$sha" -v kb="$image_kb" -v size="$size" -v sb="$sha_bytes" \
                -v sc="$sha_count" -v v="$verify" -v w="$whole" 'BEGIN {
                printf "| %s | %s | %d KB | %d B | %.1f | %d | %d | %.0f ms | %.1f ms |\n",
                    b, s, kb, size, sc / sb, v, w, w / 16000, w / 168000 }'
        done
    done
done
