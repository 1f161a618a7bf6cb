//! The `slingshot-twin` binary: `run` boots the real firmware and shows UART output on standard
//! output and LED changes on standard error. Needs `cargo xtask build` first. The budget of
//! 120 M instructions covers the first boot of a blank device: the bootloader decides on the
//! PLL at 168 MHz and polls BSY there for the whole journal-format erase (42 M instructions).

use std::process::{Command, Stdio};

use anyhow::{ensure, Result};
use slingshot_testkit::artifacts::{firmware_file, Program};

#[test]
fn run_shows_uart_output_and_led_changes() -> Result<()> {
    let output = Command::new(env!("CARGO_BIN_EXE_slingshot-twin"))
        .arg("run")
        .arg("--flash")
        .arg(firmware_file(Program::Bootloader, "")?)
        .arg("--flash")
        .arg(format!(
            "{}@0x08008000",
            firmware_file(Program::Application, "signed.bin")?.display()
        ))
        .args(["--serial", "stdio", "--fast", "--instructions", "120000000"])
        .stdin(Stdio::null())
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.success(),
        "exit {:?}\n{stderr}",
        output.status
    );
    ensure!(
        stdout.contains("slingshot: verifying v1.0.0+0 (security counter 0) at 0x08008000"),
        "{stdout}"
    );
    ensure!(
        stdout.contains("VTOR=0x08008000") && stdout.contains("tick 2\r\n"),
        "{stdout}"
    );
    ensure!(
        stderr.contains("LD1 (PB0) on") && stderr.contains("LD1 (PB0) off"),
        "{stderr}"
    );
    ensure!(stderr.contains("120000000 instructions"), "{stderr}");
    Ok(())
}

#[test]
fn missing_flash_file_is_named_in_the_error() -> Result<()> {
    let output = Command::new(env!("CARGO_BIN_EXE_slingshot-twin"))
        .args(["run", "--flash", "missing.hex", "--serial", "stdio"])
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(!output.status.success());
    ensure!(stderr.contains("missing.hex"), "{stderr}");
    Ok(())
}
