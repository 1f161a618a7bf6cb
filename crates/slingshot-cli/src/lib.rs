//! The `slingshot` host tool as a library: one module per subcommand (each a clap `Args`
//! struct with `run(self, out)` writing its report to any `Write`, so tests snapshot it), the
//! key-file helpers (including [`keys::ensure_development_key`] for `cargo xtask`) and the
//! image analysis shared by `inspect` and `verify`; the serial and TCP ports ([`port`]) and
//! the update itself as a library call ([`flashing::flash`]) for `flash`, `info`, `reboot` and
//! `monitor`; the chip's protection ([`protection::protect`]) for `protect` and `info`.
#![forbid(unsafe_code)]

pub mod analysis;
pub mod commands;
pub mod connection;
pub mod flashing;
pub mod input;
pub mod keys;
pub mod layout;
pub mod port;
pub mod protection;
pub mod signing;

use clap::{Parser, Subcommand};
use std::io::Write;

/// Sign, inspect, verify and merge Slingshot firmware images; flash them over the serial port.
#[derive(Debug, Parser)]
#[command(name = "slingshot", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate an Ed25519 key pair (NAME.pem, NAME.pub.pem, NAME.pub.bin).
    Keygen(commands::keygen::Keygen),
    /// Sign an application (ELF, HEX or BIN) for the bootloader.
    Sign(commands::sign::Sign),
    /// Describe a signed image: descriptor, sizes, digest, signature, layout fit.
    Inspect(commands::inspect::Inspect),
    /// Exit 0 only if the bootloader would accept the image.
    Verify(commands::verify::Verify),
    /// Merge the bootloader and a signed application into one HEX (and BIN) file.
    Merge(commands::merge::Merge),
    /// Update the board over its serial port with a signed image (resumes an interrupted update).
    Flash(commands::flash::Flash),
    /// Show the bootloader's board, version, layout, slots and state.
    Info(commands::info::Info),
    /// Ask the bootloader to reboot the board.
    Reboot(commands::reboot::Reboot),
    /// Write-protect the bootloader and set the brown-out reset (option bytes), via the bootloader.
    Protect(commands::protect::Protect),
    /// Print the board's serial output.
    Monitor(commands::monitor::Monitor),
    /// List the boards Slingshot knows, with their parts, serial ports and layouts.
    Boards(commands::boards::Boards),
}

impl Command {
    /// Run the subcommand, writing its report to `out`.
    pub fn run(self, out: &mut impl Write) -> anyhow::Result<()> {
        match self {
            Command::Keygen(command) => command.run(out),
            Command::Sign(command) => command.run(out),
            Command::Inspect(command) => command.run(out),
            Command::Verify(command) => command.run(out),
            Command::Merge(command) => command.run(out),
            Command::Flash(command) => command.run(out),
            Command::Info(command) => command.run(out),
            Command::Reboot(command) => command.run(out),
            Command::Protect(command) => command.run(out),
            Command::Monitor(command) => command.run(out),
            Command::Boards(command) => command.run(out),
        }
    }
}

/// Parse a number given in decimal or with a `0x` prefix in hex (for `--address`).
pub fn parse_number(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(&hex.replace('_', ""), 16),
        None => text.replace('_', "").parse(),
    };
    parsed.map_err(|_| format!("{text:?} is not a 32-bit number (decimal or 0x-prefixed hex)"))
}
