//! The last step: an application that passed every check, started from its vector table.

use slingshot_boot::StartableApplication;

/// An application cleared for the hand-off: its vector table passed `slingshot_boot`'s checks
/// and, with the `verify` feature, its signature verified after the last flash write.
pub struct Start {
    application: StartableApplication,
    /// What the verification found, whether it runs on trial and under the watchdog.
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

    /// Say so over USART3 in one line and hand off (never returns).
    pub fn hand_off(self) -> ! {
        let vector_table = self.application.vector_table();
        #[cfg(feature = "verify")]
        {
            let cleared = self.cleared;
            #[cfg(feature = "watchdog-on-trial")]
            let watchdog = cleared
                .start_watchdog
                .then_some(TRIAL_WATCHDOG_MILLISECONDS);
            #[cfg(not(feature = "watchdog-on-trial"))]
            let watchdog = None;
            crate::report::starting_verified(vector_table, &cleared.image, cleared.trial, watchdog);
            #[cfg(feature = "watchdog-on-trial")]
            if let Some(milliseconds) = watchdog {
                slingshot_stm32::watchdog::start_independent_watchdog(milliseconds);
            }
        }
        #[cfg(not(feature = "verify"))]
        crate::report::handing_off(vector_table);
        slingshot_stm32::handoff::start_application(self.application)
    }
}
