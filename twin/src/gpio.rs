//! General-purpose I/O ports A–K (RM0090 §8, base 0x4002_0000, 0x400 apart): mode, output data,
//! set/reset and input data registers. Pins configured as outputs drive the LEDs; input pins read
//! the externally applied level (the user button PC13, active high).

/// One GPIO port.
#[derive(Clone, Debug)]
pub struct GpioPort {
    mode: u32,
    other: [u32; 4],
    output: u32,
    alternate: [u32; 2],
    /// Level applied from outside to each pin (bit n = pin n).
    pub external_input: u32,
}

impl GpioPort {
    /// A port at its reset values (`index` 0 = port A, which resets with the debug pins set).
    pub fn new(index: usize) -> Self {
        let mode = match index {
            0 => 0xA800_0000,
            1 => 0x0000_0280,
            _ => 0,
        };
        Self {
            mode,
            other: [0; 4],
            output: 0,
            alternate: [0; 2],
            external_input: 0,
        }
    }

    /// Whether pin `pin` is configured as a general-purpose output.
    pub fn is_output(&self, pin: u32) -> bool {
        (self.mode >> (2 * pin)) & 0b11 == 0b01
    }

    /// The level driven on pin `pin` (only meaningful for outputs).
    pub fn output_level(&self, pin: u32) -> bool {
        self.output & (1 << pin) != 0
    }

    fn input_data(&self) -> u32 {
        let mut value = 0;
        for pin in 0..16 {
            let level = if self.is_output(pin) {
                self.output_level(pin)
            } else {
                self.external_input & (1 << pin) != 0
            };
            value |= (level as u32) << pin;
        }
        value
    }

    /// Read a register.
    pub fn read(&self, offset: u32) -> u32 {
        match offset {
            0x00 => self.mode,
            0x04 | 0x08 | 0x0C | 0x1C => self.other[((offset - 4) / 4).min(3) as usize],
            0x10 => self.input_data(),
            0x14 => self.output,
            0x20 => self.alternate[0],
            0x24 => self.alternate[1],
            _ => 0,
        }
    }

    /// Write a register.
    pub fn write(&mut self, offset: u32, value: u32) {
        match offset {
            0x00 => self.mode = value,
            0x04 | 0x08 | 0x0C | 0x1C => self.other[((offset - 4) / 4).min(3) as usize] = value,
            0x14 => self.output = value & 0xFFFF,
            0x18 => self.output = (self.output | (value & 0xFFFF)) & !(value >> 16),
            0x20 => self.alternate[0] = value,
            0x24 => self.alternate[1] = value,
            _ => {}
        }
    }
}
