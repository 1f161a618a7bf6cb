//! The user option bytes (RM0090 §3.7): reading them with the chip's identity for the info
//! reply, and programming values planned by `slingshot_flash_controller::option_bytes` (what
//! `slingshot protect` asks the bootloader for). The plan decides what may change; this file
//! only moves the bits.

use crate::device;
use crate::flash::wait_until_idle;
use slingshot_flash_controller::option_bytes::{option_control, OptionBytes, OPTION_KEYS};
use slingshot_flash_controller::registers::status;
use slingshot_flash_controller::{decode_status, FlashError};

/// FLASH_OPTCR and FLASH_OPTCR1 as the chip loaded them.
pub fn read() -> OptionBytes {
    let flash = device().FLASH;
    OptionBytes::from_registers(flash.optcr().read().bits(), flash.optcr1().read().bits())
}

/// DBGMCU_IDCODE: DEV_ID and REV_ID.
pub fn id_code() -> u32 {
    device().DBGMCU.idcode().read().bits()
}

/// Program `values` into the option bytes (RM0090 §3.7.2: unlock with the option keys, write
/// OPTCR1 and OPTCR, set OPTSTRT, wait for BSY to clear, lock again) and return what the chip
/// reads back. Both banks stall meanwhile, so the code running from flash waits on the bus.
pub fn program(values: OptionBytes) -> Result<OptionBytes, FlashError> {
    crate::watchdog::feed_independent_watchdog();
    let flash = device().FLASH;
    wait_until_idle()?;
    // SAFETY: SR error flags are write-one-to-clear; BSY is read-only.
    flash.sr().write(|w| unsafe { w.bits(status::CLEAR_ALL) });
    if flash.optcr().read().bits() & option_control::LOCK != 0 {
        for key in OPTION_KEYS {
            // SAFETY: OPTKEYR takes the documented unlock sequence (RM0090 §3.7.2).
            flash.optkeyr().write(|w| unsafe { w.bits(key) });
        }
    }
    // SAFETY: OPTCR1 holds only the nWRP bits of sectors 12–23 (the plan keeps the rest 0).
    flash.optcr1().write(|w| unsafe { w.bits(values.control1) });
    // SAFETY: the planned OPTCR value with OPTLOCK and OPTSTRT clear: every other bit is the
    // chip's current option byte or a change the host-tested plan allows.
    flash.optcr().write(|w| unsafe { w.bits(values.control) });
    // SAFETY: the same value with OPTSTRT: start programming it.
    flash
        .optcr()
        .write(|w| unsafe { w.bits(values.control | option_control::START) });
    let result = wait_until_idle().and_then(|()| decode_status(flash.sr().read().bits()));
    // SAFETY: setting OPTLOCK only locks the register again.
    flash
        .optcr()
        .modify(|r, w| unsafe { w.bits(r.bits() | option_control::LOCK) });
    result.map(|()| read())
}
