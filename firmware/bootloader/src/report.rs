//! What the bootloader tells a human over USART3 (the ST-LINK virtual COM port). Compiled
//! to nothing without the `logging` feature, so the quiet bootloader stays within 2 KB.
//!
//! Every line goes through one function, [`line`]: a format built at compile time (text with
//! one-byte markers for the numbers, [`marker`]) and the numbers, printed in hex or decimal by
//! its own few instructions rather than by `core::fmt`, whose machinery costs about 2 KB of
//! the verifying bootloader's flash. A message thus costs its text and one call, and its text
//! is stored with the phrases every message shares as one-byte codes (`crate::phrasebook`).

#[cfg(feature = "logging")]
mod output;

use crate::refusal::Refusal;

/// Argument markers in a line's format (bytes below 0x20, which no text holds): the next
/// argument in decimal, in hex with at least 2, 3, 4 or 8 digits (`0x`, lower case, leading
/// zeros; more digits only for a value that needs them), or the message of the refusal whose
/// code it is.
#[cfg(feature = "logging")]
#[allow(dead_code)] // The plain validate-and-jump prints fewer kinds of lines.
mod marker {
    /// Decimal.
    pub const DECIMAL: u8 = 0x01;
    /// `0x` and two hex digits (marker values 2–8 give at least that many digits).
    pub const HEX_2: u8 = 0x02;
    /// `0x` and three hex digits.
    pub const HEX_3: u8 = 0x03;
    /// `0x` and four hex digits.
    pub const HEX_4: u8 = 0x04;
    /// `0x` and eight hex digits.
    pub const HEX_8: u8 = 0x08;
    /// The refusal message for the code (`crate::refusal::message`).
    pub const MESSAGE: u8 = 0x0B;
}

/// A line's format, built at compile time from text pieces and [`marker`]s: one byte string,
/// the text's shared phrases stored as their codes (`crate::phrasebook`; checked at compile
/// time to expand back to the text). Without `logging`, an empty format.
#[cfg(feature = "logging")]
macro_rules! line_format {
    ($($piece:expr),* $(,)?) => {{
        /// Each piece's bytes and whether it is text (a marker is not).
        const PIECES: &[(&[u8], bool)] = &[$(line_format!(@piece $piece)),*];
        const LENGTH: usize = {
            let mut length = 0;
            let mut index = 0;
            while index < PIECES.len() {
                length += match PIECES[index] {
                    (text, true) => $crate::phrasebook::compressed_length(text, usize::MAX),
                    (marker, false) => marker.len(),
                };
                index += 1;
            }
            length
        };
        const ORIGINAL_LENGTH: usize = {
            let mut length = 0;
            let mut index = 0;
            while index < PIECES.len() {
                length += PIECES[index].0.len();
                index += 1;
            }
            length
        };
        const BYTES: [u8; LENGTH] = {
            let mut bytes = [0u8; LENGTH];
            let mut original = [0u8; ORIGINAL_LENGTH];
            let (mut at, mut original_at) = (0, 0);
            let mut index = 0;
            while index < PIECES.len() {
                let (piece, text) = PIECES[index];
                at = if text {
                    $crate::phrasebook::compress(piece, usize::MAX, &mut bytes, at)
                } else {
                    $crate::report::append(&mut bytes, at, piece)
                };
                original_at = $crate::report::append(&mut original, original_at, piece);
                index += 1;
            }
            assert!(
                $crate::phrasebook::expands_to(
                    &$crate::refusal::CATALOGUE_BYTES,
                    &bytes,
                    &original,
                ),
                "a line format does not expand to its text"
            );
            bytes
        };
        &BYTES
    }};
    (@piece $piece:literal) => { ($crate::report::printable($piece), true) };
    (@piece $marker:expr) => { (&[$marker], false) };
}

/// Without `logging` a format is empty (nothing prints it). The quiet validate-and-jump uses
/// no format at all.
#[cfg(not(feature = "logging"))]
#[allow(unused_macros)]
macro_rules! line_format {
    ($($piece:expr),* $(,)?) => {
        &[] as &[u8]
    };
}

