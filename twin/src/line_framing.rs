//! Character framing on the serial line: what a host framing 8N1 or 8E1 and the USART
//! (CR1.M, PCE, PS: 8N1, or 8 data bits with a parity bit) make of each other's characters.
//!
//! A receiver samples the bits where its own framing puts them. With different framings:
//! - an 8E1 character read as 8N1: the data is right; the parity bit sits where the stop bit
//!   should be, so a parity bit of 0 is a framing error (the USART's FE; the byte is kept);
//! - an 8N1 character read as 8E1: the stop bit is read as the parity bit (a parity error when
//!   it should have been 0) and whatever follows as the stop bit: the next character's start
//!   bit (a framing error) when characters follow back to back, idle line otherwise;
//! - a host that detects a parity or framing error reads a 0 byte: Linux's default for a
//!   terminal with parity checking (INPCK) and neither IGNPAR nor PARMRK, as stm32flash sets
//!   it for 8E1. The model keeps the host in step after such an error (a real receiver may
//!   resynchronize on a later edge and lose more).
//!
//! The host's framing is the twin's setting ([`HostFraming`]); pseudo-terminals carry no
//! parity, so only tests that drive the twin directly set 8E1.

/// How the host frames its characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostFraming {
    /// 8 data bits, no parity, 1 stop bit (stm32flash `-m 8n1`, terminal programs).
    #[default]
    EightNone,
    /// 8 data bits, even parity, 1 stop bit (ST's ROM bootloader, stm32flash's default).
    EightEven,
}

impl HostFraming {
    /// Bits per character on the line.
    pub fn bits(self) -> u64 {
        match self {
            HostFraming::EightNone => 10,
            HostFraming::EightEven => 11,
        }
    }
}

/// How the USART frames its characters (from CR1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsartFraming {
    /// M = 0, PCE = 0: 8N1.
    EightNone,
    /// M = 1, PCE = 1, PS = 0: 8 data bits and even parity.
    EightEven,
    /// Anything else (9 data bits, odd parity, 7 data bits and parity): not modelled against
    /// a host; characters pass unchanged.
    Other,
}

/// The even parity bit of `byte` (1 when its number of ones is odd).
pub fn even_parity_bit(byte: u8) -> bool {
    byte.count_ones() % 2 == 1
}

/// What the USART receives of the host's `byte`: the data, and whether it flags a framing
/// error and a parity error.
pub fn received_by_usart(byte: u8, host: HostFraming, usart: UsartFraming) -> (u8, bool, bool) {
    match (host, usart) {
        (HostFraming::EightEven, UsartFraming::EightNone) => (byte, !even_parity_bit(byte), false),
        (HostFraming::EightNone, UsartFraming::EightEven) => {
            // The stop bit (1) is read as the parity bit.
            (byte, false, !even_parity_bit(byte))
        }
        _ => (byte, false, false),
    }
}

/// What the host reads of the USART's `byte`, given whether at least one idle bit follows it
/// before the next character starts.
pub fn received_by_host(byte: u8, usart: UsartFraming, host: HostFraming, idle_after: bool) -> u8 {
    match (usart, host) {
        (UsartFraming::EightNone, HostFraming::EightEven) => {
            // The host reads the stop bit as parity and the next bit as its stop bit.
            if idle_after && even_parity_bit(byte) {
                byte
            } else {
                0
            }
        }
        (UsartFraming::EightEven, HostFraming::EightNone) => {
            // The host reads the parity bit as its stop bit.
            if even_parity_bit(byte) {
                byte
            } else {
                0
            }
        }
        _ => byte,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_framings_pass_every_byte() {
        for byte in 0..=255u8 {
            for (host, usart) in [
                (HostFraming::EightNone, UsartFraming::EightNone),
                (HostFraming::EightEven, UsartFraming::EightEven),
            ] {
                assert_eq!(received_by_usart(byte, host, usart), (byte, false, false));
                assert_eq!(received_by_host(byte, usart, host, false), byte);
            }
        }
    }

    #[test]
    fn an_even_parity_host_against_an_8n1_usart() {
        // 0x00: parity bit 0 where the USART expects its stop bit.
        assert_eq!(
            received_by_usart(0x00, HostFraming::EightEven, UsartFraming::EightNone),
            (0x00, true, false)
        );
        // 0x01 and 0xFE: parity bit 1, read as a good stop bit.
        for byte in [0x01, 0xFE, 0x7F, 0x79] {
            assert_eq!(
                received_by_usart(byte, HostFraming::EightEven, UsartFraming::EightNone),
                (byte, false, false)
            );
        }
        // ACK (0x79, parity bit 1) reaches the host only with an idle bit after it.
        let host = |byte, idle| {
            received_by_host(byte, UsartFraming::EightNone, HostFraming::EightEven, idle)
        };
        assert_eq!(host(0x79, true), 0x79);
        assert_eq!(host(0x79, false), 0);
        assert_eq!(
            host(0x11, true),
            0,
            "parity bit 0: a parity error, read as 0"
        );
    }
}
