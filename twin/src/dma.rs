//! DMA1 (RM0090 §10, base 0x4002_6000): eight streams with their `SxCR`, `SxNDTR`, `SxPAR`,
//! `SxM0AR`, `SxM1AR`, `SxFCR` registers and the `LISR`/`HISR` flags cleared through
//! `LIFCR`/`HIFCR`.
//!
//! A pure model of the controller's registers and counters: the board decides when a
//! peripheral requests a transfer (USART3_RX on stream 1 channel 4, USART3_TX on stream 3
//! channel 4) and moves the data; this module says where the next item goes, counts `NDTR`
//! down, reloads it in circular (and double-buffer) mode, raises `HTIF`/`TCIF`/`TEIF` and
//! disables a finished normal-mode stream. FIFO packing, bursts, priorities between streams,
//! the peripheral flow controller and `FEIF`/`DMEIF` are not modelled: every item is moved as
//! soon as it is requested, `PSIZE` bytes at a time.

/// Number of streams of one DMA controller.
pub const STREAMS: usize = 8;

/// `DMA_SxCR` bits.
pub mod control {
    /// Stream enable.
    pub const EN: u32 = 1 << 0;
    /// Interrupt enables: direct mode error, transfer error, half transfer, transfer complete.
    pub const INTERRUPT_ENABLES: u32 = 0b1_1110;
    /// Transfer error interrupt enable.
    pub const TEIE: u32 = 1 << 2;
    /// Half-transfer interrupt enable.
    pub const HTIE: u32 = 1 << 3;
    /// Transfer complete interrupt enable.
    pub const TCIE: u32 = 1 << 4;
    /// Peripheral flow controller (not modelled: reported).
    pub const PFCTRL: u32 = 1 << 5;
    /// Circular mode.
    pub const CIRC: u32 = 1 << 8;
    /// Peripheral address increment.
    pub const PINC: u32 = 1 << 9;
    /// Memory address increment.
    pub const MINC: u32 = 1 << 10;
    /// Double-buffer mode.
    pub const DBM: u32 = 1 << 18;
    /// Current target (memory 0 or 1) in double-buffer mode.
    pub const CT: u32 = 1 << 19;
}

/// Per-stream flags in `LISR`/`HISR` (shifted by [`flag_shift`]).
pub mod flag {
    /// FIFO error (not modelled, never set).
    pub const FEIF: u32 = 1 << 0;
    /// Direct mode error (not modelled, never set).
    pub const DMEIF: u32 = 1 << 2;
    /// Transfer error.
    pub const TEIF: u32 = 1 << 3;
    /// Half transfer.
    pub const HTIF: u32 = 1 << 4;
    /// Transfer complete.
    pub const TCIF: u32 = 1 << 5;
    /// All flags of one stream.
    pub const ALL: u32 = FEIF | DMEIF | TEIF | HTIF | TCIF;
}

/// Bit position of a stream's flags inside `LISR` (streams 0–3) or `HISR` (4–7).
pub fn flag_shift(stream: usize) -> u32 {
    [0, 6, 16, 22][stream % 4]
}

/// NVIC interrupt number of DMA1 stream `stream` (RM0090 table 62).
pub fn interrupt_number(stream: usize) -> u32 {
    if stream == 7 {
        47
    } else {
        11 + stream as u32
    }
}

/// Transfer direction (`SxCR.DIR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// 00: peripheral to memory.
    PeripheralToMemory,
    /// 01: memory to peripheral.
    MemoryToPeripheral,
    /// 10: memory to memory (DMA2 only).
    MemoryToMemory,
    /// 11: reserved.
    Reserved,
}

/// One stream's registers and transfer state.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// `SxCR`.
    pub control: u32,
    /// `SxNDTR`: items still to transfer.
    pub remaining: u32,
    /// The item count the stream was started with (reloaded in circular mode).
    pub programmed: u32,
    /// `SxPAR`.
    pub peripheral_address: u32,
    /// `SxM0AR` and `SxM1AR`.
    pub memory_address: [u32; 2],
    /// `SxFCR` (FTH, DMDIS, FEIE; FS reads "empty").
    pub fifo_control: u32,
    /// Items moved since the stream was enabled or last reloaded.
    pub transferred: u32,
    /// Modelled time (picoseconds) the stream was last enabled.
    pub enabled_ps: u64,
}

