//! The STM32F4 flash driver: `embedded-storage` `NorFlash` over the chip's real sector map
//! (RM0090 §3.6). x32 programming (the Nucleo runs at 3.3 V), stale error flags cleared
//! before each operation, every status error mapped to a typed error, the data cache off
//! and reset around writes and erases (dual-bank errata), bank-2 sector numbering, and a
//! read-back check of every programmed word.
//!
//! *What* to do — bounds, alignment, which sectors, which control-register values, what a
//! status value means — comes from the host-tested `slingshot-flash-controller`; this file
//! only moves the bits. Offsets are relative to the start of flash. Each program's driver
//! changes only the partitions its layout grants it (`Grants`): the bootloader's own sectors
//! are refused to both, so the driver cannot brick the device, and an application cannot
//! overwrite the slot it runs from.

use crate::device;
use embedded_storage::nor_flash::{ErrorType, NorFlash, ReadNorFlash};
use slingshot_flash_controller::registers::{access_control, status, UNLOCK_KEYS};
use slingshot_flash_controller::{
    check_bounds, check_program, decode_status, erase_control, plan_erase, program_control,
    FlashError, Grants,
};
use slingshot_layout::{FlashGeometry, ACTIVE};

/// Busy-poll iterations before giving up: a 128 KB sector erase takes at most 2 s at x32
/// (4 s at x8). The driver runs at 168 MHz during the boot decision (`fast-verify`) and at the
/// 16 MHz reset clock in bootloader mode; one iteration (a load of FLASH_SR, a test, a
/// branch) takes at least 5 cycles, so the bound is at least 3 s at 168 MHz and 31 s at
/// 16 MHz: longer than any operation, short enough that a controller that never clears BSY
/// is reported. An option-byte write takes as long as a 16 KB erase, well within it.
const BUSY_POLL_LIMIT: u32 = 100_000_000;

/// Wait for FLASH_SR.BSY to clear (an erase, a program or an option-byte write), at most
/// [`BUSY_POLL_LIMIT`] polls.
pub(crate) fn wait_until_idle() -> Result<(), FlashError> {
    let flash = device().FLASH;
    for _ in 0..BUSY_POLL_LIMIT {
        if flash.sr().read().bits() & status::BUSY == 0 {
            return Ok(());
        }
    }
    Err(FlashError::Timeout)
}

/// The flash controller, owning every flash write and erase.
pub struct Flash {
    geometry: FlashGeometry,
    /// The partitions this program may change; everything else is refused.
    grants: &'static Grants,
}

/// The active part's flash geometry (a constant of its own, so only it reaches flash, not the
/// whole layout with the board's names and tables).
const GEOMETRY: FlashGeometry = ACTIVE.board.part.flash;

impl Flash {
    /// The bootloader's driver: primary slot, and in the dual-slot layout secondary slot,
    /// scratch area and state journal (never its own sectors, never the application's data).
    pub fn for_bootloader() -> Self {
        static GRANTS: Grants = Grants::bootloader(&ACTIVE);
        Self::with_grants(&GRANTS)
    }

    /// The application's driver (`slingshot-application`): secondary slot, state journal and
    /// its own data (never the bootloader, never the slot it runs from).
    pub fn for_application() -> Self {
        static GRANTS: Grants = Grants::application(&ACTIVE);
        Self::with_grants(&GRANTS)
    }

    fn with_grants(grants: &'static Grants) -> Self {
        Self {
            geometry: GEOMETRY,
            grants,
        }
    }

    // Out of line: `with_controller` is instantiated per operation (erase, program), and each
    // copy had the unlock sequence inlined (44 B less bootloader flash, 2026-12-05).
    #[inline(never)]
    fn unlock(&mut self) {
        let flash = device().FLASH;
        if flash.cr().read().lock().bit_is_set() {
            for key in UNLOCK_KEYS {
                // SAFETY: KEYR takes the documented unlock sequence (RM0090 §3.5.1).
                flash.keyr().write(|w| unsafe { w.bits(key) });
            }
        }
    }

    fn lock(&mut self) {
        device().FLASH.cr().modify(|_, w| w.lock().set_bit());
    }

    fn wait_idle(&self) -> Result<(), FlashError> {
        wait_until_idle()
    }

