//! `slingshot sign` as a library call, [`sign_file`]: load an application (ELF by physical
//! addresses, Intel HEX, or raw binary at an address), check it against the layout (starts at
//! the primary slot, fits with its trailer, sane vector table), sign it and write `.bin`
//! and/or `.hex` outputs atomically. Every check runs before the first output is written.
//! The command (`commands::sign`), xtask and the tests call it.

use crate::input::{contiguous_in, load, LoadedFile, VERSION_SYMBOL};
use crate::keys::{hex, is_development_key, load_private_key};
use anyhow::{bail, Context, Result};
use slingshot_files::MemoryImage;
use slingshot_image::signing::{sign_image, SigningParameters};
/// The version type of [`SignRequest::version`] (`major.minor.patch+build`).
pub use slingshot_image::Version;
use slingshot_image::{parse_trailer, verify_slot, TRAILER_POINTER_OFFSET};
use slingshot_layout::Layout;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to sign, how, and where to write it.
#[derive(Clone, Debug)]
pub struct SignRequest<'a> {
    /// The application: ELF, Intel HEX or raw binary.
    pub input: &'a Path,
    /// Load address of a raw binary (default: the primary slot start).
    pub address: Option<u32>,
    /// The layout whose primary slot the image runs from.
    pub layout: &'static Layout,
    /// Private key (PKCS#8 PEM).
    pub key: &'a Path,
    /// The version; `None`: the ELF's `SLINGSHOT_VERSION` symbol, else 0.0.0+0.
    pub version: Option<Version>,
    /// Anti-rollback security counter.
    pub security_counter: u32,
    /// Output files: `.bin` for a raw binary, `.hex` for Intel HEX.
    pub outputs: &'a [PathBuf],
}

/// Where the version came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionSource {
    /// Given by the caller (`--version`).
    Given,
    /// The ELF's `SLINGSHOT_VERSION` symbol.
    Embedded,
    /// Neither: 0.0.0+0.
    Default,
}

