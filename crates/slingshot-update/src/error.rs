//! Error and refusal types of the update engine: small `Copy` enums, flash errors collapsed to
//! their `embedded-storage` kind.

use embedded_storage::nor_flash::{NorFlashError, NorFlashErrorKind};

/// Why an [`ImageVerifier`](crate::ImageVerifier) rejected an image: the image format's own
/// error, typed (its stable code and message are `ImageError::code` and `message`).
pub use slingshot_image::ImageError as Rejection;

/// What went wrong while verifying an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// Reading the slot failed.
    Flash(NorFlashErrorKind),
    /// The image is not acceptable.
    Rejected(Rejection),
}

impl<E: NorFlashError> From<E> for VerifyError {
    fn from(error: E) -> Self {
        VerifyError::Flash(error.kind())
    }
}

/// A flash operation's failure, by its `embedded-storage` kind: what the journal and the
/// swap steps return. One byte, so their results come back in a register; [`UpdateError`]
/// (12 bytes, returned through memory) is built from it at the engine's operations (`?`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlashFailure(pub NorFlashErrorKind);

impl<E: NorFlashError> From<E> for FlashFailure {
    fn from(error: E) -> Self {
        FlashFailure(error.kind())
    }
}

impl From<FlashFailure> for UpdateError {
    fn from(failure: FlashFailure) -> Self {
        UpdateError::Flash(failure.0)
    }
}

/// Why a candidate image was refused (nothing is erased for a refused image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The verifier rejected it (bad signature, hash, descriptor...).
    Rejected(Rejection),
    /// Its security counter is below the stored anti-rollback minimum.
    BelowMinimum {
        /// The image's security counter.
        security_counter: u32,
        /// The stored minimum.
        minimum: u32,
    },
    /// Its extent (image plus trailer) does not fit the slot.
    TooLarge {
        /// Bytes the image occupies from the slot start.
        extent: u32,
        /// Slot size in bytes.
        slot_size: u32,
    },
}

impl Refusal {
    /// A stable one-byte code, stored in the journal: the verifier's code for
    /// [`Refusal::Rejected`] (expected below 0xF0), 0xF1 for below-minimum, 0xF2 for too large.
    pub const fn code(&self) -> u8 {
        match self {
            Refusal::Rejected(rejection) => rejection.code(),
            Refusal::BelowMinimum { .. } => 0xF1,
            Refusal::TooLarge { .. } => 0xF2,
        }
    }
}

/// Why the layout cannot host the dual-slot engine (or the overwrite install).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigurationError {
    /// The layout has no secondary slot, scratch or state partition.
    NotDualSlot,
    /// The layout is not an overwrite layout (`slingshot_layout::UpdateMode::Overwrite`).
    NotOverwrite,
    /// A partition does not start and end on sector boundaries.
    NotSectorAligned,
    /// Primary and secondary slots do not have the same sector sizes in the same order.
    SlotGeometryDiffers,
    /// A slot sector is larger than the scratch area.
    ScratchTooSmall,
    /// The state partition needs at least two sectors, each holding at least two records.
    StateTooSmall,
    /// More than 255 sectors per slot (the journal stores the count in a byte).
    TooManySlotSectors,
    /// The flash write size does not divide 16 bytes (the journal's write unit).
    UnsupportedWriteSize,
}

/// Everything the engine's operations can fail with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateError {
    /// A flash operation failed (after a power cut in simulation, or a driver error).
    Flash(NorFlashErrorKind),
    /// The layout does not suit the engine.
    Configuration(ConfigurationError),
    /// The image was refused; nothing was erased or marked.
    Refused(Refusal),
    /// The running image is a trial: confirm it before receiving another image (writing the
    /// secondary slot now would destroy the image a revert needs).
    TrialNotConfirmed,
    /// An install or revert is in progress; only the bootloader may continue it.
    SwapInProgress,
    /// The image stream wrote past the end of the secondary slot.
    ImageTooLarge {
        /// Bytes offered so far.
        offered: u32,
        /// Slot size in bytes.
        slot_size: u32,
    },
}

impl<E: NorFlashError> From<E> for UpdateError {
    fn from(error: E) -> Self {
        UpdateError::Flash(error.kind())
    }
}

impl From<ConfigurationError> for UpdateError {
    fn from(error: ConfigurationError) -> Self {
        UpdateError::Configuration(error)
    }
}

impl From<VerifyError> for UpdateError {
    fn from(error: VerifyError) -> Self {
        match error {
            VerifyError::Flash(kind) => UpdateError::Flash(kind),
            VerifyError::Rejected(rejection) => UpdateError::Refused(Refusal::Rejected(rejection)),
        }
    }
}
