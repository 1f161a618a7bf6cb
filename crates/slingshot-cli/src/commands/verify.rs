//! `slingshot verify IMAGE --key PUB...`: exit status 0 only for an image the bootloader
//! would accept (same checks, same order of bounds: the image in an erased slot, the vector
//! table, then the signed-image verification); otherwise an error naming the reason.

use crate::commands::inspect::load_and_analyse;
use crate::keys::hex;
use crate::layout::DEFAULT_LAYOUT;
use anyhow::{bail, Result};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `slingshot verify`.
#[derive(Debug, Args)]
pub struct Verify {
    /// The image: signed BIN (at --address), HEX or ELF.
    pub image: PathBuf,
    /// Trusted public key(s), as the bootloader embeds them (any one may have signed).
    #[arg(long, required = true, value_name = "PUB")]
    pub key: Vec<PathBuf>,
    /// Layout the bootloader is built for.
    #[arg(long, default_value = DEFAULT_LAYOUT)]
    pub layout: String,
    /// Load address of a raw binary (default: the primary slot start).
    #[arg(long, value_parser = crate::parse_number, value_name = "ADDRESS")]
    pub address: Option<u32>,
}

impl Verify {
    /// Decide; print `OK` with the accepting key, or fail with the bootloader's reason.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let analysis = load_and_analyse(&self.image, &self.key, &self.layout, self.address)?;
        if let Some(refusal) = &analysis.refusal {
            bail!(
                "{}: the bootloader would refuse it: {} (code 0x{:02x})",
                self.image.display(),
                refusal.message,
                refusal.code
            );
        }
        let key = analysis.keys.iter().find(|key| key.status == "valid");
        let version = analysis
            .trailer
            .as_ref()
            .map(|t| t.descriptor.version.to_string())
            .unwrap_or_default();
        writeln!(
            out,
            "OK: {} version {version} verifies for layout {} with {} (key id {})",
            self.image.display(),
            analysis.layout.name,
            key.map(|key| key.name.as_str()).unwrap_or("?"),
            key.map(|key| hex(&key.key_id)).unwrap_or_default()
        )?;
        Ok(())
    }
}
