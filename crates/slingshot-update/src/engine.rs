//! The dual-slot engine: what the bootloader calls at every reset ([`DualSlotEngine::boot`])
//! and what the application calls ([`DualSlotEngine::mark_pending`],
//! [`DualSlotEngine::confirm`], [`DualSlotEngine::state`]).

use crate::journal::{Journal, Phase, UpdateState};
use crate::{
    swap, DualSlotConfiguration, ImageSummary, ImageVerifier, Refusal, Rejection, Slot,
    SlotLocation, UpdateError,
};
use embedded_storage::nor_flash::NorFlash;

/// What the bootloader does after [`DualSlotEngine::boot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootAction {
    /// Hand off to the image in the primary slot.
    Start {
        /// Address of its vector table (the primary slot start).
        vector_table: u32,
        /// It runs on trial: unless it calls confirm, the next boot reverts it.
        trial: bool,
        /// Start the independent watchdog before the hand-off (trial boot and the
        /// bootloader's `watchdog_before_trial` configuration).
        start_watchdog: bool,
        /// What the verifier found.
        image: ImageSummary,
    },
    /// Stay in bootloader mode.
    StayInBootloader(StayCause),
}

/// Why the bootloader cannot start the primary image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StayCause {
    /// The primary image does not verify.
    NoValidImage(Rejection),
    /// The primary image's extent (image and trailer) does not fit its slot.
    PrimaryTooLarge,
    /// The primary image's security counter is below the anti-rollback minimum.
    BelowMinimum {
        /// The image's security counter.
        security_counter: u32,
        /// The stored minimum.
        minimum: u32,
    },
}

/// What the engine did during this boot, for the bootloader's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootEvent {
    /// Nothing changed.
    Nothing,
    /// A pending image was installed (possibly finishing an interrupted install).
    Installed,
    /// A trial image was not confirmed (or did not verify) and the previous one is back.
    Reverted,
    /// A pending image was refused; nothing was erased.
    Refused(Refusal),
}

/// The result of [`DualSlotEngine::boot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootOutcome {
    /// What to run.
    pub action: BootAction,
    /// What happened on the way.
    pub event: BootEvent,
    /// The journal state afterwards.
    pub state: UpdateState,
}

/// Verify the image at `location` and check that its extent (image and trailer) is not empty
/// and fits `capacity` bytes: a flash error is an error, an image that does not pass a refusal.
/// Shared by the dual-slot engine and the overwrite install.
pub(crate) fn verify_fitting<F: NorFlash, V: ImageVerifier<F>>(
    flash: &mut F,
    verifier: &mut V,
    location: SlotLocation,
    capacity: u32,
) -> Result<Result<ImageSummary, Refusal>, UpdateError> {
    match verifier.verify(flash, location) {
        Ok(summary) if summary.extent > capacity || summary.extent == 0 => {
            Ok(Err(Refusal::TooLarge {
                extent: summary.extent,
                slot_size: capacity,
            }))
        }
        Ok(summary) => Ok(Ok(summary)),
        Err(crate::VerifyError::Rejected(rejection)) => Ok(Err(Refusal::Rejected(rejection))),
        Err(crate::VerifyError::Flash(kind)) => Err(UpdateError::Flash(kind)),
    }
}

/// What to run after the primary image's last verification: start it at `vector_table` (not
/// on trial) or stay in the bootloader, saying why.
pub(crate) fn start_or_stay(
    primary: Result<ImageSummary, Refusal>,
    vector_table: u32,
) -> BootAction {
    match primary {
        Ok(image) => BootAction::Start {
            vector_table,
            trial: false,
            start_watchdog: false,
            image,
        },
        Err(Refusal::Rejected(rejection)) => {
            BootAction::StayInBootloader(StayCause::NoValidImage(rejection))
        }
        Err(Refusal::TooLarge { .. } | Refusal::BelowMinimum { .. }) => {
            BootAction::StayInBootloader(StayCause::PrimaryTooLarge)
        }
    }
}

/// The dual-slot update engine for one flash device holding every partition.
///
/// One `NorFlash` for all regions (rather than one per partition) because on the F4 all of
/// them are one flash controller with one non-uniform sector map: the swap pairs sectors by
/// their place in that map and the scratch packing depends on their sizes, and the firmware
/// wiring stays one driver value.
#[derive(Clone, Copy, Debug)]
pub struct DualSlotEngine {
    configuration: DualSlotConfiguration,
}

impl DualSlotEngine {
    /// An engine over a checked configuration.
    pub const fn new(configuration: DualSlotConfiguration) -> Self {
        Self { configuration }
    }

    /// The configuration.
    pub const fn configuration(&self) -> &DualSlotConfiguration {
        &self.configuration
    }

