//! USART3 (RM0090 §30, base 0x4000_4800), the ST-LINK virtual COM port of the Nucleo-F429ZI.
//!
//! Bytes move at the configured baud rate: each frame takes `(1 + data bits + stop bits)` bit
//! times of `BRR` APB1 clocks (16× oversampling; `OVER8` halves the bit time). Transmit has the
//! data register plus the shift register (`TXE`, `TC`); receive takes a byte from the host queue
//! every frame time while `UE` and `RE` are set, and sets `ORE` (dropping the new byte) when the
//! previous one was not read in time. Parity counts against the host's framing
//! ([`Usart::host_framing`], [`crate::line_framing`]): an 8E1 host's characters received as 8N1
//! raise `FE` when their parity bit is 0, and the host reads what the USART sends as its own
//! framing dictates. Break, LIN, IrDA, smartcard and hardware flow control are not modelled.
//!
//! The line has a rate of its own when the host sets one ([`Usart::line_baud`]): a byte whose
//! frame passes while the USART's rate (BRR at the APB1 clock of that moment) differs from the
//! line's by more than the receiver's tolerance (RM0090 §30.3.5: 3.75 % with 16× oversampling
//! and 8 data bits, less with OVER8 or 9 bits, more with ONEBIT) arrives garbled, in either
//! direction: the USART receives a wrong byte with the framing error flag `FE`, and the host
//! receives a wrong byte. Without a line rate the host follows the USART, as before.
//!
//! DMA (RM0090 §30.6.7): with `CR3.DMAR` every received byte is offered to the DMA controller
//! the moment it lands in `DR` (the board's callback moves it to memory and clears `RXNE`, so
//! nothing overruns while the stream runs); with `CR3.DMAT` an empty transmit data register is a
//! request the board serves by writing `DR` at the time `TXE` rose
//! ([`Usart::transmit_request_ps`]).

use crate::line_framing::{received_by_host, received_by_usart, HostFraming, UsartFraming};
use std::collections::VecDeque;

