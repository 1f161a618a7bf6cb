//! Tests of `slingshot_image::ed25519::verify` (feature `salty`): RFC 8032 vectors, signatures
//! made by ed25519-compact, rejection of every single-bit change, and agreement with salty's
//! own `PublicKey::verify` (the reference for the accept set) on valid, mutated, small-order
//! and invalid inputs. Every verification of a 32-byte message (the bootloader signs image
//! digests) also runs through the prepared path the bootloader takes (`negated_x` ahead of
//! time, then `verify_prepared` with its one-block SHA-512), which must agree with it; the
//! property tests below give that path valid, mutated and random inputs. Run with
//! `cargo test -p slingshot-image --features salty`.
#![cfg(feature = "salty")]

use proptest::prelude::*;
use slingshot_image::ed25519::{negated_x, verify_prepared};
use slingshot_image::{key_id, PreparedKey, Sha2Engine};

/// `ed25519::verify`, asserting on every call with a 32-byte message that the prepared path
/// decides the same (a key that `negated_x` cannot decode verifies nothing).
fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let raw = slingshot_image::ed25519::verify(public_key, message, signature);
    if let Ok(digest) = <&[u8; 32]>::try_from(message) {
        let prepared = negated_x(public_key)
            .is_some_and(|x| verify_prepared::<Sha2Engine>(public_key, &x, digest, signature));
        assert_eq!(
            raw, prepared,
            "the prepared path disagrees: key {public_key:02x?}, signature {signature:02x?}"
        );
    }
    raw
}

/// Bytes from a hex string.
fn hex<const N: usize>(text: &str) -> [u8; N] {
    let mut bytes = [0; N];
    assert_eq!(text.len(), 2 * N, "{text}");
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * index..2 * index + 2], 16).unwrap();
    }
    bytes
}

/// The reference: salty 0.3's decoding and verification.
fn salty_verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    salty::PublicKey::try_from(public_key).is_ok_and(|key| {
        key.verify(message, &salty::Signature::from(signature))
            .is_ok()
    })
}

/// Whether the `s` half of `signature` is below the group order (salty does not check this).
fn s_is_canonical(signature: &[u8; 64]) -> bool {
    let mut s = [0; 32];
    s.copy_from_slice(&signature[32..]);
    salty::Scalar(s).is_canonical()
}

/// Public key and signature of `message` by the ed25519-compact key of `seed`.
fn sign(seed: &[u8; 32], message: &[u8]) -> ([u8; 32], [u8; 64]) {
    let key_pair = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(*seed));
    (*key_pair.pk, *key_pair.sk.sign(message, None))
}

