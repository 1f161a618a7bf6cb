//! The independent watchdog (IWDG, RM0090 §21), started before a trial boot so that a hung
//! trial image is reset, and reverted by the bootloader at the next boot. Once started it
//! cannot be stopped: the application must reload it (or confirm and let the next reset come).

use crate::device;

/// KR: start the watchdog (also enables the LSI).
const KEY_START: u16 = 0xCCCC;
/// KR: allow writes to PR and RLR.
const KEY_ENABLE_ACCESS: u16 = 0x5555;
/// KR: reload the counter.
const KEY_RELOAD: u16 = 0xAAAA;
/// PR value 4: the 32 kHz LSI divided by 64, 500 Hz.
const PRESCALER_DIVIDE_BY_64: u16 = 4;
/// Largest reload value (12 bits).
const MAXIMUM_RELOAD: u16 = 0x0FFF;
/// Counter ticks per second with [`PRESCALER_DIVIDE_BY_64`] (nominal LSI 32 kHz).
const TICKS_PER_SECOND: u32 = 32_000 / 64;
/// SR polls before giving up on the prescaler/reload update flags (a model without an IWDG
/// never clears them; on the chip they clear within a few LSI cycles).
const STATUS_POLL_LIMIT: u32 = 10_000;

/// Start the independent watchdog with a timeout of about `milliseconds` (capped at the
/// 8.19 s the /64 prescaler allows; the LSI varies 17–47 kHz, so the real timeout does too).
pub fn start_independent_watchdog(milliseconds: u32) {
    let ticks = milliseconds.saturating_mul(TICKS_PER_SECOND) / 1000;
    // Clamped to the 12-bit field, so the conversion cannot fail.
    let reload = u16::try_from(ticks.clamp(1, u32::from(MAXIMUM_RELOAD))).unwrap_or(MAXIMUM_RELOAD);
    let peripherals = device();
    // The watchdog stops counting while a debugger halts the core (DBGMCU_APB1_FZ.
    // DBG_IWDG_STOP, RM0090 §38.16.4): otherwise every breakpoint in a trial image would let it
    // expire, and the bootloader would revert an update that was only being debugged. Only a
    // power-on reset clears the bit, and it changes nothing without a debugger.
    peripherals
        .DBGMCU
        .apb1_fz()
        .modify(|_, w| w.dbg_iwdg_stop().set_bit());
    let watchdog = peripherals.IWDG;
    // SAFETY: KR takes the documented keys; PR and RLR take any value in their field width
    // (3 and 12 bits), written only after the enable-access key (RM0090 §21.3.2).
    unsafe {
        watchdog.kr().write(|w| w.bits(KEY_START));
        watchdog.kr().write(|w| w.bits(KEY_ENABLE_ACCESS));
        watchdog.pr().write(|w| w.bits(PRESCALER_DIVIDE_BY_64));
        watchdog.rlr().write(|w| w.bits(reload));
    }
    for _ in 0..STATUS_POLL_LIMIT {
        if watchdog.sr().read().bits() == 0 {
            break;
        }
    }
    // SAFETY: the reload key loads RLR into the counter and write-protects PR/RLR again.
    unsafe { watchdog.kr().write(|w| w.bits(KEY_RELOAD)) };
}

/// Reload the independent watchdog's counter (the application's "still alive").
pub fn feed_independent_watchdog() {
    // SAFETY: writing the reload key only reloads the counter.
    unsafe { device().IWDG.kr().write(|w| w.bits(KEY_RELOAD)) };
}
