//! Helpers of the signed-boot QEMU tests: deterministic test keys, signing through the host
//! tool's library (`slingshot sign`), patching signed images, building the foreign program
//! and the bootloader variant that trusts two keys.
//!
//! Shared by several test crates, each using a part of it.
#![allow(dead_code)]

use anyhow::{bail, Context, Result};
use ed25519_compact::{KeyPair, Seed};
use slingshot_cli::keys::{write_key_pair, KeyFiles};
use slingshot_cli::signing::{sign_file, SignRequest};
use slingshot_testkit::artifacts::repository_root;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Where the test keys and the rotated-keys bootloader live (ignored by git: under
/// firmware/target). The keys come from fixed seeds, so the bootloader is not rebuilt on
/// every run.
pub fn variant_directory() -> PathBuf {
    repository_root().join("firmware/target/variants/rotated-keys")
}

/// Serialises the builds and key writes the tests of one process share.
static BUILDS: Mutex<()> = Mutex::new(());

/// A test key pair from a fixed seed, written (once) as `NAME.pem`, `NAME.pub.pem`,
/// `NAME.pub.bin` under [`variant_directory`]`/keys`.
pub fn test_key(name: &str, seed_byte: u8) -> Result<KeyFiles> {
    let _guard = BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let files = KeyFiles::for_base(&variant_directory().join("keys").join(name));
    let key_pair = KeyPair::from_seed(Seed::new([seed_byte; 32]));
    if !files.public_bin.exists() {
        write_key_pair(&files, &key_pair)?;
    }
    let stored = std::fs::read(&files.public_bin)?;
    if stored != key_pair.pk.as_ref() {
        bail!(
            "{} does not hold the key of seed {seed_byte:#04x}: delete {}",
            files.public_bin.display(),
            variant_directory().display()
        );
    }
    Ok(files)
}

/// The development key `cargo xtask build` created.
pub fn development_key() -> Result<KeyFiles> {
    let files = KeyFiles::for_base(&repository_root().join("keys/development"));
    if !files.private_pem.exists() {
        bail!(
            "{} is missing: run `cargo xtask build` first",
            files.private_pem.display()
        );
    }
    Ok(files)
}

/// Sign `input` (ELF, HEX, or a raw binary when `address` is given) with `key` into
/// `output` (a `.bin`), as `slingshot sign` does.
pub fn sign(input: &Path, key: &KeyFiles, address: Option<u32>, output: &Path) -> Result<()> {
    sign_file(&SignRequest {
        input,
        address,
        layout: &slingshot_layout::ACTIVE,
        key: &key.private_pem,
        version: slingshot_image::Version::parse("0.3.1+7"),
        security_counter: 0,
        outputs: &[output.to_path_buf()],
    })?;
    Ok(())
}

/// A copy of `source` in `directory` named `name`, changed by `change`.
pub fn patched(
    source: &Path,
    directory: &Path,
    name: &str,
    change: impl FnOnce(&mut Vec<u8>),
) -> Result<PathBuf> {
    let mut bytes =
        std::fs::read(source).with_context(|| format!("reading {}", source.display()))?;
    change(&mut bytes);
    let path = directory.join(name);
    std::fs::write(&path, bytes)?;
    Ok(path)
}

/// Vector-table word 7 of a signed image: the offset of its trailer (= the image size).
pub fn trailer_offset(bytes: &[u8]) -> usize {
    u32::from_le_bytes(bytes[28..32].try_into().expect("4 bytes")) as usize
}

/// The cargo that runs the tests.
fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(command: &mut Command) -> Result<()> {
    let output = command
        .output()
        .with_context(|| format!("starting {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Build firmware/foreign-application (its own workspace and linker script, no Slingshot
/// crate) and return its raw binary, starting at 0x0800_8000.
pub fn foreign_application_binary(directory: &Path) -> Result<PathBuf> {
    let _guard = BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let project = repository_root().join("firmware/foreign-application");
    run(cargo()
        .current_dir(&project)
        .args(["build", "--release", "--target-dir"])
        .arg(project.join("target")))?;
    let elf = project.join("target/thumbv7em-none-eabihf/release/foreign-application");
    let image = slingshot_files::MemoryImage::load(&elf, None)?;
    let (address, bytes) = image
        .to_contiguous(0xFF)
        .context("the foreign application has no loadable bytes")?;
    if address != slingshot_layout::ACTIVE.partitions.primary.start {
        bail!("the foreign application starts at 0x{address:08x}, not at the primary slot");
    }
    let binary = directory.join("foreign-application.bin");
    std::fs::write(&binary, bytes)?;
    Ok(binary)
}

/// Build the bootloader with `features` added to its defaults into
/// firmware/target/variants/`name`, from the firmware workspace.
pub fn bootloader_variant(name: &str, features: &str) -> Result<PathBuf> {
    let _guard = BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let target = repository_root()
        .join("firmware/target/variants")
        .join(name);
    run(cargo()
        .current_dir(repository_root().join("firmware"))
        .args([
            "build",
            "--release",
            "-p",
            "slingshot-bootloader",
            "--features",
            features,
        ])
        .arg("--target-dir")
        .arg(&target))?;
    Ok(target.join("thumbv7em-none-eabihf/release/slingshot-bootloader"))
}

/// Build the bootloader trusting two keys — `rotated` and the development key — through
/// `SLINGSHOT_TRUSTED_KEYS`, into its own target directory (firmware/target/variants/
/// rotated-keys), from the firmware workspace so its cargo configuration applies.
pub fn rotated_keys_bootloader(rotated: &KeyFiles) -> Result<PathBuf> {
    let development = development_key()?;
    let _guard = BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let target = variant_directory();
    let keys = format!(
        "{},{}",
        rotated.public_bin.display(),
        development.public_bin.display()
    );
    run(cargo()
        .current_dir(repository_root().join("firmware"))
        .env("SLINGSHOT_TRUSTED_KEYS", keys)
        .args(["build", "--release", "-p", "slingshot-bootloader"])
        .arg("--target-dir")
        .arg(&target))?;
    Ok(target.join("thumbv7em-none-eabihf/release/slingshot-bootloader"))
}
