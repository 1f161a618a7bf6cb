//! The chip's protection as `slingshot info` shows it and `slingshot protect` changes it: the
//! info reply's chip block decoded with the flash controller's option-byte rules
//! (`slingshot_flash_controller::option_bytes`), and [`protect`], the library call behind the
//! command (xtask and the tests call it too).
//!
//! The plan is made twice: here, to refuse before anything is sent and to show what changes,
//! and by the bootloader, which decides from the option bytes it reads itself.

use crate::flashing::{connect, FlashError, FlashEvent, FlashOptions};
use slingshot_flash_controller::option_bytes::{
    plan_protection, BrownOutLevel, OptionBytes, ProtectionRefusal, ProtectionRequest,
    ReadProtection,
};
use slingshot_layout::Board;
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::host::{HostError, Transport};
use slingshot_protocol::info::{ChipInfo, DeviceInfo};
use slingshot_protocol::message::Protection;
use std::fmt::Write as _;

/// The option bytes of a chip block.
pub fn option_bytes(chip: &ChipInfo) -> OptionBytes {
    OptionBytes::from_registers(chip.option_control, chip.option_control1)
}

/// `level 3 (reset below about 2.83 V)`.
pub fn brown_out_text(level: BrownOutLevel) -> String {
    let name = match level {
        BrownOutLevel::Off => return "off (only the power-down reset, about 1.8 V)".into(),
        BrownOutLevel::Level1 => "level 1",
        BrownOutLevel::Level2 => "level 2",
        BrownOutLevel::Level3 => "level 3",
    };
    let millivolts = level.threshold_millivolts().unwrap_or_default();
    format!(
        "{name} (reset below about {}.{:02} V)",
        millivolts / 1000,
        millivolts % 1000 / 10
    )
}

fn read_protection_text(level: ReadProtection) -> &'static str {
    match level {
        ReadProtection::Level0 => "level 0 (none)",
        ReadProtection::Level1 => "level 1 (flash hidden from the debugger)",
        ReadProtection::Level2 => "level 2 (permanent: no debugger, option bytes frozen)",
    }
}

/// `0-1` style list of the write-protected sectors, `none` without any.
fn protected_sectors_text(options: &OptionBytes) -> String {
    let sectors: Vec<u8> = (0..24)
        .filter(|sector| options.write_protected(*sector))
        .collect();
    if sectors.is_empty() {
        return "none".into();
    }
    let mut text = String::new();
    let mut index = 0;
    while index < sectors.len() {
        let start = sectors[index];
        let mut end = start;
        while index + 1 < sectors.len() && sectors[index + 1] == end + 1 {
            index += 1;
            end = sectors[index];
        }
        if !text.is_empty() {
            text.push_str(", ");
        }
        if start == end {
            let _ = write!(text, "{start}");
        } else {
            let _ = write!(text, "{start}-{end}");
        }
        index += 1;
    }
    text
}

/// The protection settings, one line each (brown-out, read protection, write protection,
/// watchdog), for `info` and `protect`.
pub fn protection_lines(options: &OptionBytes) -> Vec<String> {
    let mut lines = vec![
        format!(
            "brown-out reset: {}",
            brown_out_text(options.brown_out_level())
        ),
        format!(
            "read protection: {}",
            read_protection_text(options.read_protection())
        ),
    ];
    if options.proprietary_code_mode() {
        lines.push("write protection: none (SPRMOD set: nWRP selects PCROP)".into());
    } else {
        lines.push(format!(
            "write-protected sectors: {}",
            protected_sectors_text(options)
        ));
    }
    lines.push(format!(
        "watchdog: {}",
        if options.hardware_watchdog() {
            "hardware option (the IWDG runs from reset)"
        } else {
            "software (started only for trial images)"
        }
    ));
    lines
}

/// The chip block as text lines: identity (checked against `board`), revision and errata,
/// then [`protection_lines`].
pub fn chip_lines(chip: &ChipInfo, board: Option<&Board>) -> Vec<String> {
    let mut identity = format!(
        "chip: device id 0x{:03x}, revision 0x{:04x}",
        chip.device_id(),
        chip.revision()
    );
    if let Some(board) = board {
        if board.part.device_id != chip.device_id() {
            let _ = write!(
                identity,
                " (not the 0x{:03x} of {}: is the layout right?)",
                board.part.device_id, board.name
            );
        } else if board
            .part
            .bank_two_erratum_fixed_revision
            .is_some_and(|fixed| chip.revision() < fixed)
        {
            identity.push_str(
                " (before the fix of ES0206 2.2.11: the bootloader drives PA12 low before reading flash bank 2; do not use USB on PA12)",
            );
        }
    }
    let mut lines = vec![identity];
    lines.extend(protection_lines(&option_bytes(chip)));
    lines
}

/// What `slingshot protect` asks for, and how it maps onto the protocol request.
pub fn protocol_request(request: &ProtectionRequest) -> Protection {
    Protection {
        brown_out: match request.brown_out {
            None => 0,
            Some(BrownOutLevel::Off) => 1,
            Some(BrownOutLevel::Level1) => 2,
            Some(BrownOutLevel::Level2) => 3,
            Some(BrownOutLevel::Level3) => 4,
        },
        protect_bootloader: u8::from(request.protect_bootloader),
        read_protection: match request.read_protection {
            None | Some(ReadProtection::Level0) => 0,
            Some(ReadProtection::Level1) => 1,
            Some(ReadProtection::Level2) => 2,
        },
        confirmation: request.confirmation,
    }
}

/// What [`protect`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectReport {
    /// The device as it answered the first hello.
    pub device: DeviceInfo,
    /// The option bytes before.
    pub before: ChipInfo,
    /// The option bytes now in force.
    pub after: ChipInfo,
    /// Whether anything had to be programmed.
    pub changed: bool,
}

