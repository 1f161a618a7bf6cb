//! USART3 (RM0090 §30, base 0x4000_4800), the ST-LINK virtual COM port of the Nucleo-F429ZI.
//!
//! Bytes move at the configured baud rate: each frame takes `(1 + data bits + stop bits)` bit
//! times of `BRR` APB1 clocks (16× oversampling; `OVER8` halves the bit time). Transmit has the
//! data register plus the shift register (`TXE`, `TC`); receive takes a byte from the host queue
//! every frame time while `UE` and `RE` are set, and sets `ORE` (dropping the new byte) when the
//! previous one was not read in time. Parity, break, LIN, IrDA, smartcard and hardware flow
//! control are not modelled.
//!
//! DMA (RM0090 §30.6.7): with `CR3.DMAR` every received byte is offered to the DMA controller
//! the moment it lands in `DR` (the board's callback moves it to memory and clears `RXNE`, so
//! nothing overruns while the stream runs); with `CR3.DMAT` an empty transmit data register is a
//! request the board serves by writing `DR` at the time `TXE` rose
//! ([`Usart::transmit_request_ps`]).

use std::collections::VecDeque;

/// `USART_SR` bits.
pub mod status {
    /// Overrun error.
    pub const ORE: u32 = 1 << 3;
    /// Idle line detected (not modelled, never set).
    pub const IDLE: u32 = 1 << 4;
    /// Read data register not empty.
    pub const RXNE: u32 = 1 << 5;
    /// Transmission complete.
    pub const TC: u32 = 1 << 6;
    /// Transmit data register empty.
    pub const TXE: u32 = 1 << 7;
}

const CR1_UE: u32 = 1 << 13;
const CR1_M: u32 = 1 << 12;
const CR1_OVER8: u32 = 1 << 15;
const CR1_TE: u32 = 1 << 3;
const CR1_RE: u32 = 1 << 2;
const CR1_RXNEIE: u32 = 1 << 5;
const CR1_TCIE: u32 = 1 << 6;
const CR1_TXEIE: u32 = 1 << 7;
/// `CR3.DMAR`: receive requests go to the DMA controller.
pub const CR3_DMAR: u32 = 1 << 6;
/// `CR3.DMAT`: transmit requests go to the DMA controller.
pub const CR3_DMAT: u32 = 1 << 7;

/// The USART state.
#[derive(Clone, Debug)]
pub struct Usart {
    status: u32,
    received: u8,
    baud_rate_register: u32,
    control: [u32; 3],
    guard: u32,
    transmit_holding: Option<u8>,
    shifting: Option<(u8, u64)>,
    status_read_with_overrun: bool,
    next_receive_ps: Option<u64>,
    transmit_empty_since_ps: u64,
    /// Bytes the host sent that the line has not delivered yet.
    pub input: VecDeque<u8>,
    /// Bytes the board transmitted, in order.
    pub output: Vec<u8>,
    /// Received bytes lost to overrun.
    pub overruns: u64,
    /// Host bytes dropped because the receiver was disabled.
    pub dropped_while_disabled: u64,
}

impl Default for Usart {
    fn default() -> Self {
        Self::new()
    }
}

impl Usart {
    /// The USART after reset.
    pub fn new() -> Self {
        Self {
            status: status::TXE | status::TC,
            received: 0,
            baud_rate_register: 0,
            control: [0; 3],
            guard: 0,
            transmit_holding: None,
            shifting: None,
            status_read_with_overrun: false,
            next_receive_ps: None,
            transmit_empty_since_ps: 0,
            input: VecDeque::new(),
            output: Vec::new(),
            overruns: 0,
            dropped_while_disabled: 0,
        }
    }

    /// Reset the registers but keep the host-side buffers (RCC reset or system reset).
    pub fn reset_registers(&mut self) {
        let input = std::mem::take(&mut self.input);
        let output = std::mem::take(&mut self.output);
        let (overruns, dropped) = (self.overruns, self.dropped_while_disabled);
        *self = Self::new();
        self.input = input;
        self.output = output;
        self.overruns = overruns;
        self.dropped_while_disabled = dropped;
    }

    /// Time of one frame in picoseconds at APB1 clock `apb1_hz`.
    pub fn frame_ps(&self, apb1_hz: u64) -> u64 {
        let divider = (self.baud_rate_register & 0xFFFF).max(16) as u64;
        let bit_clocks = if self.control[0] & CR1_OVER8 != 0 {
            divider / 2
        } else {
            divider
        };
        let bits = 1 + if self.control[0] & CR1_M != 0 { 9 } else { 8 } + 1;
        bits * bit_clocks * 1_000_000_000_000 / apb1_hz.max(1)
    }

    /// The baud rate the registers configure at `apb1_hz`.
    pub fn baud_rate(&self, apb1_hz: u64) -> u64 {
        apb1_hz / (self.baud_rate_register & 0xFFFF).max(16) as u64
    }

    fn enabled(&self, bit: u32) -> bool {
        self.control[0] & CR1_UE != 0 && self.control[0] & bit != 0
    }

    /// Read a register (reading `DR` clears `RXNE`, and `ORE` after a status read).
    pub fn read(&mut self, offset: u32) -> u32 {
        match offset {
            0x00 => {
                self.status_read_with_overrun = self.status & status::ORE != 0;
                self.status
            }
            0x04 => {
                self.status &= !status::RXNE;
                if self.status_read_with_overrun {
                    self.status &= !status::ORE;
                    self.status_read_with_overrun = false;
                }
                self.received as u32
            }
            0x08 => self.baud_rate_register,
            0x0C..=0x14 => self.control[((offset - 0x0C) / 4) as usize],
            0x18 => self.guard,
            _ => 0,
        }
    }

