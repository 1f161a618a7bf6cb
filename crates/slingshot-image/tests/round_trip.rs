//! Round trips: descriptor encode/decode, version text, and sign → verify over a slice, over
//! a `ReadNorFlash` and with key rotation.

mod common;

use common::*;
use embedded_storage::nor_flash::{ErrorType, NorFlashErrorKind, ReadNorFlash};
use slingshot_image::*;

#[test]
fn descriptor_encode_decode_round_trip() {
    let descriptor = Descriptor {
        flags: 0xA5A5_0001,
        ..Descriptor::new(
            0x1234,
            LOAD_ADDRESS,
            BOARD_ID,
            Version {
                major: 65535,
                minor: 2,
                patch: 700,
                build: 0xDEAD_BEEF,
            },
            0x0102_0304,
            [1, 2, 3, 4, 5, 6, 7, 8],
        )
    };
    let bytes = descriptor.encode();
    assert_eq!(Descriptor::decode(&bytes), descriptor);
    assert_eq!(&bytes[0..4], b"SLIM");
    assert!(
        bytes[0x30..].iter().all(|&byte| byte == 0),
        "reserved bytes are zero"
    );
}

#[test]
fn version_parses_and_prints() {
    let version = Version::parse("1.2.3+4").expect("valid");
    assert_eq!(
        version,
        Version {
            major: 1,
            minor: 2,
            patch: 3,
            build: 4
        }
    );
    assert_eq!(version.to_string(), "1.2.3+4");
    assert_eq!(
        Version::parse("0.1.0"),
        Some(Version {
            major: 0,
            minor: 1,
            patch: 0,
            build: 0
        })
    );
    for bad in [
        "",
        "1",
        "1.2",
        "1.2.3.4",
        "1.2.x",
        "1.2.3+",
        "1.2.3+-1",
        "70000.0.0",
        " 1.2.3",
    ] {
        assert_eq!(Version::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn signed_image_verifies_in_a_larger_slot() {
    let image = signed(4099, &SEED);
    assert_eq!(
        image.len(),
        4100 + TRAILER_SIZE,
        "padded to 4 bytes, trailer appended"
    );
    assert_eq!(&image[4099..4100], &[0xFF], "padding is erased flash");
    assert_eq!(
        &image[0x1C..0x20],
        &4100u32.to_le_bytes(),
        "word 7 points at the trailer"
    );
    let slot = in_slot(&image, 16 * 1024);
    let verified = verify_slot(&slot, LOAD_ADDRESS, BOARD_ID, &[public(&SEED)]).expect("valid");
    assert_eq!(verified.descriptor.image_size, 4100);
    assert_eq!(verified.descriptor.version.to_string(), "1.2.3+4");
    assert_eq!(verified.descriptor.security_counter, 5);
    assert_eq!(verified.key_index, 0);
    assert_eq!(verified.digest, sha256(&image[..4100 + DESCRIPTOR_SIZE]));
    // The file alone (no slot padding) verifies too.
    assert!(verify_slot(&image, LOAD_ADDRESS, BOARD_ID, &[public(&SEED)]).is_ok());
}

#[test]
fn any_trusted_key_is_accepted() {
    let keys = [public(&UNKNOWN_SEED), public(&SEED), public(&SECOND_SEED)];
    let keys = &keys[1..];
    let first = verify_slot(&signed(1024, &SEED), LOAD_ADDRESS, BOARD_ID, keys).expect("first");
    let second =
        verify_slot(&signed(1024, &SECOND_SEED), LOAD_ADDRESS, BOARD_ID, keys).expect("second");
    assert_eq!((first.key_index, second.key_index), (0, 1));
}

#[test]
fn resigning_a_stripped_image_is_allowed() {
    let image = signed(2048, &SEED);
    let stripped = &image[..2048];
    let again = signing::sign_image(stripped, &parameters(), &SECOND_SEED).expect("re-sign");
    assert!(verify_slot(&again, LOAD_ADDRESS, BOARD_ID, &[public(&SECOND_SEED)]).is_ok());
}

/// An in-memory `ReadNorFlash` that counts reads and can fail on demand.
struct MemoryFlash {
    bytes: Vec<u8>,
    reads: usize,
    fail_after: Option<usize>,
}

#[derive(Debug)]
struct ReadFailed;

impl embedded_storage::nor_flash::NorFlashError for ReadFailed {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

impl ErrorType for MemoryFlash {
    type Error = ReadFailed;
}

impl ReadNorFlash for MemoryFlash {
    const READ_SIZE: usize = 4;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), ReadFailed> {
        assert_eq!(offset % 4, 0, "aligned reads only");
        assert_eq!(bytes.len() % 4, 0, "whole words only");
        self.reads += 1;
        if self.fail_after.is_some_and(|limit| self.reads > limit) {
            return Err(ReadFailed);
        }
        let start = offset as usize;
        bytes.copy_from_slice(&self.bytes[start..start + bytes.len()]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.bytes.len()
    }
}

#[test]
fn verify_flash_agrees_with_verify_slot() {
    let slot_start = 0x4000;
    let slot_size = 0x8000;
    let image = signed(10_001, &SEED);
    let mut bytes = vec![0xFF; slot_start + slot_size];
    bytes[slot_start..slot_start + image.len()].copy_from_slice(&image);
    let keys = [public(&SEED)];
    let mut flash = MemoryFlash {
        bytes: bytes.clone(),
        reads: 0,
        fail_after: None,
    };
    let from_flash = verify_flash(
        &mut flash,
        slot_start as u32,
        slot_size as u32,
        LOAD_ADDRESS,
        BOARD_ID,
        &keys,
    )
    .expect("valid");
    let from_slice =
        verify_slot(&bytes[slot_start..], LOAD_ADDRESS, BOARD_ID, &keys).expect("valid");
    assert_eq!(from_flash, from_slice);
    assert!(flash.reads > 10_001 / 256, "hashed in small chunks");

    let mut failing = MemoryFlash {
        bytes,
        reads: 0,
        fail_after: Some(5),
    };
    let result = verify_flash(
        &mut failing,
        slot_start as u32,
        slot_size as u32,
        LOAD_ADDRESS,
        BOARD_ID,
        &keys,
    );
    assert_eq!(result, Err(ImageError::StorageRead));
}

#[test]
fn verify_flash_refuses_a_slot_outside_the_device() {
    let mut flash = MemoryFlash {
        bytes: vec![0xFF; 4096],
        reads: 0,
        fail_after: None,
    };
    let keys = [public(&SEED)];
    for (start, size) in [(0, 4097), (4096, 1), (u32::MAX, 2)] {
        let result = verify_flash(&mut flash, start, size, LOAD_ADDRESS, BOARD_ID, &keys);
        assert_eq!(
            result,
            Err(ImageError::ImageSizeBeyondSlot),
            "{start:#x} + {size}"
        );
    }
    assert_eq!(flash.reads, 0);
}

#[test]
fn the_layout_reserves_room_for_the_largest_trailer() {
    assert_eq!(TRAILER_RESERVE, slingshot_layout::SIGNATURE_TRAILER_RESERVE);
}

/// Keys prepared ahead of time (the bootloader's form) verify exactly as the raw keys do:
/// valid, corrupted and badly signed images, with key rotation, one key or two.
#[cfg(feature = "salty")]
#[test]
fn prepared_keys_verify_slots_as_raw_keys_do() {
    let raw = [public(&SEED), public(&SECOND_SEED)];
    let prepared = raw.map(|key| PreparedKey::prepare(&key).expect("a curve point"));
    for seed in [SEED, SECOND_SEED, UNKNOWN_SEED] {
        let image = signed(2048, &seed);
        let mut corrupted = image.clone();
        corrupted[1000] ^= 1;
        let mut badly_signed = image.clone();
        let last = badly_signed.len() - 1;
        badly_signed[last] ^= 0x40;
        for bytes in [&image, &corrupted, &badly_signed] {
            for count in [1, 2] {
                assert_eq!(
                    verify_slot_with::<Sha2Engine>(
                        bytes,
                        LOAD_ADDRESS,
                        BOARD_ID,
                        &prepared[..count]
                    ),
                    verify_slot(bytes, LOAD_ADDRESS, BOARD_ID, &raw[..count]),
                    "seed {:02x}, {count} key(s)",
                    seed[0]
                );
            }
        }
    }
    assert!(verify_slot_with::<Sha2Engine>(
        &signed(2048, &SECOND_SEED),
        LOAD_ADDRESS,
        BOARD_ID,
        &prepared
    )
    .is_ok());
}
