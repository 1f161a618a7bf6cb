//! What a Slingshot application links to take part in updates.
//!
//! The firmware implements [`Platform`] (mailbox words, system reset, reset reason) and hands
//! an `embedded-storage` `NorFlash` driver for the whole flash to an [`Updater`]:
//!
//! ```ignore
//! let mut updater = Updater::new(&slingshot_layout::ACTIVE, flash, board)?;
//! updater.confirm()?;                           // the trial image works: keep it
//! let mut writer = updater.firmware_writer()?;  // stream a new signed image...
//! writer.write(&chunk)?;                        // ...from any transport, chunk by chunk
//! writer.finish(&mut verifier)?;                // verify, then mark it pending
//! updater.restart_to_install();                 // reset: the bootloader installs it
//! ```
//!
//! Everything here touches only the state journal and the secondary slot. On the F429 both
//! are in bank 2, so the application keeps executing from bank 1 while it writes (flash
//! read-while-write works between banks).
#![no_std]
#![forbid(unsafe_code)]

mod writer;

pub use writer::FirmwareWriter;

use embedded_storage::nor_flash::NorFlash;
use slingshot_boot::{Mailbox, Request};
use slingshot_layout::Layout;
use slingshot_update::{
    DualSlotConfiguration, DualSlotEngine, ImageVerifier, Phase, Slot, UpdateError,
};

/// What the firmware provides: the hardware edge (implemented in the firmware's hardware crate).
pub trait Platform {
    /// Write the no-init mailbox words the bootloader reads after a reset.
    fn write_mailbox(&mut self, words: [u32; slingshot_boot::mailbox::WORDS]);
    /// Reset the chip (never returns).
    fn system_reset(&mut self) -> !;
    /// Why the chip last reset (e.g. from RCC_CSR on the F4).
    fn reset_reason(&self) -> ResetReason;
    /// Reload the independent watchdog (harmless when it does not run). The library calls it
    /// before every erase, program and verification it does, so streaming an image or
    /// confirming a trial never lets a trial image's watchdog (or the hardware watchdog
    /// option's) expire, whatever the application does meanwhile.
    fn feed_watchdog(&mut self);
}

/// Why the chip last reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetReason {
    /// Power-on or power-down reset.
    PowerOn,
    /// The NRST pin (reset button, debugger).
    ResetPin,
    /// A software reset (e.g. after an update request).
    Software,
    /// The independent watchdog expired (e.g. a hung trial image).
    IndependentWatchdog,
    /// The window watchdog expired.
    WindowWatchdog,
    /// A low-power-mode reset.
    LowPower,
    /// A brown-out reset.
    BrownOut,
    /// No flag was set, or the platform cannot tell.
    Unknown,
}

/// The state of the running image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageState {
    /// Running on trial: unless [`Updater::confirm`] is called, the next boot reverts it.
    Trial,
    /// Confirmed by the application, or installed without an update (factory image).
    Confirmed,
    /// The previous image, back after a trial image was not confirmed.
    Reverted,
}

/// What the application can learn about its boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootInfo {
    /// Version of the running image, as the verifier reports it (`None` if it did not verify).
    pub version: Option<slingshot_update::Version>,
    /// Security counter of the running image (`None` if it did not verify).
    pub security_counter: Option<u32>,
    /// The slot the application runs from (always the primary slot in the dual-slot plan).
    pub slot: Slot,
    /// Trial, confirmed or reverted.
    pub state: ImageState,
    /// An image is marked for installation at the next boot.
    pub update_pending: bool,
    /// Code of the last refused image, if the last pending image was refused.
    pub last_refusal: Option<u8>,
    /// The anti-rollback minimum.
    pub minimum_security_counter: u32,
    /// Why the chip last reset.
    pub reset_reason: ResetReason,
}

/// Ask the bootloader to stay in bootloader mode (e.g. to receive an image over its serial
/// protocol) and reset. Works with every layout, single-slot included.
pub fn request_update<P: Platform>(platform: &mut P) -> ! {
    platform.write_mailbox(Mailbox::encode(Request::StayInBootloader, 0));
    platform.system_reset()
}

