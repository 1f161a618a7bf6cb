//! The flash driver with a count of the writes and erases that touched the primary slot, so
//! the hand-off can tell whether the primary image's last verification still holds. The
//! serial update service (bootloader mode) uses the same driver, so the update engine's
//! journal code and the verifier are linked once.

use embedded_storage::nor_flash::{ErrorType, NorFlash, ReadNorFlash};
use slingshot_layout::ACTIVE;
use slingshot_stm32::flash::Flash;

/// [`Flash`] plus a change counter for one region (the primary slot).
pub struct TrackedFlash {
    inner: Flash,
    /// Offset of the primary slot from the flash base.
    primary_start: u32,
    /// Offset one past its end.
    primary_end: u32,
    changes: u32,
}

impl TrackedFlash {
    /// Track writes to `[primary_start, primary_start + primary_size)` (flash offsets).
    pub fn new(inner: Flash, primary_start: u32, primary_size: u32) -> Self {
        Self {
            inner,
            primary_start,
            primary_end: primary_start + primary_size,
            changes: 0,
        }
    }

    /// The flash driver tracking the active layout's primary slot. Reading works without the
    /// flash interface (flash is memory-mapped); writing and erasing need it.
    // Out of line: the boot plan, the interrupted-swap path and the serial service each take
    // one (92 B less flash, 2026-12-05).
    #[inline(never)]
    pub fn for_primary_slot() -> Self {
        let primary = ACTIVE.partitions.primary;
        Self::new(
            Flash::for_bootloader(),
            primary.start - ACTIVE.board.part.flash.base,
            primary.size,
        )
    }

    /// How many writes or erases touched (or tried to touch) the primary slot so far.
    pub fn primary_changes(&self) -> u32 {
        self.changes
    }

    fn note(&mut self, from: u32, to: u32) {
        if from < self.primary_end && to > self.primary_start {
            self.changes = self.changes.wrapping_add(1);
        }
    }
}

impl ErrorType for TrackedFlash {
    type Error = <Flash as ErrorType>::Error;
}

impl ReadNorFlash for TrackedFlash {
    const READ_SIZE: usize = Flash::READ_SIZE;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.inner.read(offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.inner.capacity()
    }
}

impl NorFlash for TrackedFlash {
    const WRITE_SIZE: usize = Flash::WRITE_SIZE;
    const ERASE_SIZE: usize = Flash::ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        // Counted before the operation: a failed or interrupted one may have changed bytes.
        self.note(from, to);
        self.inner.erase(from, to)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        self.note(offset, offset.saturating_add(bytes.len() as u32));
        self.inner.write(offset, bytes)
    }
}