    /// Whether the bootloader should start the watchdog before handing off to `action`.
    pub fn should_start_watchdog(&self, action: &BootAction) -> bool {
        matches!(
            action,
            BootAction::Start {
                start_watchdog: true,
                ..
            }
        )
    }

    fn location(&self, slot: Slot) -> SlotLocation {
        let region = match slot {
            Slot::Primary => self.configuration.primary,
            Slot::Secondary => self.configuration.secondary,
        };
        SlotLocation {
            slot,
            region,
            flash_offset: self.configuration.offset(region.start),
        }
    }

    /// Verify the image in `slot` and check that it fits.
    fn verify_slot<F: NorFlash, V: ImageVerifier<F>>(
        &self,
        flash: &mut F,
        verifier: &mut V,
        slot: Slot,
    ) -> Result<Result<ImageSummary, Refusal>, UpdateError> {
        let location = self.location(slot);
        verify_fitting(flash, verifier, location, location.region.size)
    }

    /// The boot-time entry point: continue or start an install, revert an unconfirmed trial,
    /// then decide what to run. Call it at every reset before handing off; it is safe to lose
    /// power anywhere inside it (call it again after the next reset).
    pub fn boot<F: NorFlash, V: ImageVerifier<F>>(
        &self,
        flash: &mut F,
        verifier: &mut V,
    ) -> Result<BootOutcome, UpdateError> {
        let configuration = &self.configuration;
        let mut journal = Journal::open(flash, configuration)?;
        let mut state = journal.state();
        let mut event = BootEvent::Nothing;
        let mut resumed = matches!(state.phase, Phase::Installing | Phase::Reverting);
        loop {
            match state.phase {
                Phase::Pending => {
                    match self.prepare_install(flash, verifier, &state)? {
                        Ok(installing) => state = installing,
                        Err(refusal) => {
                            state = UpdateState {
                                phase: Phase::Refused,
                                refusal: refusal.code(),
                                ..state
                            };
                            event = BootEvent::Refused(refusal);
                        }
                    }
                    journal.append(flash, configuration, state)?;
                }
                Phase::Installing | Phase::Reverting => {
                    event = self.complete_swap(flash, &mut journal, &mut state, resumed)?;
                    resumed = false;
                }
                Phase::Trial | Phase::TrialRunning => {
                    let revert = state.phase == Phase::TrialRunning && state.has_fallback;
                    let verified = if revert {
                        None
                    } else {
                        self.verify_slot(flash, verifier, Slot::Primary)?.ok()
                    };
                    match verified {
                        Some(image) => {
                            if state.phase == Phase::Trial {
                                state.phase = Phase::TrialRunning;
                                journal.append(flash, configuration, state)?;
                            }
                            let action = BootAction::Start {
                                vector_table: configuration.primary.start,
                                trial: true,
                                start_watchdog: configuration.watchdog_before_trial,
                                image,
                            };
                            return Ok(BootOutcome {
                                action,
                                event,
                                state,
                            });
                        }
                        None if state.has_fallback => {
                            state = UpdateState {
                                phase: Phase::Reverting,
                                completed_steps: 0,
                                ..state
                            };
                            journal.append(flash, configuration, state)?;
                        }
                        None => break,
                    }
                }
                Phase::Idle | Phase::Confirmed | Phase::Reverted | Phase::Refused => break,
            }
        }
        let action = match self.verify_slot(flash, verifier, Slot::Primary)? {
            Ok(image) if image.security_counter < state.minimum_security_counter => {
                BootAction::StayInBootloader(StayCause::BelowMinimum {
                    security_counter: image.security_counter,
                    minimum: state.minimum_security_counter,
                })
            }
            verified => start_or_stay(verified, configuration.primary.start),
        };
        Ok(BootOutcome {
            action,
            event,
            state,
        })
    }

    /// Run the rest of an install or revert swap and record its end.
    fn complete_swap<F: NorFlash>(
        &self,
        flash: &mut F,
        journal: &mut Journal,
        state: &mut UpdateState,
        resumed: bool,
    ) -> Result<BootEvent, UpdateError> {
        swap::run(flash, &self.configuration, journal, state, resumed)?;
        let installing = state.phase == Phase::Installing;
        state.phase = if installing {
            Phase::Trial
        } else {
            Phase::Reverted
        };
        journal.append(flash, &self.configuration, *state)?;
        Ok(if installing {
            BootEvent::Installed
        } else {
            BootEvent::Reverted
        })
    }

