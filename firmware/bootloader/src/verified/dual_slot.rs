//! The dual-slot plan: the update engine runs at every boot (install a pending image after
//! verifying it, finish an interrupted swap, start or revert a trial, refuse images below the
//! anti-rollback minimum), then the primary image is cleared only if its last verification
//! happened after the last write to the primary slot (otherwise it is verified again).
//!
//! When the engine cannot run — the flash interface does not respond (QEMU models none, and
//! only 1 MB of flash) or it fails with a flash error — the bootloader degrades safely: it
//! verifies the primary image and boots it, never loops resetting, and says so.

use super::tracked_flash::TrackedFlash;
use super::verifier::{self, SignedImageVerifier};
use super::{Cleared, ENGINE_CONFIGURATION};
use crate::refusal::{EngineCause, Refusal};
use crate::report;
use slingshot_image::ImageError;
use slingshot_stm32::flash_interface;
use slingshot_update::{BootAction, BootEvent, DualSlotEngine, StayCause, VerifyError};

/// The flash driver, counting changes to the primary slot.
fn tracked_flash() -> TrackedFlash {
    TrackedFlash::for_primary_slot()
}

/// The engine, if it can run on this device; otherwise why not (`None`: the flash interface
/// does not respond, as in QEMU).
fn engine() -> Result<DualSlotEngine, Option<EngineCause>> {
    if !flash_interface::flash_interface_responds() {
        return Err(None);
    }
    let configuration = ENGINE_CONFIGURATION.ok_or(Some(EngineCause::Configuration))?;
    Ok(DualSlotEngine::new(configuration))
}

/// Clear the primary image on its signature alone (the engine cannot run): no install, no
/// trial, no anti-rollback minimum.
pub(super) fn verify_primary_only(
    flash: &mut TrackedFlash,
    verifier: &mut SignedImageVerifier,
) -> Result<Cleared, Refusal> {
    match verifier.verify_primary(flash) {
        Ok(image) => Ok(verifier::cleared(&image, false, false)),
        Err(VerifyError::Rejected(error)) => Err(Refusal::Image(error)),
        Err(VerifyError::Flash(_)) => Err(Refusal::Image(ImageError::StorageRead)),
    }
}

/// Run the engine and decide whether the primary image may start.
pub fn boot() -> Result<Cleared, Refusal> {
    let mut flash = tracked_flash();
    let mut verifier = SignedImageVerifier::new();
    let engine = match engine() {
        Ok(engine) => engine,
        Err(why) => {
            report::engine_unavailable(why);
            return verify_primary_only(&mut flash, &mut verifier);
        }
    };
    let outcome = match engine.boot(&mut flash, &mut verifier) {
        Ok(outcome) => outcome,
        Err(_) => {
            report::engine_unavailable(Some(EngineCause::FlashFailed));
            return verify_primary_only(&mut flash, &mut verifier);
        }
    };
    match outcome.event {
        BootEvent::Nothing => {}
        BootEvent::Installed => {
            report::engine_event(line_format!("update installed: starting it on trial"))
        }
        BootEvent::Reverted => report::engine_event(line_format!(
            "trial image not confirmed: previous image restored"
        )),
        BootEvent::Refused(refusal) => report::update_refused(update_refusal(refusal)),
    }
    clear(outcome.action, &mut flash, &mut verifier)
}

/// The engine's decision as the boot flow's: clear the primary image it starts (verified after
/// the last write to the primary slot) or the reason to stay.
pub(super) fn clear(
    action: BootAction,
    flash: &mut TrackedFlash,
    verifier: &mut SignedImageVerifier,
) -> Result<Cleared, Refusal> {
    match action {
        BootAction::Start {
            trial,
            start_watchdog,
            ..
        } => match verifier.primary_unchanged_since_verified(flash) {
            Some(image) => Ok(verifier::cleared(&image, trial, start_watchdog)),
            // Written after its last verification (never expected from the engine): verify
            // again rather than trust it.
            None => verify_primary_only(flash, verifier).map(|cleared| Cleared {
                trial,
                start_watchdog,
                ..cleared
            }),
        },
        BootAction::StayInBootloader(StayCause::BelowMinimum { .. }) => {
            Err(Refusal::Engine(EngineCause::BelowMinimum))
        }
        BootAction::StayInBootloader(StayCause::NoValidImage(error)) => Err(Refusal::Image(error)),
        BootAction::StayInBootloader(StayCause::PrimaryTooLarge) => {
            Err(Refusal::Engine(EngineCause::PrimaryTooLarge))
        }
    }
}

/// For a bootloader that stays (mailbox request, button): finish an install or revert a
/// power cut interrupted, so both slots are whole before anything else writes them.
pub fn finish_interrupted_swap() {
    if let Ok(engine) = engine() {
        if engine
            .finish_interrupted_swap(&mut tracked_flash())
            .is_err()
        {
            report::engine_event(line_format!(
                "could not finish an interrupted swap: flash operation failed"
            ));
        }
    }
}

/// The refusal of a pending update, with its own code.
pub(super) fn update_refusal(refusal: slingshot_update::Refusal) -> Refusal {
    match refusal {
        slingshot_update::Refusal::Rejected(error) => Refusal::Image(error),
        slingshot_update::Refusal::BelowMinimum { .. } => {
            Refusal::Engine(EngineCause::UpdateBelowMinimum)
        }
        slingshot_update::Refusal::TooLarge { .. } => Refusal::Engine(EngineCause::UpdateTooLarge),
    }
}
