//! Running a burst of work on the PLL at the part's verification clock ([`at_full_speed`]:
//! 168 MHz on the F405/407, F42x/43x and F446 with APB1 at 42 MHz and APB2 at 84 MHz; 100 MHz
//! on the F411/F412/F413, 84 MHz on the F401, see `slingshot_layout::parts::ClockLimits`) and
//! going back to the reset clock state afterwards: HSI 16 MHz, no prescalers, PLL off with its
//! reset configuration, zero flash wait states with the caches and prefetch off (RM0090 §6.3,
//! §3.5.1). The serial port's baud rate must be set for the faster APB1 meanwhile
//! ([`apb1_clock_hz`]).
//!
//! The F411, F412 and F413 reach their 100 MHz only in voltage scale 1: for them the regulator
//! is set to scale 1 first (PWR_CR.VOS, written while the PLL is off; it takes effect when the
//! PLL runs, PWR_CSR.VOSRDY) and PWR_CR and the PWR interface clock are put back as they were
//! once the PLL is off again ([`raise_voltage_scale`]).
//!
//! Every ready/switch poll is bounded: QEMU never reports the PLL ready, and a chip whose PLL
//! does not lock keeps running the work on the HSI.

use crate::{device, HSI_HZ};
use slingshot_layout::parts::ClockLimits;
use slingshot_layout::BUILD_BOARD;

/// RCC_CR.PLLON and PLLRDY.
const PLL_ON: u32 = 1 << 24;
const PLL_READY: u32 = 1 << 25;
/// RCC_PLLCFGR reset value.
const PLL_CONFIGURATION_RESET: u32 = 0x2400_3010;
/// RCC_CFGR.SW = PLL, and the SWS field that reports it.
const SWITCH_TO_PLL: u32 = 0b10;
const SWITCH_STATUS_MASK: u32 = 0b11 << 2;
const SWITCH_STATUS_PLL: u32 = 0b10 << 2;
/// The part's clock limits (`slingshot_layout::parts`).
const LIMITS: ClockLimits = BUILD_BOARD.part.clock;
/// FLASH_ACR.LATENCY for the verification clock at 2.7–3.6 V (5 at 168 MHz, 3 at 100 MHz, 2
/// at 84 MHz).
const WAIT_STATES: u32 = LIMITS.flash_wait_states as u32;
/// FLASH_ACR: those wait states, prefetch, instruction and data caches.
const FLASH_FAST: u32 = WAIT_STATES | (1 << 8) | (1 << 9) | (1 << 10);
/// FLASH_ACR: reset the instruction and data caches (acts only while they are disabled).
const FLASH_CACHE_RESETS: u32 = (1 << 11) | (1 << 12);
const FLASH_LATENCY_MASK: u32 = 0xF;
/// PWR_CR.VOS (bits 15:14) and its scale-1 value (RM0383, RM0402, RM0430 "PWR power control
/// register").
const VOLTAGE_SCALE_MASK: u32 = 0b11 << 14;
const VOLTAGE_SCALE_1: u32 = 0b11 << 14;
/// PWR_CSR.VOSRDY: the regulator has reached the selected scale.
const VOLTAGE_SCALE_READY: u32 = 1 << 14;
/// RCC_APB1ENR.PWREN: the PWR interface's clock.
const POWER_INTERFACE_CLOCK: u32 = 1 << 28;
/// Polls before giving up on a ready or switch flag: the PLL locks in well under 1 ms, and at
/// 16 MHz this bound is a few milliseconds; under QEMU it costs a few thousand instructions.
const POLL_LIMIT: u32 = 2_000;

/// RCC_PLLCFGR for the verification clock from the 16 MHz HSI: PLLM = 8 (a 2 MHz VCO input,
/// which RM0090 §6.3.2 recommends "to limit PLL jitter"; 1–2 MHz allowed), PLLN = the clock in
/// MHz (VCO at twice it: 336 MHz for 168 MHz, 200 MHz for 100 MHz, 168 MHz for 84 MHz, within
/// 100–432 MHz), PLLP =
/// /2, PLLQ = 7 (48 MHz at a 336 MHz VCO; nothing uses it here), source HSI; reserved bit 29
/// kept at its reset 1.
const PLL_FROM_HSI: u32 = 8 | ((LIMITS.verification_hz / 1_000_000) << 6) | (7 << 24) | (1 << 29);
const _: () = assert!(LIMITS.verification_hz % 1_000_000 == 0);
const _: () =
    assert!(LIMITS.verification_hz >= 50_000_000 && LIMITS.verification_hz <= 216_000_000);
