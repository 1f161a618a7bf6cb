//! `cargo xtask merge`: one Intel HEX (and .bin) holding the bootloader and the application,
//! for production programming. Refuses overlapping programs or a program outside its
//! partition.

use crate::build::{self, Artifacts, BuildArguments};
use anyhow::{bail, Context, Result};
use clap::Args;
use slingshot_files::{write_atomically, MemoryImage};
use slingshot_layout::{Region, ACTIVE};
use std::path::PathBuf;

/// Arguments of `cargo xtask merge`.
#[derive(Args)]
pub struct MergeArguments {
    /// Output HEX file (default: firmware/target/slingshot-merged.hex). A .bin is written next to it.
    #[arg(long)]
    output: Option<PathBuf>,
}

/// Build and merge.
pub fn run(arguments: MergeArguments) -> Result<()> {
    let artifacts = build::run(BuildArguments::default())?;
    let output = arguments.output.unwrap_or_else(|| {
        crate::process::firmware_directory().join("target/slingshot-merged.hex")
    });
    let merged = merge(&artifacts)?;
    write_atomically(&output, merged.to_ihex().as_bytes())?;
    let (_, bytes) = merged.to_contiguous(0xFF).context("nothing to merge")?;
    write_atomically(&output.with_extension("bin"), &bytes)?;
    eprintln!(
        "xtask: wrote {} and its .bin ({} bytes of data)",
        output.display(),
        merged.data_size()
    );
    Ok(())
}

/// Bootloader and application in one image, each checked against its partition.
pub fn merge(artifacts: &Artifacts) -> Result<MemoryImage> {
    let partitions = ACTIVE.partitions;
    let mut merged = MemoryImage::new();
    // The application as signed (its trailer included): what the bootloader verifies.
    let signed_application = artifacts.signed_application();
    for (name, file, address, partition) in [
        (
            "bootloader",
            &artifacts.bootloader,
            None,
            partitions.bootloader,
        ),
        (
            "application",
            &signed_application,
            Some(partitions.primary.start),
            partitions.primary,
        ),
    ] {
        let image = MemoryImage::load(file, address)
            .with_context(|| format!("reading {}", file.display()))?;
        check_inside(name, &image, partition)?;
        merged
            .merge(&image)
            .with_context(|| format!("merging the {name}"))?;
    }
    Ok(merged)
}

fn check_inside(name: &str, image: &MemoryImage, partition: Region) -> Result<()> {
    for (address, bytes) in image.segments() {
        let end = u64::from(address) + bytes.len() as u64;
        if address < partition.start || end > u64::from(partition.end()) {
            bail!(
                "the {name} has {} bytes at 0x{address:08x}, outside its partition 0x{:08x}..0x{:08x}",
                bytes.len(),
                partition.start,
                partition.end()
            );
        }
    }
    Ok(())
}
