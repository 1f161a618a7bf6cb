//! `slingshot flash [--port PATH|tcp:HOST:PORT] [--baud N] IMAGE`: update the board over its
//! serial port with a signed image, resuming an interrupted update, and report the version
//! now running. The work is [`crate::flashing::flash`]; this module adds the command line,
//! the port choice and the progress display (an indicatif bar on standard error, or plain
//! lines in the report for logs).

use crate::connection::{version_text, PortArguments};
use crate::flashing::{flash, FlashEvent, FlashOptions, FlashReport, RunningVersion, SignedImage};
use crate::layout::{board_name, layout_by_name, DEFAULT_LAYOUT};
use crate::port::DEFAULT_BAUD;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use slingshot_protocol::frame::MAX_DATA_PAYLOAD;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// How transfer progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Progress {
    /// A bar on standard error (bytes, rate, time left); hidden when it is not a terminal.
    Bar,
    /// A line in the report at every 10 % (for logs).
    Plain,
    /// Nothing.
    None,
}

/// Arguments of `slingshot flash`.
#[derive(Debug, Args)]
pub struct Flash {
    /// The signed image (.bin at the primary slot start, or .hex) made by `slingshot sign`.
    pub image: PathBuf,
    /// Where the board is.
    #[command(flatten)]
    pub port: PortArguments,
    /// Baud rate for the transfer (115200, 230400, 460800 or 1000000), negotiated with the
    /// bootloader after connecting at 115200.
    #[arg(long)]
    pub baud: Option<u32>,
    /// Layout the bootloader was built for (the image is checked against it before connecting).
    #[arg(long, default_value = DEFAULT_LAYOUT)]
    pub layout: String,
    /// How to show progress.
    #[arg(long, value_enum, default_value_t = Progress::Bar)]
    pub progress: Progress,
    /// Do not send 'b' to a running application when the bootloader does not answer.
    #[arg(long)]
    pub no_enter_bootloader: bool,
}

impl Flash {
    /// Check the image, find and open the port, update, and report.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let layout = layout_by_name(&self.layout)?;
        let image = SignedImage::load(&self.image, layout)?;
        let (spec, port) = self.port.open(DEFAULT_BAUD)?;
        let version = image.descriptor.version;
        writeln!(
            out,
            "flashing {} (version {}, {} bytes) through {spec}",
            self.image.display(),
            version,
            image.bytes.len()
        )?;
        let options = FlashOptions {
            baud: self.baud,
            enter_bootloader: !self.no_enter_bootloader,
            ..FlashOptions::default()
        };
        let mut display = ProgressDisplay::new(self.progress, image.bytes.len() as u64);
        let mut write_error = None;
        let result = flash(port, &image, &options, &mut |event| {
            if let Err(error) = display.show(out, event) {
                write_error.get_or_insert(error);
            }
        });
        display.finish();
        if let Some(error) = write_error {
            return Err(error.into());
        }
        let report = result.with_context(|| format!("flashing {}", self.image.display()))?;
        write_report(out, &report)
    }
}

/// Writes the summary of a successful update.
pub fn write_report(out: &mut impl Write, report: &FlashReport) -> Result<()> {
    let transfer = &report.transfer;
    if report.already_installed {
        writeln!(out, "nothing sent: the image was installed already")?;
        return write_running(out, report);
    }
    let seconds = transfer.elapsed.as_secs_f64();
    let sent = u64::from(transfer.image_size - transfer.resumed_from);
    let rate = if seconds > 0.0 {
        sent as f64 / seconds / 1024.0
    } else {
        0.0
    };
    writeln!(
        out,
        "transferred {sent} bytes in {seconds:.2} s ({rate:.1} KB/s); retransmissions: {} timeouts, {} gaps, {} probes, {} restarts, {} command retries",
        transfer.timeouts, transfer.gaps, transfer.probes, transfer.restarts, transfer.command_retries
    )?;
    if transfer.smallest_frame != 0 && transfer.smallest_frame < MAX_DATA_PAYLOAD as u32 {
        writeln!(
            out,
            "the line lost or held up data: frames shrank to {} bytes (from {MAX_DATA_PAYLOAD}) and grew back as it cleared",
            transfer.smallest_frame
        )?;
    }
    writeln!(out, "verified, installed, rebooted")?;
    write_running(out, report)
}

