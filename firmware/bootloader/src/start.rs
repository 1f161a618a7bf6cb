//! The last step: an application that passed every check, started from its vector table.

use slingshot_boot::StartableApplication;

/// An application cleared for the hand-off: its vector table passed `slingshot_boot`'s checks
/// and, with the `verify` feature, its signature verified after the last flash write.
pub struct Start {
    application: StartableApplication,
    /// Whether it runs on trial and under the watchdog.
    #[cfg(feature = "verify")]
    cleared: crate::verified::Cleared,
}

/// Timeout of the watchdog started before a trial boot.
#[cfg(feature = "watchdog-on-trial")]
const TRIAL_WATCHDOG_MILLISECONDS: u32 = 8_000;

impl Start {
    /// Start `application` (the plain validate-and-jump).
    #[cfg(not(feature = "verify"))]
    pub fn new(application: StartableApplication) -> Self {
        Self { application }
    }

    /// Start the verified `application` as `cleared` says (trial, watchdog).
    #[cfg(feature = "verify")]
    pub fn verified(application: StartableApplication, cleared: crate::verified::Cleared) -> Self {
        Self {
            application,
            cleared,
        }
    }

    /// Hand off (never returns). The verification line already said which image this is; a
    /// trial boot adds one line (and starts the watchdog); the queued output is sent first.
    pub fn hand_off(self) -> ! {
        #[cfg(feature = "verify")]
        if self.cleared.trial {
            #[cfg(feature = "watchdog-on-trial")]
            let watchdog = self
                .cleared
                .start_watchdog
                .then_some(TRIAL_WATCHDOG_MILLISECONDS);
            #[cfg(not(feature = "watchdog-on-trial"))]
            let watchdog = None;
            crate::report::starting_on_trial(watchdog);
            #[cfg(feature = "watchdog-on-trial")]
            if let Some(milliseconds) = watchdog {
                slingshot_stm32::watchdog::start_independent_watchdog(milliseconds);
            }
        }
        #[cfg(not(feature = "verify"))]
        crate::report::handing_off(self.application.vector_table());
        crate::report::flush();
        slingshot_stm32::handoff::start_application(self.application)
    }
}
