//! Stable error codes carried by the error reply.
//!
//! The numbers are part of the protocol: never renumber a code, only add new ones. A host that
//! receives a code it does not know reports it as [`ErrorCode::Unknown`] with the raw value.

/// Why the device refused a request. The `u16` value is what travels on the wire; each
/// variant's discriminant is that value ([`ErrorCode::Unknown`]'s, 0xFFFF, is not sent: it
/// carries the value received).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ErrorCode {
    /// 0x0001: the frame type is not a request this device knows.
    UnknownCommand = 0x0001,
    /// 0x0002: the payload has the wrong length or an invalid field.
    MalformedRequest = 0x0002,
    /// 0x0003: the frame's protocol version is not supported.
    UnsupportedVersion = 0x0003,
    /// 0x0004: the request is not allowed in the current state (e.g. data before start).
    WrongState = 0x0004,
    /// 0x0010: the image does not fit in the target slot.
    ImageTooLarge = 0x0010,
    /// 0x0011: the image is built for another board.
    WrongBoard = 0x0011,
    /// 0x0012: the image's security counter is below the device's minimum (anti-rollback).
    VersionTooOld = 0x0012,
    /// 0x0013: the descriptor could not be parsed (magic, format version, fields).
    BadDescriptor = 0x0013,
    /// 0x0014: the image does not start at the slot's address.
    WrongLoadAddress = 0x0014,
    /// 0x0020: an offset or length lies outside the announced image.
    OffsetOutOfRange = 0x0020,
    /// 0x0021: an offset is not aligned to the flash write size.
    Misaligned = 0x0021,
    /// 0x0030: erasing a sector failed.
    EraseFailed = 0x0030,
    /// 0x0031: programming failed.
    ProgramFailed = 0x0031,
    /// 0x0032: reading flash failed.
    ReadFailed = 0x0032,
    /// 0x0033: a word to program already holds different, non-erased content.
    NotErased = 0x0033,
    /// 0x0040: verify was asked before every byte of the image arrived.
    ImageIncomplete = 0x0040,
    /// 0x0041: the image hash does not match its descriptor.
    HashMismatch = 0x0041,
    /// 0x0042: the signature is not from a trusted key.
    NoTrustedKey = 0x0042,
    /// 0x0043: the signature is invalid.
    BadSignature = 0x0043,
    /// 0x0050: installing the verified image failed.
    InstallFailed = 0x0050,
    /// 0x0051: install was asked before a successful verify.
    NotVerified = 0x0051,
    /// 0x0060: the requested baud rate is not supported.
    BaudUnsupported = 0x0060,
    /// 0x0070: the protection change is refused; the detail says why (1 lowering read
    /// protection, 2 level 2 not confirmed, 3 option bytes frozen at level 2, 4 proprietary-code
    /// mode). Nothing was changed.
    ProtectionRefused = 0x0070,
    /// 0x0071: programming the option bytes failed (detail: FLASH_SR, or 0 without a flash
    /// interface).
    OptionBytesFailed = 0x0071,
    /// A code this version of the crate does not know (kept for reporting).
    Unknown(u16) = 0xFFFF,
}

impl ErrorCode {
    /// The wire value.
    // The variants' discriminants are their wire values, so LLVM folds this match into
    // reading the tag (124 B less bootloader flash than a table of 24 arms, 2026-12-06);
    // out of line, as every error reply and refusal asks (28 B less than inlined).
    #[inline(never)]
    pub const fn code(self) -> u16 {
        match self {
            Self::UnknownCommand => 0x0001,
            Self::MalformedRequest => 0x0002,
            Self::UnsupportedVersion => 0x0003,
            Self::WrongState => 0x0004,
            Self::ImageTooLarge => 0x0010,
            Self::WrongBoard => 0x0011,
            Self::VersionTooOld => 0x0012,
            Self::BadDescriptor => 0x0013,
            Self::WrongLoadAddress => 0x0014,
            Self::OffsetOutOfRange => 0x0020,
            Self::Misaligned => 0x0021,
            Self::EraseFailed => 0x0030,
            Self::ProgramFailed => 0x0031,
            Self::ReadFailed => 0x0032,
            Self::NotErased => 0x0033,
            Self::ImageIncomplete => 0x0040,
            Self::HashMismatch => 0x0041,
            Self::NoTrustedKey => 0x0042,
            Self::BadSignature => 0x0043,
            Self::InstallFailed => 0x0050,
            Self::NotVerified => 0x0051,
            Self::BaudUnsupported => 0x0060,
            Self::ProtectionRefused => 0x0070,
            Self::OptionBytesFailed => 0x0071,
            Self::Unknown(code) => code,
        }
    }

    /// The code for a wire value (unknown values are kept as [`ErrorCode::Unknown`]).
    pub const fn from_code(code: u16) -> Self {
        match code {
            0x0001 => Self::UnknownCommand,
            0x0002 => Self::MalformedRequest,
            0x0003 => Self::UnsupportedVersion,
            0x0004 => Self::WrongState,
            0x0010 => Self::ImageTooLarge,
            0x0011 => Self::WrongBoard,
            0x0012 => Self::VersionTooOld,
            0x0013 => Self::BadDescriptor,
            0x0014 => Self::WrongLoadAddress,
            0x0020 => Self::OffsetOutOfRange,
            0x0021 => Self::Misaligned,
            0x0030 => Self::EraseFailed,
            0x0031 => Self::ProgramFailed,
            0x0032 => Self::ReadFailed,
            0x0033 => Self::NotErased,
            0x0040 => Self::ImageIncomplete,
            0x0041 => Self::HashMismatch,
            0x0042 => Self::NoTrustedKey,
            0x0043 => Self::BadSignature,
            0x0050 => Self::InstallFailed,
            0x0051 => Self::NotVerified,
            0x0060 => Self::BaudUnsupported,
            0x0070 => Self::ProtectionRefused,
            0x0071 => Self::OptionBytesFailed,
            other => Self::Unknown(other),
        }
    }

    /// A short English description, for host messages.
    pub const fn description(self) -> &'static str {
        match self {
            Self::UnknownCommand => "unknown command",
            Self::MalformedRequest => "malformed request",
            Self::UnsupportedVersion => "unsupported protocol version",
            Self::WrongState => "request not allowed in the current state",
            Self::ImageTooLarge => "image too large for the slot",
            Self::WrongBoard => "image built for another board",
            Self::VersionTooOld => "image older than the device's minimum security counter",
            Self::BadDescriptor => "image descriptor invalid",
            Self::WrongLoadAddress => "image load address is not the slot start",
            Self::OffsetOutOfRange => "offset outside the image",
            Self::Misaligned => "offset not aligned to the flash write size",
            Self::EraseFailed => "flash erase failed",
            Self::ProgramFailed => "flash programming failed",
            Self::ReadFailed => "flash read failed",
            Self::NotErased => "flash not erased where data was to be written",
            Self::ImageIncomplete => "image incomplete",
            Self::HashMismatch => "image hash mismatch",
            Self::NoTrustedKey => "image not signed by a trusted key",
            Self::BadSignature => "image signature invalid",
            Self::InstallFailed => "install failed",
            Self::NotVerified => "image not verified",
            Self::BaudUnsupported => "baud rate not supported",
            Self::ProtectionRefused => "protection change refused",
            Self::OptionBytesFailed => "programming the option bytes failed",
            Self::Unknown(_) => "unknown error code",
        }
    }
}