    /// For a bootloader that stays in bootloader mode (mailbox request, button) instead of
    /// calling [`boot`](Self::boot): finish an install or revert that a power cut interrupted,
    /// so the slots are whole before anything else writes them. Does not start or consume a
    /// trial; the next [`boot`](Self::boot) does.
    pub fn finish_interrupted_swap<F: NorFlash>(
        &self,
        flash: &mut F,
    ) -> Result<UpdateState, UpdateError> {
        let mut journal = Journal::open(flash, &self.configuration)?;
        let mut state = journal.state();
        if matches!(state.phase, Phase::Installing | Phase::Reverting) {
            self.complete_swap(flash, &mut journal, &mut state, true)?;
        }
        Ok(state)
    }

    /// Verify the pending image (before anything is erased) and plan its install.
    fn prepare_install<F: NorFlash, V: ImageVerifier<F>>(
        &self,
        flash: &mut F,
        verifier: &mut V,
        state: &UpdateState,
    ) -> Result<Result<UpdateState, Refusal>, UpdateError> {
        let candidate = match self.verify_slot(flash, verifier, Slot::Secondary)? {
            Ok(candidate) => candidate,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let minimum = state.minimum_security_counter;
        if candidate.security_counter < minimum {
            return Ok(Err(Refusal::BelowMinimum {
                security_counter: candidate.security_counter,
                minimum,
            }));
        }
        let previous = self.verify_slot(flash, verifier, Slot::Primary)?.ok();
        let extent = candidate
            .extent
            .max(previous.map_or(0, |image| image.extent));
        Ok(Ok(UpdateState {
            phase: Phase::Installing,
            sector_count: self.configuration.sectors_covering(extent) as u8,
            has_fallback: previous.is_some(),
            completed_steps: 0,
            refusal: 0,
            minimum_security_counter: minimum,
            candidate_security_counter: candidate.security_counter,
        }))
    }

    /// The current update state (formats an empty state area).
    pub fn state<F: NorFlash>(&self, flash: &mut F) -> Result<UpdateState, UpdateError> {
        Ok(Journal::open(flash, &self.configuration)?.state())
    }

    /// Application side: fail unless the secondary slot may be written now (no swap in
    /// progress, no unconfirmed trial whose fallback lives there); otherwise the current state
    /// (one read of the journal for both).
    pub fn check_secondary_writable<F: NorFlash>(
        &self,
        flash: &mut F,
    ) -> Result<UpdateState, UpdateError> {
        let state = self.state(flash)?;
        secondary_writable(&state)?;
        Ok(state)
    }

    /// Application side: verify the image in the secondary slot and mark it for installation
    /// at the next boot. Touches only the journal. Returns what the verifier found.
    pub fn mark_pending<F: NorFlash, V: ImageVerifier<F>>(
        &self,
        flash: &mut F,
        verifier: &mut V,
    ) -> Result<ImageSummary, UpdateError> {
        let mut journal = Journal::open(flash, &self.configuration)?;
        let state = journal.state();
        secondary_writable(&state)?;
        let candidate = self
            .verify_slot(flash, verifier, Slot::Secondary)?
            .map_err(UpdateError::Refused)?;
        let minimum = state.minimum_security_counter;
        if candidate.security_counter < minimum {
            let refusal = Refusal::BelowMinimum {
                security_counter: candidate.security_counter,
                minimum,
            };
            return Err(UpdateError::Refused(refusal));
        }
        let pending = UpdateState {
            phase: Phase::Pending,
            candidate_security_counter: candidate.security_counter,
            refusal: 0,
            ..state
        };
        journal.append(flash, &self.configuration, pending)?;
        Ok(candidate)
    }

    /// Application side: confirm the running trial image. The anti-rollback minimum rises to
    /// its security counter. Does nothing when the running image is not on trial.
    pub fn confirm<F: NorFlash>(&self, flash: &mut F) -> Result<(), UpdateError> {
        let mut journal = Journal::open(flash, &self.configuration)?;
        let state = journal.state();
        if state.phase != Phase::TrialRunning {
            return Ok(());
        }
        let confirmed = UpdateState {
            phase: Phase::Confirmed,
            minimum_security_counter: state
                .minimum_security_counter
                .max(state.candidate_security_counter),
            ..state
        };
        Ok(journal.append(flash, &self.configuration, confirmed)?)
    }
}

/// Whether `state` lets the secondary slot be written: no swap in progress, no unconfirmed
/// trial whose fallback lives there.
fn secondary_writable(state: &UpdateState) -> Result<(), UpdateError> {
    match state.phase {
        Phase::Installing | Phase::Reverting | Phase::Trial => Err(UpdateError::SwapInProgress),
        Phase::TrialRunning => Err(UpdateError::TrialNotConfirmed),
        Phase::Idle | Phase::Pending | Phase::Reverted | Phase::Confirmed | Phase::Refused => {
            Ok(())
        }
    }
}
