//! Reset and clock control (RM0090 §6, base 0x4002_3800): oscillator enable and ready bits with
//! modelled start-up delays, the PLL, the system clock switch and bus prescalers, peripheral
//! clock enables and resets, and the reset-cause flags in `RCC_CSR`.

/// HSI frequency.
pub const HSI_HZ: u64 = 16_000_000;
/// HSE frequency on the Nucleo-F429ZI (8 MHz from the ST-LINK, bypass mode).
pub const HSE_HZ: u64 = 8_000_000;
/// Modelled HSE start-up (bypass: the clock is already there; a few microseconds).
pub const HSE_STARTUP_PS: u64 = 5_000_000;
/// Modelled PLL lock time (DS9405 tLOCK, 100 µs maximum; typical used here is 100 µs).
pub const PLL_LOCK_PS: u64 = 100_000_000;

/// `RCC_CR` bits the model handles.
pub mod control {
    /// HSI on.
    pub const HSION: u32 = 1 << 0;
    /// HSI ready.
    pub const HSIRDY: u32 = 1 << 1;
    /// HSE on.
    pub const HSEON: u32 = 1 << 16;
    /// HSE ready.
    pub const HSERDY: u32 = 1 << 17;
    /// HSE bypass.
    pub const HSEBYP: u32 = 1 << 18;
    /// PLL on.
    pub const PLLON: u32 = 1 << 24;
    /// PLL ready.
    pub const PLLRDY: u32 = 1 << 25;
}

/// Why the chip last reset, as flags of `RCC_CSR` (bits 25–31).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetCause {
    /// Power-on (POR, BOR and pin flags).
    PowerOn,
    /// `AIRCR.SYSRESETREQ` (software and pin flags).
    Software,
    /// Independent watchdog timeout (watchdog and pin flags).
    IndependentWatchdog,
}

impl ResetCause {
    fn flags(self) -> u32 {
        const PIN: u32 = 1 << 26;
        match self {
            ResetCause::PowerOn => PIN | (1 << 27) | (1 << 25),
            ResetCause::Software => PIN | (1 << 28),
            ResetCause::IndependentWatchdog => PIN | (1 << 29),
        }
    }
}

/// The RCC registers and oscillator state.
#[derive(Clone, Debug)]
pub struct Rcc {
    control: u32,
    pll_configuration: u32,
    configuration: u32,
    /// Enable registers: AHB1, AHB2, AHB3, APB1, APB2 (offsets 0x30, 0x34, 0x38, 0x40, 0x44).
    enables: [u32; 5],
    /// Reset registers at the same relative positions (0x10 …).
    resets: [u32; 5],
    status: u32,
    hse_ready_ps: Option<u64>,
    pll_ready_ps: Option<u64>,
}

impl Rcc {
    /// RCC after a reset with the given cause; the reset flags accumulate until RMVF.
    pub fn new(cause: ResetCause, previous_flags: u32) -> Self {
        Self {
            control: 0x0000_0083,
            pll_configuration: 0x2400_3010,
            configuration: 0,
            enables: [0x0010_0000, 0, 0, 0, 0],
            resets: [0; 5],
            status: previous_flags | cause.flags(),
            hse_ready_ps: None,
            pll_ready_ps: None,
        }
    }

    /// The reset-cause flags (`RCC_CSR` bits 24–31) to carry over a warm reset.
    pub fn reset_flags(&self) -> u32 {
        self.status & 0xFE00_0000
    }

    /// Whether a register exists at `offset`.
    pub fn has_register(offset: u32) -> bool {
        offset <= 0x8C
    }

    fn bus_index(offset: u32) -> Option<usize> {
        match offset {
            0x00 | 0x20 => Some(0),
            0x04 => Some(1),
            0x08 => Some(2),
            0x10 => Some(3),
            0x14 => Some(4),
            _ => None,
        }
    }

