//! `slingshot keygen --out DIR/NAME`: a new Ed25519 key pair as NAME.pem (private, PKCS#8
//! PEM), NAME.pub.pem (public, SPKI PEM) and NAME.pub.bin (the raw 32 bytes the bootloader
//! build embeds). Never overwrites an existing key.

use crate::keys::{generate, hex, KeyFiles};
use anyhow::Result;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `slingshot keygen`.
#[derive(Debug, Args)]
pub struct Keygen {
    /// Base path of the key files: DIR/NAME gives DIR/NAME.pem, DIR/NAME.pub.pem and
    /// DIR/NAME.pub.bin.
    #[arg(long, value_name = "DIR/NAME")]
    pub out: PathBuf,
}

impl Keygen {
    /// Generate and write the key pair, then list the files.
    pub fn run(self, out: &mut impl Write) -> Result<()> {
        let files = KeyFiles::for_base(&self.out);
        let public_key = generate(&files)?;
        writeln!(
            out,
            "private key: {} (keep it secret; never commit it)",
            files.private_pem.display()
        )?;
        writeln!(out, "public key:  {}", files.public_pem.display())?;
        writeln!(
            out,
            "public key:  {} (raw 32 bytes, for the bootloader build)",
            files.public_bin.display()
        )?;
        writeln!(out, "public key (hex): {}", hex(&public_key))?;
        writeln!(
            out,
            "key id: {}",
            hex(&slingshot_image::key_id(&public_key))
        )?;
        Ok(())
    }
}
