//! What the bootloader tells a human over USART3 (the ST-LINK virtual COM port). Compiled
//! to nothing without the `logging` feature, so the quiet bootloader stays within 2 KB.
//!
//! Lines are assembled by `Line` from text, hex and decimal numbers rather than with
//! `core::fmt`, whose machinery costs about 2 KB of the verifying bootloader's flash.

use crate::refusal::Refusal;

/// Baud rate of the bootloader's messages.
#[cfg(feature = "logging")]
const BAUD: u32 = 115_200;

/// One line of output: `slingshot: `, the parts, CR LF.
#[cfg(feature = "logging")]
struct Line(slingshot_stm32::usart::Usart3);

#[cfg(feature = "logging")]
impl Line {
    /// Start a line with the `slingshot: ` prefix.
    fn start() -> Self {
        let mut usart = slingshot_stm32::usart::Usart3::new(BAUD);
        usart.write_bytes(b"slingshot: ");
        Self(usart)
    }

    /// Append text.
    fn text(&mut self, text: &str) -> &mut Self {
        self.0.write_bytes(text.as_bytes());
        self
    }

    /// Append `0x` and the lowest `digits` hex digits of `value` (lower case).
    fn hex(&mut self, value: u32, digits: u32) -> &mut Self {
        self.0.write_bytes(b"0x");
        for index in (0..digits).rev() {
            let nibble = ((value >> (index * 4)) & 0xF) as u8;
            let digit = if nibble < 10 {
                b'0' + nibble
            } else {
                b'a' + nibble - 10
            };
            self.0.write_byte(digit);
        }
        self
    }

    /// Append `value` in decimal.
    #[cfg(feature = "verify")]
    fn decimal(&mut self, mut value: u32) -> &mut Self {
        let mut digits = [0u8; 10];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (value % 10) as u8;
            count += 1;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        for digit in digits[..count].iter().rev() {
            self.0.write_byte(*digit);
        }
        self
    }

    /// End the line and wait until it is sent.
    fn end(&mut self) {
        self.0.write_bytes(b"\r\n");
        self.0.flush();
    }
}

/// Print `slingshot: `, `text`, `0xCC: message` for a refusal.
#[cfg(feature = "logging")]
fn refusal_line(text: &str, refusal: Refusal) {
    Line::start()
        .text(text)
        .hex(u32::from(refusal.code()), 2)
        .text(": ")
        .text(refusal.message())
        .end();
}

/// Say that the application at `vector_table` is being started (the plain validate-and-jump).
#[cfg(not(feature = "verify"))]
pub fn handing_off(vector_table: u32) {
    #[cfg(feature = "logging")]
    Line::start()
        .text("starting application at ")
        .hex(vector_table, 8)
        .end();
    #[cfg(not(feature = "logging"))]
    let _ = vector_table;
}

/// Say, in the one line before the hand-off, which verified image starts: its version, its
/// security counter, whether it runs on trial and under a watchdog of `watchdog` ms, e.g.
/// `slingshot: starting v2.0.0+0 (security counter 1, on trial, watchdog 8000 ms) at
/// 0x08008000`. One line rather than two: each character costs 87 µs of boot time at 115200
/// baud.
#[cfg(feature = "verify")]
pub fn starting_verified(
    vector_table: u32,
    image: &slingshot_update::ImageSummary,
    trial: bool,
    watchdog: Option<u32>,
) {
    #[cfg(feature = "logging")]
    {
        // 16-bit fields printed as u32: no 64-bit division is linked.
        let field = |shift: u32| ((image.version >> shift) & 0xFFFF) as u32;
        let mut line = Line::start();
        line.text("starting v")
            .decimal(field(48))
            .text(".")
            .decimal(field(32))
            .text(".")
            .decimal(field(16))
            .text("+")
            .decimal(field(0))
            .text(" (security counter ")
            .decimal(image.security_counter);
        if trial {
            line.text(", on trial");
        }
        if let Some(milliseconds) = watchdog {
            line.text(", watchdog ").decimal(milliseconds).text(" ms");
        }
        line.text(") at ").hex(vector_table, 8).end();
    }
    #[cfg(not(feature = "logging"))]
    let _ = (vector_table, image, trial, watchdog);
}

/// Say why the bootloader stays in bootloader mode.
pub fn staying(refusal: Refusal) {
    #[cfg(feature = "logging")]
    refusal_line("staying in bootloader: reason ", refusal);
    #[cfg(not(feature = "logging"))]
    let _ = refusal;
}

/// Say that a pending update was refused (nothing was erased; the current image boots).
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn update_refused(refusal: Refusal) {
    #[cfg(feature = "logging")]
    refusal_line("update refused: reason ", refusal);
    #[cfg(not(feature = "logging"))]
    let _ = refusal;
}

/// Say that the update engine cannot run and only the primary image is verified and booted.
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn engine_unavailable(why: &str) {
    #[cfg(feature = "logging")]
    Line::start()
        .text("update engine off (")
        .text(why)
        .text("): verifying the primary image only")
        .end();
    #[cfg(not(feature = "logging"))]
    let _ = why;
}

/// Say what the update engine did on this boot (installed, reverted).
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn engine_event(what: &str) {
    #[cfg(feature = "logging")]
    Line::start().text(what).end();
    #[cfg(not(feature = "logging"))]
    let _ = what;
}
