//! A free-running millisecond clock from TIM2, read by polling (no interrupt): TIM2 is a 32-bit
//! timer on APB1, clocked at 16 MHz from HSI after reset (RM0090 §18). Prescaled to 1 kHz it
//! counts milliseconds for 49 days and keeps counting while the CPU stalls on a flash erase.

use crate::{device, HSI_HZ};

/// TIM2, counting milliseconds since [`MillisecondTimer::start`].
pub struct MillisecondTimer {
    _private: (),
}

impl MillisecondTimer {
    /// Enables TIM2's clock and starts it at 1 kHz, from 0.
    ///
    /// Register order: RCC_APB1ENR.TIM2EN; TIM2_CR1 = 0 (stopped, up-counting); TIM2_PSC =
    /// 15 999; TIM2_ARR = 0xFFFF_FFFF; TIM2_CNT = 0; TIM2_EGR.UG (loads the prescaler);
    /// TIM2_SR = 0 (clears the UIF that UG set); TIM2_CR1.CEN.
    pub fn start() -> Self {
        let peripherals = device();
        peripherals
            .RCC
            .apb1enr()
            .modify(|_, w| w.tim2en().set_bit());
        let _ = peripherals.RCC.apb1enr().read();
        let timer = &peripherals.TIM2;
        // SAFETY: plain counter configuration (RM0090 §18.4): CR1 = 0 stops the counter,
        // PSC and ARR take any value, CNT = 0, EGR.UG loads the prescaler, SR = 0 clears
        // the update flag; no interrupt is enabled (DIER stays 0).
        unsafe {
            timer.cr1().write(|w| w.bits(0));
            timer.psc().write(|w| w.bits(HSI_HZ / 1000 - 1));
            timer.arr().write(|w| w.bits(u32::MAX));
            timer.cnt().write(|w| w.bits(0));
            timer.egr().write(|w| w.bits(1));
            timer.sr().write(|w| w.bits(0));
        }
        timer.cr1().modify(|_, w| w.cen().set_bit());
        Self { _private: () }
    }

    /// Milliseconds since [`Self::start`] (wraps after 2³² ms).
    pub fn milliseconds(&self) -> u32 {
        device().TIM2.cnt().read().bits()
    }
}
