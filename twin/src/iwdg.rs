//! The independent watchdog (RM0090 §21, base 0x4000_3000), clocked by the 32 kHz LSI: key
//! register (start, reload, register access), prescaler and reload registers; when its counter
//! reaches zero the board resets with `RCC_CSR.IWDGRSTF`. Once started it runs until reset.

/// LSI frequency (typical, DS9405: 32 kHz).
pub const LSI_HZ: u64 = 32_000;

/// The watchdog state.
#[derive(Clone, Debug, Default)]
pub struct IndependentWatchdog {
    prescaler: u32,
    reload: u32,
    access_enabled: bool,
    /// Modelled time (picoseconds) of the timeout, once started.
    pub expires_ps: Option<u64>,
}

impl IndependentWatchdog {
    /// The watchdog after reset (stopped, reload 0xFFF).
    pub fn new() -> Self {
        Self {
            prescaler: 0,
            reload: 0xFFF,
            access_enabled: false,
            expires_ps: None,
        }
    }

    fn period_ps(&self) -> u64 {
        let divider = 4u64 << self.prescaler.min(6);
        (self.reload as u64 + 1) * divider * 1_000_000_000_000 / LSI_HZ
    }

    /// Read a register.
    pub fn read(&self, offset: u32) -> u32 {
        match offset {
            0x04 => self.prescaler,
            0x08 => self.reload,
            _ => 0,
        }
    }

    /// Write a register.
    pub fn write(&mut self, offset: u32, value: u32, now_ps: u64) {
        match (offset, value & 0xFFFF) {
            (0x00, 0xCCCC) => {
                self.access_enabled = false;
                self.expires_ps = Some(now_ps + self.period_ps());
            }
            (0x00, 0xAAAA) => {
                self.access_enabled = false;
                if self.expires_ps.is_some() {
                    self.expires_ps = Some(now_ps + self.period_ps());
                }
            }
            (0x00, 0x5555) => self.access_enabled = true,
            (0x04, _) if self.access_enabled => self.prescaler = value & 0b111,
            (0x08, _) if self.access_enabled => self.reload = value & 0xFFF,
            _ => {}
        }
    }
}