#[test]
fn rfc8032_test_vectors_1_to_3() {
    for (public_key, message, signature) in [
        (
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            &[][..],
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            &[0x72][..],
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            &[0xaf, 0x82][..],
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    ] {
        let (public_key, signature) = (hex(public_key), hex(signature));
        assert!(verify(&public_key, message, &signature));
        assert!(salty_verify(&public_key, message, &signature));
        let mut wrong = message.to_vec();
        wrong.push(0);
        assert!(!verify(&public_key, &wrong, &signature));
    }
}

#[test]
fn long_message_signed_by_ed25519_compact_and_salty() {
    let seed = [0x5A; 32];
    let message: Vec<u8> = (0..1023u32).map(|index| (index * 7 + 3) as u8).collect();
    let (public_key, signature) = sign(&seed, &message);
    assert!(verify(&public_key, &message, &signature));
    // Ed25519 is deterministic: salty's signature of the same message is the same.
    let salty_signature = salty::Keypair::from(&seed).sign(&message).to_bytes();
    assert_eq!(salty_signature, signature);
    assert!(!verify(&public_key, &message[1..], &signature));
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let seed = [0x42; 32];
    let message = *b"a 32-byte SHA-256 digest, signed";
    let (public_key, signature) = sign(&seed, &message);
    assert!(verify(&public_key, &message, &signature));
    for bit in 0..512 {
        let mut changed = signature;
        changed[bit / 8] ^= 1 << (bit % 8);
        assert!(
            !verify(&public_key, &message, &changed),
            "signature bit {bit}"
        );
    }
    for bit in 0..256 {
        let mut changed = public_key;
        changed[bit / 8] ^= 1 << (bit % 8);
        assert!(
            !verify(&changed, &message, &signature),
            "public key bit {bit}"
        );
    }
    for bit in 0..256 {
        let mut changed = message;
        changed[bit / 8] ^= 1 << (bit % 8);
        assert!(
            !verify(&public_key, &changed, &signature),
            "message bit {bit}"
        );
    }
}

#[test]
fn s_plus_group_order_is_rejected_although_salty_accepts_it() {
    let (public_key, signature) = sign(&[0x24; 32], b"malleability");
    let order = salty::Scalar::ell();
    let mut malleated = signature;
    let mut carry = 0u16;
    for (byte, order_byte) in malleated[32..].iter_mut().zip(order) {
        let sum = u16::from(*byte) + u16::from(order_byte) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    assert!(verify(&public_key, b"malleability", &signature));
    assert!(!verify(&public_key, b"malleability", &malleated));
    // salty 0.3 does not check s < L: the one deliberate difference in the accept set.
    assert!(salty_verify(&public_key, b"malleability", &malleated));
    // s = L exactly (and all-ones) are rejected too.
    let mut order_as_s = signature;
    order_as_s[32..].copy_from_slice(&order);
    assert!(!verify(&public_key, b"malleability", &order_as_s));
    let mut all_ones = signature;
    all_ones[32..].fill(0xFF);
    assert!(!verify(&public_key, b"malleability", &all_ones));
}

/// Encodings of the eight points of small order, then non-canonical or off-curve encodings.
const SPECIAL_ENCODINGS: [&str; 14] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    // x = 0 with the sign bit set; y = p + 1, y = p (≡ 1, ≡ 0), also with the sign bit.
    "0100000000000000000000000000000000000000000000000000000000000080",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    // y = 2: not on the curve.
    "0200000000000000000000000000000000000000000000000000000000000000",
];

#[test]
fn small_order_and_special_public_keys_behave_like_salty() {
    let mut accepted = 0;
    for public_key in SPECIAL_ENCODINGS {
        let public_key = hex(public_key);
        // R of small order and s = 0: valid exactly when [k](−A) = R for this message.
        for encoded_r in &SPECIAL_ENCODINGS[..8] {
            for message in 0..6u8 {
                let mut signature = [0; 64];
                signature[..32].copy_from_slice(&hex::<32>(encoded_r));
                let ours = verify(&public_key, &[message], &signature);
                assert_eq!(ours, salty_verify(&public_key, &[message], &signature));
                accepted += usize::from(ours);
            }
        }
    }
    // Every small-order key accepts (R = identity, s = 0) for k ≡ 0 modulo its order.
    assert!(accepted > 40, "{accepted}");
    assert!(!verify(&hex(SPECIAL_ENCODINGS[13]), &[], &[0; 64]));
    assert!(salty::PublicKey::try_from(&hex::<32>(SPECIAL_ENCODINGS[13])).is_err());
}

#[test]
fn prepared_keys_carry_the_key_id_and_refuse_non_points() {
    let (public_key, _) = sign(&[7; 32], b"");
    let prepared = PreparedKey::prepare(&public_key).expect("a real key is a point");
    assert_eq!(prepared.public_key, public_key);
    assert_eq!(prepared.key_id, key_id(&public_key));
    assert_eq!(Some(prepared.negated_x), negated_x(&public_key));
    // y = 2 has no x on the curve (salty refuses it too).
    let mut not_a_point = [0; 32];
    not_a_point[0] = 2;
    assert!(salty::CompressedY(not_a_point).decompressed().is_err());
    assert_eq!(PreparedKey::prepare(&not_a_point), None);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, rng_seed: proptest::test_runner::RngSeed::Fixed(25519), ..ProptestConfig::default() })]

    #[test]
    fn signatures_by_ed25519_compact_verify(seed in any::<[u8; 32]>(), message in proptest::collection::vec(any::<u8>(), 0..300)) {
        let (public_key, signature) = sign(&seed, &message);
        prop_assert!(verify(&public_key, &message, &signature));
    }

    #[test]
    fn agrees_with_salty_on_mutated_signatures(
        seed in any::<[u8; 32]>(),
        message in proptest::collection::vec(any::<u8>(), 0..64),
        part in 0..4usize,
        position in any::<prop::sample::Index>(),
        value in any::<u8>(),
    ) {
        let (mut public_key, mut signature) = sign(&seed, &message);
        let mut message = message;
        match part {
            0 => public_key[position.index(32)] = value,
            1 => signature[position.index(64)] = value,
            2 if !message.is_empty() => { let index = position.index(message.len()); message[index] = value }
            _ => {}
        }
        let expected = salty_verify(&public_key, &message, &signature) && s_is_canonical(&signature);
        prop_assert_eq!(verify(&public_key, &message, &signature), expected);
    }

    #[test]
    fn digest_sized_messages_verify_and_mutations_agree_with_salty(
        seed in any::<[u8; 32]>(),
        message in any::<[u8; 32]>(),
        part in 0..4usize,
        position in any::<prop::sample::Index>(),
        value in any::<u8>(),
    ) {
        let (mut public_key, mut signature) = sign(&seed, &message);
        prop_assert!(verify(&public_key, &message, &signature));
        let mut message = message;
        match part {
            0 => public_key[position.index(32)] = value,
            1 => signature[position.index(64)] = value,
            2 => message[position.index(32)] = value,
            _ => signature[32 + position.index(32)] ^= 1 << (value % 8),
        }
        let expected = salty_verify(&public_key, &message, &signature) && s_is_canonical(&signature);
        prop_assert_eq!(verify(&public_key, &message, &signature), expected);
    }

    #[test]
    fn agrees_with_salty_on_random_inputs(public_key in any::<[u8; 32]>(), signature in any::<[u8; 32]>(), message in any::<[u8; 32]>()) {
        // A random key with the signature (R = identity, s = random) and R = random, s = 0.
        let mut first = [0; 64];
        first[0] = 1;
        first[32..].copy_from_slice(&signature);
        let mut second = [0; 64];
        second[..32].copy_from_slice(&signature);
        for signature in [first, second] {
            let expected = salty_verify(&public_key, &message, &signature) && s_is_canonical(&signature);
            prop_assert_eq!(verify(&public_key, &message, &signature), expected);
        }
    }
}