/// The PPRE encoding of a divider of 1, 2, 4, 8 or 16 (RM0090 §6.3.3).
const fn prescaler_bits(divider: u32) -> u32 {
    match divider {
        1 => 0b000,
        2 => 0b100,
        4 => 0b101,
        8 => 0b110,
        _ => 0b111,
    }
}
/// RCC_CFGR: APB1 at its maximum or below (168 MHz / 4 = 42 MHz, 100 MHz / 2 = 50 MHz,
/// 84 MHz / 2 = 42 MHz) and APB2 at twice that (its maximum is twice APB1's on every F4).
const BUS_PRESCALERS: u32 = (prescaler_bits(LIMITS.apb1_divider()) << 10)
    | (prescaler_bits(LIMITS.apb1_divider() / 2) << 13);

fn poll(mut done: impl FnMut() -> bool) -> bool {
    (0..POLL_LIMIT).any(|_| done())
}

/// What [`raise_voltage_scale`] changed, to put back.
#[derive(Clone, Copy)]
struct RegulatorState {
    /// PWR_CR as found.
    power_control: u32,
    /// RCC_APB1ENR.PWREN as found.
    interface_clock: u32,
}

/// For a part whose verification clock needs a higher voltage scale than the reset one:
/// select scale 1 while the PLL is off and return what to restore; `None` for the others.
fn raise_voltage_scale() -> Option<RegulatorState> {
    if !LIMITS.raises_voltage_scale() {
        return None;
    }
    let peripherals = device();
    let rcc = &peripherals.RCC;
    let enables = rcc.apb1enr().read().bits();
    // SAFETY: enabling the PWR interface's clock changes nothing else; the read back gives it
    // the cycles the F4 errata sheets ask for after enabling a peripheral clock ("delay after
    // an RCC peripheral clock enabling") before the first access.
    rcc.apb1enr()
        .write(|w| unsafe { w.bits(enables | POWER_INTERFACE_CLOCK) });
    let _ = rcc.apb1enr().read();
    let power_control = peripherals.PWR.cr().read().bits();
    // SAFETY: VOS may be written only while the PLL is off (it is: reset state) and selects
    // the scale the regulator takes when the PLL runs; the other bits are kept.
    peripherals
        .PWR
        .cr()
        .write(|w| unsafe { w.bits((power_control & !VOLTAGE_SCALE_MASK) | VOLTAGE_SCALE_1) });
    Some(RegulatorState {
        power_control,
        interface_clock: enables & POWER_INTERFACE_CLOCK,
    })
}

/// Whether the regulator reached the scale the verification clock needs (at once for parts
/// that keep the reset scale); call with the PLL locked.
fn voltage_scale_ready() -> bool {
    !LIMITS.raises_voltage_scale()
        || poll(|| device().PWR.csr().read().bits() & VOLTAGE_SCALE_READY != 0)
}

/// Put back what [`raise_voltage_scale`] changed; call with the PLL off.
fn restore_voltage_scale(state: Option<RegulatorState>) {
    let Some(state) = state else {
        return;
    };
    let peripherals = device();
    // SAFETY: PWR_CR as it was before, written while the PLL is off.
    peripherals
        .PWR
        .cr()
        .write(|w| unsafe { w.bits(state.power_control) });
    // SAFETY: PWREN back as it was; every other enable bit kept.
    peripherals.RCC.apb1enr().modify(|r, w| unsafe {
        w.bits((r.bits() & !POWER_INTERFACE_CLOCK) | state.interface_clock)
    });
}

