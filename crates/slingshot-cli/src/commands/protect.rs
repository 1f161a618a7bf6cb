//! `slingshot protect --port P`: harden the chip through the bootloader. By default it
//! write-protects the bootloader's own sectors (nWRP) and sets the brown-out reset to level 3
//! (about 2.8 V, so flash is never written below the 2.7 V x32 programming needs); read
//! protection only on request, and level 2 (permanent) only with `--permanent`.

use crate::connection::PortArguments;
use crate::flashing::FlashOptions;
use crate::port::DEFAULT_BAUD;
use crate::protection::{chip_lines, option_bytes, protect, protection_lines};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use slingshot_flash_controller::option_bytes::{
    BrownOutLevel, ProtectionRequest, ReadProtection, PERMANENT_CONFIRMATION,
};
use std::io::Write;

/// A brown-out reset level on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BrownOutChoice {
    /// Keep what is set.
    Keep,
    /// Off: only the power-down reset (the factory setting).
    Off,
    /// Level 1, about 2.2 V.
    #[value(name = "2.2")]
    Level1,
    /// Level 2, about 2.5 V.
    #[value(name = "2.5")]
    Level2,
    /// Level 3, about 2.8 V (the default).
    #[value(name = "2.8")]
    Level3,
}

/// Arguments of `slingshot protect`.
#[derive(Debug, Args)]
pub struct Protect {
    /// Where the board is.
    #[command(flatten)]
    pub port: PortArguments,
    /// If no bootloader answers, send 'b' so a running example application enters it.
    #[arg(long)]
    pub enter_bootloader: bool,
    /// Brown-out reset threshold in volts.
    #[arg(long, value_enum, default_value = "2.8")]
    pub brown_out: BrownOutChoice,
    /// Leave the bootloader's sectors writable (by default they are write-protected).
    #[arg(long)]
    pub keep_bootloader_writable: bool,
    /// Read-out protection level to set: 1 (the debugger cannot read flash; going back to 0
    /// erases all flash) or 2 (permanent, needs --permanent).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub read_protection: Option<u8>,
    /// Confirm read protection level 2: no debugger and frozen option bytes, for ever.
    #[arg(long)]
    pub permanent: bool,
}

impl Protect {
    /// The plan's request for these arguments.
    pub fn request(&self) -> ProtectionRequest {
        ProtectionRequest {
            brown_out: match self.brown_out {
                BrownOutChoice::Keep => None,
                BrownOutChoice::Off => Some(BrownOutLevel::Off),
                BrownOutChoice::Level1 => Some(BrownOutLevel::Level1),
                BrownOutChoice::Level2 => Some(BrownOutLevel::Level2),
                BrownOutChoice::Level3 => Some(BrownOutLevel::Level3),
            },
            protect_bootloader: !self.keep_bootloader_writable,
            read_protection: match self.read_protection {
                Some(1) => Some(ReadProtection::Level1),
                Some(_) => Some(ReadProtection::Level2),
                None => None,
            },
            confirmation: if self.permanent {
                PERMANENT_CONFIRMATION
            } else {
                0
            },
        }
    }

    /// Ask the bootloader for the change and report the option bytes before and after.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let request = self.request();
        let (spec, port) = self.port.open(DEFAULT_BAUD)?;
        let options = FlashOptions {
            enter_bootloader: self.enter_bootloader,
            ..FlashOptions::default()
        };
        let report = protect(port, &request, &options, &mut |_| {})
            .with_context(|| format!("protecting the board on {spec}"))?;
        for line in chip_lines(&report.before, None) {
            writeln!(out, "before: {line}")?;
        }
        if !report.changed {
            writeln!(out, "nothing to change: the option bytes already say so")?;
            return Ok(());
        }
        for line in protection_lines(&option_bytes(&report.after)) {
            writeln!(out, "now: {line}")?;
        }
        writeln!(out, "the option bytes are programmed and in force")?;
        Ok(())
    }
}
