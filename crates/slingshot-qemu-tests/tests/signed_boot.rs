//! Verified boot of the real binaries in QEMU: the bootloader built by `cargo xtask build`
//! (default features: signature check, dual-slot layout; QEMU has no flash interface, so the
//! update engine is off and the primary image is verified alone) starts only images signed by
//! a key it embeds, and each refusal names its own reason over USART3.
//!
//! Needs `cargo xtask build` first (`cargo xtask test` does it). The foreign-program test
//! builds firmware/foreign-application; the key-rotation test builds a bootloader variant
//! trusting two keys into firmware/target/variants/rotated-keys (about a minute the first
//! time, then cached: the test keys come from fixed seeds), and the `fast-verify` test one
//! into firmware/target/variants/fast-verify.

mod support;

use anyhow::Result;
use slingshot_image::ImageError;
use slingshot_layout::ACTIVE;
use slingshot_testkit::artifacts::{firmware_file, Program};
use slingshot_testkit::qemu::{Ending, Machine, Session};
use std::path::Path;
use std::time::Duration;
use support::{patched, sign, test_key, trailer_offset};

/// Safety net against hangs only (a verified boot takes a few seconds of QEMU time at most).
const LIMIT: Duration = Duration::from_secs(60);

/// Descriptor field offsets used below (see the table in slingshot-image's crate docs).
const DESCRIPTOR_MAGIC: usize = 0x00;
const DESCRIPTOR_VERSION_MAJOR: usize = 0x14;
/// Trailer part offsets from the descriptor start (version-1 descriptor of 128 bytes).
const DIGEST_OFFSET: usize = 128;
const SIGNATURE_OFFSET: usize = 128 + 32;

fn boot(bootloader: &Path, image: &Path) -> Result<Session> {
    Machine::new(bootloader)
        .with_raw_image(image, ACTIVE.partitions.primary.start)
        .spawn()
}

fn default_bootloader() -> Result<std::path::PathBuf> {
    firmware_file(Program::Bootloader, "")
}

fn signed_application() -> Result<std::path::PathBuf> {
    firmware_file(Program::Application, "signed.bin")
}

/// The bootloader announced the verification of `version` (the start of its version text,
/// e.g. `1.0.0+0 (security counter 0)` or `0.3.1+7`) for the primary slot; callers then wait
/// for the application's own output, which shows that it started.
fn expect_started(session: &mut Session, version: &str) -> Result<()> {
    session.wait_for(&format!("slingshot: verifying v{version}"), LIMIT)?;
    session.wait_for(
        &format!(" at 0x{:08x}\r\n", ACTIVE.partitions.primary.start),
        LIMIT,
    )?;
    Ok(())
}

/// The bootloader refused with exactly `error`'s code and message and started nothing.
fn expect_refused(session: &mut Session, error: ImageError) -> Result<()> {
    session.wait_for(
        &format!(
            "slingshot: staying in bootloader: reason 0x{:02x}: {}",
            error.code(),
            error.message()
        ),
        LIMIT,
    )?;
    std::thread::sleep(Duration::from_millis(200));
    let output = session.output();
    assert!(
        !output.contains("VTOR=") && !output.contains("foreign application"),
        "{output}"
    );
    Ok(())
}

fn refused_with(image: &Path, error: ImageError) -> Result<()> {
    let mut session = boot(&default_bootloader()?, image)?;
    expect_refused(&mut session, error)?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning, "{error:?}");
    Ok(())
}

#[test]
fn signed_application_boots_and_reports_its_version() -> Result<()> {
    let mut session = boot(&default_bootloader()?, &signed_application()?)?;
    expect_started(&mut session, "1.0.0+0 (security counter 0)")?;
    session.wait_for("slingshot example application v1.0.0", LIMIT)?;
    session.wait_for("VTOR=0x08008000", LIMIT)?;
    session.wait_for("image: version 1.0.0+0, security counter 0", LIMIT)?;
    session.wait_for(
        "boot: slot primary, state unknown (no flash interface)",
        LIMIT,
    )?;
    session.wait_for("tick 3\r\n", LIMIT)?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    Ok(())
}

#[test]
fn unsigned_application_is_refused() -> Result<()> {
    refused_with(
        &firmware_file(Program::Application, "bin")?,
        ImageError::NoDescriptor,
    )
}

#[test]
fn program_unaware_of_slingshot_boots_when_signed_as_raw_binary() -> Result<()> {
    let directory = tempfile::tempdir()?;
    let binary = support::foreign_application_binary(directory.path())?;
    let signed = directory.path().join("foreign-application.signed.bin");
    sign(
        &binary,
        &support::development_key()?,
        Some(ACTIVE.partitions.primary.start),
        &signed,
    )?;
    let mut session = boot(&default_bootloader()?, &signed)?;
    expect_started(&mut session, "0.3.1+7")?;
    session.wait_for(
        "foreign application: a program that knows nothing of Slingshot",
        LIMIT,
    )?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    Ok(())
}

