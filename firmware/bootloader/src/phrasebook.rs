//! Phrases the bootloader's messages share, stored once (feature `logging`).
//!
//! The refusal catalogue and the line formats are built at compile time with every phrase of
//! [`PHRASES`] replaced by one byte, [`FIRST_CODE`] + its index (text is printable ASCII, so
//! bytes from 0x80 on are free); the phrases themselves are the catalogue's first entries,
//! whose codes are implicit, each compressed the same way by the shorter phrases. The printer
//! expands a code by looking it up like a refusal's message ([`entry`]), so the whole decoder
//! is one branch in the output queue's `push`. Every compressed text is expanded again at
//! compile time and compared with its original ([`expands_to`]): a build whose catalogue would
//! print a different text fails.

/// Code of the first phrase: `FIRST_CODE + index` stands for `PHRASES[index]`.
pub const FIRST_CODE: u8 = 0x80;

/// The shared phrases. Chosen by a greedy search over the default builds' messages and line
/// formats (add the substring that saves the most bytes, drop any phrase that no longer pays
/// for its own entry, its text and a zero byte; docs/SIZE_HISTORY.md): a message that changes
/// still prints right, it may only compress less. A message uses the longest phrase that
/// matches at each position, so the order only sets the lookup's speed: shortest first, as
/// the short phrases are used most and the lookup is a scan (measured with the first 52
/// phrases: the boot's one line cost 3,883 more instructions than without phrases, 15,718
/// with the longest first).
pub const PHRASES: &[&str] = &[
    "ad",
    "al",
    "an",
    "at",
    "d ",
    "e ",
    "ed",
    "er",
    "ff",
    "in",
    "is",
    "it",
    "lo",
    "no",
    "on",
    "or",
    "ou",
    "re",
    "s ",
    "se",
    "si",
    "st",
    "t ",
    " re",
    "ack",
    "ail",
    " wor",
    "ash ",
    "atch",
    "bad ",
    "ing ",
    "slot",
    "the ",
    " not ",
    " the ",
    "exten",
    "image",
    "inter",
    "table",
    "flash ",
    "rupted",
    "update",
    "vector",
    " holds ",
    "beyond ",
    "on trial",
    "trailer ",
    " outside ",
    ": reason ",
    "is erased",
    "signature",
    "supported",
    "bootloader",
    "descriptor",
    "verifying ",
    " built for ",
    "application",
    "primary image",
    "update engine",
    "bad descriptor: ",
    "bad vector table:",
    "security counter ",
    "anti-rollback: the ",
    "no application: the ",
    " extends beyond its slot",
    ": flash operation failed",
    "image built for another ",
    "bad vector table: the reset vector ",
    "bad vector table: the initial stack pointer is",
    "'s security counter is below the stored minimum",
];

const _: () = assert!(PHRASES.len() <= 0x80, "one code byte per phrase");

/// The index of the longest phrase shorter than `limit` bytes that `text` holds at `at`.
const fn longest_match(text: &[u8], at: usize, limit: usize) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut best_length = 1; // A one-byte phrase would save nothing.
    let mut index = 0;
    while index < PHRASES.len() {
        let phrase = PHRASES[index].as_bytes();
        if phrase.len() > best_length && phrase.len() < limit && at + phrase.len() <= text.len() {
            let mut position = 0;
            while position < phrase.len() && text[at + position] == phrase[position] {
                position += 1;
            }
            if position == phrase.len() {
                best = Some(index);
                best_length = phrase.len();
            }
        }
        index += 1;
    }
    best
}

/// Writes the printable text `text` (`crate::report::printable`, which its callers apply) into
/// `out` at `at` with every phrase shorter than `limit` bytes replaced by its code (longest
/// match first, left to right); returns the offset after it.
pub const fn compress(text: &[u8], limit: usize, out: &mut [u8], at: usize) -> usize {
    let mut written = at;
    let mut position = 0;
    while position < text.len() {
        match longest_match(text, position, limit) {
            Some(index) => {
                out[written] = FIRST_CODE + index as u8;
                position += PHRASES[index].len();
            }
            None => {
                out[written] = text[position];
                position += 1;
            }
        }
        written += 1;
    }
    written
}

/// Bytes [`compress`] writes for `text`.
pub const fn compressed_length(text: &[u8], limit: usize) -> usize {
    let mut scratch = [0u8; 256];
    compress(text, limit, &mut scratch, 0)
}

/// The text of the entry with `code` in a catalogue: first the phrases, each its text and a
/// zero byte (its code is implicit, [`FIRST_CODE`] + its index), then the other entries, each
/// its code, its text and a zero byte; empty when no entry has the code. The bootloader's
/// lookup at run time and the check at compile time.
pub const fn entry(catalogue: &[u8], code: u8) -> &[u8] {
    let mut rest = catalogue;
    let mut phrase_code = FIRST_CODE as usize;
    loop {
        let (entry_code, text) = if phrase_code < FIRST_CODE as usize + PHRASES.len() {
            (phrase_code as u8, rest)
        } else {
            match rest {
                [entry_code, text @ ..] => (*entry_code, text),
                [] => return &[],
            }
        };
        phrase_code += 1;
        let mut length = 0;
        while length < text.len() && text[length] != 0 {
            length += 1;
        }
        let (found, after) = text.split_at(length);
        if entry_code == code {
            return found;
        }
        rest = match after {
            [_, rest @ ..] => rest,
            [] => return &[],
        };
    }
}

/// Whether `compressed`, its phrase codes expanded from `catalogue`, reads `original` from
/// `at` on; returns the offset after it (compile time; bytes below 0x80 compare as they are).
const fn expand_at(
    catalogue: &[u8],
    compressed: &[u8],
    original: &[u8],
    at: usize,
) -> Option<usize> {
    let mut at = at;
    let mut position = 0;
    while position < compressed.len() {
        let byte = compressed[position];
        if byte >= FIRST_CODE {
            let phrase = entry(catalogue, byte);
            if phrase.is_empty() {
                return None;
            }
            at = match expand_at(catalogue, phrase, original, at) {
                Some(after) => after,
                None => return None,
            };
        } else if at < original.len() && original[at] == byte {
            at += 1;
        } else {
            return None;
        }
        position += 1;
    }
    Some(at)
}

/// Whether `compressed` expands, through `catalogue`'s phrases, to exactly `original`.
pub const fn expands_to(catalogue: &[u8], compressed: &[u8], original: &[u8]) -> bool {
    matches!(expand_at(catalogue, compressed, original, 0), Some(end) if end == original.len())
}