/// The bytes of `text`, at compile time: fails the build on a byte that is not printable
/// ASCII (below 0x20 it would read as a format's marker or the catalogue's separator, from
/// 0x80 on as a phrase code).
#[cfg(feature = "logging")]
pub(crate) const fn printable(text: &str) -> &[u8] {
    let bytes = text.as_bytes();
    let mut position = 0;
    while position < bytes.len() {
        assert!(
            bytes[position] >= 0x20 && bytes[position] < 0x80,
            "a message holds a control byte or a byte that is not ASCII"
        );
        position += 1;
    }
    bytes
}

/// Copies `piece` into `bytes` at `at` and returns the offset after it (compile time).
#[cfg(feature = "logging")]
pub(crate) const fn append(bytes: &mut [u8], at: usize, piece: &[u8]) -> usize {
    let mut position = 0;
    while position < piece.len() {
        bytes[at + position] = piece[position];
        position += 1;
    }
    at + piece.len()
}

/// Queue one line: `slingshot: `, then `format` with each marker replaced by the next of
/// `arguments` ([`marker`]), then CR LF; and, with `send`, wait until it has left. One
/// function for every line, so each message costs its text and one call.
#[cfg(feature = "logging")]
#[inline(never)]
fn line(format: &[u8], arguments: &[u32], send: bool) {
    output::push(b"slingshot: ");
    let mut arguments = arguments.iter();
    for &byte in format {
        if byte >= 0x20 {
            // Text, or a phrase code `push` expands.
            output::push(&[byte]);
            continue;
        }
        let value = arguments.next().copied().unwrap_or(0);
        if byte == marker::MESSAGE {
            output::push(crate::refusal::message(value as u8));
            continue;
        }
        // A number: decimal, or `0x` and at least `byte` hex digits; built from the end.
        let (radix, minimum_digits) = if byte == marker::DECIMAL {
            (10, 1)
        } else {
            output::push(b"0x");
            (16, usize::from(byte))
        };
        let mut digits = [0u8; 10];
        let mut start = digits.len();
        let mut rest = value;
        while start > 0 && (rest != 0 || digits.len() - start < minimum_digits) {
            let digit = (rest % radix) as u8;
            start -= 1;
            digits[start] = if digit < 10 {
                b'0' + digit
            } else {
                b'a' + digit - 10
            };
            rest /= radix;
        }
        output::push(&digits[start..]);
    }
    output::push(b"\r\n");
    if send {
        output::flush();
    }
}

/// Print a refusal line: `format` holds a two-digit hex marker and a message marker, both
/// filled from the refusal's code.
#[cfg(feature = "logging")]
fn refusal_line(format: &[u8], refusal: Refusal) {
    let code = u32::from(refusal.code());
    line(format, &[code, code], true);
}

/// Say that the application at `vector_table` is being started (the plain validate-and-jump).
#[cfg(not(feature = "verify"))]
pub fn handing_off(vector_table: u32) {
    #[cfg(feature = "logging")]
    line(
        line_format!("starting application at ", marker::HEX_8),
        &[vector_table],
        true,
    );
    #[cfg(not(feature = "logging"))]
    let _ = vector_table;
}

/// Announce the verification of the image for `load_address`: `slingshot: verifying v1.0.0+0
/// (security counter 0) at 0x08008000`, queued so that it goes out while the image is hashed
/// ([`pump`]) instead of adding its wire time (5.7 ms) to the boot. What follows tells the
/// outcome: the application's own output, or a refusal line (`staying in bootloader: reason
/// …`, `update refused: reason …`).
#[cfg(feature = "verify")]
pub fn verifying(version: slingshot_image::Version, security_counter: u32, load_address: u32) {
    #[cfg(feature = "logging")]
    line(
        line_format!(
            "verifying v",
            marker::DECIMAL,
            ".",
            marker::DECIMAL,
            ".",
            marker::DECIMAL,
            "+",
            marker::DECIMAL,
            " (security counter ",
            marker::DECIMAL,
            ") at ",
            marker::HEX_8,
        ),
        &[
            u32::from(version.major),
            u32::from(version.minor),
            u32::from(version.patch),
            version.build,
            security_counter,
            load_address,
        ],
        false,
    );
    #[cfg(not(feature = "logging"))]
    let _ = (version, security_counter, load_address);
}

