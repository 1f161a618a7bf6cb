//! USART3 output through a small queue (feature `logging`). A line can be left in the queue to
//! go out a byte at a time while the bootloader hashes the image ([`pump`] between blocks of
//! the SHA-256), so its wire time (87 µs per character at 115200 baud) overlaps the
//! verification instead of adding to the boot time. [`flush`] sends whatever is left and
//! waits until the last bit has left: before a clock change, a hand-off or bootloader mode.

use core::cell::RefCell;
use cortex_m::interrupt::{self, Mutex};
use slingshot_stm32::usart::Usart;

/// Baud rate of the bootloader's messages.
const BAUD: u32 = 115_200;
/// Queue size in bytes: the longest line fits (a full queue is sent at once).
const CAPACITY: usize = 128;

/// Bytes queued for USART3 and how many of them were sent.
struct Queue {
    /// USART3 configured for the clock that ran when the queue was last empty.
    usart: Option<Usart>,
    bytes: [u8; CAPACITY],
    length: usize,
    sent: usize,
}

static QUEUE: Mutex<RefCell<Queue>> = Mutex::new(RefCell::new(Queue {
    usart: None,
    bytes: [0; CAPACITY],
    length: 0,
    sent: 0,
}));

fn with_queue<R>(operation: impl FnOnce(&mut Queue) -> R) -> R {
    interrupt::free(|section| operation(&mut QUEUE.borrow(section).borrow_mut()))
}

impl Queue {
    /// USART3, configured (baud rate for the APB1 clock now) on first use after a flush.
    fn usart(&mut self) -> &mut Usart {
        self.usart.get_or_insert_with(|| Usart::new(BAUD))
    }

    fn push(&mut self, byte: u8) {
        if self.length == CAPACITY {
            self.drain();
        }
        self.bytes[self.length] = byte;
        self.length += 1;
    }

    /// Send the next byte if USART3 has room; whether bytes remain.
    #[cfg(feature = "verify")]
    fn pump(&mut self) -> bool {
        if self.sent < self.length {
            let byte = self.bytes[self.sent];
            if self.usart().try_write_byte(byte) {
                self.sent += 1;
            }
        }
        self.sent < self.length
    }

    /// Send everything, wait for the last bit, and forget the configuration (the clock may
    /// change next).
    fn drain(&mut self) {
        while self.sent < self.length {
            let byte = self.bytes[self.sent];
            self.usart().write_byte(byte);
            self.sent += 1;
        }
        if let Some(usart) = &mut self.usart {
            usart.flush();
        }
        self.usart = None;
        self.length = 0;
        self.sent = 0;
    }
}

/// Queue `bytes` (sending the queue first if it fills up).
pub fn push(bytes: &[u8]) {
    with_queue(|queue| bytes.iter().for_each(|&byte| queue.push(byte)));
}

/// Send the next queued byte if USART3 can take it; returns whether bytes remain queued (between
/// blocks of the image hash: only with `verify`).
#[cfg(feature = "verify")]
pub fn pump() -> bool {
    with_queue(Queue::pump)
}

/// Send every queued byte and wait until the last one has left the shift register.
pub fn flush() {
    with_queue(Queue::drain);
}
