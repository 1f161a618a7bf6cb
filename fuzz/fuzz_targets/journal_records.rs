//! Fuzz the update-state journal's record decoder: arbitrary (torn, random, stale) records
//! never panic, and a record that decodes re-encodes to exactly the same bytes — so no
//! corrupted record can masquerade as a different state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slingshot_update::journal::{decode, encode, RECORD_SIZE};

fuzz_target!(|data: &[u8]| {
    for chunk in data.chunks_exact(RECORD_SIZE as usize) {
        let record: &[u8; RECORD_SIZE as usize] = chunk.try_into().expect("exact chunk");
        if let Some((state, sequence)) = decode(record) {
            assert_eq!(
                &encode(&state, sequence),
                record,
                "decode accepted a non-canonical record"
            );
        }
    }
});
