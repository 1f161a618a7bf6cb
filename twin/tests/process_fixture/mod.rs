//! `slingshot-twin run` as a separate process, for the tests that talk to it the way a user's
//! tools do (a pseudo-terminal or a TCP port): start it with the real bootloader and the signed
//! v1 (`cargo xtask build`), learn its serial endpoint from standard error, and kill it when the
//! test ends, passed or failed.

use anyhow::{Context, Result};
use slingshot_testkit::artifacts::{firmware_file, Program};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

/// The application's slot start.
pub const PRIMARY: &str = "0x08008000";

/// Kills the twin process when the test ends, passed or failed.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `slingshot-twin run --serial SERIAL` (`pty` or `tcp:0`, plus `extra` arguments) with
/// the bootloader and the signed v1; returns the process and the endpoint it names on standard
/// error (a terminal path, or `127.0.0.1:PORT`). Standard error keeps being drained.
pub fn start_twin(serial: &str, extra: &[&str]) -> Result<(Running, String)> {
    let child = Command::new(env!("CARGO_BIN_EXE_slingshot-twin"))
        .arg("run")
        .arg("--flash")
        .arg(firmware_file(Program::Bootloader, "")?)
        .arg("--flash")
        .arg(format!(
            "{}@{PRIMARY}",
            firmware_file(Program::Application, "signed.bin")?.display()
        ))
        .args(["--serial", serial])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting slingshot-twin")?;
    let mut running = Running(child);
    // Standard error names the endpoint first, then carries LED changes: keep draining it.
    let stderr = running.0.stderr.take().context("stderr")?;
    let (sender, endpoints) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let endpoint = ["USART3", "USART2"].iter().find_map(|usart| {
                let rest = line.strip_prefix(&format!("slingshot-twin: {usart} on "))?;
                rest.strip_prefix("pseudo-terminal ")
                    .or_else(|| rest.strip_prefix("tcp "))
                    .map(str::to_owned)
            });
            if let Some(endpoint) = endpoint {
                let _ = sender.send(endpoint);
            }
        }
    });
    let endpoint = endpoints
        .recv_timeout(Duration::from_secs(60))
        .context("the twin never named its serial endpoint")?;
    Ok((running, endpoint))
}
