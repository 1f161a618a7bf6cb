//! The independent watchdog (RM0090 §21, base 0x4000_3000), clocked by the LSI: key register
//! (start, reload, register access), prescaler and reload registers with their update flags;
//! when its counter reaches zero the board resets with `RCC_CSR.IWDGRSTF`. Once started it
//! runs until reset. With the hardware watchdog option (WDG_SW = 0) it runs from reset.
//!
//! The LSI is not precise: DS9405 gives 17–47 kHz (32 kHz typical), so every timeout the
//! firmware computes for 32 kHz is 0.68–1.88 times as long on a given chip; `lsi_hz` lets a
//! test run at either end.

/// LSI frequency (typical, DS9405: 32 kHz).
pub const LSI_HZ: u64 = 32_000;
/// The LSI's range over voltage and temperature (DS9405, "LSI oscillator characteristics").
pub const LSI_RANGE_HZ: (u64, u64) = (17_000, 47_000);
/// LSI cycles a PR or RLR update takes to reach the watchdog's domain (RM0090 §21.4.4: up to
/// 5 cycles of the RC oscillator), during which SR.PVU or SR.RVU reads 1.
const UPDATE_CYCLES: u64 = 5;

/// The watchdog state.
#[derive(Clone, Debug)]
pub struct IndependentWatchdog {
    prescaler: u32,
    reload: u32,
    access_enabled: bool,
    /// Modelled time (picoseconds) of the timeout, once started.
    pub expires_ps: Option<u64>,
    /// The LSI frequency of this chip.
    pub lsi_hz: u64,
    /// Until when (picoseconds) SR.PVU and SR.RVU read busy.
    prescaler_busy_until_ps: u64,
    reload_busy_until_ps: u64,
}

impl Default for IndependentWatchdog {
    fn default() -> Self {
        Self::new()
    }
}

impl IndependentWatchdog {
    /// The watchdog after reset (stopped, reload 0xFFF), at the typical LSI frequency.
    pub fn new() -> Self {
        Self::with_lsi(LSI_HZ)
    }

    /// The watchdog after reset with an LSI of `lsi_hz`.
    pub fn with_lsi(lsi_hz: u64) -> Self {
        Self {
            prescaler: 0,
            reload: 0xFFF,
            access_enabled: false,
            expires_ps: None,
            lsi_hz: lsi_hz.max(1),
            prescaler_busy_until_ps: 0,
            reload_busy_until_ps: 0,
        }
    }

    /// The timeout in picoseconds with the current prescaler and reload values.
    pub fn period_ps(&self) -> u64 {
        let divider = 4u64 << self.prescaler.min(6);
        (self.reload as u64 + 1) * divider * 1_000_000_000_000 / self.lsi_hz
    }

    /// Start counting from the reload value (the start key, or reset with the hardware
    /// watchdog option).
    pub fn start(&mut self, now_ps: u64) {
        self.expires_ps = Some(now_ps + self.period_ps());
    }

    /// Read a register.
    pub fn read(&self, offset: u32, now_ps: u64) -> u32 {
        match offset {
            0x04 => self.prescaler,
            0x08 => self.reload,
            0x0C => {
                u32::from(now_ps < self.prescaler_busy_until_ps)
                    | (u32::from(now_ps < self.reload_busy_until_ps) << 1)
            }
            _ => 0,
        }
    }

    /// Write a register.
    pub fn write(&mut self, offset: u32, value: u32, now_ps: u64) {
        let update_ps = UPDATE_CYCLES * 1_000_000_000_000 / self.lsi_hz;
        match (offset, value & 0xFFFF) {
            (0x00, 0xCCCC) => {
                self.access_enabled = false;
                self.start(now_ps);
            }
            (0x00, 0xAAAA) => {
                self.access_enabled = false;
                if self.expires_ps.is_some() {
                    self.start(now_ps);
                }
            }
            (0x00, 0x5555) => self.access_enabled = true,
            (0x04, _) if self.access_enabled => {
                self.prescaler = value & 0b111;
                self.prescaler_busy_until_ps = now_ps + update_ps;
            }
            (0x08, _) if self.access_enabled => {
                self.reload = value & 0xFFF;
                self.reload_busy_until_ps = now_ps + update_ps;
            }
            _ => {}
        }
    }
}