impl Stream {
    /// Whether `EN` is set.
    pub fn enabled(&self) -> bool {
        self.control & control::EN != 0
    }

    /// `CHSEL`: the request channel.
    pub fn channel(&self) -> u32 {
        (self.control >> 25) & 0b111
    }

    /// `DIR`.
    pub fn direction(&self) -> Direction {
        match (self.control >> 6) & 0b11 {
            0 => Direction::PeripheralToMemory,
            1 => Direction::MemoryToPeripheral,
            2 => Direction::MemoryToMemory,
            _ => Direction::Reserved,
        }
    }

    /// Size of one item in bytes (`PSIZE`: 1, 2 or 4); in direct mode the memory side uses
    /// the same size (RM0090 §10.3.11).
    pub fn item_size(&self) -> u32 {
        1 << ((self.control >> 11) & 0b11).min(2)
    }

    /// Whether the stream is enabled for `channel` in `direction` with items left to move.
    pub fn serves(&self, channel: u32, direction: Direction) -> bool {
        self.enabled()
            && self.channel() == channel
            && self.direction() == direction
            && self.remaining > 0
    }

    /// Memory address of the next item.
    pub fn next_memory_address(&self) -> u32 {
        let target =
            usize::from(self.control & control::DBM != 0 && self.control & control::CT != 0);
        let step = if self.control & control::MINC != 0 {
            self.item_size()
        } else {
            0
        };
        self.memory_address[target].wrapping_add(self.transferred.wrapping_mul(step))
    }

    /// Peripheral address of the next item.
    pub fn next_peripheral_address(&self) -> u32 {
        let step = if self.control & control::PINC != 0 {
            self.item_size()
        } else {
            0
        };
        self.peripheral_address
            .wrapping_add(self.transferred.wrapping_mul(step))
    }
}

/// DMA1: eight streams and their interrupt flags.
#[derive(Clone, Debug, Default)]
pub struct DmaController {
    /// The streams.
    pub streams: [Stream; STREAMS],
    /// `LISR` (streams 0–3) and `HISR` (4–7).
    pub interrupt_status: [u32; 2],
    /// Writes the chip would ignore or that use an unmodelled feature.
    pub diagnostics: Vec<String>,
}

impl DmaController {
    /// The controller after reset.
    pub fn new() -> Self {
        let mut controller = Self::default();
        for stream in &mut controller.streams {
            stream.fifo_control = 0x21;
        }
        controller
    }

    /// Whether any stream is enabled (the board then services requests).
    pub fn any_enabled(&self) -> bool {
        self.streams.iter().any(Stream::enabled)
    }

    /// Read a register at `offset` from the controller base.
    pub fn read(&self, offset: u32) -> u32 {
        match offset {
            0x00 => self.interrupt_status[0],
            0x04 => self.interrupt_status[1],
            0x08 | 0x0C => 0,
            0x10..=0xCC => {
                let stream = &self.streams[((offset - 0x10) / 0x18) as usize];
                match (offset - 0x10) % 0x18 {
                    0x00 => stream.control,
                    0x04 => stream.remaining,
                    0x08 => stream.peripheral_address,
                    0x0C => stream.memory_address[0],
                    0x10 => stream.memory_address[1],
                    _ => (stream.fifo_control & 0xC7) | 0x20,
                }
            }
            _ => 0,
        }
    }