/// Try to run the core at the verification clock from the PLL. Returns whether it switched; when it did not,
/// everything is back in its reset state.
fn speed_up() -> bool {
    let peripherals = device();
    let rcc = &peripherals.RCC;
    let flash = &peripherals.FLASH;
    // SAFETY: documented PLL configuration values for the HSI source (RM0090 §6.3.2); the PLL
    // is off (reset state) while PLLCFGR is written.
    rcc.pllcfgr().write(|w| unsafe { w.bits(PLL_FROM_HSI) });
    // SAFETY: setting PLLON only starts the PLL; the core still runs from the HSI.
    rcc.cr().modify(|r, w| unsafe { w.bits(r.bits() | PLL_ON) });
    if !poll(|| rcc.cr().read().bits() & PLL_READY != 0) || !voltage_scale_ready() {
        slow_down();
        return false;
    }
    // SAFETY: more wait states than the current clock needs are always safe; they must be in
    // place before the clock rises (RM0090 §3.5.1). The caches are off here (reset state, or
    // `slow_down`), and flash may have been programmed since they were last on: reset them
    // before enabling them.
    unsafe {
        flash
            .acr()
            .write(|w| w.bits(WAIT_STATES | FLASH_CACHE_RESETS));
        flash.acr().write(|w| w.bits(FLASH_FAST));
    }
    if !poll(|| flash.acr().read().bits() & FLASH_LATENCY_MASK == WAIT_STATES) {
        slow_down();
        return false;
    }
    // SAFETY: bus prescalers keep APB1/APB2 within their limits before the switch.
    rcc.cfgr().write(|w| unsafe { w.bits(BUS_PRESCALERS) });
    // SAFETY: the PLL is locked and the flash has its wait states: switching SW is allowed.
    rcc.cfgr()
        .write(|w| unsafe { w.bits(BUS_PRESCALERS | SWITCH_TO_PLL) });
    if !poll(|| rcc.cfgr().read().bits() & SWITCH_STATUS_MASK == SWITCH_STATUS_PLL) {
        slow_down();
        return false;
    }
    true
}

/// Back to the reset clock state, in the order that keeps every step safe: HSI first, then
/// prescalers, PLL off and reset, and only then fewer flash wait states.
fn slow_down() {
    let peripherals = device();
    let rcc = &peripherals.RCC;
    let flash = &peripherals.FLASH;
    // SAFETY: SW = HSI (0) with the bus prescalers still in place; the HSI is always on here.
    rcc.cfgr().write(|w| unsafe { w.bits(BUS_PRESCALERS) });
    poll(|| rcc.cfgr().read().bits() & SWITCH_STATUS_MASK == 0);
    // SAFETY: CFGR's reset value (all prescalers /1, HSI) now that the core runs from the HSI.
    rcc.cfgr().write(|w| unsafe { w.bits(0) });
    // SAFETY: the PLL no longer clocks anything; turn it off and restore its configuration.
    rcc.cr()
        .modify(|r, w| unsafe { w.bits(r.bits() & !PLL_ON) });
    poll(|| rcc.cr().read().bits() & PLL_READY == 0);
    // SAFETY: PLLCFGR's documented reset value, written while the PLL is off.
    rcc.pllcfgr()
        .write(|w| unsafe { w.bits(PLL_CONFIGURATION_RESET) });
    // SAFETY: zero wait states are enough at 16 MHz; ACR's reset value (caches and prefetch
    // off, as after reset).
    flash.acr().write(|w| unsafe { w.bits(0) });
}

/// The APB1 clock (the serial port's kernel clock) now, from RCC_CFGR and RCC_PLLCFGR: 42 MHz
/// while [`at_full_speed`] runs, 16 MHz otherwise.
pub fn apb1_clock_hz() -> u32 {
    let rcc = device().RCC;
    let configuration = rcc.cfgr().read().bits();
    let system = if configuration & SWITCH_STATUS_MASK == SWITCH_STATUS_PLL {
        let pll = rcc.pllcfgr().read().bits();
        let divider_m = (pll & 0x3F).max(2);
        let multiplier_n = (pll >> 6) & 0x1FF;
        let divider_p = 2 * (((pll >> 16) & 0b11) + 1);
        HSI_HZ / divider_m * multiplier_n / divider_p
    } else {
        HSI_HZ
    };
    let prescaler = (configuration >> 10) & 0b111;
    if prescaler < 4 {
        system
    } else {
        system >> (prescaler - 3)
    }
}

/// Run `work` with the core at the verification clock if the PLL locks (on HSI 16 MHz otherwise), then return
/// to the reset clock state. Returns the work's result and whether it ran on the PLL. The
/// work must not rely on anything clocked from the buses being at 16 MHz (the port's baud rate
/// follows [`apb1_clock_hz`]).
pub fn at_full_speed<R>(work: impl FnOnce() -> R) -> (R, bool) {
    let regulator = raise_voltage_scale();
    let fast = speed_up();
    let result = work();
    if fast {
        slow_down();
    }
    restore_voltage_scale(regulator);
    (result, fast)
}
