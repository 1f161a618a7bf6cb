//! Why the chip last reset, from the RCC control/status register (RCC_CSR, RM0090 §6.3.21).
//!
//! The flags accumulate until software clears them (RMVF), so the bootloader leaves them
//! alone and the application reads them once and clears them ([`take`]).

use crate::device;

/// RCC_CSR: low-power reset flag.
const LOW_POWER: u32 = 1 << 31;
/// RCC_CSR: window watchdog reset flag.
const WINDOW_WATCHDOG: u32 = 1 << 30;
/// RCC_CSR: independent watchdog reset flag.
const INDEPENDENT_WATCHDOG: u32 = 1 << 29;
/// RCC_CSR: software reset flag.
const SOFTWARE: u32 = 1 << 28;
/// RCC_CSR: power-on/power-down reset flag.
const POWER_ON: u32 = 1 << 27;
/// RCC_CSR: NRST pin reset flag (also set by every internal reset, which drives NRST).
const PIN: u32 = 1 << 26;
/// RCC_CSR: brown-out reset flag (also set by a power-on reset).
const BROWN_OUT: u32 = 1 << 25;
/// RCC_CSR: write 1 to clear every reset flag.
const REMOVE_FLAGS: u32 = 1 << 24;

/// The cause a set of RCC_CSR reset flags names, most specific first: every internal reset
/// also drives NRST (so the pin flag is the fallback), and a power-on reset also sets the
/// brown-out flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetCause {
    /// Entering Standby/Stop with the option bytes' nRST_STOP/nRST_STDBY cleared.
    LowPower,
    /// The window watchdog expired.
    WindowWatchdog,
    /// The independent watchdog expired.
    IndependentWatchdog,
    /// AIRCR.SYSRESETREQ (e.g. an update request).
    Software,
    /// Power-on or power-down.
    PowerOn,
    /// Supply below the brown-out threshold.
    BrownOut,
    /// The NRST pin (reset button, debugger).
    ResetPin,
    /// No flag set (or a model without RCC_CSR, such as QEMU).
    Unknown,
}

impl ResetCause {
    /// Decode RCC_CSR's flags.
    pub const fn from_flags(flags: u32) -> ResetCause {
        if flags & LOW_POWER != 0 {
            ResetCause::LowPower
        } else if flags & WINDOW_WATCHDOG != 0 {
            ResetCause::WindowWatchdog
        } else if flags & INDEPENDENT_WATCHDOG != 0 {
            ResetCause::IndependentWatchdog
        } else if flags & SOFTWARE != 0 {
            ResetCause::Software
        } else if flags & POWER_ON != 0 {
            ResetCause::PowerOn
        } else if flags & BROWN_OUT != 0 {
            ResetCause::BrownOut
        } else if flags & PIN != 0 {
            ResetCause::ResetPin
        } else {
            ResetCause::Unknown
        }
    }
}

/// The reset flags as they are now, without clearing them.
pub fn flags() -> u32 {
    device().RCC.csr().read().bits()
}

/// Read the cause of the last reset and clear the flags, so the next reset reports its own.
pub fn take() -> ResetCause {
    let rcc = device().RCC;
    let cause = ResetCause::from_flags(rcc.csr().read().bits());
    // SAFETY: setting RMVF only clears the reset flags; the other writable bits (LSION) keep
    // their value through the read-modify-write.
    rcc.csr()
        .modify(|r, w| unsafe { w.bits(r.bits() | REMOVE_FLAGS) });
    cause
}
