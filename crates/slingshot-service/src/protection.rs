//! The protocol's protection request (`slingshot protect`) as the flash controller's
//! option-byte plan sees it: the one adapter between the two.

use slingshot_flash_controller::option_bytes::{BrownOutLevel, ProtectionRequest, ReadProtection};
use slingshot_protocol::message::Protection;

/// The option-byte request `protection` asks for (0 in a field: leave it as it is).
pub fn protection_request(protection: Protection) -> ProtectionRequest {
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
