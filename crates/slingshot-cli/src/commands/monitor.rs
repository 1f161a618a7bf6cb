//! `slingshot monitor --port P [--baud N] [--lines N] [--seconds N]`: print the board's UART
//! output line by line (carriage returns dropped) until Ctrl-C, or until the given number of
//! lines or seconds for scripts.

use crate::connection::PortArguments;
use crate::port::DEFAULT_BAUD;
use anyhow::{Context, Result};
use clap::Args;
use slingshot_protocol::host::{Transport, TransportError};
use std::io::Write;
use std::time::Duration;

/// Arguments of `slingshot monitor`.
#[derive(Debug, Args)]
pub struct Monitor {
    /// Where the board is.
    #[command(flatten)]
    pub port: PortArguments,
    /// The UART's baud rate.
    #[arg(long, default_value_t = DEFAULT_BAUD)]
    pub baud: u32,
    /// Stop after this many lines.
    #[arg(long)]
    pub lines: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long)]
    pub seconds: Option<f64>,
}

impl Monitor {
    /// Copy lines from the port to `out` until a limit is reached or the port closes.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let (spec, mut port) = self.port.open(self.baud)?;
        let deadline = self
            .seconds
            .map(|seconds| port.elapsed() + Duration::from_secs_f64(seconds.max(0.0)));
        let mut line = Vec::new();
        let mut lines = 0u64;
        let mut buffer = [0u8; 512];
        while self.lines.is_none_or(|limit| lines < limit) {
            let now = port.elapsed();
            let wait = match deadline {
                Some(deadline) if now >= deadline => break,
                Some(deadline) => (deadline - now).min(Duration::from_millis(100)),
                None => Duration::from_millis(100),
            };
            let count = match port.read(&mut buffer, wait) {
                Ok(count) => count,
                Err(TransportError::Disconnected) => break,
                Err(error) => return Err(error).with_context(|| format!("reading {spec}")),
            };
            for &byte in &buffer[..count] {
                match byte {
                    b'\r' => {}
                    b'\n' => {
                        out.write_all(&line)?;
                        out.write_all(b"\n")?;
                        out.flush()?;
                        line.clear();
                        lines += 1;
                        if self.lines.is_some_and(|limit| lines >= limit) {
                            return Ok(());
                        }
                    }
                    byte => line.push(byte),
                }
            }
        }
        if !line.is_empty() {
            out.write_all(&line)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}
