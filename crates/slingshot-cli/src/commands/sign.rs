//! `slingshot sign`: the command line of [`crate::signing::sign_file`] (load an application,
//! check it against the layout, sign it, write `.bin` and/or `.hex` atomically) and its
//! printed summary.

use crate::keys::{is_development_key, DEVELOPMENT_WARNING};
use crate::layout::{layout_by_name, DEFAULT_LAYOUT};
use crate::signing::{sign_file, SignRequest};
use anyhow::{Context, Result};
use clap::Args;
use slingshot_image::Version;
use std::io::Write;
use std::path::PathBuf;

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

impl Sign {
    /// Check, sign and write the outputs ([`crate::signing::sign_file`]); print a summary.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let layout = layout_by_name(&self.layout)?;
        let version = self
            .version
            .as_deref()
            .map(|text| {
                Version::parse(text).with_context(|| {
                    format!("--version {text:?}: expected major.minor.patch[+build], e.g. 1.2.3+4")
                })
            })
            .transpose()?;
        if is_development_key(&self.key) {
            writeln!(out, "{DEVELOPMENT_WARNING}")?;
        }
        let report = sign_file(&SignRequest {
            input: &self.input,
            address: self.address,
            layout,
            key: &self.key,
            version,
            security_counter: self.security_counter,
            outputs: &self.output,
        })?;
        report.write(out)?;
        Ok(())
    }
}