    /// Write a register at `offset`; `now_ps` is the modelled time. Returns `true` when a
    /// stream was enabled (a request may already be waiting).
    pub fn write(&mut self, offset: u32, value: u32, now_ps: u64) -> bool {
        match offset {
            0x08 => self.interrupt_status[0] &= !(value & 0x0F7D_0F7D),
            0x0C => self.interrupt_status[1] &= !(value & 0x0F7D_0F7D),
            0x10..=0xCC => {
                let index = ((offset - 0x10) / 0x18) as usize;
                return self.write_stream(index, (offset - 0x10) % 0x18, value, now_ps);
            }
            _ => {}
        }
        false
    }

    fn write_stream(&mut self, index: usize, register: u32, value: u32, now_ps: u64) -> bool {
        let flags = self.flags(index);
        let stream = &mut self.streams[index];
        let enabled = stream.enabled();
        let mut ignored = false;
        match register {
            0x00 if enabled => {
                // Only EN (to stop) and the interrupt enables change while the stream runs.
                let writable = control::EN | control::INTERRUPT_ENABLES;
                ignored = (value ^ stream.control) & !writable != 0;
                stream.control = (stream.control & !writable) | (value & writable);
            }
            0x00 => {
                stream.control = value & 0x0FEF_FFFF;
                if stream.enabled() {
                    stream.programmed = stream.remaining;
                    stream.transferred = 0;
                    stream.enabled_ps = now_ps;
                    let mut messages = Vec::new();
                    if flags != 0 {
                        messages.push(format!(
                            "DMA1 stream {index} enabled with flags 0x{flags:02x} still set (RM0090 §10.3.17: clear them first)"
                        ));
                    }
                    if stream.remaining == 0 {
                        messages.push(format!("DMA1 stream {index} enabled with NDTR = 0"));
                    }
                    if value & control::PFCTRL != 0 {
                        messages.push(format!(
                            "DMA1 stream {index}: peripheral flow control is not modelled"
                        ));
                    }
                    self.diagnostics.extend(messages);
                    return true;
                }
            }
            0x04 if !enabled => stream.remaining = value & 0xFFFF,
            0x08 if !enabled => stream.peripheral_address = value,
            0x0C | 0x10 => {
                let target = ((register - 0x0C) / 4) as usize;
                let in_use = usize::from(stream.control & control::CT != 0);
                if !enabled || (stream.control & control::DBM != 0 && target != in_use) {
                    stream.memory_address[target] = value;
                } else {
                    ignored = true;
                }
            }
            0x14 if !enabled => stream.fifo_control = value & 0x87,
            _ => ignored = true,
        }
        if ignored {
            self.diagnostics.push(format!(
                "write 0x{value:08x} to DMA1 stream {index} register +0x{register:02x} ignored while EN = 1"
            ));
        }
        false
    }

    /// The flags of one stream (unshifted, [`flag`] bits).
    pub fn flags(&self, stream: usize) -> u32 {
        (self.interrupt_status[stream / 4] >> flag_shift(stream)) & flag::ALL
    }

    fn set_flags(&mut self, stream: usize, bits: u32) {
        self.interrupt_status[stream / 4] |= bits << flag_shift(stream);
    }

    /// One item of `stream` was moved: count `NDTR` down, set `HTIF`/`TCIF`, reload in
    /// circular mode (switching buffers in double-buffer mode) or disable the stream.
    pub fn item_transferred(&mut self, index: usize) {
        let stream = &mut self.streams[index];
        stream.remaining = stream.remaining.saturating_sub(1);
        stream.transferred += 1;
        let mut flags = 0;
        if stream.programmed >= 2 && stream.transferred == stream.programmed / 2 {
            flags |= flag::HTIF;
        }
        if stream.remaining == 0 {
            flags |= flag::TCIF;
            if stream.control & (control::CIRC | control::DBM) != 0 {
                stream.remaining = stream.programmed;
                stream.transferred = 0;
                if stream.control & control::DBM != 0 {
                    stream.control ^= control::CT;
                }
            } else {
                stream.control &= !control::EN;
            }
        }
        self.set_flags(index, flags);
    }