    /// Write a register.
    pub fn write(&mut self, offset: u32, value: u32, now_ps: u64, apb1_hz: u64) {
        match offset {
            0x00 => self.status &= value | !(status::RXNE | status::TC),
            0x04 if self.enabled(CR1_TE) => {
                self.status &= !(status::TXE | status::TC);
                self.transmit_holding = Some(value as u8);
                self.start_shifting(now_ps, apb1_hz);
            }
            0x08 => self.baud_rate_register = value & 0xFFFF,
            0x0C..=0x14 => {
                let index = ((offset - 0x0C) / 4) as usize;
                if index == 2 && value & CR3_DMAT != 0 && self.control[2] & CR3_DMAT == 0 {
                    self.transmit_empty_since_ps = self.transmit_empty_since_ps.max(now_ps);
                }
                self.control[index] = value;
                if index == 0
                    && self.enabled(CR1_RE)
                    && self.next_receive_ps.is_none()
                    && !self.input.is_empty()
                {
                    self.next_receive_ps = Some(now_ps + self.frame_ps(apb1_hz));
                }
                if !self.enabled(CR1_RE) {
                    self.next_receive_ps = None;
                }
            }
            0x18 => self.guard = value,
            _ => {}
        }
    }

    fn start_shifting(&mut self, now_ps: u64, apb1_hz: u64) {
        if self.shifting.is_none() {
            if let Some(byte) = self.transmit_holding.take() {
                self.shifting = Some((byte, now_ps + self.frame_ps(apb1_hz)));
                self.status |= status::TXE;
                self.transmit_empty_since_ps = now_ps;
            }
        }
    }

    /// The host sends `bytes`; the first one completes one frame time from now when the line
    /// is idle.
    pub fn send_from_host(&mut self, bytes: &[u8], now_ps: u64, apb1_hz: u64) {
        if self.input.is_empty() && self.next_receive_ps.is_none() && self.enabled(CR1_RE) {
            self.next_receive_ps = Some(now_ps + self.frame_ps(apb1_hz));
        }
        self.input.extend(bytes.iter().copied());
    }

    /// Advance the line to `now_ps`: finish transmitted frames and receive host bytes.
    ///
    /// `transmit_by_dma`: a DMA stream serves the transmit request, so the transmitter stops
    /// at the first pending request for the board to serve it ([`Self::transmit_request_ps`]).
    /// `receive_by_dma` is offered each received byte while `CR3.DMAR` is set and returns
    /// whether the DMA controller took it (read `DR`).
    pub fn advance(
        &mut self,
        now_ps: u64,
        apb1_hz: u64,
        transmit_by_dma: bool,
        receive_by_dma: &mut dyn FnMut(u8) -> bool,
    ) {
        while let Some((byte, done)) = self.shifting {
            if done > now_ps {
                break;
            }
            if transmit_by_dma && self.transmit_request_ps().is_some_and(|since| since < done) {
                break;
            }
            self.output.push(byte);
            self.shifting = None;
            self.start_shifting(done, apb1_hz);
            if self.shifting.is_none() && self.transmit_holding.is_none() {
                self.status |= status::TC;
            }
        }
        if !self.enabled(CR1_RE) {
            self.dropped_while_disabled += self.input.len() as u64;
            self.input.clear();
            return;
        }
        while let Some(due) = self.next_receive_ps {
            if due > now_ps {
                break;
            }
            let frame = self.frame_ps(apb1_hz);
            match self.input.pop_front() {
                Some(byte) => {
                    if self.status & status::RXNE != 0 {
                        self.status |= status::ORE;
                        self.overruns += 1;
                    } else {
                        self.received = byte;
                        self.status |= status::RXNE;
                        if self.control[2] & CR3_DMAR != 0 && receive_by_dma(byte) {
                            self.status &= !status::RXNE;
                        }
                    }
                    self.next_receive_ps = Some(due + frame);
                }
                None => {
                    // The line is idle: the next byte starts when the host sends it.
                    self.next_receive_ps = None;
                    break;
                }
            }
        }
    }

    /// When `CR3.DMAT` is set and the transmit data register is empty: the modelled time the
    /// DMA request rose.
    pub fn transmit_request_ps(&self) -> Option<u64> {
        (self.enabled(CR1_TE) && self.control[2] & CR3_DMAT != 0 && self.status & status::TXE != 0)
            .then_some(self.transmit_empty_since_ps)
    }

    /// A byte waiting in `DR` while `CR3.DMAR` is set (a stream enabled late takes it): read
    /// it as the DMA controller does, clearing `RXNE`.
    pub fn take_for_dma(&mut self) -> Option<u8> {
        if self.control[2] & CR3_DMAR != 0 && self.status & status::RXNE != 0 {
            self.status &= !status::RXNE;
            Some(self.received)
        } else {
            None
        }
    }

    /// The next time something happens on the line, if anything is in flight.
    pub fn next_event_ps(&self) -> Option<u64> {
        let transmit = self.shifting.map(|(_, done)| done);
        let receive = if self.input.is_empty() {
            None
        } else {
            self.next_receive_ps
        };
        match (transmit, receive) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the USART requests its interrupt (RXNE/ORE with RXNEIE, TXE with TXEIE, TC with
    /// TCIE).
    pub fn interrupt_requested(&self) -> bool {
        let control = self.control[0];
        (control & CR1_RXNEIE != 0 && self.status & (status::RXNE | status::ORE) != 0)
            || (control & CR1_TXEIE != 0 && self.status & status::TXE != 0)
            || (control & CR1_TCIE != 0 && self.status & status::TC != 0)
    }
}
