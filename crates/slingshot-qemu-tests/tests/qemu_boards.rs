//! The other boards' builds on QEMU's netduinoplus2, an STM32F405 (the STM32F407's flash map
//! and peripherals): the STM32F4DISCOVERY build of the bootloader (single slot, USART2 on
//! PA2/PA3, its part's sector map and RAM) verifies the application built and signed for that
//! board and starts it, and the application speaks on USART2.
//!
//! Needs `cargo xtask build --board stm32f4discovery --layout single` first (`cargo xtask test`
//! does it).

use anyhow::Result;
use slingshot_layout::boards::{Usart, STM32F4DISCOVERY};
use slingshot_layout::layouts::STM32F4DISCOVERY_SINGLE_SLOT;
use slingshot_testkit::artifacts::{board_firmware_file, Program};
use slingshot_testkit::qemu::{Ending, Machine};
use std::time::Duration;

/// Safety net against hangs only; the run takes well under a second of QEMU time.
const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn the_stm32f4discovery_build_verifies_and_starts_its_application_on_the_f405_machine() -> Result<()>
{
    let board = STM32F4DISCOVERY;
    assert_eq!(board.serial.usart, Usart::Usart2);
    let slot = STM32F4DISCOVERY_SINGLE_SLOT.partitions.primary.start;
    let bootloader = board_firmware_file(board.name, "single", Program::Bootloader, "")?;
    let application =
        board_firmware_file(board.name, "single", Program::Application, "signed.bin")?;
    let mut session = Machine::new(&bootloader)
        .with_raw_image(&application, slot)
        .with_host_serial(Usart::Usart2)
        .spawn()?;
    session.wait_for("slingshot: verifying v", LIMIT)?;
    session.wait_for(&format!(" at 0x{slot:08x}\r\n"), LIMIT)?;
    session.wait_for("slingshot example application v", LIMIT)?;
    session.wait_for(&format!("VTOR=0x{slot:08x}"), LIMIT)?;
    session.wait_for("tick 2\r\n", LIMIT)?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    Ok(())
}

#[test]
fn a_nucleo_f429zi_image_is_refused_by_the_stm32f4discovery_bootloader() -> Result<()> {
    let board = STM32F4DISCOVERY;
    let slot = STM32F4DISCOVERY_SINGLE_SLOT.partitions.primary.start;
    let bootloader = board_firmware_file(board.name, "single", Program::Bootloader, "")?;
    // The default build's application is signed for the Nucleo-F429ZI (board id 0x04290001).
    let foreign = slingshot_testkit::artifacts::firmware_file(Program::Application, "signed.bin")?;
    let mut session = Machine::new(&bootloader)
        .with_raw_image(&foreign, slot)
        .with_host_serial(Usart::Usart2)
        .spawn()?;
    session.wait_for("slingshot: staying in bootloader", LIMIT)?;
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !session.printed("slingshot example application"),
        "{}",
        session.output()
    );
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    Ok(())
}
