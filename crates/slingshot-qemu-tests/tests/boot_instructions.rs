//! Measurement, not a pass/fail check (run on demand): instructions the real verifying
//! bootloader executes in QEMU from reset to the application's first instruction, for signed
//! images of 64 KB, 256 KB and (single-slot layout) the largest image QEMU's 1 MB flash holds.
//!
//! ```text
//! cargo xtask build && cargo xtask build --layout single
//! cargo test -p slingshot-testkit --test boot_instructions -- --ignored --nocapture
//! ```
//!
//! Each image is the example application padded with 0xFF to N KB − 1 KB (the trailer
//! reserve, as in docs/IMAGE_FORMAT.md) and signed with the development key. The trace
//! (`-singlestep -d exec,nochain`, one line per instruction) is streamed through a FIFO and
//! counted, so no multi-gigabyte log is written.

mod support;

use anyhow::{bail, Context, Result};
use slingshot_layout::{NUCLEO_F429ZI_DUAL_SLOT, NUCLEO_F429ZI_SINGLE_SLOT};
use slingshot_testkit::artifacts::{firmware_file, repository_root, Program};
use slingshot_testkit::qemu::Machine;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// QEMU's flash ends here (1 MB from 0x0800_0000).
const QEMU_FLASH_END: u32 = 0x0810_0000;

/// Instructions from reset until the core first executes `address`.
fn count_to(machine: Machine, address: u32, directory: &Path) -> Result<u64> {
    let fifo = directory.join("trace.fifo");
    let status = Command::new("mkfifo").arg(&fifo).status()?;
    if !status.success() {
        bail!("mkfifo {} failed", fifo.display());
    }
    let mut command = machine.command();
    command
        .args(["-singlestep", "-d", "exec,nochain", "-D"])
        .arg(&fifo)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = command.spawn().context("starting qemu-system-arm")?;
    let marker = format!("/{address:08x}/");
    let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(&fifo)?);
    let mut count = 0u64;
    let mut found = false;
    for line in reader.lines() {
        let line = line?;
        if !line.starts_with("Trace") {
            continue;
        }
        if line.contains(&marker) {
            found = true;
            break;
        }
        count += 1;
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&fifo);
    if !found {
        bail!("the core never reached 0x{address:08x}");
    }
    Ok(count)
}

/// The example application padded to `total` bytes minus the 1 KB trailer reserve, signed
/// with the development key for `layout`.
fn padded_signed_image(
    unsigned: &Path,
    total: u32,
    layout: &str,
    directory: &Path,
) -> Result<std::path::PathBuf> {
    let mut bytes = std::fs::read(unsigned)?;
    let size = (total - slingshot_layout::SIGNATURE_TRAILER_RESERVE) as usize;
    if bytes.len() > size {
        bail!(
            "the application ({} bytes) exceeds {size} bytes",
            bytes.len()
        );
    }
    bytes.resize(size, 0xFF);
    let raw = directory.join(format!("padded-{total}.bin"));
    std::fs::write(&raw, &bytes)?;
    let signed = directory.join(format!("padded-{total}.signed.bin"));
    slingshot_cli::signing::sign_file(&slingshot_cli::signing::SignRequest {
        input: &raw,
        address: Some(NUCLEO_F429ZI_DUAL_SLOT.partitions.primary.start),
        layout: slingshot_layout::Layout::by_name(layout).context("layout")?,
        key: &support::development_key()?.private_pem,
        version: slingshot_image::Version::parse("1.0.0"),
        security_counter: 0,
        outputs: std::slice::from_ref(&signed),
    })?;
    Ok(signed)
}

#[test]
#[ignore = "measurement: run with --ignored --nocapture"]
fn boot_instructions_for_signed_images() -> Result<()> {
    let directory = tempfile::tempdir()?;
    let unsigned = firmware_file(Program::Application, "bin")?;
    let application = std::fs::read(&unsigned)?;
    let reset_handler = u32::from_le_bytes(application[4..8].try_into()?) & !1;
    let start = NUCLEO_F429ZI_DUAL_SLOT.partitions.primary.start;
    let single_bootloader = repository_root()
        .join("firmware/target/variants/single/thumbv7em-none-eabihf/release/slingshot-bootloader");
    let largest = QEMU_FLASH_END - start;
    let cases = [
        ("dual", firmware_file(Program::Bootloader, "")?, 64 * 1024),
        ("dual", firmware_file(Program::Bootloader, "")?, 256 * 1024),
        ("single", single_bootloader.clone(), 64 * 1024),
        ("single", single_bootloader, largest),
    ];
    println!(
        "| layout | signed image | instructions reset → application | at 16 MHz | at 168 MHz |"
    );
    println!("|---|---|---|---|---|");
    for (layout, bootloader, total) in cases {
        let layout_name = match layout {
            "dual" => NUCLEO_F429ZI_DUAL_SLOT.name,
            _ => NUCLEO_F429ZI_SINGLE_SLOT.name,
        };
        let image = padded_signed_image(&unsigned, total, layout_name, directory.path())?;
        let machine = Machine::new(&bootloader).with_raw_image(&image, start);
        let count = count_to(machine, reset_handler, directory.path())?;
        println!(
            "| {layout} | {} KB | {count} | {:.1} ms | {:.1} ms |",
            total / 1024,
            count as f64 / 16_000.0,
            count as f64 / 168_000.0
        );
    }
    Ok(())
}
