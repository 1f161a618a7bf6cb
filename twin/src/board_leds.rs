//! The board's user LEDs as the twin sees them (the layout crate's board table: LD1–LD3 on
//! PB0/PB7/PB14 on the Nucleo-144 boards, LD2 on PA5 on the Nucleo-64 boards), and the log of
//! their changes with the instruction count and modelled time of each.

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

impl Board {
    /// Record LED changes.
    pub fn track_leds(&mut self) {
        for (index, led) in self.hardware.leds.iter().enumerate() {
            let (port, pin) = (led.pin.port_index() as usize, u32::from(led.pin.number));
            let gpio = &self.gpio[port];
            let on = gpio.is_output(pin) && gpio.output_level(pin);
            if on != self.led_state[index] {
                self.led_state[index] = on;
                let pin = (led.pin.port as char, pin);
                self.led_events.push(LedEvent {
                    instruction: self.instructions,
                    picoseconds: self.picoseconds(),
                    pin,
                    on,
                });
            }
        }
    }

    /// Current LED levels, in the board table's order (LD1, LD2, LD3 on a Nucleo-144).
    pub fn leds(&self) -> Vec<bool> {
        self.led_state.clone()
    }

    /// The name of the LED on `pin` (port letter, number), if one is there.
    pub fn led_name(&self, pin: (char, u32)) -> Option<&'static str> {
        self.hardware
            .leds
            .iter()
            .find(|led| led.pin.port as char == pin.0 && u32::from(led.pin.number) == pin.1)
            .map(|led| led.name)
    }
}
