//! What the bootloader tells a human over USART3 (the ST-LINK virtual COM port). Compiled
//! to nothing without the `logging` feature, so the quiet bootloader stays within 2 KB.
//!
//! Lines are assembled by `Line` from text, hex and decimal numbers rather than with
//! `core::fmt`, whose machinery costs about 2 KB of the verifying bootloader's flash.

#[cfg(feature = "logging")]
mod output;

use crate::refusal::Refusal;

/// One line of output: `slingshot: `, the parts, CR LF, through the output queue.
#[cfg(feature = "logging")]
struct Line;

#[cfg(feature = "logging")]
impl Line {
    /// Start a line with the `slingshot: ` prefix.
    fn start() -> Self {
        output::push(b"slingshot: ");
        Self
    }

    /// Append text.
    fn text(&mut self, text: &str) -> &mut Self {
        output::push(text.as_bytes());
        self
    }

    /// Append the message of the refusal with `code` (`crate::refusal::message`).
    fn message(&mut self, code: u8) -> &mut Self {
        output::push(crate::refusal::message(code));
        self
    }

    /// Append `0x` and the lowest `digits` hex digits of `value` (lower case).
    fn hex(&mut self, value: u32, digits: u32) -> &mut Self {
        output::push(b"0x");
        for index in (0..digits).rev() {
            let nibble = ((value >> (index * 4)) & 0xF) as u8;
            let digit = if nibble < 10 {
                b'0' + nibble
            } else {
                b'a' + nibble - 10
            };
            output::push(&[digit]);
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
        digits[..count].reverse();
        output::push(&digits[..count]);
        self
    }

    /// End the line and wait until it is sent.
    fn end(&mut self) {
        output::push(b"\r\n");
        output::flush();
    }
}

/// Print `slingshot: `, `text`, `0xCC: message` for a refusal.
#[cfg(feature = "logging")]
fn refusal_line(text: &str, refusal: Refusal) {
    let code = refusal.code();
    Line::start()
        .text(text)
        .hex(u32::from(code), 2)
        .text(": ")
        .message(code)
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

/// Announce the verification of the image for `load_address`: `slingshot: verifying v1.0.0+0
/// (security counter 0) at 0x08008000`, queued so that it goes out while the image is hashed
/// ([`pump`]) instead of adding its wire time (5.7 ms) to the boot. What follows tells the
/// outcome: the application's own output, or a refusal line (`staying in bootloader: reason
/// …`, `update refused: reason …`).
#[cfg(feature = "verify")]
pub fn verifying(version: slingshot_image::Version, security_counter: u32, load_address: u32) {
    #[cfg(feature = "logging")]
    {
        Line::start()
            .text("verifying v")
            .decimal(u32::from(version.major))
            .text(".")
            .decimal(u32::from(version.minor))
            .text(".")
            .decimal(u32::from(version.patch))
            .text("+")
            .decimal(version.build)
            .text(" (security counter ")
            .decimal(security_counter)
            .text(") at ")
            .hex(load_address, 8);
        output::push(b"\r\n");
    }
    #[cfg(not(feature = "logging"))]
    let _ = (version, security_counter, load_address);
}

/// Send the next queued byte if USART3 can take it (called between blocks of hashing);
/// returns whether bytes remain queued.
#[cfg(feature = "verify")]
pub fn pump() -> bool {
    #[cfg(feature = "logging")]
    return output::pump();
    #[cfg(not(feature = "logging"))]
    false
}

/// Send what is queued and wait until it has left (before a clock change or the hand-off).
pub fn flush() {
    #[cfg(feature = "logging")]
    output::flush();
}

/// Say that the verified image starts on trial, under the independent watchdog for
/// `watchdog` ms if one is started.
#[cfg(feature = "verify")]
pub fn starting_on_trial(watchdog: Option<u32>) {
    #[cfg(feature = "logging")]
    {
        let mut line = Line::start();
        line.text("on trial");
        if let Some(milliseconds) = watchdog {
            line.text(", independent watchdog ")
                .decimal(milliseconds)
                .text(" ms");
        }
        line.end();
    }
    #[cfg(not(feature = "logging"))]
    let _ = watchdog;
}

/// Say why the bootloader stays in bootloader mode.
pub fn staying(refusal: Refusal) {
    #[cfg(feature = "logging")]
    refusal_line("staying in bootloader: reason ", refusal);
    #[cfg(not(feature = "logging"))]
    let _ = refusal;
}

/// Say that the chip is not the part the bootloader was built for: `slingshot: wrong part:
/// built for DEV_ID 0x433, the chip reads IDCODE 0x20036419 and F_SIZE 0x0000 (KB; 0: not
/// read); changing nothing`.
#[cfg(feature = "verify")]
pub fn wrong_part(wrong: slingshot_boot::WrongPart) {
    #[cfg(feature = "logging")]
    Line::start()
        .text("wrong part: built for DEV_ID ")
        .hex(u32::from(wrong.expected.device_id), 3)
        .text(", the chip reads IDCODE ")
        .hex(wrong.found.idcode, 8)
        .text(" and F_SIZE ")
        .hex(u32::from(wrong.found.flash_size_kib.unwrap_or(0)), 4)
        .text(" (KB; 0: not read); changing nothing")
        .end();
    #[cfg(not(feature = "logging"))]
    let _ = wrong;
}

/// Say that a pending update was refused (nothing was erased; the current image boots).
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn update_refused(refusal: Refusal) {
    #[cfg(feature = "logging")]
    refusal_line("update refused: reason ", refusal);
    #[cfg(not(feature = "logging"))]
    let _ = refusal;
}

/// Say that the update engine cannot run (`cause`; `None`: the flash interface does not
/// respond, as in QEMU) and only the primary image is verified and booted.
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn engine_unavailable(cause: Option<crate::refusal::EngineCause>) {
    #[cfg(feature = "logging")]
    {
        let mut line = Line::start();
        line.text("update engine off (");
        match cause {
            Some(cause) => line.message(cause.code()),
            None => line.text("the flash interface does not respond"),
        };
        line.text("): verifying the primary image only").end();
    }
    #[cfg(not(feature = "logging"))]
    let _ = cause;
}

/// Say what the update engine did on this boot (installed, reverted).
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn engine_event(what: &str) {
    #[cfg(feature = "logging")]
    Line::start().text(what).end();
    #[cfg(not(feature = "logging"))]
    let _ = what;
}
