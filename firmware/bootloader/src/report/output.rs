//! USART3 output through a small queue (feature `logging`). A line can be left in the queue to
//! go out a byte at a time while the bootloader hashes the image ([`pump`] between blocks of
//! the SHA-256), so its wire time (87 µs per character at 115200 baud) overlaps the
//! verification instead of adding to the boot time. [`flush`] sends whatever is left and
//! waits until the last bit has left: before a clock change, a hand-off or bootloader mode.
//!
//! The queue is a few atomics rather than a `Mutex<RefCell<…>>`: the bootloader enables no
//! interrupt, so nothing but the boot flow touches it, and relaxed atomic loads and stores are
//! plain loads and stores on the Cortex-M4, without the critical sections and borrow checks.

use core::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::Relaxed};
use slingshot_stm32::usart::Usart;

/// Baud rate of the bootloader's messages.
const BAUD: u32 = 115_200;
/// Queue size in bytes: the longest line fits (a full queue is sent at once).
const CAPACITY: usize = 128;

/// The queued bytes.
static BYTES: [AtomicU8; CAPACITY] = [const { AtomicU8::new(0) }; CAPACITY];
/// How many bytes are queued.
static LENGTH: AtomicUsize = AtomicUsize::new(0);
/// How many of them were sent.
static SENT: AtomicUsize = AtomicUsize::new(0);
/// USART3 is configured for the clock that ran when the queue was last empty.
static CONFIGURED: AtomicBool = AtomicBool::new(false);

/// USART3, configured (baud rate for the APB1 clock now) on first use after a flush.
fn usart() -> Usart {
    if CONFIGURED.load(Relaxed) {
        Usart::configured()
    } else {
        CONFIGURED.store(true, Relaxed);
        Usart::new(BAUD)
    }
}

/// Queue `bytes` (sending the queue first if it fills up), each phrase code (from
/// `crate::phrasebook::FIRST_CODE` on) as the phrase it stands for. Here rather than in a
/// separate expander: 30 B less flash.
pub fn push(bytes: &[u8]) {
    for &byte in bytes {
        if byte >= crate::phrasebook::FIRST_CODE {
            push(crate::refusal::message(byte));
            continue;
        }
        let mut length = LENGTH.load(Relaxed);
        if length == CAPACITY {
            flush();
            length = 0;
        }
        BYTES[length].store(byte, Relaxed);
        LENGTH.store(length + 1, Relaxed);
    }
}

/// Send the next queued byte if USART3 can take it; returns whether bytes remain queued (between
/// blocks of the image hash: only with `verify`).
#[cfg(feature = "verify")]
pub fn pump() -> bool {
    let sent = SENT.load(Relaxed);
    let length = LENGTH.load(Relaxed);
    if sent < length && usart().try_write_byte(BYTES[sent].load(Relaxed)) {
        SENT.store(sent + 1, Relaxed);
        return sent + 1 < length;
    }
    sent < length
}

/// Send every queued byte, wait until the last one has left the shift register, and forget
/// the configuration (the clock may change next). With nothing queued, USART3 was not touched
/// since the last flush and stays as it is.
pub fn flush() {
    let length = LENGTH.load(Relaxed);
    if length == 0 {
        return;
    }
    let mut usart = usart();
    for byte in &BYTES[SENT.load(Relaxed)..length] {
        usart.write_byte(byte.load(Relaxed));
    }
    usart.flush();
    CONFIGURED.store(false, Relaxed);
    LENGTH.store(0, Relaxed);
    SENT.store(0, Relaxed);
}
