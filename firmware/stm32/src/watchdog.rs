//! The independent watchdog (IWDG, RM0090 §21), started before a trial boot so that a hung
//! trial image is reset, and reverted by the bootloader at the next boot. Once started it
//! cannot be stopped: the application must reload it (or confirm and let the next reset come).
//!
//! With the hardware watchdog option (option byte WDG_SW = 0, RM0090 §3.7.1) the IWDG runs
//! from reset with its reset timeout (512 ms at the LSI's nominal 32 kHz): the bootloader then
//! sets the longest timeout first ([`lengthen_hardware_watchdog`]) and feeds it before every
//! flash operation and in its serial loop ([`feed_independent_watchdog`]).

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

/// PR value 6: the LSI divided by 256, the slowest count.
const PRESCALER_DIVIDE_BY_256: u16 = 6;
/// FLASH_OPTCR.WDG_SW: 1 = the watchdog is started by software, 0 = it runs from reset.
const OPTION_SOFTWARE_WATCHDOG: u32 = 1 << 5;

/// Whether the option bytes select the hardware watchdog (WDG_SW = 0: the IWDG runs from
/// reset). Read from FLASH_OPTCR, which holds the option bytes loaded at reset; only
/// meaningful where the flash interface responds (QEMU reads 0 for every flash register).
pub fn hardware_watchdog_selected() -> bool {
    device().FLASH.optcr().read().bits() & OPTION_SOFTWARE_WATCHDOG == 0
}

/// With the hardware watchdog option: give the running IWDG its longest timeout (LSI ÷ 256,
/// reload 4095: 32.8 s at 32 kHz, 22.3 s at the LSI's fastest 47 kHz, DS9405) and reload it,
/// so that a swap's sector erases (up to 2 s each) and verifications fit between feeds.
/// Returns whether the hardware watchdog is selected; does nothing otherwise.
pub fn lengthen_hardware_watchdog() -> bool {
    if !hardware_watchdog_selected() {
        return false;
    }
    configure(PRESCALER_DIVIDE_BY_256, MAXIMUM_RELOAD);
    true
}

/// Write PR and RLR (after the enable-access key) and wait, bounded, for their update flags;
/// then reload the counter, which write-protects PR and RLR again.
// Out of line: lengthening the hardware watchdog and starting the trial watchdog both
// configure (12 B less bootloader flash, 2026-12-05).
#[inline(never)]
fn configure(prescaler: u16, reload: u16) {
    let watchdog = device().IWDG;
    // SAFETY: KR takes the documented keys; PR and RLR take any value in their field width
    // (3 and 12 bits), written only after the enable-access key (RM0090 §21.3.2).
    unsafe {
        watchdog.kr().write(|w| w.bits(KEY_ENABLE_ACCESS));
        watchdog.pr().write(|w| w.bits(prescaler));
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
    // SAFETY: the start key starts the watchdog (and the LSI); it is already running with the
    // hardware watchdog option.
    unsafe { peripherals.IWDG.kr().write(|w| w.bits(KEY_START)) };
    configure(PRESCALER_DIVIDE_BY_64, reload);
}

/// Reload the independent watchdog's counter (the application's "still alive"; the
/// bootloader's before each flash operation). Writing the reload key to a watchdog that is
/// not running changes nothing.
// Out of line: the flash driver and the serial loop feed it (8 B less bootloader flash).
#[inline(never)]
pub fn feed_independent_watchdog() {
    // SAFETY: writing the reload key only reloads the counter.
    unsafe { device().IWDG.kr().write(|w| w.bits(KEY_RELOAD)) };
}
