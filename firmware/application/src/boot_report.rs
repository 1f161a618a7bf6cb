//! The application's view of its own boot: the running image's descriptor (read, not
//! verified: the bootloader verified it before the hand-off) and the update state, printed in
//! the banner.

use core::fmt::Write;
use embedded_storage::nor_flash::ReadNorFlash;
use slingshot_application::{BootInfo, ImageState, ResetReason};
use slingshot_image::{parse_trailer, Descriptor};
use slingshot_layout::ACTIVE;
use slingshot_service::{image_summary, verify_error};
use slingshot_stm32::system;
use slingshot_update::{ImageSummary, ImageVerifier, SlotLocation, VerifyError};

/// The descriptor of the image in the primary slot (the one running), if it has a trailer.
pub fn running_descriptor() -> Option<Descriptor> {
    let slot = system::flash_bytes(ACTIVE.partitions.primary)?;
    parse_trailer(slot).ok().map(|trailer| trailer.descriptor)
}

/// Reads a slot's descriptor through memory-mapped flash without checking the signature:
/// enough for `Updater::boot_info`, which only wants the version and counter.
pub struct DescriptorReader;

impl<F: ReadNorFlash> ImageVerifier<F> for DescriptorReader {
    fn verify(&mut self, _flash: &mut F, slot: SlotLocation) -> Result<ImageSummary, VerifyError> {
        let bytes = system::flash_bytes(slot.region).ok_or(verify_error(
            slingshot_image::ImageError::ImageSizeBeyondSlot,
        ))?;
        let descriptor = parse_trailer(bytes).map_err(verify_error)?.descriptor;
        Ok(image_summary(&descriptor))
    }
}

fn reset_reason_name(reason: ResetReason) -> &'static str {
    match reason {
        ResetReason::PowerOn => "power-on",
        ResetReason::ResetPin => "reset pin",
        ResetReason::Software => "software",
        ResetReason::IndependentWatchdog => "independent watchdog",
        ResetReason::WindowWatchdog => "window watchdog",
        ResetReason::LowPower => "low power",
        ResetReason::BrownOut => "brown-out",
        ResetReason::Unknown => "unknown",
    }
}

fn state_name(state: ImageState) -> &'static str {
    match state {
        ImageState::Trial => "trial",
        ImageState::Confirmed => "confirmed",
        ImageState::Reverted => "reverted",
    }
}

/// Print the signed image's version and security counter (or that it has no trailer).
pub fn print_image(out: &mut impl Write, descriptor: Option<&Descriptor>) {
    let _ = match descriptor {
        Some(descriptor) => writeln!(
            out,
            "image: version {}, security counter {}\r",
            descriptor.version, descriptor.security_counter
        ),
        None => writeln!(out, "image: unsigned (no trailer)\r"),
    };
}

/// Print what the update engine knows: slot, state, pending update, last refusal, minimum.
pub fn print_boot_info(out: &mut impl Write, info: &BootInfo) {
    let _ = writeln!(
        out,
        "boot: slot primary, state {}, reset reason {}, anti-rollback minimum {}\r",
        state_name(info.state),
        reset_reason_name(info.reset_reason),
        info.minimum_security_counter
    );
    if info.update_pending {
        let _ = writeln!(out, "boot: an update is pending\r");
    }
    if let Some(code) = info.last_refusal {
        let _ = writeln!(
            out,
            "boot: the last update was refused (reason 0x{code:02x})\r"
        );
    }
}

/// Print the boot line when the update state cannot be read (single-slot layout, or a model
/// without a flash interface such as QEMU).
pub fn print_without_state(out: &mut impl Write, reset_reason: ResetReason, why: &str) {
    let _ = writeln!(
        out,
        "boot: slot primary, state unknown ({why}), reset reason {}\r",
        reset_reason_name(reset_reason)
    );
}
