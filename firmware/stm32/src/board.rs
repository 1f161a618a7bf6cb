//! The Nucleo-F429ZI's LEDs (LD1 green PB0, LD2 blue PB7, LD3 red PB14) and its user button
//! B1 (PC13, high while pressed).

use crate::device;

/// One of the three user LEDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Led {
    /// LD1, green, PB0.
    Green,
    /// LD2, blue, PB7.
    Blue,
    /// LD3, red, PB14.
    Red,
}

impl Led {
    const fn pin(self) -> u32 {
        match self {
            Led::Green => 0,
            Led::Blue => 7,
            Led::Red => 14,
        }
    }

    /// Make the LED's pin a push-pull output (enables the GPIOB clock).
    pub fn enable(self) {
        let peripherals = device();
        peripherals
            .RCC
            .ahb1enr()
            .modify(|_, w| w.gpioben().set_bit());
        let _ = peripherals.RCC.ahb1enr().read();
        let shift = self.pin() * 2;
        peripherals.GPIOB.moder().modify(|r, w| {
            // SAFETY: MODER takes any value; only this pin's two bits change, to 0b01 (output).
            unsafe { w.bits((r.bits() & !(0b11 << shift)) | (0b01 << shift)) }
        });
    }

    /// Turn the LED on or off (atomically, through BSRR).
    pub fn set(self, on: bool) {
        let bit = if on {
            1 << self.pin()
        } else {
            1 << (self.pin() + 16)
        };
        // SAFETY: BSRR is write-only set/reset; writing one bit changes only that pin.
        device().GPIOB.bsrr().write(|w| unsafe { w.bits(bit) });
    }

    /// Whether the LED's output is driven high.
    pub fn is_on(self) -> bool {
        device().GPIOB.odr().read().bits() & (1 << self.pin()) != 0
    }

    /// Invert the LED.
    pub fn toggle(self) {
        self.set(!self.is_on());
    }
}

/// Whether the user button B1 (PC13) is held. Enables the GPIOC clock to read it.
pub fn button_held() -> bool {
    let peripherals = device();
    peripherals
        .RCC
        .ahb1enr()
        .modify(|_, w| w.gpiocen().set_bit());
    let _ = peripherals.RCC.ahb1enr().read();
    peripherals.GPIOC.idr().read().idr13().bit_is_set()
}
