//! TIM2 (RM0090 §18, base 0x4000_0000) as a free-running up-counter: `CR1.CEN`, `PSC`
//! (preloaded, taking effect at an update event), `ARR`, `CNT`, `EGR.UG` and `SR.UIF`
//! (rc_w0). Firmware uses it as a polled millisecond clock that keeps counting while the CPU
//! stalls on flash.
//!
//! The counter is computed from modelled time, so reading it costs nothing. Not modelled:
//! down/centre-aligned counting, one-pulse mode, capture/compare, slave modes, DMA and
//! interrupt requests (`DIER` is stored only); a change of the APB1 clock takes effect at the
//! next TIM2 register write.

/// `TIMx_CR1.CEN`.
const CEN: u32 = 1 << 0;
/// `TIMx_SR.UIF`.
pub const UIF: u32 = 1 << 0;

/// A general-purpose timer used as an up-counter.
#[derive(Clone, Debug)]
pub struct GeneralPurposeTimer {
    control: u32,
    interrupt_enable: u32,
    status: u32,
    prescaler: u32,
    active_prescaler: u32,
    auto_reload: u32,
    /// Counter value at `base_ps`, before wrapping at `ARR + 1`.
    base_count: u64,
    base_ps: u64,
    clock_hz: u64,
    other: [u32; 21],
}

impl Default for GeneralPurposeTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl GeneralPurposeTimer {
    /// The timer after reset (`ARR` = 0xFFFF_FFFF for the 32-bit TIM2).
    pub fn new() -> Self {
        Self {
            control: 0,
            interrupt_enable: 0,
            status: 0,
            prescaler: 0,
            active_prescaler: 0,
            auto_reload: u32::MAX,
            base_count: 0,
            base_ps: 0,
            clock_hz: 16_000_000,
            other: [0; 21],
        }
    }

    fn period(&self) -> u64 {
        self.auto_reload as u64 + 1
    }

    fn total(&self, now_ps: u64) -> u64 {
        if self.control & CEN == 0 {
            return self.base_count;
        }
        let elapsed = now_ps.saturating_sub(self.base_ps) as u128;
        let ticks = elapsed * self.clock_hz as u128
            / (1_000_000_000_000u128 * (self.active_prescaler as u128 + 1));
        self.base_count + ticks as u64
    }

    /// Fold the counting so far into the base (before any register change).
    fn fold(&mut self, now_ps: u64, clock_hz: u64) {
        let total = self.total(now_ps);
        if total >= self.period() {
            self.status |= UIF;
            // A wrap is an update event: the preloaded prescaler takes effect.
            self.active_prescaler = self.prescaler;
        }
        self.base_count = total % self.period();
        self.base_ps = now_ps;
        self.clock_hz = clock_hz;
    }

    /// Read a register at `offset`.
    pub fn read(&self, offset: u32, now_ps: u64) -> u32 {
        match offset {
            0x00 => self.control,
            0x0C => self.interrupt_enable,
            0x10 => {
                let wrapped = self.total(now_ps) >= self.period();
                self.status | if wrapped { UIF } else { 0 }
            }
            0x14 => 0,
            0x24 => (self.total(now_ps) % self.period()) as u32,
            0x28 => self.prescaler,
            0x2C => self.auto_reload,
            _ => self.other[(offset / 4) as usize % 21],
        }
    }

    /// Write a register at `offset`; `clock_hz` is the timer's input clock now.
    pub fn write(&mut self, offset: u32, value: u32, now_ps: u64, clock_hz: u64) {
        self.fold(now_ps, clock_hz);
        match offset {
            0x00 => self.control = value & 0x3FF,
            0x0C => self.interrupt_enable = value,
            0x10 => self.status &= value,
            0x14 if value & 1 != 0 => {
                // UG: reinitialise the counter and load the prescaler (update event).
                self.base_count = 0;
                self.active_prescaler = self.prescaler;
                self.status |= UIF;
            }
            0x14 => {}
            0x24 => self.base_count = value as u64 % self.period(),
            0x28 => self.prescaler = value & 0xFFFF,
            0x2C => self.auto_reload = value,
            _ => self.other[(offset / 4) as usize % 21] = value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MILLISECOND_PS: u64 = 1_000_000_000;

    #[test]
    fn counts_milliseconds_after_the_prescaler_is_loaded_by_an_update() {
        let mut timer = GeneralPurposeTimer::new();
        let clock = 16_000_000;
        timer.write(0x28, 15_999, 0, clock);
        timer.write(0x24, 0, 0, clock);
        timer.write(0x14, 1, 0, clock);
        timer.write(0x10, 0, 0, clock);
        timer.write(0x00, 1, 0, clock);
        assert_eq!(timer.read(0x24, 2_500 * MILLISECOND_PS), 2_500);
        assert_eq!(timer.read(0x10, 2_500 * MILLISECOND_PS) & UIF, 0);
        // Stopping freezes the counter.
        timer.write(0x00, 0, 3_000 * MILLISECOND_PS, clock);
        assert_eq!(timer.read(0x24, 9_000 * MILLISECOND_PS), 3_000);
    }

    #[test]
    fn wraps_at_the_auto_reload_value_and_sets_the_update_flag() {
        let mut timer = GeneralPurposeTimer::new();
        timer.write(0x2C, 999, 0, 1_000_000);
        timer.write(0x00, 1, 0, 1_000_000);
        // 1 MHz without prescaler: 1 500 ticks after 1.5 ms.
        assert_eq!(timer.read(0x24, 1_500 * 1_000_000), 500);
        assert_eq!(timer.read(0x10, 1_500 * 1_000_000) & UIF, UIF);
        timer.write(0x10, 0, 1_600 * 1_000_000, 1_000_000);
        assert_eq!(timer.read(0x10, 1_700 * 1_000_000) & UIF, 0);
        assert_eq!(timer.read(0x24, 1_700 * 1_000_000), 700);
    }
}
