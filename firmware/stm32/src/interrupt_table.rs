//! The interrupt part of the vector table for a program that enables no interrupt (the
//! bootloader), built without the `device-interrupts` feature: one entry instead of the PAC's
//! 91 (364 B), 360 B less flash.
//!
//! cortex-m-rt's linker script requires the table to reach past the 16 system words, so it
//! holds one vector: IRQ 0 (WWDG) goes to cortex-m-rt's `DefaultHandler`. No interrupt is ever
//! enabled in such a program (the hand-off also clears every NVIC enable and pending bit and
//! points VTOR at the application's own table), so no other entry is ever fetched.

extern "C" {
    /// cortex-m-rt's handler for every exception and interrupt without its own handler.
    fn DefaultHandler();
}

/// The device interrupt vectors, placed after the system exceptions by cortex-m-rt's `link.x`.
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
#[used]
static __INTERRUPTS: [unsafe extern "C" fn(); 1] = [DefaultHandler];
