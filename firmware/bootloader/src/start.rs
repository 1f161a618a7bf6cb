//! The last step: an application that passed every check, started from its vector table.

use slingshot_boot::StartableApplication;

/// An application cleared for the hand-off: its vector table passed `slingshot_boot`'s checks
/// and, with the `verify` feature, its signature verified after the last flash write.
pub struct Start {
    application: StartableApplication,
    /// Start the independent watchdog first (a trial boot with `watchdog-on-trial`).
    #[cfg(feature = "verify")]
    start_watchdog: bool,
}

/// Timeout of the watchdog started before a trial boot.
#[cfg(feature = "watchdog-on-trial")]
const TRIAL_WATCHDOG_MILLISECONDS: u32 = 8_000;

impl Start {
    /// Start `application` without a watchdog.
    #[cfg(not(feature = "verify"))]
    pub fn new(application: StartableApplication) -> Self {
        Self {
            application,
            #[cfg(feature = "verify")]
            start_watchdog: false,
        }
    }

    /// Start `application`, with the independent watchdog running if `start_watchdog`.
    #[cfg(feature = "verify")]
    pub fn with_watchdog(application: StartableApplication, start_watchdog: bool) -> Self {
        Self {
            application,
            start_watchdog,
        }
    }

    /// Say so over USART3 and hand off (never returns).
    pub fn hand_off(self) -> ! {
        #[cfg(feature = "verify")]
        if self.start_watchdog {
            #[cfg(feature = "watchdog-on-trial")]
            {
                crate::report::starting_watchdog(TRIAL_WATCHDOG_MILLISECONDS);
                slingshot_stm32::watchdog::start_independent_watchdog(TRIAL_WATCHDOG_MILLISECONDS);
            }
        }
        crate::report::handing_off(self.application.vector_table());
        slingshot_stm32::handoff::start_application(self.application)
    }
}
