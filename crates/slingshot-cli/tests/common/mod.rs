//! Shared fixtures for the CLI tests: a temporary directory, deterministic key pairs written
//! by the tool's own key writer, fake application binaries, and a runner that parses a
//! command line like the binary does and returns its output with the temporary path redacted.
#![allow(dead_code)]

use clap::Parser;
use ed25519_compact::{KeyPair, Seed};
use slingshot_cli::keys::{write_key_pair, KeyFiles};
use slingshot_cli::Cli;
use std::path::{Path, PathBuf};

/// A test workspace in a temporary directory.
pub struct Workspace {
    pub directory: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            directory: tempfile::tempdir().expect("temporary directory"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.directory.path().join(name)
    }

    /// A key pair from a fixed seed (so snapshots are stable), written as NAME.pem etc.
    pub fn key(&self, name: &str, seed_byte: u8) -> KeyFiles {
        let files = KeyFiles::for_base(&self.path(name));
        let key_pair = KeyPair::from_seed(Seed::new([seed_byte; 32]));
        write_key_pair(&files, &key_pair).expect("key written");
        files
    }

    /// Write `bytes` to NAME.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("file written");
        path
    }

    /// Run `slingshot ARGS...` in-process; Ok(output) or Err(error chain), both with the
    /// workspace path replaced by `[DIR]`.
    pub fn run(&self, arguments: &[&str]) -> Result<String, String> {
        let redact =
            |text: String| text.replace(&self.directory.path().display().to_string(), "[DIR]");
        let cli =
            Cli::try_parse_from(std::iter::once("slingshot").chain(arguments.iter().copied()))
                .map_err(|error| redact(error.to_string()))?;
        let mut out = Vec::new();
        let result = cli.command.run(&mut out);
        let output = redact(String::from_utf8(out).expect("UTF-8 output"));
        match result {
            Ok(()) => Ok(output),
            Err(error) => Err(redact(format!("{output}error: {error:#}"))),
        }
    }

    pub fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

/// A fake application for the dual-slot layout: stack pointer at the top of program RAM,
/// reset vector inside the slot with the Thumb bit, word 7 zero, deterministic code bytes.
pub fn application(length: usize) -> Vec<u8> {
    let mut image = vec![0u8; length];
    image[0..4].copy_from_slice(&0x2002_FFE0u32.to_le_bytes());
    image[4..8].copy_from_slice(&0x0800_8101u32.to_le_bytes());
    for (index, byte) in image.iter_mut().enumerate().skip(64) {
        *byte = (index * 13 + 5) as u8;
    }
    image
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}
pub mod board;