/// Why [`protect`] failed; nothing was changed unless the message says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum ProtectError {
    /// Connecting failed.
    #[error(transparent)]
    Connect(#[from] FlashError),
    /// The bootloader predates option-byte support.
    #[error("the bootloader on the board does not report its option bytes (it predates `slingshot protect`): update the bootloader first (`cargo xtask flash`); nothing was changed")]
    NotSupported,
    /// The bootloader reports a layout this tool does not know.
    #[error("the bootloader reports layout {name:?}, which this version of slingshot does not know: update slingshot; nothing was changed")]
    UnknownLayout {
        /// The layout name the device reported.
        name: String,
    },
    /// The plan refuses the request.
    #[error("{}; nothing was changed", .0.message())]
    Refused(ProtectionRefusal),
    /// The bootloader could not program the option bytes.
    #[error("the bootloader could not program the option bytes ({}, code 0x{:04x}, detail 0x{detail:08x}); read them back with `slingshot info`", code.description(), code.code())]
    ProgrammingFailed {
        /// The device's error code.
        code: ErrorCode,
        /// Its detail.
        detail: u32,
    },
    /// The link failed while the request was under way.
    #[error("asking the bootloader to change its protection: {0}; run `slingshot info` to see what is in force")]
    Device(HostError),
}

/// Connect to the bootloader on `transport`, plan `request` against the option bytes it
/// reports, and (unless nothing would change) ask it to program them.
pub fn protect<T: Transport>(
    transport: T,
    request: &ProtectionRequest,
    options: &FlashOptions,
    events: &mut dyn FnMut(FlashEvent),
) -> Result<ProtectReport, ProtectError> {
    let (mut session, device) = connect(transport, options, events)?;
    let before = device.chip.ok_or(ProtectError::NotSupported)?;
    let layout = slingshot_layout::Layout::by_name(device.layout_name()).ok_or_else(|| {
        ProtectError::UnknownLayout {
            name: device.layout_name().to_owned(),
        }
    })?;
    let sectors = layout
        .board
        .part
        .flash
        .sector_numbers_in(layout.partitions.bootloader);
    let planned =
        plan_protection(option_bytes(&before), request, sectors).map_err(ProtectError::Refused)?;
    if planned == option_bytes(&before) {
        return Ok(ProtectReport {
            device,
            before,
            after: before,
            changed: false,
        });
    }
    let after = session
        .set_protection(protocol_request(request))
        .map_err(|error| match error {
            HostError::Rejected {
                code: ErrorCode::ProtectionRefused,
                detail,
                ..
            } => match ProtectionRefusal::from_code(detail) {
                Some(refusal) => ProtectError::Refused(refusal),
                None => ProtectError::ProgrammingFailed {
                    code: ErrorCode::ProtectionRefused,
                    detail,
                },
            },
            HostError::Rejected { code, detail, .. } => {
                ProtectError::ProgrammingFailed { code, detail }
            }
            other => ProtectError::Device(other),
        })?;
    Ok(ProtectReport {
        device,
        before,
        after,
        changed: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use slingshot_layout::boards::NUCLEO_F429ZI;

    #[test]
    fn chip_lines_name_the_revision_the_erratum_and_every_protection() {
        let chip = ChipInfo {
            id_code: 0x1003_6419,
            option_control: 0x0FF0_55E0, // BOR level 3, level 1, sectors 0-3 protected
            option_control1: 0x0FF5_0000, // sectors 13 and 15 protected
        };
        let lines = chip_lines(&chip, Some(&NUCLEO_F429ZI));
        assert!(
            lines[0].starts_with(
                "chip: device id 0x419, revision 0x1003 (before the fix of ES0206 2.2.11"
            ),
            "{lines:?}"
        );
        assert_eq!(
            lines[1],
            "brown-out reset: level 3 (reset below about 2.83 V)"
        );
        assert_eq!(
            lines[2],
            "read protection: level 1 (flash hidden from the debugger)"
        );
        assert_eq!(lines[3], "write-protected sectors: 0-3, 13, 15");
        assert_eq!(
            lines[4],
            "watchdog: software (started only for trial images)"
        );
        let other_part = ChipInfo {
            id_code: 0x1000_0413,
            ..chip
        };
        assert!(chip_lines(&other_part, Some(&NUCLEO_F429ZI))[0]
            .contains("not the 0x419 of nucleo-f429zi"));
    }

    #[test]
    fn the_protocol_request_carries_every_choice() {
        let request = ProtectionRequest {
            brown_out: Some(BrownOutLevel::Level1),
            protect_bootloader: true,
            read_protection: Some(ReadProtection::Level2),
            confirmation: slingshot_flash_controller::option_bytes::PERMANENT_CONFIRMATION,
        };
        assert_eq!(
            protocol_request(&request),
            Protection {
                brown_out: 2,
                protect_bootloader: 1,
                read_protection: 2,
                confirmation: u32::from_le_bytes(*b"PERM"),
            }
        );
        assert_eq!(
            protocol_request(&ProtectionRequest::default()),
            Protection::default()
        );
        let layout = &slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT;
        let flash = layout.board.part.flash;
        assert_eq!(flash.sector_numbers_in(layout.partitions.bootloader), 0..2);
        // A region between sectors' starts covers both; one outside flash covers none.
        let region = slingshot_layout::Region::new(0x0800_3FFC, 8);
        assert_eq!(flash.sector_numbers_in(region), 0..2);
        let outside = slingshot_layout::Region::new(0x2000_0000, 4);
        assert!(flash.sector_numbers_in(outside).is_empty());
    }
}
