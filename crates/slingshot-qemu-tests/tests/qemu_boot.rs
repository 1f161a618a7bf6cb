//! System tests of the real bootloader and application binaries in QEMU (netduinoplus2),
//! deterministic with `-icount shift=0,sleep=off`. Each asserts on specific USART3 output
//! and on how QEMU ended (still running: no lock-up, no reset loop, no crash).
//!
//! Needs `cargo xtask build` first (`cargo xtask test` does it). The bootloader verifies
//! signatures, so the application is the one `cargo xtask build` signs with the development
//! key (`example-application.signed.bin`); the vector-table checks still come first and keep
//! their own reasons for the patched images below.

use anyhow::Result;
use slingshot_boot::VectorTableError;
use slingshot_layout::ACTIVE;
use slingshot_testkit::artifacts::{firmware_file, Program};
use slingshot_testkit::qemu::{Ending, Machine, Session};
use std::path::Path;
use std::time::Duration;

/// Safety net against hangs only; runs finish in well under a second.
const LIMIT: Duration = Duration::from_secs(20);

/// The application as `cargo xtask build` signed it.
fn signed_application() -> Result<std::path::PathBuf> {
    firmware_file(Program::Application, "signed.bin")
}

fn slot() -> u32 {
    ACTIVE.partitions.primary.start
}

fn boot_with_slot_content(content: Option<&Path>) -> Result<Session> {
    let mut machine = Machine::new(&firmware_file(Program::Bootloader, "")?);
    if let Some(content) = content {
        machine = machine.with_raw_image(content, slot());
    }
    machine.spawn()
}

/// The application binary with one vector-table word replaced.
fn patched_application(directory: &Path, word: usize, value: u32) -> Result<std::path::PathBuf> {
    let mut bytes = std::fs::read(signed_application()?)?;
    bytes[word * 4..word * 4 + 4].copy_from_slice(&value.to_le_bytes());
    let path = directory.join(format!("application-word{word}-{value:08x}.bin"));
    std::fs::write(&path, bytes)?;
    Ok(path)
}

fn expect_stay(session: &mut Session, code: u8, message: &str) -> Result<()> {
    session.wait_for(
        &format!("slingshot: staying in bootloader: reason 0x{code:02x}: {message}"),
        LIMIT,
    )?;
    // Give the core time to do anything wrong (it must sit in WFI).
    std::thread::sleep(Duration::from_millis(200));
    assert!(!session.printed("VTOR="), "{}", session.output());
    Ok(())
}

#[test]
fn valid_application_boots_with_relocated_vector_table_and_systick() -> Result<()> {
    let mut session = boot_with_slot_content(Some(&signed_application()?))?;
    session.wait_for(
        &format!(
            "slingshot: verifying v1.0.0+0 (security counter 0) at 0x{:08x}",
            slot()
        ),
        LIMIT,
    )?;
    session.wait_for("slingshot example application v", LIMIT)?;
    session.wait_for(&format!("VTOR=0x{:08x}", slot()), LIMIT)?;
    for tick in 1..=5 {
        session.wait_for(&format!("tick {tick}\r\n"), LIMIT)?;
    }
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    Ok(())
}

#[test]
fn erased_slot_stays_in_bootloader() -> Result<()> {
    let directory = tempfile::tempdir()?;
    let erased = directory.path().join("erased.bin");
    std::fs::write(&erased, vec![0xFF; 16 * 1024])?;
    let mut session = boot_with_slot_content(Some(&erased))?;
    let error = VectorTableError::SlotErased;
    expect_stay(&mut session, error.code(), error.message())?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    Ok(())
}

#[test]
fn never_written_slot_stays_in_bootloader() -> Result<()> {
    // QEMU's flash starts as zeros where nothing was loaded.
    let mut session = boot_with_slot_content(None)?;
    let error = VectorTableError::ZeroWord;
    expect_stay(&mut session, error.code(), error.message())?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    Ok(())
}

#[test]
fn garbage_vector_tables_stay_each_with_its_reason() -> Result<()> {
    let directory = tempfile::tempdir()?;
    let application = std::fs::read(signed_application()?)?;
    let reset_vector = u32::from_le_bytes(application[4..8].try_into()?);
    let cases = [
        (0, 0x3000_0000, VectorTableError::StackPointerOutsideRam),
        (0, 0x2001_0002, VectorTableError::StackPointerMisaligned),
        (1, 0x0800_0101, VectorTableError::ResetVectorOutsideSlot),
        (1, reset_vector & !1, VectorTableError::ResetVectorNotThumb),
        (1, 0xFFFF_FFFF, VectorTableError::ErasedWord),
    ];
    for (word, value, error) in cases {
        let image = patched_application(directory.path(), word, value)?;
        let mut session = boot_with_slot_content(Some(&image))?;
        expect_stay(&mut session, error.code(), error.message())?;
        assert_eq!(session.stop()?, Ending::StoppedWhileRunning, "{error:?}");
    }
    Ok(())
}

#[test]
fn application_requests_bootloader_through_mailbox() -> Result<()> {
    let mut session = boot_with_slot_content(Some(&signed_application()?))?;
    session.wait_for("send 'b' to enter the bootloader", LIMIT)?;
    session.wait_for("tick 1\r\n", LIMIT)?;
    session.send(b"b")?;
    session.wait_for("requesting the bootloader", LIMIT)?;
    session.wait_for(
        "slingshot: staying in bootloader: reason 0x20: the application requested the bootloader",
        LIMIT,
    )?;
    std::thread::sleep(Duration::from_millis(200));
    let output = session.output();
    assert_eq!(
        output.matches("slingshot example application").count(),
        1,
        "{output}"
    );
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    Ok(())
}
