//! `slingshot inspect IMAGE [--key PUB]... [--json]`: a stable, human-readable (or JSON)
//! report of a signed image: layout fit, vector table, descriptor fields, sizes, digest,
//! each key's verdict on the signature and whether the bootloader would accept it.

use crate::analysis::{analyse, Analysis};
use crate::input::load;
use crate::keys::{hex, load_public_key};
use crate::layout::{board_name, describe_region, layout_by_name, DEFAULT_LAYOUT};
use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `slingshot inspect`.
#[derive(Debug, Args)]
pub struct Inspect {
    /// The image: signed BIN (at --address), HEX or ELF.
    pub image: PathBuf,
    /// Public key(s) to check the signature with (SPKI PEM, raw 32 bytes or hex).
    #[arg(long, value_name = "PUB")]
    pub key: Vec<PathBuf>,
    /// Layout to check the image against.
    #[arg(long, default_value = DEFAULT_LAYOUT)]
    pub layout: String,
    /// Load address of a raw binary (default: the primary slot start).
    #[arg(long, value_parser = crate::parse_number, value_name = "ADDRESS")]
    pub address: Option<u32>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Load the image and keys named on the command line and analyse them.
pub(crate) fn load_and_analyse(
    image: &std::path::Path,
    key_paths: &[PathBuf],
    layout_name: &str,
    address: Option<u32>,
) -> Result<Analysis> {
    let layout = layout_by_name(layout_name)?;
    let loaded = load(image, address.unwrap_or(layout.partitions.primary.start))?;
    let (start, bytes) = loaded
        .image
        .to_contiguous(0xFF)
        .context("the image holds no data")?;
    let keys = key_paths
        .iter()
        .map(|path| Ok((path.display().to_string(), load_public_key(path)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(analyse(layout, start, &bytes, &keys))
}

impl Inspect {
    /// Print the report.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let analysis = load_and_analyse(&self.image, &self.key, &self.layout, self.address)?;
        if self.json {
            let value = to_json(&self.image.display().to_string(), &analysis);
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        } else {
            write_text(out, &self.image.display().to_string(), &analysis)?;
        }
        Ok(())
    }
}

fn address(value: u32) -> String {
    format!("0x{value:08x}")
}

fn write_text(out: &mut impl Write, name: &str, analysis: &Analysis) -> Result<()> {
    let layout = analysis.layout;
    let slot = layout.partitions.primary;
    writeln!(out, "image: {name}")?;
    writeln!(
        out,
        "layout: {} (primary slot {})",
        layout.name,
        describe_region(slot)
    )?;
    writeln!(out, "start: {}", address(analysis.start))?;
    writeln!(out, "total size: {} bytes", analysis.total_size)?;
    let fit = if analysis.fits_slot() {
        format!(
            "fits ({} bytes free)",
            slot.size as usize - analysis.total_size
        )
    } else {
        "DOES NOT FIT (must start at the slot start and end inside the slot)".to_string()
    };
    writeln!(out, "slot fit: {fit}")?;
    match analysis.vector_words {
        Some([stack_pointer, reset_vector, pointer]) => {
            let verdict = match analysis.vector_table {
                Ok(()) => "ok".to_string(),
                Err(error) => format!("REFUSED: {} (code 0x{:02x})", error.message(), error.code()),
            };
            writeln!(
                out,
                "vector table: initial stack pointer {}, reset vector {}: {verdict}",
                address(stack_pointer),
                address(reset_vector)
            )?;
            writeln!(out, "word 7 (trailer offset): {}", address(pointer))?;
        }
        None => writeln!(out, "vector table: missing (image shorter than 32 bytes)")?,
    }
    match &analysis.trailer {
        Ok(trailer) => {
            let descriptor = &trailer.descriptor;
            writeln!(out, "descriptor:")?;
            writeln!(out, "  format version: {}", descriptor.format_version)?;
            writeln!(
                out,
                "  descriptor size: {} bytes",
                descriptor.descriptor_size
            )?;
            writeln!(out, "  image size: {} bytes", descriptor.image_size)?;
            writeln!(out, "  load address: {}", address(descriptor.load_address))?;
            let board = board_name(descriptor.board_id).unwrap_or("unknown board");
            writeln!(
                out,
                "  board id: {} ({board})",
                address(descriptor.board_id)
            )?;
            writeln!(out, "  version: {}", descriptor.version)?;
            writeln!(out, "  security counter: {}", descriptor.security_counter)?;
            writeln!(out, "  flags: {}", address(descriptor.flags))?;
            writeln!(out, "  hash algorithm: SHA-256")?;
            writeln!(out, "  signature algorithm: Ed25519")?;
            writeln!(out, "  key id: {}", hex(&descriptor.key_id))?;
            writeln!(
                out,
                "trailer: {} bytes at {}",
                analysis.total_size - trailer.descriptor_offset(),
                address(analysis.start + descriptor.image_size)
            )?;
            writeln!(out, "stored SHA-256:   {}", hex(&trailer.stored_digest))?;
            if let Some(digest) = analysis.computed_digest {
                let verdict = if digest == trailer.stored_digest {
                    "matches"
                } else {
                    "MISMATCH"
                };
                writeln!(out, "computed SHA-256: {} ({verdict})", hex(&digest))?;
            }
        }
        Err(error) => writeln!(
            out,
            "descriptor: {} (code 0x{:02x})",
            error.message(),
            error.code()
        )?,
    }
    if analysis.keys.is_empty() {
        writeln!(out, "signature: not checked (give --key PUB)")?;
    } else {
        writeln!(out, "signature:")?;
        for key in &analysis.keys {
            writeln!(
                out,
                "  {} (key id {}): {}",
                key.name,
                hex(&key.key_id),
                key.status
            )?;
        }
        match &analysis.refusal {
            None => writeln!(out, "bootloader: would accept")?,
            Some(refusal) => writeln!(
                out,
                "bootloader: would REFUSE: {} (code 0x{:02x})",
                refusal.message, refusal.code
            )?,
        }
    }
    Ok(())
}

fn to_json(name: &str, analysis: &Analysis) -> serde_json::Value {
    let slot = analysis.layout.partitions.primary;
    let vector_table = analysis.vector_words.map(|[stack_pointer, reset_vector, pointer]| {
        json!({
            "initial_stack_pointer": address(stack_pointer),
            "reset_vector": address(reset_vector),
            "word7": address(pointer),
            "error": analysis.vector_table.err().map(|error| json!({"code": error.code(), "message": error.message()})),
        })
    });
    let descriptor = match &analysis.trailer {
        Ok(trailer) => {
            let descriptor = &trailer.descriptor;
            json!({
                "format_version": descriptor.format_version,
                "descriptor_size": descriptor.descriptor_size,
                "image_size": descriptor.image_size,
                "load_address": address(descriptor.load_address),
                "board_id": address(descriptor.board_id),
                "board": board_name(descriptor.board_id),
                "version": descriptor.version.to_string(),
                "security_counter": descriptor.security_counter,
                "flags": address(descriptor.flags),
                "hash_algorithm": "SHA-256",
                "signature_algorithm": "Ed25519",
                "key_id": hex(&descriptor.key_id),
                "stored_sha256": hex(&trailer.stored_digest),
                "computed_sha256": analysis.computed_digest.map(|digest| hex(&digest)),
            })
        }
        Err(error) => json!({"error": {"code": error.code(), "message": error.message()}}),
    };
    let keys: Vec<_> = analysis
        .keys
        .iter()
        .map(|key| json!({"key": key.name, "key_id": hex(&key.key_id), "status": key.status}))
        .collect();
    json!({
        "image": name,
        "layout": analysis.layout.name,
        "slot": {"start": address(slot.start), "size": slot.size},
        "start": address(analysis.start),
        "total_size": analysis.total_size,
        "fits_slot": analysis.fits_slot(),
        "vector_table": vector_table,
        "descriptor": descriptor,
        "keys": keys,
        "bootloader": if analysis.keys.is_empty() {
            json!(null)
        } else {
            match &analysis.refusal {
                None => json!({"accepted": true}),
                Some(refusal) => json!({"accepted": false, "code": refusal.code, "reason": refusal.message}),
            }
        },
    })
}
