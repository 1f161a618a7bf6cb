//! Silicon errata the bootloader works around before it touches flash bank 2.
//!
//! ES0206 (STM32F427/437 and STM32F429/439 errata sheet) §2.2.11, "Flash memory bank 2
//! read corruption": on revisions before 3 (DBGMCU_IDCODE REV_ID below 0x2001: A 0x1000,
//! Y 0x1003, 1 0x1007) data read from bank 2 can be corrupted while PA12 (the USB OTG FS D+
//! line of the Nucleo-144's user USB connector) toggles. The journal and the secondary slot
//! of the dual-slot layout, and the upper half of a single-slot image, live in bank 2.
//! embassy-stm32 refuses to read bank 2 on those revisions unless PA12 is an output driven low
//! with its pull-down; the bootloader makes it so instead of refusing, and the hand-off resets
//! GPIOA (`handoff`), so the application finds PA12 as after reset. The application's
//! platform ([`crate::platform::Stm32Platform::new`]) guards the same way before the
//! slingshot-application library reads the journal; an application that uses USB on such a
//! part loses its D+ line to this and must choose between USB and reading bank 2.

use crate::{device, gpio};
use slingshot_layout::boards::Pin;
use slingshot_layout::ACTIVE;

/// PA12.
const PA12: Pin = Pin::new(b'A', 12);
/// PA12's pin number.
const PIN: u32 = PA12.number as u32;

/// Whether this chip is the layout's part (DEV_ID) at a revision with the bank-2 read erratum
/// (`slingshot_layout::Part::bank_two_erratum_fixed_revision`).
pub fn bank_two_reads_need_guard() -> bool {
    let Some(fixed) = ACTIVE.board.part.bank_two_erratum_fixed_revision else {
        return false;
    };
    let idcode = device().DBGMCU.idcode().read().bits();
    idcode & 0xFFF == u32::from(ACTIVE.board.part.device_id) && idcode >> 16 < u32::from(fixed)
}

/// On a revision with the erratum, drive PA12 low (output, push-pull, pull-down) so that
/// nothing toggles it while bank 2 is read; nothing otherwise. Returns whether it did.
pub fn guard_bank_two_reads() -> bool {
    if !bank_two_reads_need_guard() {
        return false;
    }
    gpio::enable_clock(PA12);
    let port = gpio::port(PA12);
    let shift = 2 * PIN;
    // SAFETY: BSRR is write-only set/reset: bit 16 + 12 clears PA12's output latch only.
    port.bsrr().write(|w| unsafe { w.bits(1 << (16 + PIN)) });
    // SAFETY: PUPDR takes any value; only PA12's two bits change, to pull-down (0b10).
    port.pupdr()
        .modify(|r, w| unsafe { w.bits((r.bits() & !(0b11 << shift)) | (0b10 << shift)) });
    // General-purpose output, driving the low level set above. The debug pins PA13/PA14 keep
    // their mode.
    gpio::set_mode(PA12, gpio::OUTPUT);
    true
}
