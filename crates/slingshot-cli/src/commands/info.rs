//! `slingshot info --port P`: ask the bootloader who it is: board, bootloader version, layout,
//! slots with their installed versions, and its protocol state.

use crate::connection::{write_device_info, PortArguments};
use crate::flashing::{connect, FlashOptions};
use crate::port::DEFAULT_BAUD;
use anyhow::{Context, Result};
use clap::Args;
use std::io::Write;

/// Arguments of `slingshot info`.
#[derive(Debug, Args)]
pub struct Info {
    /// Where the board is.
    #[command(flatten)]
    pub port: PortArguments,
    /// If no bootloader answers, send 'b' so a running example application enters it.
    #[arg(long)]
    pub enter_bootloader: bool,
}

impl Info {
    /// Print the device's info.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let (spec, port) = self.port.open(DEFAULT_BAUD)?;
        let options = FlashOptions {
            enter_bootloader: self.enter_bootloader,
            ..FlashOptions::default()
        };
        let (_, info) = connect(port, &options, &mut |_| {})
            .with_context(|| format!("asking the device on {spec} for its info"))?;
        write_device_info(out, &info)
    }
}