/// Send the next queued byte if USART3 can take it (called between blocks of hashing);
/// returns whether bytes remain queued.
#[cfg(feature = "verify")]
pub fn pump() -> bool {
    #[cfg(feature = "logging")]
    return output::pump();
    #[cfg(not(feature = "logging"))]
    false
}

/// Send what is queued and wait until it has left (before a clock change or the hand-off).
pub fn flush() {
    #[cfg(feature = "logging")]
    output::flush();
}

/// Say that the verified image starts on trial, under the independent watchdog for
/// `watchdog` ms if one is started.
#[cfg(feature = "verify")]
pub fn starting_on_trial(watchdog: Option<u32>) {
    #[cfg(feature = "logging")]
    match watchdog {
        Some(milliseconds) => line(
            line_format!("on trial, independent watchdog ", marker::DECIMAL, " ms"),
            &[milliseconds],
            true,
        ),
        None => line(line_format!("on trial"), &[], true),
    }
    #[cfg(not(feature = "logging"))]
    let _ = watchdog;
}

/// Say why the bootloader stays in bootloader mode.
pub fn staying(refusal: Refusal) {
    #[cfg(feature = "logging")]
    refusal_line(
        line_format!(
            "staying in bootloader: reason ",
            marker::HEX_2,
            ": ",
            marker::MESSAGE
        ),
        refusal,
    );
    #[cfg(not(feature = "logging"))]
    let _ = refusal;
}

/// Say that the chip is not the part the bootloader was built for: `slingshot: wrong part:
/// built for DEV_ID 0x433, the chip reads IDCODE 0x20036419 and F_SIZE 0x0000 (KB; 0: not
/// read); changing nothing`.
#[cfg(feature = "verify")]
pub fn wrong_part(wrong: slingshot_boot::WrongPart) {
    #[cfg(feature = "logging")]
    line(
        line_format!(
            "wrong part: built for DEV_ID ",
            marker::HEX_3,
            ", the chip reads IDCODE ",
            marker::HEX_8,
            " and F_SIZE ",
            marker::HEX_4,
            " (KB; 0: not read); changing nothing",
        ),
        &[
            u32::from(wrong.expected.device_id),
            wrong.found.idcode,
            u32::from(wrong.found.flash_size_kib.unwrap_or(0)),
        ],
        true,
    );
    #[cfg(not(feature = "logging"))]
    let _ = wrong;
}

/// Say that a pending update was refused (nothing was erased; the current image boots).
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn update_refused(refusal: Refusal) {
    #[cfg(feature = "logging")]
    refusal_line(
        line_format!(
            "update refused: reason ",
            marker::HEX_2,
            ": ",
            marker::MESSAGE
        ),
        refusal,
    );
    #[cfg(not(feature = "logging"))]
    let _ = refusal;
}

/// Say that the update engine cannot run (`cause`; `None`: the flash interface does not
/// respond, as in QEMU) and only the primary image is verified and booted.
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn engine_unavailable(cause: Option<crate::refusal::EngineCause>) {
    #[cfg(feature = "logging")]
    line(
        line_format!(
            "update engine off (",
            marker::MESSAGE,
            "): verifying the primary image only"
        ),
        &[u32::from(
            cause.map_or(crate::refusal::NO_FLASH_INTERFACE, |cause| cause.code()),
        )],
        true,
    );
    #[cfg(not(feature = "logging"))]
    let _ = cause;
}

/// Say what the update engine did on this boot (installed, reverted): `what` is a
/// [`line_format!`].
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn engine_event(what: &[u8]) {
    #[cfg(feature = "logging")]
    line(what, &[], true);
    #[cfg(not(feature = "logging"))]
    let _ = what;
}
