//! The bank-2 read erratum of early STM32F429 revisions (ES0206 §2.2.11) on the strict twin:
//! with REV_ID 0x1003 every data read of bank 2 while PA12 is not driven low is fatal, and the
//! real bootloader (journal and secondary slot in bank 2) and example application (it reads the
//! journal) still run, because both drive PA12 low first; on the twin's usual revision they
//! leave PA12 alone. Needs `cargo xtask build` first.

use anyhow::{ensure, Result};
use slingshot_files::MemoryImage;
use slingshot_testkit::artifacts::{firmware_file, Program};
use slingshot_twin::board::address::DEBUG_MCU_IDCODE;
use slingshot_twin::{Stop, Twin, TwinConfig};

/// STM32F429, revision Y (before the fix in revision 3, 0x2001).
const REVISION_Y: u32 = 0x1003_0419;

fn boot_to_the_second_tick(idcode: u32) -> Result<Twin> {
    let mut twin = Twin::new(TwinConfig {
        strict: true,
        seed: 19,
        ..TwinConfig::default()
    })?;
    twin.board_mut().debug_mcu_idcode = idcode;
    twin.load_flash_file(&firmware_file(Program::Bootloader, "")?, None)?;
    twin.load_flash_file(
        &firmware_file(Program::Application, "signed.bin")?,
        Some(0x0800_8000),
    )?;
    twin.power_on()?;
    let stop = twin.run_until(200_000_000, |twin| {
        String::from_utf8_lossy(twin.serial_output()).contains("tick 2\r\n")
    })?;
    ensure!(
        stop == Stop::Condition,
        "no second tick ({stop:?}):\n{}",
        String::from_utf8_lossy(twin.serial_output())
    );
    Ok(twin)
}

#[test]
fn an_early_revision_boots_with_pa12_driven_low_before_bank_two_is_read() -> Result<()> {
    // The strict twin would have stopped at the first unguarded bank-2 read.
    let twin = boot_to_the_second_tick(REVISION_Y)?;
    let port_a = &twin.board().gpio[0];
    assert!(
        port_a.is_output(12) && !port_a.output_level(12),
        "PA12 driven low"
    );
    assert!(
        twin.board().diagnostics.is_empty(),
        "{:?}",
        twin.board().diagnostics
    );
    Ok(())
}

#[test]
fn a_fixed_revision_leaves_pa12_alone() -> Result<()> {
    let twin = boot_to_the_second_tick(DEBUG_MCU_IDCODE)?;
    assert!(!twin.board().gpio[0].is_output(12), "PA12 untouched");
    Ok(())
}

#[test]
fn the_twin_refuses_an_unguarded_bank_two_read_on_an_early_revision_only() -> Result<()> {
    let program =
        MemoryImage::from_binary(include_bytes!("programs/bank_two_read.bin"), 0x0800_0000)?;
    for (idcode, refused) in [(REVISION_Y, true), (DEBUG_MCU_IDCODE, false)] {
        let mut twin = Twin::new(TwinConfig {
            strict: true,
            seed: 19,
            ..TwinConfig::default()
        })?;
        twin.board_mut().debug_mcu_idcode = idcode;
        twin.load_flash_image(&program)?;
        twin.power_on()?;
        match twin.run(100) {
            Err(error) => {
                assert!(refused, "revision 0x{idcode:08x}: {error}");
                assert!(
                    error
                        .to_string()
                        .contains("data read of flash bank 2 at 0x08100000 on revision 0x1003"),
                    "{error}"
                );
            }
            Ok(stop) => {
                assert!(!refused, "revision 0x{idcode:08x} read bank 2 unguarded");
                assert_eq!(stop, Stop::Breakpoint);
            }
        }
    }
    Ok(())
}
