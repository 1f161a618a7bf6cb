//! Why an image is refused: one variant per check, each with a stable code (0x30–0x4F, next
//! to slingshot-boot's 0x01–0x2F) and a one-line message the bootloader prints over UART.

/// Why a slot does not hold an acceptable signed image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// Vector-table word 7 is zero or erased, points inside the vector table, or is not a
    /// multiple of 4: the image was never signed.
    NoDescriptor,
    /// The bytes word 7 points at do not start with the descriptor magic.
    BadMagic,
    /// The descriptor's format version is not one this reader understands.
    UnsupportedFormatVersion,
    /// The descriptor size is below 128, above 512 or not a multiple of 4 bytes.
    BadDescriptorSize,
    /// The hash or signature algorithm id is not SHA-256 / Ed25519.
    UnsupportedAlgorithm,
    /// The image and its trailer extend beyond the end of the slot (or a truncated file).
    ImageSizeBeyondSlot,
    /// The image size in the descriptor differs from the trailer offset in word 7.
    ImageSizeMismatch,
    /// The image was built for another load address.
    WrongLoadAddress,
    /// The image was built for another board.
    WrongBoard,
    /// SHA-256 of the image and descriptor differs from the stored digest.
    HashMismatch,
    /// No trusted public key has the key id named in the descriptor.
    NoTrustedKey,
    /// The signature does not verify with the trusted key.
    BadSignature,
    /// Reading the slot from flash failed.
    StorageRead,
}

impl ImageError {
    /// Every variant, in code order (for tests and documentation).
    pub const ALL: [ImageError; 13] = [
        ImageError::NoDescriptor,
        ImageError::BadMagic,
        ImageError::UnsupportedFormatVersion,
        ImageError::BadDescriptorSize,
        ImageError::UnsupportedAlgorithm,
        ImageError::ImageSizeBeyondSlot,
        ImageError::ImageSizeMismatch,
        ImageError::WrongLoadAddress,
        ImageError::WrongBoard,
        ImageError::HashMismatch,
        ImageError::NoTrustedKey,
        ImageError::BadSignature,
        ImageError::StorageRead,
    ];

    /// Stable reason number (0x30–0x4F).
    pub const fn code(&self) -> u8 {
        match self {
            ImageError::NoDescriptor => 0x30,
            ImageError::BadMagic => 0x31,
            ImageError::UnsupportedFormatVersion => 0x32,
            ImageError::BadDescriptorSize => 0x33,
            ImageError::UnsupportedAlgorithm => 0x34,
            ImageError::ImageSizeBeyondSlot => 0x35,
            ImageError::ImageSizeMismatch => 0x36,
            ImageError::WrongLoadAddress => 0x37,
            ImageError::WrongBoard => 0x38,
            ImageError::HashMismatch => 0x39,
            ImageError::NoTrustedKey => 0x3A,
            ImageError::BadSignature => 0x3B,
            ImageError::StorageRead => 0x3C,
        }
    }

    /// One-line human-readable explanation.
    pub const fn message(&self) -> &'static str {
        match self {
            ImageError::NoDescriptor => {
                "unsigned image: vector-table word 7 holds no trailer offset"
            }
            ImageError::BadMagic => "bad descriptor: magic is not \"SLIM\"",
            ImageError::UnsupportedFormatVersion => "bad descriptor: unsupported format version",
            ImageError::BadDescriptorSize => "bad descriptor: descriptor size out of range",
            ImageError::UnsupportedAlgorithm => {
                "bad descriptor: hash or signature algorithm not supported"
            }
            ImageError::ImageSizeBeyondSlot => "image and trailer extend beyond the slot",
            ImageError::ImageSizeMismatch => {
                "bad descriptor: image size differs from the trailer offset in word 7"
            }
            ImageError::WrongLoadAddress => "image built for another load address",
            ImageError::WrongBoard => "image built for another board",
            ImageError::HashMismatch => "hash mismatch: image or descriptor corrupted",
            ImageError::NoTrustedKey => "no trusted key matches the image's key id",
            ImageError::BadSignature => "bad signature",
            ImageError::StorageRead => "flash read failed",
        }
    }
}

impl core::fmt::Display for ImageError {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "{} (code 0x{:02x})", self.message(), self.code())
    }
}

impl core::error::Error for ImageError {}
