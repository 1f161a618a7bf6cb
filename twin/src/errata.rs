//! The STM32F429 errata the twin enforces, for revisions the twin can be set to.
//!
//! ES0206 §2.2.11, "Flash memory bank 2 read corruption": on revisions before 3 (REV_ID below
//! 0x2001) data read from bank 2 can be corrupted while PA12 toggles. The twin has no USB
//! traffic to corrupt anything with, so it is stricter than that: on such a revision every data
//! read of bank 2 while PA12 is not an output driven low is a diagnostic (fatal on the strict
//! twin), whatever the pin does. Instruction fetches from bank 2 are not checked (the emulator
//! cannot route them through a model).

use crate::board::Board;

/// Offset of bank 2 from the flash base, and its size.
const BANK_TWO: (u32, u32) = (0x0010_0000, 0x0010_0000);
/// PA12.
const PIN: u32 = 12;

/// How the bank-2 diagnostic begins.
pub const BANK_TWO_READ_DIAGNOSTIC: &str = "data read of flash bank 2";

/// Whether the twin's revision has the bank-2 read erratum.
pub fn bank_two_erratum(board: &Board) -> bool {
    let part = &board.hardware.part;
    part.bank_two_erratum_fixed_revision.is_some_and(|fixed| {
        board.debug_mcu_idcode & 0xFFF == u32::from(part.device_id)
            && board.debug_mcu_idcode >> 16 < u32::from(fixed)
    })
}

/// Whether data reads at flash `offset` must go through the model to be checked.
pub fn bank_two_read_checked(board: &Board, offset: u32) -> bool {
    offset.wrapping_sub(BANK_TWO.0) < BANK_TWO.1 && bank_two_erratum(board)
}

/// The diagnostic for a data read at flash `offset` the erratum could corrupt, if any.
pub fn bank_two_read_diagnostic(board: &Board, offset: u32) -> Option<String> {
    if !bank_two_read_checked(board, offset) {
        return None;
    }
    let port_a = &board.gpio[0];
    let driven_low =
        board.rcc.ahb1_enabled(0) && port_a.is_output(PIN) && !port_a.output_level(PIN);
    (!driven_low).then(|| {
        format!(
            "{BANK_TWO_READ_DIAGNOSTIC} at 0x{:08x} on revision 0x{:04x} while PA12 is not an \
             output driven low (ES0206 §2.2.11: bank-2 reads can be corrupted before revision \
             0x2001)",
            crate::memory::FLASH_BASE + offset,
            board.debug_mcu_idcode >> 16
        )
    })
}
