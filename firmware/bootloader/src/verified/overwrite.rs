//! The overwrite plan (single-bank parts): at every boot `slingshot_update::OverwriteEngine`
//! copies a verified image waiting in the secondary slot over the primary slot (finishing a
//! copy a power cut interrupted), then the primary image is cleared the way the dual-slot plan
//! clears it (`dual_slot::clear`). No journal, no trial, no rollback.
//!
//! When the flash interface does not respond (QEMU) or the copy fails with a flash error, the
//! bootloader verifies the primary image and boots it if it is whole, and says so (the same
//! degraded path as the dual-slot plan's).

use super::dual_slot::{clear, update_refusal, verify_primary_only};
use super::tracked_flash::TrackedFlash;
use super::verifier::SignedImageVerifier;
use super::Cleared;
use crate::refusal::{EngineCause, Refusal};
use crate::report;
use slingshot_layout::ACTIVE;
use slingshot_stm32::flash_interface;
use slingshot_update::{BootEvent, OverwriteConfiguration, OverwriteEngine};

/// The overwrite engine of the active layout, built at compile time.
const ENGINE: OverwriteEngine = OverwriteEngine::new(OverwriteConfiguration {
    geometry: ACTIVE.board.part.flash,
    primary: ACTIVE.partitions.primary,
    secondary: match ACTIVE.partitions.secondary {
        Some(secondary) => secondary,
        None => ACTIVE.partitions.primary,
    },
});

/// Install a received image, then decide whether the primary image may start.
pub fn boot() -> Result<Cleared, Refusal> {
    let mut flash = TrackedFlash::for_primary_slot();
    let mut verifier = SignedImageVerifier::new();
    if !flash_interface::flash_interface_responds() {
        report::engine_unavailable(None);
        return verify_primary_only(&mut flash, &mut verifier);
    }
    let outcome = match ENGINE.boot(&mut flash, &mut verifier) {
        Ok(outcome) => outcome,
        Err(_) => {
            report::engine_unavailable(Some(EngineCause::FlashFailed));
            return verify_primary_only(&mut flash, &mut verifier);
        }
    };
    report_event(outcome.event);
    clear(outcome.action, &mut flash, &mut verifier)
}

/// For a bootloader that stays (mailbox request, button): finish a copy a power cut
/// interrupted, so the next transfer does not erase the only whole image.
pub fn finish_interrupted_install() {
    if !flash_interface::flash_interface_responds() {
        return;
    }
    let mut verifier = SignedImageVerifier::new();
    match ENGINE.finish_interrupted_install(&mut TrackedFlash::for_primary_slot(), &mut verifier) {
        Ok(event) => report_event(event),
        Err(_) => report::engine_event(line_format!(
            "could not finish an interrupted install: flash operation failed"
        )),
    }
}

/// Say what the install did.
fn report_event(event: BootEvent) {
    match event {
        BootEvent::Installed => report::engine_event(line_format!("update installed")),
        BootEvent::Refused(refusal) => report::update_refused(update_refusal(refusal)),
        BootEvent::Nothing | BootEvent::Reverted => {}
    }
}