#[test]
fn one_flipped_byte_is_refused_with_its_reason() -> Result<()> {
    let directory = tempfile::tempdir()?;
    let source = signed_application()?;
    let bytes = std::fs::read(&source)?;
    let trailer = trailer_offset(&bytes);
    // Each case flips all bits of one byte.
    let cases = [
        ("code", trailer / 2, ImageError::HashMismatch),
        (
            "descriptor-version",
            trailer + DESCRIPTOR_VERSION_MAJOR,
            ImageError::HashMismatch,
        ),
        (
            "descriptor-magic",
            trailer + DESCRIPTOR_MAGIC,
            ImageError::BadMagic,
        ),
        (
            "digest",
            trailer + DIGEST_OFFSET + 3,
            ImageError::HashMismatch,
        ),
        (
            "signature",
            trailer + SIGNATURE_OFFSET + 5,
            ImageError::BadSignature,
        ),
    ];
    for (name, offset, error) in cases {
        let image = patched(&source, directory.path(), &format!("{name}.bin"), |bytes| {
            bytes[offset] ^= 0xFF
        })?;
        refused_with(&image, error)?;
    }
    Ok(())
}

#[test]
fn image_signed_by_an_unknown_key_is_refused() -> Result<()> {
    let directory = tempfile::tempdir()?;
    let unknown = test_key("unknown", 0x5A)?;
    let signed = directory.path().join("unknown-key.bin");
    sign(
        &firmware_file(Program::Application, "")?,
        &unknown,
        None,
        &signed,
    )?;
    refused_with(&signed, ImageError::NoTrustedKey)
}

#[test]
fn truncated_images_are_refused() -> Result<()> {
    let directory = tempfile::tempdir()?;
    let source = signed_application()?;
    let trailer = trailer_offset(&std::fs::read(&source)?);
    // QEMU's flash reads 0x00 past the end of a loaded file (the chip's erased flash reads
    // 0xFF): both are refused the same way.
    let without_signature = patched(&source, directory.path(), "no-signature.bin", |bytes| {
        bytes.truncate(trailer + SIGNATURE_OFFSET)
    })?;
    refused_with(&without_signature, ImageError::BadSignature)?;
    let without_trailer = patched(&source, directory.path(), "half.bin", |bytes| {
        bytes.truncate(trailer / 2)
    })?;
    refused_with(&without_trailer, ImageError::BadMagic)?;
    // A trailer offset (word 7) beyond the slot.
    let beyond = patched(&source, directory.path(), "beyond.bin", |bytes| {
        bytes[28..32].copy_from_slice(&(ACTIVE.partitions.primary.size + 4).to_le_bytes())
    })?;
    refused_with(&beyond, ImageError::ImageSizeBeyondSlot)
}

#[test]
fn second_key_is_accepted_after_rotation() -> Result<()> {
    let directory = tempfile::tempdir()?;
    let rotated = test_key("rotated", 0xA5)?;
    let bootloader = support::rotated_keys_bootloader(&rotated)?;
    let application = firmware_file(Program::Application, "")?;
    // Signed with the new key: accepted by the two-key bootloader...
    let signed = directory.path().join("rotated.bin");
    sign(&application, &rotated, None, &signed)?;
    let mut session = boot(&bootloader, &signed)?;
    expect_started(&mut session, "0.3.1+7")?;
    session.wait_for("slingshot example application v", LIMIT)?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    // ...and so is the old (development) key, while the single-key bootloader refuses the
    // new one.
    let mut session = boot(&bootloader, &signed_application()?)?;
    expect_started(&mut session, "1.0.0+0")?;
    session.wait_for("slingshot example application v1.0.0", LIMIT)?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    refused_with(&signed, ImageError::NoTrustedKey)?;
    // A key neither embeds is still refused by the two-key bootloader.
    let unknown = test_key("unknown", 0x5A)?;
    let foreign_key = directory.path().join("unknown.bin");
    sign(&application, &unknown, None, &foreign_key)?;
    let mut session = boot(&bootloader, &foreign_key)?;
    expect_refused(&mut session, ImageError::NoTrustedKey)?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    Ok(())
}

#[test]
fn fast_verify_bootloader_boots_where_the_pll_never_locks() -> Result<()> {
    // QEMU never reports the PLL ready: the bounded waits must give up, verification runs on
    // the reset clock, and the application still starts (with USART3 at the right baud rate).
    let bootloader = support::bootloader_variant("fast-verify", "fast-verify")?;
    let mut session = boot(&bootloader, &signed_application()?)?;
    expect_started(&mut session, "1.0.0+0")?;
    session.wait_for("slingshot example application v1.0.0", LIMIT)?;
    session.wait_for("tick 2\r\n", LIMIT)?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    let mut session = boot(&bootloader, &firmware_file(Program::Application, "bin")?)?;
    expect_refused(&mut session, ImageError::NoDescriptor)?;
    assert_eq!(session.stop()?, Ending::StoppedWhileRunning);
    Ok(())
}
