//! `slingshot sign`: load an application (ELF by physical addresses, Intel HEX, or raw binary
//! at `--address`), check it against the layout (starts at the primary slot, fits with its
//! trailer, sane vector table, word 7 free), sign it and write `.bin` and/or `.hex` outputs
//! atomically — all checks run before the first output is written.

use crate::input::{contiguous_in, load, VERSION_SYMBOL};
use crate::keys::{hex, is_development_key, load_private_key, DEVELOPMENT_WARNING};
use crate::layout::{layout_by_name, DEFAULT_LAYOUT};
use anyhow::{bail, Context, Result};
use clap::Args;
use slingshot_files::MemoryImage;
use slingshot_image::signing::{sign_image, SigningParameters};
use slingshot_image::{parse_trailer, verify_slot, Version, TRAILER_POINTER_OFFSET};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `slingshot sign`.
#[derive(Debug, Args)]
pub struct Sign {
    /// Private key (PKCS#8 PEM), e.g. keys/development.pem.
    #[arg(long, value_name = "PRIVATE.pem")]
    pub key: PathBuf,
    /// Layout whose primary slot the image runs from.
    #[arg(long, default_value = DEFAULT_LAYOUT)]
    pub layout: String,
    /// Version as major.minor.patch[+build]; default: the ELF's SLINGSHOT_VERSION symbol,
    /// else 0.0.0+0.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Anti-rollback security counter.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub security_counter: u32,
    /// Load address of a raw binary input (default: the primary slot start).
    #[arg(long, value_parser = crate::parse_number, value_name = "ADDRESS")]
    pub address: Option<u32>,
    /// The application: ELF, Intel HEX or raw binary.
    pub input: PathBuf,
    /// Output file(s): `.bin` for a raw binary, `.hex` for Intel HEX. Repeat for both.
    #[arg(long, short, required = true, value_name = "OUT.bin|OUT.hex")]
    pub output: Vec<PathBuf>,
}

/// The two output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutputFormat {
    Binary,
    Hex,
}

fn output_format(path: &Path) -> Result<OutputFormat> {
    match path.extension().and_then(|extension| extension.to_str()) {
        Some(extension) if extension.eq_ignore_ascii_case("bin") => Ok(OutputFormat::Binary),
        Some(extension) if extension.eq_ignore_ascii_case("hex") => Ok(OutputFormat::Hex),
        _ => bail!(
            "output {}: the name must end in .bin or .hex",
            path.display()
        ),
    }
}

impl Sign {
    /// Check, sign and write the outputs; print a summary.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let layout = layout_by_name(&self.layout)?;
        let slot = layout.partitions.primary;
        let formats: Vec<OutputFormat> = self
            .output
            .iter()
            .map(|path| output_format(path))
            .collect::<Result<_>>()?;
        let key_pair = load_private_key(&self.key)?;
        let development = is_development_key(&self.key);
        if development {
            writeln!(out, "{DEVELOPMENT_WARNING}")?;
        }
        let loaded = load(&self.input, self.address.unwrap_or(slot.start))?;
        let region_name = format!("primary slot of layout {}", layout.name);
        let mut bytes = contiguous_in(&loaded.image, slot, "application", &region_name)
            .with_context(|| format!("checking {}", self.input.display()))?;
        if bytes.len() < 8 {
            bail!(
                "{}: the image is {} bytes, too short for a vector table",
                self.input.display(),
                bytes.len()
            );
        }
        let word = |index: usize| {
            u32::from_le_bytes([
                bytes[4 * index],
                bytes[4 * index + 1],
                bytes[4 * index + 2],
                bytes[4 * index + 3],
            ])
        };
        if let Err(error) = slingshot_boot::check_vector_table(layout, word(0), word(1)) {
            bail!(
                "{}: vector table check failed at 0x{:08x}: {} (initial stack pointer 0x{:08x}, \
                 reset vector 0x{:08x}; code 0x{:02x})",
                self.input.display(),
                slot.start,
                error.message(),
                word(0),
                word(1),
                error.code()
            );
        }
        // An image that is already signed: strip the old trailer and sign again.
        let mut resigned = false;
        if let Ok(trailer) = parse_trailer(&bytes) {
            bytes.truncate(trailer.descriptor.image_size as usize);
            bytes[TRAILER_POINTER_OFFSET..TRAILER_POINTER_OFFSET + 4].fill(0);
            resigned = true;
        }
        let version = match (&self.version, loaded.embedded_version) {
            (Some(text), _) => Version::parse(text).with_context(|| {
                format!("--version {text:?}: expected major.minor.patch[+build], e.g. 1.2.3+4")
            })?,
            (None, Some(version)) => version,
            (None, None) => Version::default(),
        };
        let parameters = SigningParameters {
            load_address: slot.start,
            board_id: layout.board.board_id,
            version,
            security_counter: self.security_counter,
        };
        let seed: [u8; 32] = *key_pair.sk.seed();
        let signed = sign_image(&bytes, &parameters, &seed)
            .map_err(|error| anyhow::anyhow!("{}: {error}", self.input.display()))?;
        if signed.len() > slot.size as usize {
            bail!(
                "{}: the signed image is {} bytes (image {} + padding and trailer {}), larger \
                 than the {} byte primary slot at 0x{:08x}",
                self.input.display(),
                signed.len(),
                bytes.len(),
                signed.len() - bytes.len(),
                slot.size,
                slot.start
            );
        }
        let public_key: [u8; 32] = *key_pair.pk;
        verify_slot(&signed, slot.start, layout.board.board_id, &[public_key]).map_err(
            |error| anyhow::anyhow!("internal error: the signed image does not verify: {error}"),
        )?;
        for (path, format) in self.output.iter().zip(&formats) {
            let contents = match format {
                OutputFormat::Binary => signed.clone(),
                OutputFormat::Hex => MemoryImage::from_binary(&signed, slot.start)?
                    .to_ihex()
                    .into_bytes(),
            };
            slingshot_files::write_atomically(path, &contents)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        let image_size = signed.len() - slingshot_image::TRAILER_SIZE;
        let trailer = parse_trailer(&signed).map_err(|error| anyhow::anyhow!("{error}"))?;
        writeln!(
            out,
            "signed {}{}",
            self.input.display(),
            if resigned {
                " (old signature replaced)"
            } else {
                ""
            }
        )?;
        writeln!(
            out,
            "  layout: {} (primary slot 0x{:08x}, {} bytes)",
            layout.name, slot.start, slot.size
        )?;
        let source = match (&self.version, loaded.embedded_version) {
            (Some(_), _) => "--version",
            (None, Some(_)) => VERSION_SYMBOL,
            (None, None) => "default: no --version and no SLINGSHOT_VERSION symbol",
        };
        writeln!(out, "  version: {version} ({source})")?;
        writeln!(out, "  security counter: {}", self.security_counter)?;
        writeln!(
            out,
            "  image: {image_size} bytes; trailer at 0x{:08x}; total {} bytes",
            slot.start as usize + image_size,
            signed.len()
        )?;
        writeln!(
            out,
            "  key id: {}{}",
            hex(&trailer.descriptor.key_id),
            if development {
                " (development key)"
            } else {
                ""
            }
        )?;
        writeln!(out, "  SHA-256: {}", hex(&trailer.stored_digest))?;
        for path in &self.output {
            writeln!(out, "  wrote {}", path.display())?;
        }
        Ok(())
    }
}
