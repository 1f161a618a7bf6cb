//! The board's user LEDs and user button, from the board table
//! (`slingshot_layout::Board::leds`, `button`): on the Nucleo-F429ZI LD1 green PB0, LD2 blue
//! PB7, LD3 red PB14 and B1 on PC13 (high while pressed); on a Nucleo-64 one green LED on PA5
//! and B1 on PC13 (low while pressed).

use crate::usart::{enable_port, gpio};
use slingshot_layout::boards::{Led as BoardLed, Pin};
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

/// The board's LED of `colour`, else its first LED.
const fn coloured(colour: &str) -> BoardLed {
    let leds = BUILD_BOARD.leds;
    let mut index = 0;
    while index < leds.len() {
        let name = leds[index].colour.as_bytes();
        let wanted = colour.as_bytes();
        if name.len() == wanted.len() {
            let mut position = 0;
            while position < name.len() && name[position] == wanted[position] {
                position += 1;
            }
            if position == name.len() {
                return leds[index];
            }
        }
        index += 1;
    }
    leds[0]
}

const GREEN: Pin = coloured("green").pin;
const BLUE: Pin = coloured("blue").pin;
const RED: Pin = coloured("red").pin;

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
        enable_port(pin);
        let shift = u32::from(pin.number) * 2;
        gpio(pin).moder().modify(|r, w| {
            // SAFETY: MODER takes any value; only this pin's two bits change, to 0b01 (output).
            unsafe { w.bits((r.bits() & !(0b11 << shift)) | (0b01 << shift)) }
        });
    }

    /// Turn the LED on or off (atomically, through BSRR).
    pub fn set(self, on: bool) {
        let number = u32::from(self.pin().number);
        let bit = if on { 1 << number } else { 1 << (number + 16) };
        // SAFETY: BSRR is write-only set/reset; writing one bit changes only that pin.
        gpio(self.pin()).bsrr().write(|w| unsafe { w.bits(bit) });
    }

    /// Whether the LED's output is driven high.
    pub fn is_on(self) -> bool {
        gpio(self.pin()).odr().read().bits() & (1 << self.pin().number) != 0
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
    enable_port(button.pin);
    let high = gpio(button.pin).idr().read().bits() & (1 << button.pin.number) != 0;
    high == button.high_when_pressed
}
