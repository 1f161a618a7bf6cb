//! What the bootloader tells a human over USART3 (the ST-LINK virtual COM port). Compiled
//! to nothing without the `logging` feature, so the quiet bootloader stays within 2 KB.

use crate::refusal::Refusal;

/// Baud rate of the bootloader's messages.
#[cfg(feature = "logging")]
const BAUD: u32 = 115_200;

/// Print one line, `slingshot: ` + `arguments`, and wait until it is sent.
#[cfg(feature = "logging")]
fn say(arguments: core::fmt::Arguments<'_>) {
    use core::fmt::Write;
    let mut usart = slingshot_stm32::usart::Usart3::new(BAUD);
    let _ = writeln!(usart, "slingshot: {arguments}\r");
    usart.flush();
}

/// Say that the application at `vector_table` is being started.
pub fn handing_off(vector_table: u32) {
    #[cfg(feature = "logging")]
    say(format_args!("starting application at 0x{vector_table:08x}"));
    #[cfg(not(feature = "logging"))]
    let _ = vector_table;
}

/// Say why the bootloader stays in bootloader mode.
pub fn staying(refusal: Refusal) {
    #[cfg(feature = "logging")]
    say(format_args!(
        "staying in bootloader: reason 0x{:02x}: {}",
        refusal.code(),
        refusal.message()
    ));
    #[cfg(not(feature = "logging"))]
    let _ = refusal;
}

/// Say that a pending update was refused (nothing was erased; the current image boots).
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn update_refused(refusal: Refusal) {
    #[cfg(feature = "logging")]
    say(format_args!(
        "update refused: reason 0x{:02x}: {}",
        refusal.code(),
        refusal.message()
    ));
    #[cfg(not(feature = "logging"))]
    let _ = refusal;
}

/// Say that the update engine cannot run and only the primary image is verified and booted.
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn engine_unavailable(why: &str) {
    #[cfg(feature = "logging")]
    say(format_args!(
        "update engine off ({why}): verifying the primary image only"
    ));
    #[cfg(not(feature = "logging"))]
    let _ = why;
}

/// Say what the update engine did on this boot (installed, reverted).
#[cfg(all(feature = "verify", not(feature = "single-slot")))]
pub fn engine_event(what: &str) {
    #[cfg(feature = "logging")]
    say(format_args!("{what}"));
    #[cfg(not(feature = "logging"))]
    let _ = what;
}

/// Say which image verified: its version (packed by `verified::pack_version`), its security
/// counter and whether it runs on trial.
#[cfg(feature = "verify")]
pub fn verified_image(version: u64, security_counter: u32, trial: bool) {
    #[cfg(feature = "logging")]
    {
        // 16-bit fields printed as u32: no 64-bit formatting or division is linked.
        let field = |shift: u32| ((version >> shift) & 0xFFFF) as u32;
        say(format_args!(
            "verified image v{}.{}.{}+{} (security counter {security_counter}){}",
            field(48),
            field(32),
            field(16),
            field(0),
            if trial { ", on trial" } else { "" }
        ));
    }
    #[cfg(not(feature = "logging"))]
    let _ = (version, security_counter, trial);
}

/// Say that the independent watchdog is started before a trial boot.
#[cfg(feature = "watchdog-on-trial")]
pub fn starting_watchdog(milliseconds: u32) {
    #[cfg(feature = "logging")]
    say(format_args!(
        "trial boot: independent watchdog started ({milliseconds} ms)"
    ));
    #[cfg(not(feature = "logging"))]
    let _ = milliseconds;
}
