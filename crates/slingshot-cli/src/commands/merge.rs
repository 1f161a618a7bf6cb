//! `slingshot merge`: the bootloader and a signed application in one Intel HEX file (and
//! optionally one binary from the start of flash) for production programming. Each program
//! must lie inside its own partition; overlaps are refused.

use crate::input::{contiguous_in, load};
use crate::layout::{layout_by_name, DEFAULT_LAYOUT};
use anyhow::{bail, Context, Result};
use clap::Args;
use slingshot_files::MemoryImage;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `slingshot merge`.
#[derive(Debug, Args)]
pub struct Merge {
    /// The bootloader: ELF, HEX or BIN (a BIN is placed at the bootloader partition start).
    #[arg(long, value_name = "BOOT.elf|hex|bin")]
    pub bootloader: PathBuf,
    /// The signed application: BIN (placed at the primary slot start) or HEX.
    #[arg(long, value_name = "SIGNED.bin|hex")]
    pub application: PathBuf,
    /// Layout whose partitions the programs must fit.
    #[arg(long, default_value = DEFAULT_LAYOUT)]
    pub layout: String,
    /// The merged Intel HEX file.
    #[arg(long, short, value_name = "OUT.hex")]
    pub output: PathBuf,
    /// Also write one binary from the bootloader start, gaps filled with 0xFF.
    #[arg(long, value_name = "OUT.bin")]
    pub bin: Option<PathBuf>,
}

impl Merge {
    /// Check both programs, merge and write the outputs atomically.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let layout = layout_by_name(&self.layout)?;
        let partitions = layout.partitions;
        let bootloader = load(&self.bootloader, partitions.bootloader.start)?;
        let application = load(&self.application, partitions.primary.start)?;
        let boot_bytes = contiguous_in(
            &bootloader.image,
            partitions.bootloader,
            "bootloader",
            &format!("bootloader partition of layout {}", layout.name),
        )
        .with_context(|| format!("checking {}", self.bootloader.display()))?;
        let application_bytes = contiguous_in(
            &application.image,
            partitions.primary,
            "application",
            &format!("primary slot of layout {}", layout.name),
        )
        .with_context(|| format!("checking {}", self.application.display()))?;
        if let Err(error) = slingshot_image::parse_trailer(&application_bytes) {
            bail!(
                "{}: not a signed application ({}; code 0x{:02x}): run slingshot sign first",
                self.application.display(),
                error.message(),
                error.code()
            );
        }
        let mut merged = MemoryImage::new();
        merged
            .merge(&bootloader.image)
            .context("adding the bootloader")?;
        merged
            .merge(&application.image)
            .context("adding the application: it overlaps the bootloader")?;
        slingshot_files::write_atomically(&self.output, merged.to_ihex().as_bytes())
            .with_context(|| format!("writing {}", self.output.display()))?;
        writeln!(
            out,
            "bootloader:  {} bytes at 0x{:08x}",
            boot_bytes.len(),
            partitions.bootloader.start
        )?;
        writeln!(
            out,
            "application: {} bytes at 0x{:08x}",
            application_bytes.len(),
            partitions.primary.start
        )?;
        writeln!(out, "wrote {}", self.output.display())?;
        if let Some(bin) = &self.bin {
            let (_, bytes) = merged.to_contiguous(0xFF).context("nothing to write")?;
            slingshot_files::write_atomically(bin, &bytes)
                .with_context(|| format!("writing {}", bin.display()))?;
            writeln!(
                out,
                "wrote {} ({} bytes from 0x{:08x})",
                bin.display(),
                bytes.len(),
                partitions.bootloader.start
            )?;
        }
        Ok(())
    }
}
