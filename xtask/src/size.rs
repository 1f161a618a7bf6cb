//! `cargo xtask size`: flash and RAM used by each program against its budget (the
//! partition from slingshot-layout; for the application, minus the signature reserve).
//! With `--breakdown`: for each bootloader build, where its flash goes ([`crate::breakdown`]).

use crate::build::{self, BuildArguments};
use anyhow::{Context, Result};
use clap::Args;
use object::{Object, ObjectSection};
use slingshot_files::MemoryImage;
use slingshot_layout::{Layout, Region};
use std::path::Path;

/// Arguments of `cargo xtask size`.
#[derive(Args)]
pub struct SizeArguments {
    #[command(flatten)]
    build: BuildArguments,
    /// For each bootloader build (default, quiet, single-slot), flash per crate and the 20
    /// largest functions and data objects, read from the ELF's symbols.
    #[arg(long)]
    breakdown: bool,
}

/// The bootloader builds the test command makes, with a name for each.
pub fn standard_builds() -> [(&'static str, BuildArguments); 3] {
    [
        (
            "default (dual slot)",
            BuildArguments {
                layout: build::LayoutChoice::Dual,
                ..Default::default()
            },
        ),
        (
            "quiet validate-and-jump (dual slot)",
            BuildArguments {
                layout: build::LayoutChoice::Dual,
                quiet: true,
                ..Default::default()
            },
        ),
        (
            "default (single slot)",
            BuildArguments {
                layout: build::LayoutChoice::Single,
                ..Default::default()
            },
        ),
    ]
}

/// Objects listed per build by `--breakdown`.
pub const LARGEST_OBJECTS: usize = 20;

/// Build every standard bootloader and print where its flash goes.
fn print_breakdowns() -> Result<()> {
    for (name, arguments) in standard_builds() {
        let artifacts = build::run(arguments)?;
        let bytes = std::fs::read(&artifacts.bootloader)
            .with_context(|| format!("reading {}", artifacts.bootloader.display()))?;
        let breakdown = crate::breakdown::analyse(&bytes)?;
        println!(
            "{}",
            breakdown.to_text(&format!("bootloader, {name}"), LARGEST_OBJECTS)
        );
    }
    Ok(())
}

/// Flash and RAM use of one program.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    /// Bytes of flash the program occupies (code, read-only data, initial values of .data).
    pub flash: u64,
    /// Bytes of flash the program may occupy.
    pub flash_budget: u64,
    /// Bytes of RAM taken by statics (.data, .bss, .uninit); the stack uses the rest.
    pub ram: u64,
    /// Bytes of RAM the program may use.
    pub ram_budget: u64,
}

/// Measure `elf`, linked into `partition` with `ram` as its RAM.
pub fn measure(elf: &Path, partition: Region, reserve: u32, ram: Region) -> Result<Usage> {
    let bytes = std::fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
    let image = MemoryImage::from_elf(&bytes)?;
    let flash: u64 = image
        .segments()
        .filter(|(address, _)| partition.contains(*address))
        .map(|(_, data)| data.len() as u64)
        .sum();
    let file = object::File::parse(&*bytes).context("parsing the ELF")?;
    let ram_used: u64 = file
        .sections()
        .filter(|section| {
            u32::try_from(section.address()).is_ok_and(|address| ram.contains(address))
        })
        .map(|section| section.size())
        .sum();
    Ok(Usage {
        flash,
        flash_budget: u64::from(partition.size - reserve),
        ram: ram_used,
        ram_budget: u64::from(ram.size),
    })
}

/// Measure both programs of a build.
pub fn measure_both(
    layout: &Layout,
    artifacts: &build::Artifacts,
) -> Result<[(&'static str, Usage); 2]> {
    let ram = layout.board.program_ram();
    Ok([
        (
            "bootloader",
            measure(&artifacts.bootloader, layout.partitions.bootloader, 0, ram)?,
        ),
        (
            "application",
            measure(
                &artifacts.application,
                layout.partitions.primary,
                slingshot_layout::SIGNATURE_TRAILER_RESERVE,
                ram,
            )?,
        ),
    ])
}

/// Build and print the table.
pub fn run(arguments: SizeArguments) -> Result<()> {
    if arguments.breakdown {
        return print_breakdowns();
    }
    let layout = arguments.build.resolved_layout()?;
    let artifacts = build::run(arguments.build)?;
    println!(
        "{:<12} {:>22} {:>8} {:>22}",
        "program", "flash used / budget", "", "RAM statics / budget"
    );
    for (name, usage) in measure_both(layout, &artifacts)? {
        println!(
            "{:<12} {:>10} / {:>9} B {:>6.2} % {:>10} / {:>9} B",
            name,
            usage.flash,
            usage.flash_budget,
            100.0 * usage.flash as f64 / usage.flash_budget as f64,
            usage.ram,
            usage.ram_budget
        );
    }
    Ok(())
}
