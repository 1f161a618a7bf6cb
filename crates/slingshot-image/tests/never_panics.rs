//! Property tests: parsing and verification never panic or read out of bounds on any input,
//! and no single-byte change to a signed image (inside image or trailer) is accepted.

mod common;

use common::*;
use proptest::prelude::*;
use slingshot_image::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, rng_seed: proptest::test_runner::RngSeed::Fixed(3), ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = parse_trailer(&bytes);
        let _ = verify_slot(&bytes, LOAD_ADDRESS, BOARD_ID, &[public(&SEED)]);
    }

    #[test]
    fn any_trailer_pointer_is_handled(pointer in any::<u32>(), extra in 0usize..600) {
        let mut bytes = signed(512, &SEED);
        bytes.resize(bytes.len() + extra, 0xFF);
        bytes[0x1C..0x20].copy_from_slice(&pointer.to_le_bytes());
        let result = verify_slot(&bytes, LOAD_ADDRESS, BOARD_ID, &[public(&SEED)]);
        prop_assert_eq!(result.is_ok(), pointer == 512);
    }

    #[test]
    fn random_descriptor_bytes_never_panic(descriptor in proptest::collection::vec(any::<u8>(), 128..700)) {
        let mut bytes = signed(256, &SEED)[..256].to_vec();
        bytes.extend_from_slice(&descriptor);
        // Give the fuzzer a head start: a valid magic and version most of the time.
        bytes[256..260].copy_from_slice(b"SLIM");
        bytes[260] = 1;
        bytes[261] = 0;
        let _ = parse_trailer(&bytes);
        prop_assert!(verify_slot(&bytes, LOAD_ADDRESS, BOARD_ID, &[public(&SEED)]).is_err());
    }

    #[test]
    fn every_single_byte_change_is_refused(offset in 0usize..(300 + TRAILER_SIZE), change in 1u8..=255) {
        let mut bytes = signed(300, &SEED);
        bytes[offset] ^= change;
        prop_assert!(verify_slot(&bytes, LOAD_ADDRESS, BOARD_ID, &[public(&SEED)]).is_err());
    }
}
