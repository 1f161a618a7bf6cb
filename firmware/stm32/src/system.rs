//! Whole-chip operations: reading memory-mapped flash and resetting.

use slingshot_layout::Region;

/// The bytes of a flash region, read through the memory-mapped flash interface.
///
/// Returns `None` unless the region lies inside the active layout's flash.
pub fn flash_bytes(region: Region) -> Option<&'static [u8]> {
    let flash = slingshot_layout::ACTIVE.board.part.flash.region();
    if !flash.contains_region(region) {
        return None;
    }
    // SAFETY: the region lies inside the chip's flash, which is always mapped and readable
    // (RM0090 §3.4); nothing in Rust holds a mutable reference to flash. Its content may
    // change only through the flash controller, which the bootloader does not run while a
    // slice returned here is alive.
    Some(unsafe { core::slice::from_raw_parts(region.start as *const u8, region.size as usize) })
}

/// Read one 32-bit word of flash (e.g. a vector-table entry).
pub fn flash_word(address: u32) -> Option<u32> {
    let bytes = flash_bytes(Region::new(address, 4))?;
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// Request a system reset (AIRCR.SYSRESETREQ) and wait for it.
pub fn reset() -> ! {
    cortex_m::peripheral::SCB::sys_reset()
}
