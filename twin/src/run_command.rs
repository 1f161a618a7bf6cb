//! `slingshot-twin run`: load flash, power on, run; forward USART3 to a serial endpoint and
//! print LED changes and model diagnostics on standard error. Modelled time is paced to wall
//! time unless `--fast` is given, so a blinking LED blinks at its real rate.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use slingshot_twin::serial_endpoint::SerialEndpoint;
use slingshot_twin::{Stop, Twin, TwinConfig};

use crate::FlashFile;

/// Instructions per step of the front end's loop.
const STEP: u64 = 200_000;

/// Options of `run`.
#[derive(Args)]
pub struct RunCommand {
    /// Firmware to load into flash (ELF, HEX, or BIN as FILE@ADDRESS); repeat for several.
    #[arg(long = "flash", required = true)]
    flash: Vec<FlashFile>,
    /// Board to model (`slingshot boards` lists them).
    #[arg(long, default_value = "nucleo-f429zi")]
    board: String,
    /// Serial endpoint for the board's serial port (USART3 on a Nucleo-144, USART2 on a
    /// Nucleo-64): `stdio`, `pty` (prints the device path) or `tcp:PORT`.
    #[arg(long, default_value = "stdio")]
    serial: String,
    /// Stop after this many instructions (default: run until interrupted).
    #[arg(long)]
    instructions: Option<u64>,
    /// Run as fast as possible instead of pacing modelled time to wall time.
    #[arg(long)]
    fast: bool,
    /// Fail on any access to an unmodelled peripheral.
    #[arg(long)]
    strict: bool,
    /// Save the flash content here when the run ends (BIN, or HEX by extension).
    #[arg(long)]
    save_flash: Option<std::path::PathBuf>,
}

impl RunCommand {
    /// Execute the command.
    pub fn run(self) -> Result<()> {
        let Some(board) = slingshot_layout::Board::by_name(&self.board) else {
            let known: Vec<&str> = slingshot_layout::ALL_BOARDS
                .iter()
                .map(|board| board.name)
                .collect();
            bail!(
                "unknown board {:?}: known boards are {}",
                self.board,
                known.join(", ")
            );
        };
        let mut twin = Twin::new(TwinConfig {
            strict: self.strict,
            seed: 1,
            board,
        })
        .context("creating the twin")?;
        for file in &self.flash {
            twin.load_flash_file(&file.path, file.address)
                .with_context(|| format!("loading {} into flash", file.path.display()))?;
        }
        let mut endpoint = match self.serial.as_str() {
            "stdio" => SerialEndpoint::standard(),
            "pty" => SerialEndpoint::pseudo_terminal().context("opening a pseudo-terminal")?,
            other => match other.strip_prefix("tcp:") {
                Some(port) => {
                    let port: u16 = port
                        .parse()
                        .with_context(|| format!("TCP port {port:?} is not a number"))?;
                    SerialEndpoint::tcp(port)
                        .with_context(|| format!("listening on 127.0.0.1:{port}"))?
                }
                None => bail!("--serial {other:?}: expected stdio, pty or tcp:PORT"),
            },
        };
        eprintln!("slingshot-twin: {} ({})", board.product, board.part.name);
        eprintln!(
            "slingshot-twin: {} on {}",
            board.serial.usart.name(),
            endpoint.describe()
        );
        twin.power_on()?;
        let started = Instant::now();
        let first = twin.instructions();
        let (mut leds_seen, mut diagnostics_seen, mut unmodelled_seen) = (0, 0, 0);
        loop {
            let budget = match self.instructions {
                Some(limit) => STEP.min(limit.saturating_sub(twin.instructions() - first)),
                None => STEP,
            };
            if budget == 0 {
                break;
            }
            let stop = if self.fast {
                twin.run(budget)
            } else {
                // Run at most 2 ms of modelled time ahead of the wall clock: the serial input
                // is taken between runs, so this is also the latency a host sees per reply
                // (stop-and-wait hosts such as stm32flash wait for each).
                let horizon =
                    (started.elapsed() + Duration::from_millis(2)).as_nanos() as u64 * 1000;
                twin.run_until(budget, |twin| twin.board().picoseconds() >= horizon)
            }
            .context("running the firmware")?;
            endpoint.write_output(&twin.take_serial_output());
            let board = twin.board();
            for event in &board.led_events[leds_seen..] {
                let name = board.led_name(event.pin).unwrap_or("pin");
                let milliseconds = event.picoseconds as f64 / 1e9;
                eprintln!(
                    "[{milliseconds:10.3} ms] {name} (P{}{}) {}",
                    event.pin.0,
                    event.pin.1,
                    if event.on { "on" } else { "off" }
                );
            }
            for message in &board.diagnostics[diagnostics_seen..] {
                eprintln!("slingshot-twin: model: {message}");
            }
            for access in &board.unmodelled[unmodelled_seen..] {
                eprintln!(
                    "slingshot-twin: unmodelled {} at 0x{:08x}",
                    if access.write { "write" } else { "read" },
                    access.address
                );
            }
            (leds_seen, diagnostics_seen, unmodelled_seen) = (
                board.led_events.len(),
                board.diagnostics.len(),
                board.unmodelled.len(),
            );
            let input = endpoint.poll_input();
            if !input.is_empty() {
                twin.send_serial(&input);
            }
            match stop {
                Stop::PowerLost => bail!("power lost"),
                Stop::Breakpoint => {
                    eprintln!("slingshot-twin: breakpoint at 0x{:08x}", twin.pc());
                    break;
                }
                Stop::Asleep => std::thread::sleep(Duration::from_millis(10)),
                Stop::InstructionLimit | Stop::Condition => {}
            }
            if !self.fast {
                let modelled = Duration::from_nanos(twin.board().picoseconds() / 1000);
                let elapsed = started.elapsed();
                if modelled > elapsed {
                    std::thread::sleep(modelled - elapsed);
                }
            }
        }
        eprintln!(
            "slingshot-twin: {} instructions, {} cycles, {:.3} s modelled",
            twin.instructions(),
            twin.cycles(),
            twin.board().picoseconds() as f64 / 1e12
        );
        if let Some(path) = &self.save_flash {
            twin.save_flash(path)
                .with_context(|| format!("saving flash to {}", path.display()))?;
        }
        Ok(())
    }
}