/// Writes what runs after the reboot, as far as the tool could see.
fn write_running(out: &mut impl Write, report: &FlashReport) -> Result<()> {
    match &report.running {
        Some(RunningVersion::Image { version, state, .. }) => {
            writeln!(out, "now running: {version} ({state})")?
        }
        Some(RunningVersion::Application(version)) => writeln!(
            out,
            "now running: an application with banner version {version} (it printed no boot report)"
        )?,
        Some(RunningVersion::PortLost) => writeln!(
            out,
            "the serial port disconnected after the reboot request, so what runs could not be seen; the board installs and starts the image on its own (`slingshot monitor` shows it)"
        )?,
        Some(RunningVersion::Bootloader(info)) => {
            let primary = info.slots().first().map(|slot| version_text(&slot.version));
            writeln!(
                out,
                "the board stayed in its bootloader after the reboot (primary slot version {})",
                primary.unwrap_or_else(|| "none".into())
            )?
        }
        None => writeln!(
            out,
            "neither the application nor the bootloader answered after the reboot, within the longest the install can take (see `slingshot monitor`)"
        )?,
    }
    Ok(())
}

/// Turns flash events into report lines and the progress bar.
struct ProgressDisplay {
    mode: Progress,
    bar: Option<ProgressBar>,
    next_percent: u64,
}

impl ProgressDisplay {
    fn new(mode: Progress, total: u64) -> Self {
        let bar = (mode == Progress::Bar).then(|| {
            let target = if std::io::stderr().is_terminal() {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            };
            let bar = ProgressBar::with_draw_target(Some(total), target);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40.cyan/blue} {bytes}/{total_bytes} {bytes_per_sec} {eta} left",
                )
                .expect("a valid template"),
            );
            bar
        });
        ProgressDisplay {
            mode,
            bar,
            next_percent: 10,
        }
    }

    fn show(&mut self, out: &mut impl Write, event: FlashEvent) -> std::io::Result<()> {
        match event {
            FlashEvent::EnteringBootloader => writeln!(
                out,
                "no bootloader answered: asked the running application to enter it ('b')"
            ),
            FlashEvent::FoundAtBaud { baud } => writeln!(
                out,
                "the bootloader answered at {baud} baud (left there by an interrupted session)"
            ),
            FlashEvent::Connected(info) => writeln!(
                out,
                "bootloader {} on {} (layout {})",
                crate::connection::version_text(&info.bootloader_version),
                board_name(info.board_id).unwrap_or("an unknown board"),
                info.layout_name()
            ),
            FlashEvent::Baud {
                baud,
                switched: true,
            } => writeln!(out, "switched to {baud} baud"),
            FlashEvent::Baud { baud, .. } => {
                writeln!(
                    out,
                    "the board did not confirm the new baud rate: staying at {baud} baud"
                )
            }
            FlashEvent::Resuming { offset } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(offset);
                    bar.reset_eta();
                }
                writeln!(out, "resuming at {offset} bytes")
            }
            FlashEvent::Progress { done, total } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(done);
                }
                if self.mode == Progress::Plain && total > 0 {
                    let percent = done * 100 / total;
                    if percent >= self.next_percent {
                        self.next_percent = (percent / 10 + 1) * 10;
                        writeln!(out, "progress: {done} of {total} bytes ({percent} %)")?;
                    }
                }
                Ok(())
            }
            FlashEvent::Verifying => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                writeln!(
                    out,
                    "transfer complete; verifying the signature on the device"
                )
            }
            FlashEvent::Rebooting => writeln!(out, "installed; rebooting"),
            FlashEvent::AlreadyInstalled => writeln!(
                out,
                "the board already holds this image, verified and confirmed (the same digest): nothing to send; restarting it"
            ),
            FlashEvent::RebootUnacknowledged => writeln!(
                out,
                "the reboot was not acknowledged (a lost reply): checking what runs"
            ),
            FlashEvent::Installing { typical, longest } => writeln!(
                out,
                "the bootloader swaps the new image in: about {:.0} s, at most {:.0} s; waiting for the application's boot report",
                typical.as_secs_f64(),
                longest.as_secs_f64()
            ),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.abandon();
        }
    }
}
