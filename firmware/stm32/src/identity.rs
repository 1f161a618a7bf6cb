//! What the chip says it is, for the bootloader's part check
//! (`slingshot_boot::part_check`): DBGMCU_IDCODE and, where that reads zero (ES0182 on the
//! STM32F40x/41x: readable by software only with a debugger attached), the flash size
//! register F_SIZE in the device electronic signature.
//!
//! F_SIZE is read only where a flash interface answers: on silicon it always does; QEMU's
//! F405 models neither the flash interface nor system memory (a read of F_SIZE is a bus
//! fault there), and without a flash interface the bootloader writes no flash, which is what
//! the part check protects.

use crate::device;
use slingshot_boot::{ChipIdentity, ExpectedPart};
use slingshot_layout::BUILD_BOARD;

/// Address of F_SIZE (flash size in KB, 16 bits), the same on every STM32F4.
const FLASH_SIZE_REGISTER: usize = 0x1FFF_7A22;

/// The part this firmware was built for.
pub const EXPECTED: ExpectedPart = ExpectedPart::of(&BUILD_BOARD.part);

/// Read the chip's identity: IDCODE, and F_SIZE only when IDCODE reads zero.
pub fn read_chip() -> ChipIdentity {
    let idcode = device().DBGMCU.idcode().read().bits();
    let flash_size_kib = if slingshot_boot::part_check::idcode_readable(idcode)
        || !crate::flash_interface::flash_interface_responds()
    {
        None
    } else {
        // SAFETY: F_SIZE is a read-only halfword of the device electronic signature in system
        // memory, mapped on every STM32F4; reading it has no side effect.
        Some(unsafe { core::ptr::read_volatile(FLASH_SIZE_REGISTER as *const u16) })
    };
    ChipIdentity {
        idcode,
        flash_size_kib,
    }
}
