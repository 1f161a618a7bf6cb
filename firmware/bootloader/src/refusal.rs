//! Why the bootloader stays in bootloader mode, with one stable code per reason:
//! `slingshot-boot` 0x01–0x2F (vector table, request, button), `slingshot-image` 0x30–0x4F
//! (descriptor, hash, signature, keys) and the update engine's causes 0x50–0x6F
//! ([`EngineCause`]).

use slingshot_boot::StayReason;

/// A reason to stay in bootloader mode (or to refuse an update).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A boot decision: vector table, mailbox request, button.
    Boot(StayReason),
    /// The image does not verify.
    #[cfg(feature = "verify")]
    Image(slingshot_image::ImageError),
    /// The update engine refuses it (dual-slot layout).
    #[cfg(all(feature = "verify", not(feature = "single-slot")))]
    Engine(EngineCause),
}

/// The update engine's own reasons (codes 0x50–0x6F).
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineCause {
    /// The primary image's security counter is below the anti-rollback minimum.
    BelowMinimum,
    /// The primary image's extent (image and trailer) exceeds its slot.
    PrimaryTooLarge,
    /// A pending update's security counter is below the anti-rollback minimum.
    UpdateBelowMinimum,
    /// A pending update's extent exceeds its slot.
    UpdateTooLarge,
    /// The update engine failed with a flash error (it booted the verified primary instead).
    FlashFailed,
    /// The layout does not suit the update engine (it booted the verified primary instead).
    Configuration,
}

#[cfg(all(feature = "verify", not(feature = "single-slot")))]
#[cfg_attr(not(feature = "logging"), allow(dead_code))]
impl EngineCause {
    /// Every cause, in code order (the message catalogue is built from it).
    pub const ALL: [EngineCause; 6] = [
        EngineCause::BelowMinimum,
        EngineCause::PrimaryTooLarge,
        EngineCause::UpdateBelowMinimum,
        EngineCause::UpdateTooLarge,
        EngineCause::FlashFailed,
        EngineCause::Configuration,
    ];

    /// Stable code (0x50–0x6F).
    pub const fn code(self) -> u8 {
        match self {
            EngineCause::BelowMinimum => 0x50,
            EngineCause::PrimaryTooLarge => 0x51,
            EngineCause::UpdateBelowMinimum => 0x52,
            EngineCause::UpdateTooLarge => 0x53,
            EngineCause::FlashFailed => 0x54,
            EngineCause::Configuration => 0x55,
        }
    }

    /// One-line explanation.
    pub const fn message(self) -> &'static str {
        match self {
            EngineCause::BelowMinimum => {
                "anti-rollback: the image's security counter is below the stored minimum"
            }
            EngineCause::PrimaryTooLarge => "the primary image extends beyond its slot",
            EngineCause::UpdateBelowMinimum => {
                "anti-rollback: the update's security counter is below the stored minimum"
            }
            EngineCause::UpdateTooLarge => "the update extends beyond its slot",
            EngineCause::FlashFailed => "update engine: flash operation failed",
            EngineCause::Configuration => "update engine: the layout is not a dual-slot layout",
        }
    }
}

// Codes are for the USART3 report only.
#[cfg_attr(not(feature = "logging"), allow(dead_code))]
impl Refusal {
    /// Stable code.
    pub const fn code(&self) -> u8 {
        match self {
            Refusal::Boot(reason) => reason.code(),
            #[cfg(feature = "verify")]
            Refusal::Image(error) => error.code(),
            #[cfg(all(feature = "verify", not(feature = "single-slot")))]
            Refusal::Engine(cause) => cause.code(),
        }
    }
}

/// `[(code, message); N]` from an `ALL` list of refusal reasons, at compile time.
#[cfg(feature = "logging")]
macro_rules! entries {
    ($all:expr) => {{
        let mut entries = [(0u8, ""); $all.len()];
        let mut index = 0;
        while index < entries.len() {
            entries[index] = ($all[index].code(), $all[index].message());
            index += 1;
        }
        entries
    }};
}

/// The shared phrases as catalogue entries (code, phrase), which go first: their codes are
/// their places, and the printer looks them up most often.
#[cfg(feature = "logging")]
const PHRASE_ENTRIES: [(u8, &str); crate::phrasebook::PHRASES.len()] = {
    let mut entries = [(0u8, ""); crate::phrasebook::PHRASES.len()];
    let mut index = 0;
    while index < entries.len() {
        entries[index] = (
            crate::phrasebook::FIRST_CODE + index as u8,
            crate::phrasebook::PHRASES[index],
        );
        index += 1;
    }
    entries
};

