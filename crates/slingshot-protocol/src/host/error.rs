//! Errors a host session reports: specific enough for the CLI to say what to do.

use super::transport::TransportError;
use crate::error::ErrorCode;

/// Why a host operation failed.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// Nothing valid came back (is the board in the bootloader? right port and baud?).
    #[error(
        "no answer from the device after {attempts} attempts (is the board in the bootloader?)"
    )]
    NoAnswer {
        /// Attempts made.
        attempts: u32,
    },
    /// The device is a different board than the image was built for.
    #[error("the image is for another board (device board id 0x{device_board:08x})")]
    WrongBoard {
        /// The device's board identifier.
        device_board: u32,
    },
    /// The image does not fit the device's slot.
    #[error("image of {image_size} bytes is larger than the slot ({detail} bytes)")]
    ImageTooLarge {
        /// The image size in bytes.
        image_size: u32,
        /// The device's detail value (the slot size).
        detail: u32,
    },
    /// The device refused a request.
    #[error("the device refused request 0x{request_type:02x}: {} (code 0x{:04x}, detail 0x{detail:08x})", code.description(), code.code())]
    Rejected {
        /// The refused request's frame type.
        request_type: u8,
        /// The device's reason.
        code: ErrorCode,
        /// The device's detail value.
        detail: u32,
    },
    /// The transfer stopped making progress within the retry budget.
    #[error("link errors beyond the retry budget: no progress at offset 0x{offset:08x} after {retries} retries")]
    RetryBudgetExhausted {
        /// The last acknowledged offset.
        offset: u32,
        /// Retries spent.
        retries: u32,
    },
    /// The device answered with something that does not fit the request.
    #[error("unexpected reply 0x{reply_type:02x} to request 0x{request_type:02x}")]
    UnexpectedReply {
        /// The request's frame type.
        request_type: u8,
        /// The reply's frame type.
        reply_type: u8,
    },
    /// The device did not come back at the new baud rate; both sides are at the old rate.
    #[error("the device did not confirm {baud} baud; stayed at {fallback} baud")]
    BaudFallback {
        /// The rate tried.
        baud: u32,
        /// The rate in use.
        fallback: u32,
    },
    /// The image is larger than the protocol's 32-bit offsets allow.
    #[error("image of {size} bytes exceeds the protocol's 4 GB offsets")]
    ImageSize {
        /// Size in bytes.
        size: usize,
    },
    /// The link itself failed (port gone, I/O error).
    #[error("serial link failed")]
    Transport(#[from] TransportError),
}
