//! Choosing a layout by name and describing where an image sits in it.

use anyhow::{bail, Result};
use slingshot_layout::{Board, Layout, Region, ALL_LAYOUTS};

/// The layout used when `--layout` is not given.
pub const DEFAULT_LAYOUT: &str = "nucleo-f429zi-dual";

/// The layout called `name`, or an error listing the known ones.
pub fn layout_by_name(name: &str) -> Result<&'static Layout> {
    match Layout::by_name(name) {
        Some(layout) => Ok(layout),
        None => {
            let known: Vec<&str> = ALL_LAYOUTS.iter().map(|layout| layout.name).collect();
            bail!(
                "unknown layout {name:?}: known layouts are {}",
                known.join(", ")
            )
        }
    }
}

/// The name of the board with `board_id`, if Slingshot knows it.
pub fn board_name(board_id: u32) -> Option<&'static str> {
    Board::by_id(board_id).map(|board| board.name)
}

/// `0x08008000..0x080e0000 (884736 bytes)`.
pub fn describe_region(region: Region) -> String {
    format!(
        "0x{:08x}..0x{:08x} ({} bytes)",
        region.start,
        region.end(),
        region.size
    )
}
