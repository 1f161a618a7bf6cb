//! Fuzz the tool's key-file readers (`slingshot_files::keys`: PKCS#8 private key PEM; SPKI
//! PEM, raw, hex or private-PEM public keys) and its raw binary loading: any input gives a key
//! or an error, never a panic; a private key that parses gives, written again as PEM, the same
//! seed, and its public half is what the public-key reader finds in the same bytes; a raw
//! binary loads to exactly its bytes at its address.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slingshot_files::keys::{key_pair_pem, private_key_seed, public_key};
use slingshot_files::{FileKind, MemoryImage};
use std::path::Path;

/// Where the tool places a raw binary: the application slot start.
const SLOT_START: u32 = 0x0800_8000;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let public = public_key(data);
    if let Ok(seed) = private_key_seed(&text) {
        let (private_pem, public_pem) = key_pair_pem(&seed);
        assert_eq!(private_key_seed(&private_pem), Ok(seed), "PEM round trip");
        let derived = public_key(public_pem.as_bytes()).expect("our own public PEM parses");
        // The public reader looks for a public PEM first: only without one is the private half
        // what it reads.
        if !text.contains("-----BEGIN PUBLIC KEY-----") {
            assert_eq!(public, Ok(derived), "the public half of a private key file");
        }
    }
    if FileKind::detect(Path::new("application.bin"), data) == FileKind::Binary && !data.is_empty()
    {
        let image = MemoryImage::from_binary(data, SLOT_START).expect("a binary always loads");
        assert_eq!(image.read(SLOT_START, data.len()), Some(data));
        assert_eq!(image.data_size(), data.len());
    }
});
