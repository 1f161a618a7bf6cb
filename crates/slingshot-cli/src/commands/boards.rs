//! `slingshot boards`: the boards Slingshot knows, each with its part, serial port and layouts
//! (slot sizes and the largest image each takes), from the layout crate's tables. With
//! `--markdown` it prints the table the README carries (a test keeps the two equal).

use anyhow::Result;
use clap::Args;
use slingshot_layout::{
    Board, Layout, UpdateMode, ALL_BOARDS, ALL_LAYOUTS, SIGNATURE_TRAILER_RESERVE,
};
use std::io::Write;

/// Arguments of `slingshot boards`.
#[derive(Debug, Args)]
pub struct Boards {
    /// Print a Markdown table (the README's board table).
    #[arg(long)]
    pub markdown: bool,
}

impl Boards {
    /// List the boards.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        if self.markdown {
            write!(out, "{}", markdown_table())?;
            return Ok(());
        }
        for board in ALL_BOARDS {
            let part = &board.part;
            writeln!(
                out,
                "{} ({}, {}): {} KB flash, {} KB SRAM{}, {}; {} on {}/{} ({}); probe-rs chip {}",
                board.name,
                board.product,
                part.name,
                part.flash.size / 1024,
                part.ram.size / 1024,
                ccm_text(board, " CCM"),
                clock_text(board),
                board.serial.usart.name(),
                board.serial.transmit,
                board.serial.receive,
                board.serial.connection,
                board.probe_rs_chip,
            )?;
            for layout in layouts_of(board) {
                writeln!(out, "  layout {}: {}", layout.name, describe(layout))?;
            }
        }
        Ok(())
    }
}

/// `" + 64 KB"` and the `suffix` for a part with CCM, nothing otherwise.
fn ccm_text(board: &Board, suffix: &str) -> String {
    board
        .part
        .ccm
        .map(|ccm| format!(" + {} KB{suffix}", ccm.size / 1024))
        .unwrap_or_default()
}

/// The part's highest clock, `"168 MHz"`: the bootloader verifies images at it.
fn clock_text(board: &Board) -> String {
    format!("{} MHz", board.part.clock.system_hz / 1_000_000)
}

/// The layouts of `board`, in table order.
fn layouts_of(board: &Board) -> impl Iterator<Item = &'static Layout> + '_ {
    ALL_LAYOUTS
        .iter()
        .copied()
        .filter(move |layout| layout.board.name == board.name)
}

/// The largest image (vector table to the end of the code, before the signature trailer) a
/// layout installs: its primary slot, or in the overwrite layout the smaller slot.
pub fn largest_image(layout: &Layout) -> u32 {
    layout.largest_image() - SIGNATURE_TRAILER_RESERVE
}

fn mode_name(layout: &Layout) -> &'static str {
    match layout.update_mode {
        UpdateMode::SingleSlot => "single slot (in place)",
        UpdateMode::DualSlot => "dual slot (trial boot, rollback)",
        UpdateMode::Overwrite => "overwrite (resumable copy, no rollback)",
    }
}

fn describe(layout: &Layout) -> String {
    format!(
        "{}, slot {} KB at 0x{:08x}, largest image {} bytes",
        mode_name(layout),
        layout.partitions.primary.size / 1024,
        layout.partitions.primary.start,
        largest_image(layout)
    )
}

/// The slot sizes: the primary slot, and in the overwrite layout the secondary one too.
fn slot_text(layout: &Layout) -> String {
    let primary = layout.partitions.primary.size / 1024;
    match (layout.update_mode, layout.partitions.secondary) {
        (UpdateMode::Overwrite, Some(secondary)) => {
            format!("{primary} KB (receives in {} KB)", secondary.size / 1024)
        }
        _ => format!("{primary} KB"),
    }
}

/// The README's board table: one row per layout.
pub fn markdown_table() -> String {
    let mut table = String::from(
        "| board | part | flash | SRAM (+CCM) | clock | serial port | layout | update | slot | largest application |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for board in ALL_BOARDS {
        let part = &board.part;
        for layout in layouts_of(board) {
            table.push_str(&format!(
                "| {} | {} | {} KB | {} KB{} | {} | {} {}/{} | `{}` | {} | {} | {} B |\n",
                board.product,
                part.name,
                part.flash.size / 1024,
                part.ram.size / 1024,
                ccm_text(board, ""),
                clock_text(board),
                board.serial.usart.name(),
                board.serial.transmit,
                board.serial.receive,
                layout.name,
                mode_name(layout),
                slot_text(layout),
                largest_image(layout),
            ));
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_carries_the_board_table() {
        let readme_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
        let readme = std::fs::read_to_string(readme_path).expect("README.md is readable");
        let start = "<!-- board table: slingshot boards --markdown -->\n";
        let end = "<!-- end of board table -->";
        let from = readme
            .find(start)
            .expect("README has the board table's start marker")
            + start.len();
        let to = readme[from..].find(end).expect("README has the end marker") + from;
        assert_eq!(
            &readme[from..to],
            markdown_table(),
            "README.md's board table is stale: replace it with `slingshot boards --markdown`"
        );
    }

    #[test]
    fn image_format_lists_every_board_id() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/IMAGE_FORMAT.md");
        let document = std::fs::read_to_string(path).expect("docs/IMAGE_FORMAT.md is readable");
        for board in ALL_BOARDS {
            let id = format!("{:08x}", board.board_id);
            let row = format!("| 0x{}_{} |", &id[..4], &id[4..]);
            assert!(
                document
                    .lines()
                    .any(|line| line.ends_with(&row) && line.to_lowercase().contains(board.name)),
                "docs/IMAGE_FORMAT.md has no row for {} ({row})",
                board.name
            );
        }
    }

    #[test]
    fn every_board_is_listed_with_its_layouts() {
        let mut out = Vec::new();
        Boards { markdown: false }.run(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for layout in ALL_LAYOUTS {
            assert!(text.contains(&format!("layout {}:", layout.name)), "{text}");
        }
        assert!(text.contains("nucleo-f401re (NUCLEO-F401RE, STM32F401RE): 512 KB flash, 96 KB SRAM, 84 MHz; USART2 on PA2/PA3"));
    }
}
