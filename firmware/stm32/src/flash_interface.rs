//! Whether the flash interface (FLASH_CR and friends) is really there.
//!
//! QEMU's STM32F405 model does not implement it (its registers read 0 and ignore writes) and
//! has only 1 MB of flash, so the update engine's journal in bank 2 can be neither read nor
//! written there. The probe: FLASH_CR.LOCK is set at reset and whenever the driver is idle,
//! and software can always set it; a register that reads LOCK = 0 even after setting it is
//! not a flash interface.

use crate::device;

/// FLASH_CR.LOCK.
const LOCK: u32 = 1 << 31;

/// Whether the flash interface responds (always on the chip; not in QEMU). Leaves the
/// controller locked, its state between operations.
// Out of line: the boot plan, the part check and the serial service ask (24 B less
// bootloader flash, 2026-12-05).
#[inline(never)]
pub fn flash_interface_responds() -> bool {
    let flash = device().FLASH;
    if flash.cr().read().bits() & LOCK != 0 {
        return true;
    }
    flash.cr().modify(|_, w| w.lock().set_bit());
    flash.cr().read().bits() & LOCK != 0
}
