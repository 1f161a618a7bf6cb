//! The protocol's protection request (`slingshot protect`) as the flash controller's
//! option-byte plan sees it: the one adapter between the two.

use slingshot_flash_controller::option_bytes::{BrownOutLevel, ProtectionRequest, ReadProtection};
use slingshot_layout::ACTIVE;
use slingshot_protocol::message::Protection;

/// The plan's request for a protocol request (values the protocol already range-checked).
pub fn request(protection: Protection) -> ProtectionRequest {
    ProtectionRequest {
        brown_out: match protection.brown_out {
            1 => Some(BrownOutLevel::Off),
            2 => Some(BrownOutLevel::Level1),
            3 => Some(BrownOutLevel::Level2),
            4 => Some(BrownOutLevel::Level3),
            _ => None,
        },
        protect_bootloader: protection.protect_bootloader == 1,
        read_protection: match protection.read_protection {
            1 => Some(ReadProtection::Level1),
            2 => Some(ReadProtection::Level2),
            _ => None,
        },
        confirmation: protection.confirmation,
    }
}

/// Numbers of the sectors the bootloader partition covers (0 and 1 on the F429), found at
/// compile time.
pub const BOOTLOADER_SECTORS: core::ops::Range<u8> = {
    let sectors = ACTIVE
        .board
        .part
        .flash
        .sector_numbers_in(ACTIVE.partitions.bootloader);
    assert!(
        sectors.start < sectors.end,
        "the bootloader partition covers no sector"
    );
    sectors
};
