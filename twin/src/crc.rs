//! The CRC calculation unit (RM0090 §4, base 0x4002_3000): CRC-32 with polynomial 0x04C1_1DB7,
//! initial value 0xFFFF_FFFF, 32-bit words fed most significant bit first, no reflection and no
//! final XOR (what the host computes as CRC-32/MPEG-2 over each word's big-endian bytes).

/// The CRC unit's registers.
#[derive(Clone, Debug)]
pub struct CrcUnit {
    data: u32,
    independent: u8,
}

impl Default for CrcUnit {
    fn default() -> Self {
        Self {
            data: 0xFFFF_FFFF,
            independent: 0,
        }
    }
}

/// One CRC step over a 32-bit word, as the hardware does it.
pub fn crc32_word(mut crc: u32, word: u32) -> u32 {
    crc ^= word;
    for _ in 0..32 {
        crc = if crc & 0x8000_0000 != 0 {
            (crc << 1) ^ 0x04C1_1DB7
        } else {
            crc << 1
        };
    }
    crc
}

impl CrcUnit {
    /// Read `CRC_DR` (0x00), `CRC_IDR` (0x04) or `CRC_CR` (0x08).
    pub fn read(&self, offset: u32) -> u32 {
        match offset {
            0x00 => self.data,
            0x04 => self.independent as u32,
            _ => 0,
        }
    }

    /// Write a register: a word to `CRC_DR` feeds the calculation; `CRC_CR.RESET` restarts it.
    pub fn write(&mut self, offset: u32, value: u32) {
        match offset {
            0x00 => self.data = crc32_word(self.data, value),
            0x04 => self.independent = value as u8,
            0x08 if value & 1 != 0 => self.data = 0xFFFF_FFFF,
            _ => {}
        }
    }
}
