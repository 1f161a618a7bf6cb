//! The Nucleo-F429ZI's user LEDs as the twin sees them: which GPIO outputs they are, and the
//! log of their changes with the instruction count and modelled time of each.

use crate::board::Board;

/// A change of an LED (a GPIO output) seen by the twin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedEvent {
    /// Instructions executed when the change happened.
    pub instruction: u64,
    /// Modelled time of the change, in picoseconds since power-on of the twin.
    pub picoseconds: u64,
    /// Port letter and pin, e.g. `('B', 0)`.
    pub pin: (char, u32),
    /// New level.
    pub on: bool,
}

/// The LEDs of the Nucleo-F429ZI: LD1 green PB0, LD2 blue PB7, LD3 red PB14.
pub const LEDS: [(&str, usize, u32); 3] = [("LD1", 1, 0), ("LD2", 1, 7), ("LD3", 1, 14)];

impl Board {
    /// Record LED changes.
    pub fn track_leds(&mut self) {
        for (index, (_, port, pin)) in LEDS.iter().enumerate() {
            let gpio = &self.gpio[*port];
            let on = gpio.is_output(*pin) && gpio.output_level(*pin);
            if on != self.led_state[index] {
                self.led_state[index] = on;
                let pin = ((b'A' + *port as u8) as char, *pin);
                self.led_events.push(LedEvent {
                    instruction: self.instructions,
                    picoseconds: self.picoseconds(),
                    pin,
                    on,
                });
            }
        }
    }

    /// Current LED levels (LD1, LD2, LD3).
    pub fn leds(&self) -> [bool; 3] {
        self.led_state
    }
}