    /// A bus error on `stream` (an address the DMA cannot reach): `TEIF`, stream disabled.
    pub fn transfer_error(&mut self, index: usize, address: u32) {
        self.streams[index].control &= !control::EN;
        self.set_flags(index, flag::TEIF);
        self.diagnostics.push(format!(
            "DMA1 stream {index}: transfer error at 0x{address:08x} (not reachable by DMA1)"
        ));
    }

    /// Whether `stream` requests its interrupt (a flag set with its enable bit).
    pub fn interrupt_requested(&self, stream: usize) -> bool {
        let control = self.streams[stream].control;
        let flags = self.flags(stream);
        (flags & flag::TCIF != 0 && control & control::TCIE != 0)
            || (flags & flag::HTIF != 0 && control & control::HTIE != 0)
            || (flags & flag::TEIF != 0 && control & control::TEIE != 0)
    }
}

/// A write to memory made by DMA, waiting to be copied into the emulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaMemoryWrite {
    /// Address written.
    pub address: u32,
    /// Value (little-endian, `size` bytes).
    pub value: u32,
    /// Bytes: 1, 2 or 4.
    pub size: u32,
    /// Core cycle (since power-on) from which the write is visible.
    pub due_cycles: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_register(stream: u32, register: u32) -> u32 {
        0x10 + 0x18 * stream + register
    }

    #[test]
    fn registers_are_protected_while_the_stream_runs() {
        let mut dma = DmaController::new();
        dma.write(stream_register(1, 0x04), 16, 0);
        dma.write(stream_register(1, 0x08), 0x4000_4804, 0);
        assert!(dma.write(stream_register(1, 0x00), 0x0800_0501, 5));
        assert_eq!(dma.streams[1].enabled_ps, 5);
        dma.write(stream_register(1, 0x04), 3, 0);
        dma.write(stream_register(1, 0x00), 0x0800_0511, 0);
        assert_eq!(dma.read(stream_register(1, 0x04)), 16, "NDTR kept");
        assert_eq!(
            dma.read(stream_register(1, 0x00)),
            0x0800_0511,
            "TCIE writable"
        );
        assert_eq!(dma.diagnostics.len(), 1);
        dma.write(stream_register(1, 0x00), 0x0800_0500, 0);
        assert!(!dma.streams[1].enabled());
    }

    #[test]
    fn normal_mode_stops_at_zero_and_flags_clear_through_the_clear_register() {
        let mut dma = DmaController::new();
        dma.write(stream_register(3, 0x04), 4, 0);
        dma.write(stream_register(3, 0x0C), 0x2000_0000, 0);
        dma.write(stream_register(3, 0x00), 0x0800_0441, 0);
        assert_eq!(dma.streams[3].next_memory_address(), 0x2000_0000);
        for _ in 0..4 {
            dma.item_transferred(3);
        }
        assert_eq!(dma.streams[3].next_memory_address(), 0x2000_0004);
        assert!(!dma.streams[3].enabled());
        assert_eq!(dma.read(0x00), (flag::HTIF | flag::TCIF) << 22);
        dma.write(0x08, flag::TCIF << 22, 0);
        assert_eq!(dma.read(0x00), flag::HTIF << 22);
    }

    #[test]
    fn double_buffer_mode_switches_targets_at_each_reload() {
        let mut dma = DmaController::new();
        dma.write(stream_register(5, 0x04), 2, 0);
        dma.write(stream_register(5, 0x0C), 0x2000_0000, 0);
        dma.write(stream_register(5, 0x10), 0x2000_1000, 0);
        dma.write(
            stream_register(5, 0x00),
            control::DBM | control::MINC | control::EN,
            0,
        );
        dma.item_transferred(5);
        dma.item_transferred(5);
        assert_eq!(dma.streams[5].next_memory_address(), 0x2000_1000);
        // Memory 0 is free now and may be reprogrammed while the stream runs.
        dma.write(stream_register(5, 0x0C), 0x2000_2000, 0);
        assert_eq!(dma.streams[5].memory_address[0], 0x2000_2000);
        assert_eq!(dma.flags(5), flag::HTIF | flag::TCIF);
        assert_eq!(interrupt_number(5), 16);
    }
}
