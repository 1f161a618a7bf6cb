//! The power controller's voltage scaling (PWR_CR.VOS and PWR_CSR.VOSRDY, base 0x4000_7000),
//! the part of PWR the bootloader uses: the F411, F412 and F413 reach 100 MHz only in voltage
//! scale 1, which software selects while the PLL is off and which takes effect once the PLL
//! runs (RM0383, RM0402, RM0430 "PWR power control register" and "PWR power control/status
//! register").
//!
//! What is modelled: VOS (bits 15:14) with its reset value — scale 2 (0b10) on the parts whose
//! reset scale stops below their highest clock (`ClockLimits::reset_scale_hz`), scale 1 (0b11)
//! on the others; writes to VOS while the PLL is on are ignored, as the manuals say they must
//! not be made then (and a diagnostic says so); VOSRDY reads 1 while the PLL is locked. The
//! other PWR_CR bits are stored and read back without effect. The clock limit the board checks
//! follows the scale in effect ([`VoltageRegulator::hclk_limit_hz`]).

use slingshot_layout::parts::ClockLimits;

/// PWR_CR.VOS.
const VOLTAGE_SCALE_MASK: u32 = 0b11 << 14;
/// VOS = scale 1.
const VOLTAGE_SCALE_1: u32 = 0b11 << 14;
/// VOS = scale 2.
const VOLTAGE_SCALE_2: u32 = 0b10 << 14;
/// PWR_CSR.VOSRDY.
const VOLTAGE_SCALE_READY: u32 = 1 << 14;

/// The PWR registers the twin models.
#[derive(Clone, Debug)]
pub struct VoltageRegulator {
    control: u32,
    limits: ClockLimits,
}

impl VoltageRegulator {
    /// PWR after a reset of a part with `limits`.
    pub fn new(limits: ClockLimits) -> Self {
        let control = if limits.raises_voltage_scale() {
            VOLTAGE_SCALE_2
        } else {
            VOLTAGE_SCALE_1
        };
        Self { control, limits }
    }

    /// Read PWR_CR (0x00) or PWR_CSR (0x04); `pll_locked` is RCC_CR.PLLRDY.
    pub fn read(&self, offset: u32, pll_locked: bool) -> u32 {
        match offset {
            0x00 => self.control,
            0x04 if pll_locked => VOLTAGE_SCALE_READY,
            _ => 0,
        }
    }

    /// Write PWR_CR; returns a diagnostic when VOS was written while the PLL was on.
    pub fn write(&mut self, offset: u32, value: u32, pll_on: bool) -> Option<String> {
        if offset != 0x00 {
            return None;
        }
        let scale_changed = (value ^ self.control) & VOLTAGE_SCALE_MASK != 0;
        if scale_changed && pll_on {
            self.control = (value & !VOLTAGE_SCALE_MASK) | (self.control & VOLTAGE_SCALE_MASK);
            return Some(format!(
                "PWR_CR.VOS written with the PLL on (0x{value:08x}): VOS changes only while the \
                 PLL is off"
            ));
        }
        self.control = value;
        None
    }

    /// The highest HCLK the scale in effect allows: the part's highest clock in scale 1, its
    /// reset scale's limit otherwise.
    pub fn hclk_limit_hz(&self) -> u32 {
        if self.control & VOLTAGE_SCALE_MASK == VOLTAGE_SCALE_1 {
            self.limits.system_hz
        } else {
            self.limits.reset_scale_hz
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slingshot_layout::parts::{STM32F412ZG, STM32F429ZI};

    #[test]
    fn scale_1_lifts_the_limit_of_a_100_mhz_part_and_changes_only_with_the_pll_off() {
        let mut regulator = VoltageRegulator::new(STM32F412ZG.clock);
        assert_eq!(regulator.read(0, false), VOLTAGE_SCALE_2, "reset: scale 2");
        assert_eq!(regulator.hclk_limit_hz(), 84_000_000);
        assert!(regulator.write(0, VOLTAGE_SCALE_1, true).is_some());
        assert_eq!(
            regulator.hclk_limit_hz(),
            84_000_000,
            "ignored with the PLL on"
        );
        assert!(regulator.write(0, VOLTAGE_SCALE_1, false).is_none());
        assert_eq!(regulator.hclk_limit_hz(), 100_000_000);
        assert_eq!(regulator.read(4, false), 0);
        assert_eq!(regulator.read(4, true), VOLTAGE_SCALE_READY);
        // A 168 MHz part resets in scale 1 and keeps its limit.
        let f429 = VoltageRegulator::new(STM32F429ZI.clock);
        assert_eq!(f429.hclk_limit_hz(), 168_000_000);
    }
}
