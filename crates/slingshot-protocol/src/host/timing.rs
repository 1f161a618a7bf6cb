//! How long the device may take to answer each request, from what it has to do: read and
//! checksum N bytes of flash (StartUpdate's prefix scan, Checksum), hash N bytes and check a
//! signature (Verify, and Install, which verifies again before it marks the image pending),
//! erase a state sector. A lost request or reply then costs about the time of the operation,
//! not a fixed minute.
//!
//! The figures are instruction counts of the Slingshot bootloader, which serves the protocol
//! on the 16 MHz reset clock, scaled for silicon (more cycles than instructions) and with a
//! margin; `twin/tests/serial_timing.rs` measures each operation of the real bootloader on
//! the twin and checks that these timeouts cover it with room to spare.

use std::time::Duration;

/// The device's speed, in the terms the timeouts are computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceTiming {
    /// Core clock while the bootloader serves the protocol, in hertz.
    pub core_hz: u64,
    /// Instructions per byte to read flash and update a CRC-32 (bit-serial in the bootloader:
    /// about 62 measured on the twin, `twin/tests/serial_timing.rs`).
    pub checksum_instructions_per_byte: u64,
    /// Instructions per byte of a verification (SHA-256 and reading the image: about 28
    /// measured on the twin).
    pub verify_instructions_per_byte: u64,
    /// Instructions of a verification beside the hashing: Ed25519, descriptor, journal.
    pub verify_fixed_instructions: u64,
    /// Silicon cycles per counted instruction, in hundredths: loads, taken branches and flash
    /// wait states make a Cortex-M4 slower than one instruction per cycle (the twin's cycle
    /// model measures 1.28–1.42 for the bootloader's boot, docs/BENCHMARKS.md).
    pub cycles_per_instruction_hundredths: u64,
    /// Safety factor over the scaled time, in hundredths (200: twice).
    pub margin_hundredths: u64,
    /// The longest erase an install may add (a journal sector: 16 KB, 0.5 s maximum at x32).
    pub longest_install_erase: Duration,
    /// What any request costs besides its work: the device's turnaround and the host's.
    pub base: Duration,
}

impl Default for DeviceTiming {
    /// The Slingshot bootloader on an STM32F429 in bootloader mode (16 MHz).
    fn default() -> Self {
        Self {
            core_hz: 16_000_000,
            checksum_instructions_per_byte: 64,
            verify_instructions_per_byte: 32,
            verify_fixed_instructions: 1_500_000,
            cycles_per_instruction_hundredths: 150,
            margin_hundredths: 200,
            longest_install_erase: Duration::from_millis(500),
            base: Duration::from_millis(300),
        }
    }
}

impl DeviceTiming {
    /// Time for `instructions` on silicon, with the margin.
    fn instructions(&self, instructions: u64) -> Duration {
        let cycles = instructions * self.cycles_per_instruction_hundredths / 100
            * self.margin_hundredths
            / 100;
        Duration::from_nanos(cycles.saturating_mul(1_000_000_000) / self.core_hz.max(1))
    }

    /// StartUpdate: the device reads the slot up to `image_size` bytes looking for the
    /// written prefix and checksums it.
    pub fn start_update(&self, image_size: u32) -> Duration {
        self.base + self.checksum(image_size)
    }

    /// Checksum of `length` bytes (without the base).
    fn checksum(&self, length: u32) -> Duration {
        self.instructions(u64::from(length) * self.checksum_instructions_per_byte)
    }

    /// A Checksum request over `length` bytes.
    pub fn checksum_request(&self, length: u32) -> Duration {
        self.base + self.checksum(length)
    }

    /// Verify of an `image_size`-byte image.
    pub fn verify(&self, image_size: u32) -> Duration {
        self.base
            + self.instructions(
                u64::from(image_size) * self.verify_instructions_per_byte
                    + self.verify_fixed_instructions,
            )
    }

    /// Install: the engine verifies the image again, then writes the journal (which may erase
    /// a state sector first).
    pub fn install(&self, image_size: u32) -> Duration {
        self.verify(image_size) + self.longest_install_erase
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_image_is_seconds_not_a_minute() {
        let timing = DeviceTiming::default();
        let slot = 864 * 1024;
        // 864 KB × 64 instructions × 1.5 × 2 / 16 MHz = 10.62 s, plus 0.3 s.
        assert_eq!(timing.start_update(slot).as_millis(), 10_916);
        assert!(
            timing.verify(slot) < Duration::from_secs(7),
            "{:?}",
            timing.verify(slot)
        );
        assert!(timing.install(slot) < Duration::from_secs(8));
        // A small image answers within a second.
        assert!(timing.verify(16 * 1024) < Duration::from_secs(1));
        assert!(timing.checksum_request(1024) < Duration::from_millis(320));
    }
}