    /// Run `operation` unlocked, with stale errors cleared and the data cache off; then
    /// reset and restore the caches and lock again, whatever the result.
    fn with_controller<R>(
        &mut self,
        operation: impl FnOnce(&mut Self) -> Result<R, FlashError>,
    ) -> Result<R, FlashError> {
        let flash = device().FLASH;
        // With the hardware watchdog option it runs through every operation (a 128 KB erase
        // takes up to 2 s): reload it before each one. Harmless when it does not run.
        crate::watchdog::feed_independent_watchdog();
        self.wait_idle()?;
        let saved = flash.acr().read().bits();
        let caches = access_control::DATA_CACHE_ENABLE | access_control::INSTRUCTION_CACHE_ENABLE;
        // SAFETY: clearing the cache enables only changes performance; latency bits stay.
        flash
            .acr()
            .write(|w| unsafe { w.bits(saved & !access_control::DATA_CACHE_ENABLE) });
        self.unlock();
        // SAFETY: SR error flags are write-one-to-clear; BSY is read-only.
        flash.sr().write(|w| unsafe { w.bits(status::CLEAR_ALL) });
        let result = operation(self);
        // SAFETY: writing 0 leaves PG/SER cleared, the state between operations.
        flash.cr().write(|w| unsafe { w.bits(0) });
        self.lock();
        // Flash content changed under the caches: reset both while disabled, then restore.
        let resets = access_control::DATA_CACHE_RESET | access_control::INSTRUCTION_CACHE_RESET;
        // SAFETY: the reset bits act only while the caches are disabled (RM0090 §3.5.2).
        unsafe {
            flash.acr().write(|w| w.bits((saved & !caches) | resets));
            flash.acr().write(|w| w.bits(saved & !caches));
            flash.acr().write(|w| w.bits(saved));
        }
        result
    }

    fn status(&self) -> Result<(), FlashError> {
        decode_status(device().FLASH.sr().read().bits())
    }
}

impl ErrorType for Flash {
    type Error = FlashError;
}

impl ReadNorFlash for Flash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        check_bounds(&self.geometry, offset, bytes.len())?;
        let region = slingshot_layout::Region::new(self.geometry.base + offset, bytes.len() as u32);
        let source = crate::system::flash_bytes(region).ok_or(FlashError::OutOfBounds)?;
        bytes.copy_from_slice(source);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.geometry.size as usize
    }
}

impl NorFlash for Flash {
    const WRITE_SIZE: usize = 4;
    /// The smallest sector; every sector is a multiple of it. Erase ranges must also start
    /// and end on real sector boundaries of the mixed 16/64/128 KB map.
    const ERASE_SIZE: usize = 16 * 1024;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        let sectors = plan_erase(&self.geometry, from, to)?;
        self.grants.check(from, to - from)?;
        self.with_controller(|driver| {
            for sector in sectors {
                let flash = device().FLASH;
                // SAFETY: the value comes from the host-tested plan: SER, SNB, PSIZE x32.
                flash
                    .cr()
                    .write(|w| unsafe { w.bits(erase_control(sector)) });
                flash.cr().modify(|_, w| w.strt().set_bit());
                driver.wait_idle()?;
                driver.status()?;
            }
            Ok(())
        })
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        check_program(&self.geometry, offset, bytes.len())?;
        self.grants.check(offset, bytes.len() as u32)?;
        let base = self.geometry.base;
        self.with_controller(|driver| {
            // SAFETY: PG with PSIZE x32, from the host-tested plan.
            device()
                .FLASH
                .cr()
                .write(|w| unsafe { w.bits(program_control()) });
            for (index, chunk) in bytes.chunks_exact(4).enumerate() {
                let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                let address = base + offset + index as u32 * 4;
                // SAFETY: the address is a word-aligned flash address outside the bootloader
                // (checked above) and PG is set, so this store is a program operation.
                unsafe { (address as *mut u32).write_volatile(word) };
                // The store may wait in the core's write buffer: make sure it reached the
                // flash interface (which sets BSY) before BSY is polled (RM0090 §3.5.4,
                // "Programming": perform the write, then wait for BSY to clear).
                cortex_m::asm::dsb();
                driver.wait_idle()?;
                driver.status()?;
                // SAFETY: reading back the word just programmed from mapped flash.
                if unsafe { (address as *const u32).read_volatile() } != word {
                    return Err(FlashError::VerifyFailed);
                }
            }
            Ok(())
        })
    }
}
