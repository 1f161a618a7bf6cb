//! The STM32F4 side of `slingshot_application::Platform`: mailbox words, system reset, the
//! reset reason from RCC_CSR and the independent watchdog's reload.

use crate::reset_reason::{self, ResetCause};
use slingshot_application::{Platform, ResetReason};

/// The application's platform: the reset cause it read (and cleared) at start. `Copy`, so
/// the application can keep one while an `Updater` owns another.
#[derive(Clone, Copy, Debug)]
pub struct Stm32Platform {
    reset_cause: ResetCause,
}

impl Stm32Platform {
    /// Read and clear the reset flags; call once, early in the application, before it reads
    /// the journal in bank 2. On the early STM32F42x/F43x revisions whose bank-2 reads PA12
    /// activity can corrupt it also drives PA12 low ([`crate::errata`]; the hand-off left
    /// GPIOA at its reset state).
    pub fn new() -> Self {
        crate::errata::guard_bank_two_reads();
        Self {
            reset_cause: reset_reason::take(),
        }
    }

    /// The cause of the last reset, as read by [`Stm32Platform::new`].
    pub fn reset_cause(&self) -> ResetCause {
        self.reset_cause
    }
}

impl Default for Stm32Platform {
    fn default() -> Self {
        Self::new()
    }
}

impl Platform for Stm32Platform {
    fn write_mailbox(&mut self, words: [u32; slingshot_boot::mailbox::WORDS]) {
        crate::mailbox::write(words);
    }

    fn system_reset(&mut self) -> ! {
        crate::system::reset()
    }

    fn feed_watchdog(&mut self) {
        crate::watchdog::feed_independent_watchdog();
    }

    fn reset_reason(&self) -> ResetReason {
        match self.reset_cause {
            ResetCause::LowPower => ResetReason::LowPower,
            ResetCause::WindowWatchdog => ResetReason::WindowWatchdog,
            ResetCause::IndependentWatchdog => ResetReason::IndependentWatchdog,
            ResetCause::Software => ResetReason::Software,
            ResetCause::PowerOn => ResetReason::PowerOn,
            ResetCause::BrownOut => ResetReason::BrownOut,
            ResetCause::ResetPin => ResetReason::ResetPin,
            ResetCause::Unknown => ResetReason::Unknown,
        }
    }
}
