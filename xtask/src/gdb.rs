//! `cargo xtask gdb`: debug the bootloader and the application together. QEMU waits in its
//! gdb server before the first instruction; gdb loads the bootloader's symbols and adds the
//! application's at their own addresses, so breakpoints work in both programs, across the
//! hand-off.

use crate::build::{self, BuildArguments};
use crate::prerequisites::{ensure_packages, GDB, QEMU};
use anyhow::Result;
use clap::Args;
use slingshot_layout::ACTIVE;
use slingshot_testkit::qemu::{Clock, Machine};

/// Arguments of `cargo xtask gdb`.
#[derive(Args)]
pub struct GdbArguments {
    /// TCP port of QEMU's gdb server.
    #[arg(long, default_value_t = 3333)]
    port: u16,
    /// Only start QEMU and print the gdb command (for another debugger front end).
    #[arg(long)]
    server_only: bool,
}

/// Build, start QEMU halted with its gdb server, and run gdb on both programs.
pub fn run(arguments: GdbArguments) -> Result<()> {
    let artifacts = build::run(BuildArguments::default())?;
    ensure_packages(&[QEMU])?;
    let application = artifacts.signed_application();
    let session = Machine::new(&artifacts.bootloader)
        .with_raw_image(&application, ACTIVE.partitions.primary.start)
        .with_clock(Clock::RealTime)
        .with_gdb_server(arguments.port)
        .spawn()?;
    let command = slingshot_testkit::gdb::command(
        &artifacts.bootloader,
        &artifacts.application,
        arguments.port,
    );
    if arguments.server_only {
        eprintln!(
            "xtask: QEMU waits for gdb on port {}; connect with:\n    {}",
            arguments.port,
            crate::process::describe(&command)
        );
        session.wait()?;
        return Ok(());
    }
    ensure_packages(&[GDB])?;
    let mut command = command;
    crate::process::run_checked(&mut command)?;
    session.stop()?;
    Ok(())
}