/// The application's handle on updates: one flash driver, one platform, the layout's engine.
pub struct Updater<F, P> {
    engine: DualSlotEngine,
    flash: F,
    platform: P,
}

impl<F: NorFlash, P: Platform> Updater<F, P> {
    /// An updater for a dual-slot `layout`. Fails with [`UpdateError::Configuration`] for a
    /// single-slot layout: there the bootloader receives and installs images itself, and the
    /// application only needs the free function [`request_update`].
    pub fn new(layout: &Layout, flash: F, platform: P) -> Result<Self, UpdateError> {
        Ok(Self::with_config(
            DualSlotConfiguration::from_layout(layout)?,
            flash,
            platform,
        ))
    }

    /// An updater over an explicit engine configuration (tests, other boards).
    pub fn with_config(configuration: DualSlotConfiguration, flash: F, platform: P) -> Self {
        Self {
            engine: DualSlotEngine::new(configuration),
            flash,
            platform,
        }
    }

    /// The flash driver (e.g. for the application's own data sector).
    pub fn flash(&mut self) -> &mut F {
        &mut self.flash
    }

    /// The platform.
    pub fn platform(&mut self) -> &mut P {
        &mut self.platform
    }

    /// The engine.
    pub fn engine(&self) -> &DualSlotEngine {
        &self.engine
    }

    /// Mark the running trial image good: it stays, and the anti-rollback minimum rises to its
    /// security counter. Call it once the application has checked it works. Does nothing when
    /// the running image is not on trial.
    pub fn confirm(&mut self) -> Result<(), UpdateError> {
        self.platform.feed_watchdog();
        self.engine.confirm(&mut self.flash)
    }

    /// Ask the bootloader to stay in bootloader mode (e.g. to receive an image over its serial
    /// protocol) and reset.
    pub fn request_update(&mut self) -> ! {
        request_update(&mut self.platform)
    }

    /// Reset so the bootloader installs the pending image (the journal already says so; the
    /// mailbox request tells it why it was reset).
    pub fn restart_to_install(&mut self) -> ! {
        self.platform
            .write_mailbox(Mailbox::encode(Request::InstallPending, 0));
        self.platform.system_reset()
    }

    /// Start streaming a new image into the secondary slot. Fails while the running image is
    /// an unconfirmed trial (the secondary slot holds the image a revert needs).
    pub fn firmware_writer(&mut self) -> Result<FirmwareWriter<'_, F, P>, UpdateError> {
        self.engine.check_secondary_writable(&mut self.flash)?;
        Ok(FirmwareWriter::new(self))
    }

    /// What the application can learn about its boot. `verifier` reads the running image's
    /// version; a verifier that only parses the descriptor is enough here.
    pub fn boot_info<V: ImageVerifier<F>>(
        &mut self,
        verifier: &mut V,
    ) -> Result<BootInfo, UpdateError> {
        self.platform.feed_watchdog();
        let state = self.engine.state(&mut self.flash)?;
        let configuration = self.engine.configuration();
        let location = slingshot_update::SlotLocation {
            slot: Slot::Primary,
            region: configuration.primary,
            flash_offset: configuration.offset(configuration.primary.start),
        };
        let image = match verifier.verify(&mut self.flash, location) {
            Ok(image) => Some(image),
            Err(slingshot_update::VerifyError::Rejected(_)) => None,
            Err(slingshot_update::VerifyError::Flash(kind)) => {
                return Err(UpdateError::Flash(kind))
            }
        };
        let image_state = match state.phase {
            Phase::TrialRunning | Phase::Trial => ImageState::Trial,
            Phase::Reverted | Phase::Reverting => ImageState::Reverted,
            Phase::Idle
            | Phase::Confirmed
            | Phase::Pending
            | Phase::Installing
            | Phase::Refused => ImageState::Confirmed,
        };
        Ok(BootInfo {
            version: image.map(|image| image.version),
            security_counter: image.map(|image| image.security_counter),
            slot: Slot::Primary,
            state: image_state,
            update_pending: state.phase == Phase::Pending,
            last_refusal: (state.phase == Phase::Refused).then_some(state.refusal),
            minimum_security_counter: state.minimum_security_counter,
            reset_reason: self.platform.reset_reason(),
        })
    }
}
