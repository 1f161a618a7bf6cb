//! CRC-32/ISO-HDLC (reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF;
//! the CRC of zlib, Ethernet and PNG), the one checksum of Slingshot: the serial protocol's
//! frames and resumption checksums (`slingshot-protocol`) and the update journal's records
//! (`slingshot-update`). `docs/PROTOCOL.md` and `docs/UPDATE_ENGINE.md` name it.
//!
//! Two implementations behind one type, with the same checksums (the tests compare them):
//! the `crc` crate's with a 1 KB table by default, and, with the feature `small`, a bitwise
//! loop written here. The bootloader takes the loop: the crc crate without its table
//! (`crc::NoTable`) reads the algorithm's parameters at run time through generic code and
//! cost the bootloader 152 B more flash than this loop (2026-12-06, `cargo xtask size`), and
//! in the bootloader every byte counts (docs/SIZE_HISTORY.md).
#![no_std]
#![forbid(unsafe_code)]

/// The checksum: `CRC32.checksum(bytes)`, or `CRC32.digest()` fed piece by piece.
pub const CRC32: Crc32 = Crc32;

/// CRC-32/ISO-HDLC (see the crate documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Crc32;

/// A checksum being computed over several pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest {
    /// The register (reflected, before the final XOR).
    register: u32,
}

impl Crc32 {
    /// A digest over no bytes yet.
    pub const fn digest(&self) -> Digest {
        Digest {
            register: 0xFFFF_FFFF,
        }
    }

    /// The checksum of `bytes`.
    pub fn checksum(&self, bytes: &[u8]) -> u32 {
        let mut digest = self.digest();
        digest.update(bytes);
        digest.finalize()
    }
}

impl Digest {
    /// Adds `bytes` to the checksum.
    pub fn update(&mut self, bytes: &[u8]) {
        self.register = update(self.register, bytes);
    }

    /// The checksum of every byte added.
    pub fn finalize(self) -> u32 {
        !self.register
    }
}

/// The register after `bytes`, bit by bit (no table).
#[cfg(feature = "small")]
#[inline(never)]
fn update(mut register: u32, bytes: &[u8]) -> u32 {
    for &byte in bytes {
        register ^= u32::from(byte);
        // A loop tested at its end: 7 instructions per bit on the Cortex-M4, 8 as a `for`.
        let mut bits = 8;
        loop {
            register = (register >> 1) ^ (0xEDB8_8320 & (register & 1).wrapping_neg());
            bits -= 1;
            if bits == 0 {
                break;
            }
        }
    }
    register
}

/// The crc crate's table-driven CRC-32/ISO-HDLC (its register runs reflected as well).
#[cfg(not(feature = "small"))]
const TABLE: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// The register after `bytes`, with the crc crate's 1 KB table.
#[cfg(not(feature = "small"))]
fn update(register: u32, bytes: &[u8]) -> u32 {
    // The crc crate keeps the same reflected register; it takes an initial value in the
    // algorithm's bit order (reflecting it again) and XORs the result with 0xFFFFFFFF.
    let mut digest = TABLE.digest_with_initial(register.reverse_bits());
    digest.update(bytes);
    !digest.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: the crc crate's CRC-32/ISO-HDLC.
    fn reference(bytes: &[u8]) -> u32 {
        crc::Crc::<u32, crc::NoTable>::new(&crc::CRC_32_ISO_HDLC).checksum(bytes)
    }

    #[test]
    fn check_value_of_the_catalogue() {
        // The catalogue's check value: CRC-32/ISO-HDLC of "123456789".
        assert_eq!(CRC32.checksum(b"123456789"), 0xCBF4_3926);
        assert_eq!(CRC32.checksum(b""), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, rng_seed: proptest::test_runner::RngSeed::Fixed(0xC3C3), ..ProptestConfig::default() })]

        #[test]
        fn agrees_with_the_crc_crate_in_any_pieces(bytes in proptest::collection::vec(any::<u8>(), 0..600), split in any::<usize>()) {
            let split = split % (bytes.len() + 1);
            prop_assert_eq!(CRC32.checksum(&bytes), reference(&bytes));
            let mut digest = CRC32.digest();
            digest.update(&bytes[..split]);
            digest.update(&bytes[split..]);
            prop_assert_eq!(digest.finalize(), reference(&bytes));
        }
    }
}