/// Every catalogue entry's code and text, in groups (phrases, stay reasons, image errors,
/// engine causes). The phrases come first: their codes are their places (a catalogue built
/// otherwise fails the expansion check below).
#[cfg(feature = "logging")]
const GROUPS: &[&[(u8, &str)]] = &[
    &PHRASE_ENTRIES,
    &entries!(slingshot_boot::StayReason::ALL),
    #[cfg(feature = "verify")]
    &entries!(slingshot_image::ImageError::ALL),
    #[cfg(all(feature = "verify", not(feature = "single-slot")))]
    &entries!(EngineCause::ALL),
    #[cfg(all(feature = "verify", not(feature = "single-slot")))]
    &[(NO_FLASH_INTERFACE, "the flash interface does not respond")],
];

/// The catalogue entry of why the update engine cannot run in QEMU (no refusal has this code:
/// the line that prints it does not show it).
#[cfg(all(feature = "logging", feature = "verify", not(feature = "single-slot")))]
pub const NO_FLASH_INTERFACE: u8 = 0x7F;

/// Phrases an entry's text may use: a phrase only shorter phrases, a message any.
#[cfg(feature = "logging")]
const fn phrase_limit(code: u8, text: &str) -> usize {
    if code >= crate::phrasebook::FIRST_CODE {
        text.len()
    } else {
        usize::MAX
    }
}

/// Bytes an entry's code takes in [`CATALOGUE`]: none for a phrase (its code is its place,
/// `crate::phrasebook::entry`), one for the others.
#[cfg(feature = "logging")]
const fn stored_code_length(code: u8) -> usize {
    if code >= crate::phrasebook::FIRST_CODE {
        0
    } else {
        1
    }
}

/// Bytes of [`CATALOGUE`]: per entry its code (not for a phrase), its compressed text and a
/// zero byte.
#[cfg(feature = "logging")]
const CATALOGUE_LENGTH: usize = {
    let mut length = 0;
    let mut group = 0;
    while group < GROUPS.len() {
        let mut index = 0;
        while index < GROUPS[group].len() {
            let (code, text) = GROUPS[group][index];
            length += crate::phrasebook::compressed_length(
                crate::report::printable(text),
                phrase_limit(code, text),
            ) + stored_code_length(code)
                + 1;
            index += 1;
        }
        group += 1;
    }
    length
};

/// The catalogue's bytes (compile time): the phrases first, then every other entry; each entry
/// the code (implicit for a phrase), the text (printable ASCII with the shared phrases as
/// their codes, `crate::phrasebook`) and a zero byte. Every text is checked to expand back to
/// its original.
#[cfg(feature = "logging")]
pub(crate) const CATALOGUE_BYTES: [u8; CATALOGUE_LENGTH] = {
    let mut bytes = [0u8; CATALOGUE_LENGTH];
    let mut at = 0;
    let mut group = 0;
    while group < GROUPS.len() {
        let mut index = 0;
        while index < GROUPS[group].len() {
            let (code, text) = GROUPS[group][index];
            assert!(code != 0, "code 0 would read as an entry's end");
            if stored_code_length(code) == 1 {
                bytes[at] = code;
            }
            // The zero byte after the text is already there.
            at = crate::phrasebook::compress(
                crate::report::printable(text),
                phrase_limit(code, text),
                &mut bytes,
                at + stored_code_length(code),
            ) + 1;
            index += 1;
        }
        group += 1;
    }
    // Every entry prints as its original text.
    let mut group = 0;
    while group < GROUPS.len() {
        let mut index = 0;
        while index < GROUPS[group].len() {
            let (code, text) = GROUPS[group][index];
            let stored = crate::phrasebook::entry(&bytes, code);
            assert!(
                crate::phrasebook::expands_to(&bytes, stored, text.as_bytes()),
                "a catalogue entry does not expand to its text"
            );
            index += 1;
        }
        group += 1;
    }
    bytes
};

/// The messages and phrases as the bootloader stores them: one byte array built at compile
/// time from the crates' own `message()`s, looked up by code ([`message`]). It replaces a
/// pointer-and-length table per enum and the nested matches that picked an entry
/// (docs/SIZE_HISTORY.md has the figures).
#[cfg(feature = "logging")]
static CATALOGUE: [u8; CATALOGUE_LENGTH] = CATALOGUE_BYTES;

/// The stored text of the refusal or phrase with `code`, from [`CATALOGUE`] (phrases still
/// compressed: the output queue's `push` expands them; empty for a code without an entry).
#[cfg(feature = "logging")]
#[inline(never)]
pub fn message(code: u8) -> &'static [u8] {
    crate::phrasebook::entry(&CATALOGUE, code)
}