/// What [`sign_file`] did.
#[derive(Clone, Debug)]
pub struct SignReport {
    /// The input file.
    pub input: PathBuf,
    /// The layout's name, primary slot start and size.
    pub layout: &'static Layout,
    /// The input was already signed: its old trailer was replaced.
    pub resigned: bool,
    /// The version signed in, and where it came from.
    pub version: (Version, VersionSource),
    /// The security counter signed in.
    pub security_counter: u32,
    /// Bytes of the image before its trailer.
    pub image_size: usize,
    /// Bytes of the signed image (image, padding, trailer).
    pub total_size: usize,
    /// The signing key's id (first 8 bytes of its SHA-256).
    pub key_id: [u8; 8],
    /// Whether the key is the repository's development key.
    pub development_key: bool,
    /// The SHA-256 in the descriptor.
    pub digest: [u8; 32],
    /// The files written.
    pub outputs: Vec<PathBuf>,
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

/// Check, sign and write the outputs.
pub fn sign_file(request: &SignRequest<'_>) -> Result<SignReport> {
    let layout = request.layout;
    let slot = layout.partitions.primary;
    let formats: Vec<OutputFormat> = request
        .outputs
        .iter()
        .map(|path| output_format(path))
        .collect::<Result<_>>()?;
    let key_pair = load_private_key(request.key)?;
    let loaded = load(request.input, request.address.unwrap_or(slot.start))?;
    let (bytes, resigned) = application_bytes(request, &loaded)?;
    let version = match (request.version, loaded.embedded_version) {
        (Some(version), _) => (version, VersionSource::Given),
        (None, Some(version)) => (version, VersionSource::Embedded),
        (None, None) => (Version::default(), VersionSource::Default),
    };
    let parameters = SigningParameters {
        load_address: slot.start,
        board_id: layout.board.board_id,
        version: version.0,
        security_counter: request.security_counter,
    };
    let seed: [u8; 32] = *key_pair.sk.seed();
    let signed = sign_image(&bytes, &parameters, &seed)
        .map_err(|error| anyhow::anyhow!("{}: {error}", request.input.display()))?;
    if signed.len() > slot.size as usize {
        bail!(
            "{}: the signed image is {} bytes (image {} + padding and trailer {}), larger than \
             the {} byte primary slot at 0x{:08x}",
            request.input.display(),
            signed.len(),
            bytes.len(),
            signed.len() - bytes.len(),
            slot.size,
            slot.start
        );
    }
    let public_key: [u8; 32] = *key_pair.pk;
    verify_slot(&signed, slot.start, layout.board.board_id, &[public_key]).map_err(|error| {
        anyhow::anyhow!("internal error: the signed image does not verify: {error}")
    })?;
    write_outputs(&signed, slot.start, request.outputs, &formats)?;
    let trailer = parse_trailer(&signed).map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok(SignReport {
        input: request.input.to_path_buf(),
        layout,
        resigned,
        version,
        security_counter: request.security_counter,
        image_size: signed.len() - slingshot_image::TRAILER_SIZE,
        total_size: signed.len(),
        key_id: trailer.descriptor.key_id,
        development_key: is_development_key(request.key),
        digest: trailer.stored_digest,
        outputs: request.outputs.to_vec(),
    })
}

/// The application's bytes from the primary slot start, checked (inside the slot, a vector
/// table the bootloader would start), with an old trailer removed; and whether there was one.
fn application_bytes(request: &SignRequest<'_>, loaded: &LoadedFile) -> Result<(Vec<u8>, bool)> {
    let layout = request.layout;
    let slot = layout.partitions.primary;
    let region_name = format!("primary slot of layout {}", layout.name);
    let mut bytes = contiguous_in(&loaded.image, slot, "application", &region_name)
        .with_context(|| format!("checking {}", request.input.display()))?;
    if bytes.len() < 8 {
        bail!(
            "{}: the image is {} bytes, too short for a vector table",
            request.input.display(),
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
            request.input.display(),
            slot.start,
            error.message(),
            word(0),
            word(1),
            error.code()
        );
    }
    // An image that is already signed: strip the old trailer and sign again.
    match parse_trailer(&bytes) {
        Ok(trailer) => {
            bytes.truncate(trailer.descriptor.image_size as usize);
            bytes[TRAILER_POINTER_OFFSET..TRAILER_POINTER_OFFSET + 4].fill(0);
            Ok((bytes, true))
        }
        Err(_) => Ok((bytes, false)),
    }
}

/// Write `signed` (loaded at `address`) to each output in its format, atomically.
fn write_outputs(
    signed: &[u8],
    address: u32,
    outputs: &[PathBuf],
    formats: &[OutputFormat],
) -> Result<()> {
    for (path, format) in outputs.iter().zip(formats) {
        let contents = match format {
            OutputFormat::Binary => signed.to_vec(),
            OutputFormat::Hex => MemoryImage::from_binary(signed, address)?
                .to_ihex()
                .into_bytes(),
        };
        slingshot_files::write_atomically(path, &contents)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

impl SignReport {
    /// The summary `slingshot sign` prints.
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let slot = self.layout.partitions.primary;
        writeln!(
            out,
            "signed {}{}",
            self.input.display(),
            if self.resigned {
                " (old signature replaced)"
            } else {
                ""
            }
        )?;
        writeln!(
            out,
            "  layout: {} (primary slot 0x{:08x}, {} bytes)",
            self.layout.name, slot.start, slot.size
        )?;
        let source = match self.version.1 {
            VersionSource::Given => "--version",
            VersionSource::Embedded => VERSION_SYMBOL,
            VersionSource::Default => "default: no --version and no SLINGSHOT_VERSION symbol",
        };
        writeln!(out, "  version: {} ({source})", self.version.0)?;
        writeln!(out, "  security counter: {}", self.security_counter)?;
        writeln!(
            out,
            "  image: {} bytes; trailer at 0x{:08x}; total {} bytes",
            self.image_size,
            slot.start as usize + self.image_size,
            self.total_size
        )?;
        writeln!(
            out,
            "  key id: {}{}",
            hex(&self.key_id),
            if self.development_key {
                " (development key)"
            } else {
                ""
            }
        )?;
        writeln!(out, "  SHA-256: {}", hex(&self.digest))?;
        for path in &self.outputs {
            writeln!(out, "  wrote {}", path.display())?;
        }
        Ok(())
    }
}
