//! Every refusal path, each reached by a minimal change to a valid signed image. Structural
//! changes are re-sealed (digest and signature recomputed) so that the check under test, and
//! not a later hash or signature check, is what refuses them.

mod common;

use common::*;
use slingshot_image::signing::{seal, sign_image, SigningParameters};
use slingshot_image::*;

const IMAGE_LENGTH: usize = 2048;

fn keys() -> [[u8; 32]; 1] {
    [public(&SEED)]
}

fn verify(bytes: &[u8]) -> Result<VerifiedImage, ImageError> {
    verify_slot(bytes, LOAD_ADDRESS, BOARD_ID, &keys())
}

fn set_word(bytes: &mut [u8], offset: usize, value: u32) {
    bytes[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
}

/// A valid image whose descriptor is changed by `change` and then re-sealed with `SEED`.
/// One structural case: name, change to the descriptor bytes, expected refusal.
type Case = (&'static str, fn(&mut [u8]), ImageError);

fn with_descriptor(change: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let image = signed(IMAGE_LENGTH, &SEED);
    let mut hashed = image[..IMAGE_LENGTH + DESCRIPTOR_SIZE].to_vec();
    change(&mut hashed[IMAGE_LENGTH..]);
    seal(&hashed, &SEED)
}

#[test]
fn the_valid_fixture_verifies() {
    assert!(verify(&signed(IMAGE_LENGTH, &SEED)).is_ok());
    assert!(verify(&with_descriptor(|_| {})).is_ok());
}

#[test]
fn unsigned_or_erased_slots_have_no_descriptor() {
    assert_eq!(
        verify(&in_slot(&application(IMAGE_LENGTH), 8192)),
        Err(ImageError::NoDescriptor)
    );
    assert_eq!(verify(&[0xFF; 8192]), Err(ImageError::NoDescriptor));
    assert_eq!(verify(&[0x00; 8192]), Err(ImageError::NoDescriptor));
    assert_eq!(
        verify(&[0x00; 31]),
        Err(ImageError::NoDescriptor),
        "shorter than word 7"
    );
    assert_eq!(verify(&[]), Err(ImageError::NoDescriptor));
    for pointer in [4, 28, 2049, 2050, 2051] {
        let mut image = signed(IMAGE_LENGTH, &SEED);
        set_word(&mut image, 0x1C, pointer);
        assert_eq!(
            verify(&image),
            Err(ImageError::NoDescriptor),
            "word 7 = {pointer:#x}"
        );
    }
}

#[test]
fn a_trailer_beyond_the_slot_is_refused() {
    let image = signed(IMAGE_LENGTH, &SEED);
    for cut in [1, 64, 95, 96, TRAILER_SIZE - 1] {
        let truncated = &image[..image.len() - cut];
        assert_eq!(
            verify(truncated),
            Err(ImageError::ImageSizeBeyondSlot),
            "cut {cut}"
        );
    }
    for pointer in [0x0001_0000, 0xFFFF_FFFC, IMAGE_LENGTH as u32 + 4] {
        let mut moved = image.clone();
        set_word(&mut moved, 0x1C, pointer);
        assert_eq!(
            verify(&moved),
            Err(ImageError::ImageSizeBeyondSlot),
            "{pointer:#x}"
        );
    }
    // A descriptor that claims the maximum size, so the digest would lie past the end.
    let large = with_descriptor(|descriptor| set_word(descriptor, 4, 1 | (512 << 16)));
    assert_eq!(verify(&large), Err(ImageError::ImageSizeBeyondSlot));
}

#[test]
fn each_descriptor_field_check_refuses() {
    let cases: [Case; 9] = [
        ("magic", |d| d[0] ^= 0x01, ImageError::BadMagic),
        (
            "format version 2",
            |d| d[4] = 2,
            ImageError::UnsupportedFormatVersion,
        ),
        (
            "format version 0",
            |d| d[4] = 0,
            ImageError::UnsupportedFormatVersion,
        ),
        (
            "descriptor size 124",
            |d| d[6] = 124,
            ImageError::BadDescriptorSize,
        ),
        (
            "descriptor size 130",
            |d| d[6] = 130,
            ImageError::BadDescriptorSize,
        ),
        (
            "descriptor size 516",
            |d| d[6..8].copy_from_slice(&516u16.to_le_bytes()),
            ImageError::BadDescriptorSize,
        ),
        (
            "hash algorithm",
            |d| d[0x1A] = 2,
            ImageError::UnsupportedAlgorithm,
        ),
        (
            "signature algorithm",
            |d| d[0x1B] = 0,
            ImageError::UnsupportedAlgorithm,
        ),
        (
            "image size",
            |d| d[8] ^= 0x04,
            ImageError::ImageSizeMismatch,
        ),
    ];
    for (name, change, expected) in cases {
        assert_eq!(verify(&with_descriptor(change)), Err(expected), "{name}");
        // parse_trailer reports the same structural refusal.
        assert_eq!(
            parse_trailer(&with_descriptor(change)),
            Err(expected),
            "{name}"
        );
    }
}

#[test]
fn wrong_load_address_and_board_are_refused() {
    let other = |change: fn(&mut SigningParameters)| {
        let mut parameters = parameters();
        change(&mut parameters);
        sign_image(&application(IMAGE_LENGTH), &parameters, &SEED).expect("signable")
    };
    assert_eq!(
        verify(&other(|p| p.load_address = 0x0810_8000)),
        Err(ImageError::WrongLoadAddress)
    );
    assert_eq!(
        verify(&other(|p| p.board_id = 0x0407_0001)),
        Err(ImageError::WrongBoard)
    );
}

#[test]
fn flipped_bytes_are_hash_mismatches_or_bad_signatures() {
    let image = signed(IMAGE_LENGTH, &SEED);
    let flip = |offset: usize| {
        let mut copy = image.clone();
        copy[offset] ^= 0x20;
        verify(&copy)
    };
    assert_eq!(flip(0), Err(ImageError::HashMismatch), "stack pointer");
    assert_eq!(flip(1000), Err(ImageError::HashMismatch), "code");
    assert_eq!(
        flip(IMAGE_LENGTH - 1),
        Err(ImageError::HashMismatch),
        "last image byte"
    );
    assert_eq!(
        flip(IMAGE_LENGTH + 0x14),
        Err(ImageError::HashMismatch),
        "version field"
    );
    assert_eq!(
        flip(IMAGE_LENGTH + 0x20),
        Err(ImageError::HashMismatch),
        "security counter"
    );
    assert_eq!(
        flip(IMAGE_LENGTH + 0x60),
        Err(ImageError::HashMismatch),
        "reserved bytes"
    );
    assert_eq!(
        flip(IMAGE_LENGTH + 0x28),
        Err(ImageError::HashMismatch),
        "key id is hashed"
    );
    assert_eq!(
        flip(IMAGE_LENGTH + DESCRIPTOR_SIZE),
        Err(ImageError::HashMismatch),
        "stored digest"
    );
    assert_eq!(
        flip(IMAGE_LENGTH + DESCRIPTOR_SIZE + 32),
        Err(ImageError::BadSignature),
        "R"
    );
    assert_eq!(flip(image.len() - 1), Err(ImageError::BadSignature), "S");
}

#[test]
fn untrusted_keys_are_refused() {
    assert_eq!(
        verify(&signed(IMAGE_LENGTH, &UNKNOWN_SEED)),
        Err(ImageError::NoTrustedKey)
    );
    let image = signed(IMAGE_LENGTH, &SEED);
    assert_eq!(
        verify_slot(&image, LOAD_ADDRESS, BOARD_ID, &[]),
        Err(ImageError::NoTrustedKey)
    );
    // An attacker names a trusted key's id but signs with their own key.
    let trusted_id = key_id(&public(&SEED));
    let mut hashed = signed(IMAGE_LENGTH, &UNKNOWN_SEED)[..IMAGE_LENGTH + DESCRIPTOR_SIZE].to_vec();
    hashed[IMAGE_LENGTH + 0x28..IMAGE_LENGTH + 0x30].copy_from_slice(&trusted_id);
    assert_eq!(
        verify(&seal(&hashed, &UNKNOWN_SEED)),
        Err(ImageError::BadSignature)
    );
}

#[test]
fn the_signature_is_checked_over_the_computed_digest() {
    // Replace code and the stored digest together: the stored digest matches nothing signed.
    let image = signed(IMAGE_LENGTH, &SEED);
    let mut forged = image.clone();
    forged[1000] ^= 0xFF;
    let digest = sha256(&forged[..IMAGE_LENGTH + DESCRIPTOR_SIZE]);
    forged[IMAGE_LENGTH + DESCRIPTOR_SIZE..IMAGE_LENGTH + DESCRIPTOR_SIZE + 32]
        .copy_from_slice(&digest);
    assert_eq!(verify(&forged), Err(ImageError::BadSignature));
}

#[test]
fn a_larger_future_descriptor_is_accepted_and_covered() {
    let image = signed(IMAGE_LENGTH, &SEED);
    let mut hashed = image[..IMAGE_LENGTH + DESCRIPTOR_SIZE].to_vec();
    hashed[IMAGE_LENGTH + 6..IMAGE_LENGTH + 8].copy_from_slice(&160u16.to_le_bytes());
    hashed.extend_from_slice(&[0xAB; 32]);
    let grown = seal(&hashed, &SEED);
    let verified = verify(&grown).expect("grown descriptor");
    assert_eq!(verified.descriptor.descriptor_size, 160);
    let mut changed = grown.clone();
    changed[IMAGE_LENGTH + 150] ^= 1;
    assert_eq!(verify(&changed), Err(ImageError::HashMismatch));
}

#[test]
fn signing_refuses_images_it_cannot_mark() {
    use slingshot_image::signing::{prepare_image, SigningError};
    assert_eq!(
        prepare_image(&[0; 31]),
        Err(SigningError::ImageTooSmall { size: 31 })
    );
    let mut image = application(IMAGE_LENGTH);
    set_word(&mut image, 0x1C, 0x1234_5678);
    assert_eq!(
        prepare_image(&image),
        Err(SigningError::TrailerPointerInUse { value: 0x1234_5678 })
    );
}

#[test]
fn codes_are_unique_stable_and_in_range() {
    let codes: Vec<u8> = ImageError::ALL.iter().map(ImageError::code).collect();
    assert_eq!(codes, (0x30..=0x3C).collect::<Vec<u8>>());
    for error in ImageError::ALL {
        assert!(!error.message().is_empty());
        assert!(error
            .to_string()
            .contains(&format!("0x{:02x}", error.code())));
    }
}