/// `USART_SR` bits.
pub mod status {
    /// Parity error.
    pub const PE: u32 = 1 << 0;
    /// Framing error (a byte received across mismatched rates).
    pub const FE: u32 = 1 << 1;
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
/// `CR3.ONEBIT`: one sample per bit instead of three (a wider tolerance).
const CR3_ONEBIT: u32 = 1 << 11;
const CR1_M: u32 = 1 << 12;
const CR1_PCE: u32 = 1 << 10;
const CR1_PS: u32 = 1 << 9;
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
    /// ORE and FE as the last SR read saw them (a DR read then clears them).
    errors_seen_by_status_read: u32,
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
    /// The host side's rate, if it has one (`None`: the host follows the USART's rate).
    pub line_baud: Option<u32>,
    /// Bytes garbled in either direction because the rates differed beyond the tolerance.
    pub garbled: u64,
    /// How the host frames its characters (8N1 unless a test says otherwise).
    pub host_framing: HostFraming,
    /// A transmitted character whose reading by the host depends on whether the line idles
    /// for a bit after it (framings differ): the byte and the end of its frame.
    awaiting_idle: Option<(u8, u64)>,
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
            errors_seen_by_status_read: 0,
            next_receive_ps: None,
            transmit_empty_since_ps: 0,
            input: VecDeque::new(),
            output: Vec::new(),
            overruns: 0,
            dropped_while_disabled: 0,
            line_baud: None,
            garbled: 0,
            host_framing: HostFraming::EightNone,
            awaiting_idle: None,
        }
    }

    /// Reset the registers but keep the host-side buffers (RCC reset or system reset).
    pub fn reset_registers(&mut self) {
        // A character waiting for the line's next bit gets it: the line idles from reset on.
        if let Some((byte, _)) = self.awaiting_idle.take() {
            let framing = self.framing();
            self.output
                .push(received_by_host(byte, framing, self.host_framing, true));
        }
        let input = std::mem::take(&mut self.input);
        let output = std::mem::take(&mut self.output);
        let (overruns, dropped) = (self.overruns, self.dropped_while_disabled);
        let (line_baud, garbled) = (self.line_baud, self.garbled);
        let host_framing = self.host_framing;
        *self = Self::new();
        self.host_framing = host_framing;
        self.line_baud = line_baud;
        self.garbled = garbled;
        self.input = input;
        self.output = output;
        self.overruns = overruns;
        self.dropped_while_disabled = dropped;
    }

    /// Time of one frame in picoseconds at APB1 clock `apb1_hz`.
    pub fn frame_ps(&self, apb1_hz: u64) -> u64 {
        let bits = 1 + if self.control[0] & CR1_M != 0 { 9 } else { 8 } + 1;
        bits * self.bit_clocks() * 1_000_000_000_000 / apb1_hz.max(1)
    }

    /// The USART's framing (CR1.M, PCE, PS).
    fn framing(&self) -> UsartFraming {
        match self.control[0] & (CR1_M | CR1_PCE | CR1_PS) {
            0 => UsartFraming::EightNone,
            bits if bits == CR1_M | CR1_PCE => UsartFraming::EightEven,
            _ => UsartFraming::Other,
        }
    }

    /// Time between the host's characters sent back to back: its own framing's frame (an
    /// 8E1 host's 11 bits), the USART's otherwise.
    fn host_frame_ps(&self, apb1_hz: u64) -> u64 {
        match self.host_framing {
            HostFraming::EightEven => {
                HostFraming::EightEven.bits() * self.bit_clocks() * 1_000_000_000_000
                    / apb1_hz.max(1)
            }
            HostFraming::EightNone => self.frame_ps(apb1_hz),
        }
    }

    /// Hands a transmitted character to the host: at once when the framings agree, else
    /// when it is known whether a bit of idle line follows it (`next_start_ps`: when the next
    /// character starts, `None` when the line has idled).
    fn deliver(&mut self, byte: u8, end_ps: u64, apb1_hz: u64) {
        self.settle_pending(Some(end_ps - self.frame_ps(apb1_hz)), apb1_hz);
        if self.framing() == UsartFraming::EightNone && self.host_framing == HostFraming::EightNone
        {
            self.output.push(byte);
        } else {
            self.awaiting_idle = Some((byte, end_ps));
        }
    }

    /// Resolves the character waiting for the line's next bit: `next_start_ps` is when the
    /// next one started (`None`: the line idled).
    fn settle_pending(&mut self, next_start_ps: Option<u64>, apb1_hz: u64) {
        if let Some((byte, end)) = self.awaiting_idle.take() {
            let bit_ps = self.bit_clocks() * 1_000_000_000_000 / apb1_hz.max(1);
            let idle_after = next_start_ps.is_none_or(|start| start >= end + bit_ps);
            self.output.push(received_by_host(
                byte,
                self.framing(),
                self.host_framing,
                idle_after,
            ));
        }
    }

    /// APB1 clocks per bit.
    fn bit_clocks(&self) -> u64 {
        let divider = (self.baud_rate_register & 0xFFFF).max(16) as u64;
        if self.control[0] & CR1_OVER8 != 0 {
            divider / 2
        } else {
            divider
        }
    }

    /// The baud rate the registers configure at `apb1_hz`.
    pub fn baud_rate(&self, apb1_hz: u64) -> u64 {
        apb1_hz / (self.baud_rate_register & 0xFFFF).max(16) as u64
    }

    /// The receiver's tolerance to a rate deviation in parts per million (RM0090 §30.3.5,
    /// Tables 141–142, "USART receiver's tolerance when DIV_Fraction is 0 / is different from
    /// 0"; the fractional figures are the lower ones: quantisation already used some margin).
    pub fn tolerance_ppm(&self) -> u64 {
        let nine_bits = self.control[0] & CR1_M != 0;
        let over8 = self.control[0] & CR1_OVER8 != 0;
        let one_bit = self.control[2] & CR3_ONEBIT != 0;
        let fractional = self.baud_rate_register & 0xF != 0;
        // [OVER8 = 0 ONEBIT = 0, OVER8 = 0 ONEBIT = 1, OVER8 = 1 ONEBIT = 0, OVER8 = 1 ONEBIT = 1]
        let table: [u64; 4] = match (nine_bits, fractional) {
            (false, false) => [37_500, 43_750, 25_000, 37_500],
            (true, false) => [34_100, 39_700, 22_700, 34_100],
            (false, true) => [34_100, 39_700, 18_200, 33_300],
            (true, true) => [31_600, 36_900, 16_700, 30_300],
        };
        table[usize::from(over8) * 2 + usize::from(one_bit)]
    }

    /// Whether the line's rate differs from the USART's at `apb1_hz` beyond the tolerance.
    pub fn rates_differ(&self, apb1_hz: u64) -> bool {
        let Some(line) = self.line_baud.map(u64::from).filter(|line| *line > 0) else {
            return false;
        };
        let device = apb1_hz / self.bit_clocks();
        device.abs_diff(line) * 1_000_000 / line > self.tolerance_ppm()
    }

    /// What arrives instead of `byte` across mismatched rates: the receiver samples the
    /// wrong bit cells (a fixed scramble, so runs stay reproducible).
    fn garble(byte: u8) -> u8 {
        byte.rotate_left(3) ^ 0xA5
    }

    fn enabled(&self, bit: u32) -> bool {
        self.control[0] & CR1_UE != 0 && self.control[0] & bit != 0
    }

    /// Read a register (reading `DR` clears `RXNE`, and `ORE` after a status read).
    pub fn read(&mut self, offset: u32) -> u32 {
        match offset {
            0x00 => {
                self.errors_seen_by_status_read =
                    self.status & (status::ORE | status::FE | status::PE);
                self.status
            }
            0x04 => {
                self.status &= !(status::RXNE | self.errors_seen_by_status_read);
                self.errors_seen_by_status_read = 0;
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
            self.next_receive_ps = Some(now_ps + self.host_frame_ps(apb1_hz));
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
            if self.rates_differ(apb1_hz) {
                self.garbled += 1;
                self.output.push(Self::garble(byte));
            } else {
                self.deliver(byte, done, apb1_hz);
            }
            self.shifting = None;
            self.start_shifting(done, apb1_hz);
            if self.shifting.is_none() && self.transmit_holding.is_none() {
                self.status |= status::TC;
            }
        }
        if self.shifting.is_none() {
            if let Some((_, end)) = self.awaiting_idle {
                let bit_ps = self.bit_clocks() * 1_000_000_000_000 / apb1_hz.max(1);
                if now_ps >= end + bit_ps {
                    self.settle_pending(None, apb1_hz);
                }
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
            let frame = self.host_frame_ps(apb1_hz);
            match self.input.pop_front() {
                Some(byte) => {
                    let byte = if self.rates_differ(apb1_hz) {
                        self.garbled += 1;
                        self.status |= status::FE;
                        Self::garble(byte)
                    } else {
                        let (byte, framing_error, parity_error) =
                            received_by_usart(byte, self.host_framing, self.framing());
                        if framing_error {
                            self.status |= status::FE;
                        }
                        if parity_error {
                            self.status |= status::PE;
                        }
                        byte
                    };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A USART enabled for 8N1 with `brr`, receiving from a host at `line_baud`.
    fn usart(brr: u32, line_baud: u32) -> Usart {
        let mut usart = Usart::new();
        usart.write(0x08, brr, 0, 16_000_000);
        usart.write(0x0C, CR1_UE | CR1_TE | CR1_RE, 0, 16_000_000);
        usart.line_baud = Some(line_baud);
        usart
    }

    fn receive(usart: &mut Usart, byte: u8, apb1_hz: u64) -> (u8, u32) {
        usart.send_from_host(&[byte], 0, apb1_hz);
        usart.advance(1_000_000_000_000, apb1_hz, false, &mut |_| false);
        let status = usart.read(0x00);
        (usart.read(0x04) as u8, status)
    }

    #[test]
    fn bytes_pass_within_the_tolerance_and_are_garbled_beyond_it() {
        // BRR 0x8B at 16 MHz: 115 108 baud, 0.08 % from 115 200.
        let mut matched = usart(0x8B, 115_200);
        assert_eq!(
            receive(&mut matched, b'S', 16_000_000),
            (b'S', status::RXNE | status::TXE | status::TC)
        );
        // The same BRR after a switch to a 42 MHz APB1: 302 158 baud, 162 % off.
        let mut mismatched = usart(0x8B, 115_200);
        let (byte, status) = receive(&mut mismatched, b'S', 42_000_000);
        assert_ne!(byte, b'S');
        assert_ne!(status & status::FE, 0, "framing error");
        assert_eq!(mismatched.garbled, 1);
        // Reading SR then DR cleared FE.
        assert_eq!(mismatched.read(0x00) & status::FE, 0);
    }

    #[test]
    fn the_tolerance_follows_the_oversampling_and_the_divider_fraction() {
        // An integer divider tolerates 3.75 %, a fractional one 3.41 % (16× oversampling).
        let integer = usart(0x80, 0); // BRR 128: 125 000 baud, fraction 0
        assert_eq!(integer.tolerance_ppm(), 37_500);
        let fractional = usart(0x8B, 0);
        assert_eq!(fractional.tolerance_ppm(), 34_100);
        // BRR 128 at 16 MHz: 125 000 baud; a line 3.6 % faster passes.
        let mut line = usart(0x80, 129_500);
        assert!(!line.rates_differ(16_000_000));
        line.write(0x0C, CR1_UE | CR1_TE | CR1_RE | CR1_OVER8, 0, 16_000_000);
        assert_eq!(line.tolerance_ppm(), 25_000);
        // With OVER8 the same BRR means 250 000 baud, and 3.6 % is beyond its 2.5 %.
        line.line_baud = Some(2 * 129_500);
        assert!(line.rates_differ(16_000_000));
    }

    #[test]
    fn transmitted_bytes_are_garbled_for_a_host_at_another_rate() {
        let mut usart = usart(0x8B, 1_000_000);
        usart.write(0x04, u32::from(b'X'), 0, 16_000_000);
        usart.advance(1_000_000_000_000, 16_000_000, false, &mut |_| false);
        assert_eq!(usart.output.len(), 1);
        assert_ne!(usart.output[0], b'X');
        usart.line_baud = None;
        usart.write(0x04, u32::from(b'Y'), 0, 16_000_000);
        usart.advance(2_000_000_000_000, 16_000_000, false, &mut |_| false);
        assert_eq!(
            usart.output[1], b'Y',
            "without a line rate the host follows the USART"
        );
    }
}
