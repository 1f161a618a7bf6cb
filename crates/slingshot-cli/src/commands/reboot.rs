//! `slingshot reboot --port P`: ask the bootloader to reset the board (it then boots the
//! installed application, if it verifies).

use crate::connection::PortArguments;
use crate::port::DEFAULT_BAUD;
use anyhow::{Context, Result};
use clap::Args;
use slingshot_protocol::host::{HostConfig, HostSession};
use std::io::Write;

/// Arguments of `slingshot reboot`.
#[derive(Debug, Args)]
pub struct Reboot {
    /// Where the board is.
    #[command(flatten)]
    pub port: PortArguments,
}

impl Reboot {
    /// Send the reboot request and wait for its acknowledgement.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let (spec, port) = self.port.open(DEFAULT_BAUD)?;
        let mut session = HostSession::new(port, HostConfig::default());
        session
            .reboot()
            .with_context(|| format!("asking the bootloader on {spec} to reboot"))?;
        writeln!(out, "the bootloader on {spec} acknowledged the reboot")?;
        Ok(())
    }
}
