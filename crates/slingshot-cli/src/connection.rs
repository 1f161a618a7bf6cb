//! What the device commands share: `--port`/`--baud` arguments, choosing the port (the
//! ST-LINK by USB ID when `--port` is omitted), opening it, and describing a device's info.

use crate::layout::board_name;
use crate::port::{discovery, open_port, Port, PortSpec};
use anyhow::Result;
use clap::Args;
use slingshot_protocol::info::{DeviceInfo, DeviceState, SlotStatus, UpdateMode, Version};
use std::io::Write;

/// The `--port` and `--baud` arguments.
#[derive(Debug, Clone, Args)]
pub struct PortArguments {
    /// Serial device (/dev/ttyACM0, COM3, a pseudo-terminal) or `tcp:HOST:PORT` (the F429
    /// twin); default: the ST-LINK virtual COM port, found by USB ID 0483:374b.
    #[arg(long, value_name = "PATH|tcp:HOST:PORT")]
    pub port: Option<String>,
}

impl PortArguments {
    /// The port to use: `--port`, or the one ST-LINK found by USB ID.
    pub fn spec(&self) -> Result<PortSpec> {
        match &self.port {
            Some(port) => Ok(PortSpec::parse(port)),
            None => Ok(PortSpec::Serial(discovery::find_stlink()?)),
        }
    }

    /// Opens the port at `baud`.
    pub fn open(&self, baud: u32) -> Result<(PortSpec, Port)> {
        let spec = self.spec()?;
        let port = open_port(&spec, baud)?;
        Ok((spec, port))
    }
}

/// `1.2.3+4`.
pub fn version_text(version: &Version) -> String {
    format!(
        "{}.{}.{}+{}",
        version.major, version.minor, version.patch, version.build
    )
}

fn status_text(status: SlotStatus) -> String {
    match status {
        SlotStatus::Empty => "empty".into(),
        SlotStatus::Valid => "valid".into(),
        SlotStatus::Invalid => "invalid (fails verification)".into(),
        SlotStatus::Trial => "trial (new image on its first boot)".into(),
        SlotStatus::Unknown(code) => format!("unknown status {code}"),
    }
}

fn state_text(state: DeviceState) -> &'static str {
    match state {
        DeviceState::Idle => "idle",
        DeviceState::Receiving => "receiving an image (an interrupted update can be resumed)",
        DeviceState::Received => "image received, not yet verified",
        DeviceState::Verified => "image verified, not yet installed",
        DeviceState::Installed => "image installed, waiting for a reboot",
    }
}

/// The info reply as text: board, bootloader, layout, slots, state, and the chip's identity
/// and protection when the bootloader reports them.
pub fn write_device_info(out: &mut impl Write, info: &DeviceInfo) -> Result<()> {
    let board = board_name(info.board_id).unwrap_or("unknown board");
    writeln!(out, "board: {board} (board id 0x{:08x})", info.board_id)?;
    writeln!(
        out,
        "bootloader: {}",
        version_text(&info.bootloader_version)
    )?;
    let mode = match info.update_mode {
        UpdateMode::SingleSlot => "single slot",
        UpdateMode::DualSlot => "dual slot",
        UpdateMode::Overwrite => "overwrite",
    };
    writeln!(
        out,
        "layout: {} ({mode}, images up to {} bytes)",
        info.layout_name(),
        info.max_image_size
    )?;
    for (index, slot) in info.slots().iter().enumerate() {
        let name = if index == 0 { "primary" } else { "secondary" };
        match slot.status {
            SlotStatus::Empty => writeln!(out, "{name} slot: empty")?,
            status => writeln!(
                out,
                "{name} slot: version {}, {}",
                version_text(&slot.version),
                status_text(status)
            )?,
        }
    }
    writeln!(out, "state: {}", state_text(info.state))?;
    if let Some(chip) = &info.chip {
        let board =
            slingshot_layout::Layout::by_name(info.layout_name()).map(|layout| &layout.board);
        for line in crate::protection::chip_lines(chip, board) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
