//! The single-slot plan (the application owns all of flash after the bootloader): no
//! secondary slot, no scratch, no state journal.
//!
//! Anti-rollback there has no persistent minimum. The rule is: before erasing anything for a
//! new image, the bootloader compares the incoming image's security counter (announced by the
//! host at the start of the transfer and checked again when the image verifies) with the
//! counter of the image currently installed, if that one verifies. An interrupted update
//! leaves no valid image and therefore no minimum: a device in that state accepts any validly
//! signed image. Persistent anti-rollback for this plan needs storage outside the slot — the
//! F4's OTP area used as a thermometer code is the candidate — and is not implemented.

use crate::{ImageSummary, Refusal};

/// Whether an image with `incoming_security_counter` may replace `installed` (the currently
/// installed image's summary, `None` when the slot holds no valid image).
pub fn check_replacement(
    installed: Option<ImageSummary>,
    incoming_security_counter: u32,
) -> Result<(), Refusal> {
    match installed {
        Some(image) if incoming_security_counter < image.security_counter => {
            Err(Refusal::BelowMinimum {
                security_counter: incoming_security_counter,
                minimum: image.security_counter,
            })
        }
        _ => Ok(()),
    }
}
