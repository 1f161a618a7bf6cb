//! The real bootloader and application binaries on the twin, with the same expectations as the
//! QEMU system tests (`crates/slingshot-qemu-tests/tests/qemu_boot.rs`), and a direct comparison
//! of the USART3 text both emulators print. Needs `cargo xtask build` first; without the
//! firmware files these tests fail and say how to build them.

use anyhow::{Context, Result};
use slingshot_layout::ACTIVE;
use slingshot_testkit::artifacts::{firmware_file, Program};
use slingshot_twin::{Stop, Twin, TwinConfig};

fn slot() -> u32 {
    ACTIVE.partitions.primary.start
}

fn twin_with_firmware(application: bool) -> Result<Twin> {
    let mut twin = Twin::new(TwinConfig {
        strict: true,
        seed: 11,
        ..TwinConfig::default()
    })?;
    twin.load_flash_file(&firmware_file(Program::Bootloader, "")?, None)?;
    if application {
        // The bootloader verifies the signature: load the signed image at the slot start.
        twin.load_flash_file(
            &firmware_file(Program::Application, "signed.bin")?,
            Some(0x0800_8000),
        )?;
    }
    // The host's terminal at 115200 baud: text the firmware sends at another rate (a baud
    // divider not updated for the 42 MHz APB1 of the PLL-clocked decision) arrives garbled.
    twin.set_line_baud(Some(115_200));
    twin.power_on()?;
    Ok(twin)
}

fn text(twin: &Twin) -> String {
    String::from_utf8_lossy(twin.serial_output()).into_owned()
}

/// Run until `pattern` appears in the serial output (at most 200 M instructions: 12.5 s of
/// board time at 16 MHz).
fn wait_for(twin: &mut Twin, pattern: &str) -> Result<()> {
    let pattern_bytes = pattern.as_bytes().to_vec();
    let stop = twin.run_until(200_000_000, |twin| {
        twin.serial_output()
            .windows(pattern_bytes.len())
            .any(|window| window == pattern_bytes)
    })?;
    anyhow::ensure!(
        stop == Stop::Condition,
        "{pattern:?} not printed ({stop:?}); output:\n{}",
        text(twin)
    );
    Ok(())
}

#[test]
fn valid_application_boots_with_relocated_vector_table_and_systick() -> Result<()> {
    let mut twin = twin_with_firmware(true)?;
    wait_for(
        &mut twin,
        &format!(
            "slingshot: verifying v1.0.0+0 (security counter 0) at 0x{:08x}",
            slot()
        ),
    )?;
    wait_for(&mut twin, "slingshot example application v")?;
    wait_for(&mut twin, &format!("VTOR=0x{:08x}", slot()))?;
    for tick in 1..=5 {
        wait_for(&mut twin, &format!("tick {tick}\r\n"))?;
    }
    // LD1 (PB0) toggles on every tick.
    let green = twin
        .board()
        .led_events
        .iter()
        .filter(|event| event.pin == ('B', 0))
        .count();
    assert!(green >= 5, "LD1 changes: {green}");
    // The firmware touches nothing the twin does not model (strict mode would have failed).
    assert!(twin.board().unmodelled.is_empty());
    Ok(())
}

#[test]
fn erased_slot_stays_in_bootloader_and_lights_ld3() -> Result<()> {
    let mut twin = twin_with_firmware(false)?;
    let error = slingshot_boot::VectorTableError::SlotErased;
    wait_for(
        &mut twin,
        &format!(
            "slingshot: staying in bootloader: reason 0x{:02x}: {}",
            error.code(),
            error.message()
        ),
    )?;
    // It then serves the serial update protocol (polling its DMA receive ring): it keeps
    // running without faulting, never hands off, and keeps LD3 on.
    assert_eq!(twin.run(10_000_000)?, Stop::InstructionLimit);
    assert!(twin.board().leds()[2], "LD3 on");
    assert!(!text(&twin).contains("VTOR="));
    Ok(())
}

#[test]
fn application_request_through_the_mailbox_keeps_the_bootloader() -> Result<()> {
    let mut twin = twin_with_firmware(true)?;
    wait_for(&mut twin, "tick 1\r\n")?;
    twin.send_serial(b"b");
    wait_for(&mut twin, "requesting the bootloader")?;
    wait_for(&mut twin, "slingshot: staying in bootloader")?;
    let output = text(&twin);
    let after_request = &output[output
        .find("requesting the bootloader")
        .context("request line")?..];
    assert!(
        !after_request.contains("slingshot: verifying") && !after_request.contains("VTOR="),
        "{output}"
    );
    Ok(())
}

#[test]
fn twin_and_qemu_print_the_same_text() -> Result<()> {
    use slingshot_testkit::qemu::Machine;
    let mut twin = twin_with_firmware(true)?;
    wait_for(&mut twin, "tick 3\r\n")?;
    let mut session = Machine::new(&firmware_file(Program::Bootloader, "")?)
        .with_raw_image(&firmware_file(Program::Application, "signed.bin")?, slot())
        .spawn()
        .context("starting qemu-system-arm (see README for installing it)")?;
    session.wait_for("tick 3\r\n", std::time::Duration::from_secs(20))?;
    let qemu = session.output();
    let qemu = &qemu[..qemu.find("tick 3\r\n").context("tick 3")? + 8];
    let twin_text = text(&twin);
    let twin_text = &twin_text[..twin_text.find("tick 3\r\n").context("tick 3")? + 8];
    // QEMU has no flash interface: the firmware says so and cannot read the boot state or the
    // reset reason there. Everything else must match line for line.
    assert_eq!(
        comparable(twin_text),
        comparable(qemu),
        "twin:\n{twin_text}\nqemu:\n{qemu}"
    );
    assert!(
        qemu.contains("flash interface does not respond") && twin_text.contains("state confirmed"),
        "twin:\n{twin_text}\nqemu:\n{qemu}"
    );
    let _ = session.stop();
    Ok(())
}

/// The lines both emulators must print alike: without QEMU's note about the missing flash
/// interface, and `boot:` lines cut before the state (which QEMU cannot read).
fn comparable(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| !line.contains("flash interface does not respond"))
        .map(|line| match line.find(", state ") {
            Some(end) if line.starts_with("boot: ") => &line[..end],
            _ => line,
        })
        .collect()
}
