//! The protocol's refusals for what the verifier and the update engine report.

use slingshot_image::ImageError;
use slingshot_protocol::device::Refusal;
use slingshot_protocol::error::ErrorCode;
use slingshot_update::{Refusal as EngineRefusal, UpdateError, VerifyError};

/// The protocol refusal for an image the verifier rejected (codes of `slingshot-image`), with
/// the details docs/PROTOCOL.md defines: this board's id for a wrong board, the target's size
/// for an image too large. Inlined into [`crate::UpdateService`]'s own copy, where the board id
/// and the target size are constants.
#[inline(always)]
pub fn verify_refusal(error: VerifyError, board_id: u32, target_size: u32) -> Refusal {
    let error = match error {
        VerifyError::Flash(_) => return Refusal::new(ErrorCode::ReadFailed),
        VerifyError::Rejected(error) => error,
    };
    match error {
        ImageError::HashMismatch => Refusal::new(ErrorCode::HashMismatch),
        ImageError::NoTrustedKey => Refusal::new(ErrorCode::NoTrustedKey),
        ImageError::BadSignature => Refusal::new(ErrorCode::BadSignature),
        ImageError::WrongBoard => Refusal::with_detail(ErrorCode::WrongBoard, board_id),
        ImageError::WrongLoadAddress => Refusal::new(ErrorCode::WrongLoadAddress),
        ImageError::ImageSizeBeyondSlot => {
            Refusal::with_detail(ErrorCode::ImageTooLarge, target_size)
        }
        ImageError::StorageRead => Refusal::new(ErrorCode::ReadFailed),
        ImageError::NoDescriptor
        | ImageError::BadMagic
        | ImageError::UnsupportedFormatVersion
        | ImageError::BadDescriptorSize
        | ImageError::UnsupportedAlgorithm
        | ImageError::ImageSizeMismatch => Refusal::new(ErrorCode::BadDescriptor),
    }
}

/// The protocol refusal for an update engine error (details as for [`verify_refusal`]).
#[inline(always)]
pub fn update_refusal(error: UpdateError, board_id: u32, target_size: u32) -> Refusal {
    match error {
        UpdateError::Refused(EngineRefusal::Rejected(rejection)) => {
            verify_refusal(VerifyError::Rejected(rejection), board_id, target_size)
        }
        UpdateError::Refused(EngineRefusal::BelowMinimum { minimum, .. }) => {
            Refusal::with_detail(ErrorCode::VersionTooOld, minimum)
        }
        UpdateError::Refused(EngineRefusal::TooLarge { slot_size, .. }) => {
            Refusal::with_detail(ErrorCode::ImageTooLarge, slot_size)
        }
        UpdateError::TrialNotConfirmed | UpdateError::SwapInProgress => {
            Refusal::new(ErrorCode::WrongState)
        }
        UpdateError::Flash(_)
        | UpdateError::Configuration(_)
        | UpdateError::ImageTooLarge { .. } => Refusal::new(ErrorCode::InstallFailed),
    }
}
