//! `cargo xtask run`: build both programs and boot them — on a Nucleo-F429ZI when a probe
//! is attached (flash, then the board runs), otherwise in QEMU with USART3 streamed to the
//! terminal until the demo ends or Ctrl-C.

use crate::build::{self, Artifacts, BuildArguments};
use crate::flash;
use crate::prerequisites::{ensure_packages, QEMU};
use anyhow::{bail, Result};
use clap::Args;
use slingshot_layout::ACTIVE;
use slingshot_testkit::qemu::{Clock, Machine};
use std::io::Write;
use std::time::{Duration, Instant};

/// Arguments of `cargo xtask run`.
#[derive(Args)]
pub struct RunArguments {
    /// Boot in QEMU even when a debug probe is attached.
    #[arg(long)]
    qemu: bool,
    /// Stop after the application has printed this many ticks (0: run until Ctrl-C).
    #[arg(long, default_value_t = 20)]
    ticks: u32,
}

/// Build, then boot on the board or in QEMU.
pub fn run(arguments: RunArguments) -> Result<()> {
    let artifacts = build::run(BuildArguments::default())?;
    if !arguments.qemu && flash::probe_attached() {
        eprintln!("xtask: a debug probe is attached: flashing the board (use --qemu to emulate)");
        return flash::flash_both(&artifacts);
    }
    ensure_packages(&[QEMU])?;
    boot_in_qemu(&artifacts, arguments.ticks)
}

fn boot_in_qemu(artifacts: &Artifacts, ticks: u32) -> Result<()> {
    let application = artifacts.signed_application();
    let session = Machine::new(&artifacts.bootloader)
        .with_raw_image(&application, ACTIVE.partitions.primary.start)
        .with_clock(Clock::RealTime);
    eprintln!("xtask: booting in QEMU (netduinoplus2); USART3 follows. Ctrl-C stops.");
    let mut session = session.spawn()?;
    let mut shown = 0;
    let last_tick = format!("tick {ticks}\r\n");
    let safety_net = Instant::now() + Duration::from_secs(120);
    loop {
        let output = session.output();
        if output.len() > shown {
            let mut terminal = std::io::stdout().lock();
            terminal.write_all(&output.as_bytes()[shown..])?;
            terminal.flush()?;
            shown = output.len();
        }
        if ticks > 0 && output.contains(&last_tick) {
            session.stop()?;
            eprintln!("xtask: the application ran {ticks} ticks; QEMU stopped (use --ticks 0 to run until Ctrl-C)");
            return Ok(());
        }
        if !session.is_running() {
            bail!("QEMU exited unexpectedly:\n{}", session.diagnostics());
        }
        if ticks > 0 && Instant::now() > safety_net {
            bail!("the application did not reach tick {ticks} within two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