    /// Read a register.
    pub fn read(&mut self, offset: u32, now_ps: u64) -> u32 {
        self.update(now_ps);
        match offset {
            0x00 => self.control,
            0x04 => self.pll_configuration,
            0x08 => self.configuration,
            0x10..=0x24 => Self::bus_index(offset - 0x10).map_or(0, |index| self.resets[index]),
            0x30..=0x44 => Self::bus_index(offset - 0x30).map_or(0, |index| self.enables[index]),
            0x74 => self.status,
            _ => 0,
        }
    }

    /// Write a register. Returns `true` when clock frequencies may have changed.
    pub fn write(&mut self, offset: u32, value: u32, now_ps: u64) -> bool {
        self.update(now_ps);
        match offset {
            0x00 => {
                let turned_on = value & !self.control;
                let writable = control::HSION | control::HSEON | control::HSEBYP | control::PLLON;
                self.control = (self.control & !writable) | (value & writable);
                if turned_on & control::HSEON != 0 {
                    self.hse_ready_ps = Some(now_ps + HSE_STARTUP_PS);
                }
                if value & control::HSEON == 0 {
                    self.control &= !control::HSERDY;
                    self.hse_ready_ps = None;
                }
                if turned_on & control::PLLON != 0 {
                    self.pll_ready_ps = Some(now_ps + PLL_LOCK_PS);
                }
                if value & control::PLLON == 0 {
                    self.control &= !control::PLLRDY;
                    self.pll_ready_ps = None;
                }
                true
            }
            0x04 => {
                if self.control & control::PLLON == 0 {
                    self.pll_configuration = value;
                }
                true
            }
            0x08 => {
                self.configuration = (self.configuration & 0b1100) | (value & !0b1100);
                self.update(now_ps);
                true
            }
            0x10..=0x24 => {
                if let Some(index) = Self::bus_index(offset - 0x10) {
                    self.resets[index] = value;
                }
                false
            }
            0x30..=0x44 => {
                if let Some(index) = Self::bus_index(offset - 0x30) {
                    self.enables[index] = value;
                }
                false
            }
            0x74 => {
                self.status = (self.status & 0xFF00_0000) | (value & 0x1);
                if value & (1 << 24) != 0 {
                    self.status &= 0x00FF_FFFF;
                }
                false
            }
            _ => false,
        }
    }

    /// Apply ready bits whose time has come and follow the clock switch.
    pub fn update(&mut self, now_ps: u64) {
        if self.hse_ready_ps.is_some_and(|ready| ready <= now_ps) {
            self.control |= control::HSERDY;
            self.hse_ready_ps = None;
        }
        if self.pll_ready_ps.is_some_and(|ready| ready <= now_ps) {
            self.control |= control::PLLRDY;
            self.pll_ready_ps = None;
        }
        let requested = self.configuration & 0b11;
        let ready = match requested {
            0 => self.control & control::HSIRDY != 0,
            1 => self.control & control::HSERDY != 0,
            2 => self.control & control::PLLRDY != 0,
            _ => false,
        };
        if ready {
            self.configuration = (self.configuration & !0b1100) | (requested << 2);
        }
    }

