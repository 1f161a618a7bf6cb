//! Golden vectors: a fixed key (RFC 8032 test 1) and a fixed image give fixed bytes. A change
//! here means the format or the signer changed, and every deployed bootloader would notice.

mod common;

use common::*;
use slingshot_image::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn the_fixed_seed_gives_the_rfc_8032_public_key() {
    assert_eq!(
        hex(&public(&SEED)),
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    assert_eq!(hex(&key_id(&public(&SEED))), KEY_ID);
}

// Computed independently of this crate, with Python's hashlib and `cryptography` (Ed25519),
// from the format table alone (script in docs/IMAGE_FORMAT.md, "Golden vector").
const KEY_ID: &str = "21fe31dfa154a261";
const DESCRIPTOR: &str = "534c494d01008000000100000080000801002904010002000300010104000000\
                          050000000000000021fe31dfa154a26100000000000000000000000000000000\
                          0000000000000000000000000000000000000000000000000000000000000000\
                          0000000000000000000000000000000000000000000000000000000000000000";
const DIGEST: &str = "b728b11fac07894ac970f70a1f823e234634a855303fa0cc866bf4e80d153ea4";
const SIGNATURE: &str = "31ff434f0b37650ee69cee4e1cb5977e706be8d0e3b96cbec73a4f178ba61527\
                         8cb30cfd0afa05e669b554a04013f9982f7c48bfe2258d137188b511ca77110c";

#[test]
fn a_fixed_image_gives_fixed_trailer_bytes() {
    let image = signed(256, &SEED);
    let trailer = &image[256..];
    assert_eq!(hex(&trailer[..DESCRIPTOR_SIZE]), DESCRIPTOR);
    assert_eq!(hex(&trailer[DESCRIPTOR_SIZE..DESCRIPTOR_SIZE + 32]), DIGEST);
    assert_eq!(hex(&trailer[DESCRIPTOR_SIZE + 32..]), SIGNATURE);
}

#[test]
fn sha256_matches_the_fips_180_vector() {
    assert_eq!(
        hex(&sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
