//! What the bootloader tells a human over USART3 (the ST-LINK virtual COM port). Compiled
//! to nothing without the `logging` feature, so the quiet bootloader stays within 2 KB.

#[cfg(feature = "logging")]
use core::fmt::Write;
use slingshot_boot::StayReason;

/// Baud rate of the bootloader's messages.
#[cfg(feature = "logging")]
const BAUD: u32 = 115_200;

/// Say that the application at `vector_table` is being started.
pub fn handing_off(vector_table: u32) {
    #[cfg(feature = "logging")]
    {
        let mut usart = slingshot_stm32::usart::Usart3::new(BAUD);
        let _ = writeln!(
            usart,
            "slingshot: starting application at 0x{vector_table:08x}\r"
        );
        usart.flush();
    }
    #[cfg(not(feature = "logging"))]
    let _ = vector_table;
}

/// Say why the bootloader stays in bootloader mode.
pub fn staying(reason: StayReason) {
    #[cfg(feature = "logging")]
    {
        let mut usart = slingshot_stm32::usart::Usart3::new(BAUD);
        let _ = writeln!(
            usart,
            "slingshot: staying in bootloader: reason 0x{:02x}: {}\r",
            reason.code(),
            reason.message()
        );
        usart.flush();
    }
    #[cfg(not(feature = "logging"))]
    let _ = reason;
}
