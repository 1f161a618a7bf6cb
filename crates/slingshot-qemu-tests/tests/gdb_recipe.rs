//! The debugging recipe of `cargo xtask gdb` works: gdb with both programs' symbols stops in
//! the bootloader's `main` and, after the hand-off, in the application's.

use anyhow::{ensure, Result};
use slingshot_layout::ACTIVE;
use slingshot_testkit::artifacts::{firmware_file, Program};
use slingshot_testkit::qemu::{Clock, Machine};

#[test]
fn gdb_stops_in_both_programs() -> Result<()> {
    let bootloader = firmware_file(Program::Bootloader, "")?;
    let application = firmware_file(Program::Application, "")?;
    let port = 20_000 + (std::process::id() % 10_000) as u16;
    let session = Machine::new(&bootloader)
        .with_raw_image(
            // Signed: the verifying bootloader refuses the unsigned .bin.
            &firmware_file(Program::Application, "signed.bin")?,
            ACTIVE.partitions.primary.start,
        )
        .with_clock(Clock::Deterministic)
        .with_gdb_server(port)
        .spawn()?;
    let output = slingshot_testkit::gdb::command(&bootloader, &application, port)
        .arg("-batch")
        .args([
            "-ex",
            "continue",
            "-ex",
            "continue",
            "-ex",
            "info registers pc",
        ])
        .output()?;
    session.stop()?;
    let text = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "gdb failed: {text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bootloader_stop = text.find("slingshot_bootloader::__cortex_m_rt_main");
    let application_stop = text.find("example_application::__cortex_m_rt_main");
    ensure!(
        matches!((bootloader_stop, application_stop), (Some(first), Some(second)) if first < second),
        "gdb did not stop in the bootloader's main and then the application's:\n{text}"
    );
    Ok(())
}
