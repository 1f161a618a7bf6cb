//! The board's user LEDs and user button, from the board table
//! (`slingshot_layout::Board::leds`, `button`): on the Nucleo-F429ZI LD1 green PB0, LD2 blue
//! PB7, LD3 red PB14 and B1 on PC13 (high while pressed); on a Nucleo-64 one green LED on PA5
//! and B1 on PC13 (low while pressed).

use crate::gpio::{self, enable_clock, port};
use slingshot_layout::boards::Pin;
use slingshot_layout::BUILD_BOARD;

/// A user LED by its role. Boards with fewer LEDs show every role on their first (green) one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Led {
    /// The heartbeat: the board's green LED.
    Green,
    /// Activity: the blue LED where the board has one.
    Blue,
    /// Failure: the red LED where the board has one.
    Red,
}

const GREEN: Pin = BUILD_BOARD.led_coloured("green").pin;
const BLUE: Pin = BUILD_BOARD.led_coloured("blue").pin;
const RED: Pin = BUILD_BOARD.led_coloured("red").pin;

impl Led {
    const fn pin(self) -> Pin {
        match self {
            Led::Green => GREEN,
            Led::Blue => BLUE,
            Led::Red => RED,
        }
    }

    /// Make the LED's pin a push-pull output (enables its GPIO port's clock).
    pub fn enable(self) {
        let pin = self.pin();
        enable_clock(pin);
        gpio::set_mode(pin, gpio::OUTPUT);
    }

    /// Turn the LED on or off (atomically, through BSRR).
    pub fn set(self, on: bool) {
        let number = u32::from(self.pin().number);
        let bit = if on { 1 << number } else { 1 << (number + 16) };
        // SAFETY: BSRR is write-only set/reset; writing one bit changes only that pin.
        port(self.pin()).bsrr().write(|w| unsafe { w.bits(bit) });
    }

    /// Whether the LED's output is driven high.
    pub fn is_on(self) -> bool {
        port(self.pin()).odr().read().bits() & (1 << self.pin().number) != 0
    }

    /// Invert the LED.
    pub fn toggle(self) {
        self.set(!self.is_on());
    }
}

/// Whether the user button is held (pressed level from the board table). Enables its GPIO
/// port's clock to read it.
pub fn button_held() -> bool {
    let button = BUILD_BOARD.button;
    enable_clock(button.pin);
    let high = port(button.pin).idr().read().bits() & (1 << button.pin.number) != 0;
    high == button.high_when_pressed
}
