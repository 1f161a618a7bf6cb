//! The mailbox: a few no-init words at the top of SRAM, outside both programs' RAM, that
//! carry a request from the application to the bootloader across a system reset.
//!
//! | word | offset | meaning |
//! |------|--------|---------|
//! | 0 | 0x00 | magic `0x534C_4E47` ("SLNG") |
//! | 1 | 0x04 | request number ([`Request`]) |
//! | 2 | 0x08 | argument (request-specific, 0 when unused) |
//! | 3 | 0x0C | check: `!(magic ^ request ^ argument)` |
//!
//! Power-on leaves SRAM random, so a request counts only when the magic and the check word
//! agree. The bootloader clears the mailbox after reading it, so a request acts once.

/// Magic value of a written mailbox.
pub const MAGIC: u32 = 0x534C_4E47;

/// Number of 32-bit words the mailbox format uses.
pub const WORDS: usize = 4;

/// What the application asks of the bootloader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Nothing asked (or the mailbox holds noise).
    None,
    /// Stay in bootloader mode after the reset (e.g. to receive an update).
    StayInBootloader,
    /// A new image is pending in the secondary slot: install it and boot it on trial.
    InstallPending,
}

impl Request {
    const fn number(self) -> u32 {
        match self {
            Request::None => 0,
            Request::StayInBootloader => 1,
            Request::InstallPending => 2,
        }
    }

    const fn from_number(number: u32) -> Request {
        match number {
            1 => Request::StayInBootloader,
            2 => Request::InstallPending,
            _ => Request::None,
        }
    }
}

/// A decoded mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// The request.
    pub request: Request,
    /// The request's argument.
    pub argument: u32,
}

impl Mailbox {
    /// Encode a request into the mailbox words.
    pub const fn encode(request: Request, argument: u32) -> [u32; WORDS] {
        let number = request.number();
        [MAGIC, number, argument, !(MAGIC ^ number ^ argument)]
    }

    /// Decode mailbox words; noise (wrong magic or check) decodes as [`Request::None`].
    pub const fn decode(words: [u32; WORDS]) -> Mailbox {
        let [magic, number, argument, check] = words;
        if magic == MAGIC && check == !(magic ^ number ^ argument) {
            Mailbox {
                request: Request::from_number(number),
                argument,
            }
        } else {
            Mailbox {
                request: Request::None,
                argument: 0,
            }
        }
    }

    /// The words that mean "no request" (written by the bootloader after reading one).
    pub const CLEARED: [u32; WORDS] = [0; WORDS];
}
