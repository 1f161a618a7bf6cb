//! `slingshot-twin`: run firmware on the Nucleo-F429ZI twin from the command line, or measure
//! the twin's speed.
//!
//! ```text
//! slingshot-twin run --flash merged.hex [--serial pty|tcp:PORT|stdio] [--instructions N]
//! slingshot-twin bench [--bootloader FILE] [--application FILE]
//! ```
#![forbid(unsafe_code)]

mod bench_command;
mod run_command;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

/// The Nucleo-F429ZI twin (Unicorn-based emulator with flash, UART and power-cut models).
#[derive(Parser)]
#[command(version, about)]
struct Arguments {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load firmware into flash, power on and run, showing UART output and LED changes.
    Run(run_command::RunCommand),
    /// Measure million instructions per second and the wall time of one boot.
    Bench(bench_command::BenchCommand),
}

/// A `FILE[@ADDRESS]` argument: ELF and HEX carry their addresses; BIN needs one.
#[derive(Clone, Debug)]
pub struct FlashFile {
    /// The file.
    pub path: std::path::PathBuf,
    /// Load address for a raw binary.
    pub address: Option<u32>,
}

impl std::str::FromStr for FlashFile {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        match text.rsplit_once('@') {
            Some((path, address)) => {
                let digits = address.trim_start_matches("0x").trim_start_matches("0X");
                let address =
                    u32::from_str_radix(&digits.replace('_', ""), 16).with_context(|| {
                        format!("load address {address:?} is not a hexadecimal number")
                    })?;
                if path.is_empty() {
                    bail!("no file before '@' in {text:?}");
                }
                Ok(FlashFile {
                    path: path.into(),
                    address: Some(address),
                })
            }
            None => Ok(FlashFile {
                path: text.into(),
                address: None,
            }),
        }
    }
}

fn main() -> Result<()> {
    match Arguments::parse().command {
        Command::Run(command) => command.run(),
        Command::Bench(command) => command.run(),
    }
}