    /// The next time a ready bit appears, if one is pending.
    pub fn next_event_ps(&self) -> Option<u64> {
        match (self.hse_ready_ps, self.pll_ready_ps) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The system clock in Hz (from `CFGR.SWS`).
    pub fn system_clock_hz(&self) -> u64 {
        match (self.configuration >> 2) & 0b11 {
            1 => HSE_HZ,
            2 => {
                let pll = self.pll_configuration;
                let source = if pll & (1 << 22) != 0 { HSE_HZ } else { HSI_HZ };
                let divider_m = (pll & 0x3F).max(2) as u64;
                let multiplier_n = ((pll >> 6) & 0x1FF).max(2) as u64;
                let divider_p = 2 * (((pll >> 16) & 0b11) as u64 + 1);
                source / divider_m * multiplier_n / divider_p
            }
            _ => HSI_HZ,
        }
    }

    /// What RM0090 §6.3.2 (RCC_PLLCFGR) and DS9405 forbid in the PLL configuration, checked
    /// while the PLL is on: VCO input (source ÷ PLLM) 1–2 MHz — the datasheet allows 0.95–2.10
    /// MHz — VCO output 100–432 MHz, the main output (÷ PLLP) at most `maximum_output_hz` (the
    /// part's highest clock in its reset voltage scale: 168 MHz on the F429, 180 MHz only with
    /// the over-drive mode, which the twin does not model), the 48 MHz domain (÷ PLLQ, 2–15) at
    /// most 48 MHz.
    pub fn pll_limit_violations(&self, maximum_output_hz: u32) -> Vec<String> {
        let mut violations = Vec::new();
        if self.control & control::PLLON == 0 {
            return violations;
        }
        let pll = self.pll_configuration;
        let source = if pll & (1 << 22) != 0 { HSE_HZ } else { HSI_HZ };
        let divider_m = (pll & 0x3F) as u64;
        let multiplier_n = ((pll >> 6) & 0x1FF) as u64;
        let divider_p = 2 * (((pll >> 16) & 0b11) as u64 + 1);
        let divider_q = ((pll >> 24) & 0xF) as u64;
        if divider_m < 2 {
            violations.push(format!("RCC_PLLCFGR.PLLM {divider_m} is below 2"));
            return violations;
        }
        let input = source / divider_m;
        if !(950_000..=2_100_000).contains(&input) {
            violations.push(format!(
                "PLL VCO input {input} Hz is outside 0.95-2.1 MHz (PLLM {divider_m})"
            ));
        }
        let vco = input * multiplier_n;
        if !(100_000_000..=432_000_000).contains(&vco) {
            violations.push(format!(
                "PLL VCO output {vco} Hz is outside 100-432 MHz (PLLN {multiplier_n})"
            ));
        }
        let output = vco / divider_p;
        if output > u64::from(maximum_output_hz) {
            violations.push(format!(
                "PLL output {output} Hz exceeds the part's {maximum_output_hz} Hz (higher clocks \
                 need voltage scale 1 or the over-drive mode)"
            ));
        }
        if divider_q < 2 || vco / divider_q > 48_000_000 {
            violations.push(format!(
                "PLL48CK {} Hz exceeds 48 MHz or PLLQ {divider_q} is below 2",
                vco / divider_q.max(1)
            ));
        }
        violations
    }

    /// PCLK2 (APB2) in Hz.
    pub fn apb2_clock_hz(&self) -> u64 {
        let ppre2 = (self.configuration >> 13) & 0b111;
        let divider = if ppre2 < 4 { 1 } else { 1 << (ppre2 - 3) };
        self.core_clock_hz() / divider
    }

    /// HCLK (AHB clock, the core clock) in Hz.
    pub fn core_clock_hz(&self) -> u64 {
        let hpre = (self.configuration >> 4) & 0xF;
        let divider = if hpre < 8 {
            1
        } else {
            [2, 4, 8, 16, 64, 128, 256, 512][hpre as usize - 8]
        };
        self.system_clock_hz() / divider
    }

    /// PCLK1 (APB1, clocks USART3 and IWDG registers) in Hz.
    pub fn apb1_clock_hz(&self) -> u64 {
        let ppre1 = (self.configuration >> 10) & 0b111;
        let divider = if ppre1 < 4 { 1 } else { 1 << (ppre1 - 3) };
        self.core_clock_hz() / divider
    }

    /// Whether an AHB1 peripheral clock (bit of `RCC_AHB1ENR`) is enabled.
    pub fn ahb1_enabled(&self, bit: u32) -> bool {
        self.enables[0] & (1 << bit) != 0
    }

    /// Whether an APB1 peripheral clock (bit of `RCC_APB1ENR`) is enabled.
    pub fn apb1_enabled(&self, bit: u32) -> bool {
        self.enables[3] & (1 << bit) != 0
    }

    /// Whether an AHB1 peripheral is held in reset (bit of `RCC_AHB1RSTR`).
    pub fn ahb1_in_reset(&self, bit: u32) -> bool {
        self.resets[0] & (1 << bit) != 0
    }

    /// Whether an APB1 peripheral is held in reset (bit of `RCC_APB1RSTR`).
    pub fn apb1_in_reset(&self, bit: u32) -> bool {
        self.resets[3] & (1 << bit) != 0
    }
}
