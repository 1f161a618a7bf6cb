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

// Codes and messages are for the USART3 report only.
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

    /// One-line explanation.
    pub const fn message(&self) -> &'static str {
        match self {
            Refusal::Boot(reason) => reason.message(),
            #[cfg(feature = "verify")]
            Refusal::Image(error) => error.message(),
            #[cfg(all(feature = "verify", not(feature = "single-slot")))]
            Refusal::Engine(cause) => cause.message(),
        }
    }
}
