//! Build script of the bootloader:
//!
//! - writes `memory.x` from slingshot-layout (the single source of truth) into OUT_DIR and
//!   puts it on the linker's search path for cortex-m-rt's `link.x`;
//! - with the `verify` feature, embeds the trusted public keys: `SLINGSHOT_TRUSTED_KEYS`
//!   (comma-separated paths of raw 32-byte `.pub.bin` files, up to [`MAXIMUM_KEYS`] for key
//!   rotation), default `<repository>/keys/development.pub.bin` (made by `cargo xtask build`),
//!   written to `OUT_DIR/trusted_keys.rs` as `slingshot_image::PreparedKey`s: each with its
//!   key id and its decoded point, computed here on the host, so the bootloader neither
//!   hashes a key nor takes a square root at boot. A file that is no Ed25519 public key (its
//!   bytes encode no curve point) stops the build.

use slingshot_image::PreparedKey;
use slingshot_layout::linker::{write_memory_x, Program};
use std::fmt::Write as _;
use std::{env, fs, path::Path, path::PathBuf, process};

/// Most keys one bootloader accepts (any of them verifies an image: key rotation).
const MAXIMUM_KEYS: usize = 4;
/// Size of a raw Ed25519 public key.
const KEY_SIZE: usize = 32;
/// The variable naming the key files.
const KEYS_VARIABLE: &str = "SLINGSHOT_TRUSTED_KEYS";

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut script = String::new();
    write_memory_x(
        &mut script,
        &slingshot_layout::ACTIVE,
        Program::Bootloader,
        0,
    )
    .expect("formatting into a String cannot fail");
    fs::write(out.join("memory.x"), script).expect("OUT_DIR is writable");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_VERIFY").is_some() {
        let keys = trusted_keys().unwrap_or_else(|message| {
            eprintln!("error: slingshot-bootloader: {message}");
            process::exit(1)
        });
        fs::write(out.join("trusted_keys.rs"), keys_source(&keys)).expect("OUT_DIR is writable");
    }
}

/// The key files to embed, from the environment or the development key's default path.
fn key_paths() -> Vec<PathBuf> {
    println!("cargo:rerun-if-env-changed={KEYS_VARIABLE}");
    match env::var(KEYS_VARIABLE) {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(str::trim)
            .filter(|path| !path.is_empty())
            .map(PathBuf::from)
            .collect(),
        _ => {
            let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
            let repository = manifest.ancestors().nth(2).unwrap_or(&manifest);
            vec![repository.join("keys/development.pub.bin")]
        }
    }
}

/// Read and check every key file.
fn trusted_keys() -> Result<Vec<(PathBuf, PreparedKey)>, String> {
    let paths = key_paths();
    if paths.len() > MAXIMUM_KEYS {
        return Err(format!(
            "{KEYS_VARIABLE} names {} keys; the bootloader embeds at most {MAXIMUM_KEYS}",
            paths.len()
        ));
    }
    let mut keys = Vec::new();
    for path in paths {
        println!("cargo:rerun-if-changed={}", path.display());
        keys.push((path.clone(), read_key(&path)?));
    }
    Ok(keys)
}

/// Read a key file and prepare the key (key id, decoded point) for the bootloader.
fn read_key(path: &Path) -> Result<PreparedKey, String> {
    PreparedKey::prepare(&read_key_bytes(path)?).ok_or_else(|| {
        format!(
            "{} is not an Ed25519 public key: its 32 bytes encode no point on the curve, so \
             no signature could verify with it (use NAME.pub.bin from `slingshot keygen`)",
            path.display()
        )
    })
}

fn read_key_bytes(path: &Path) -> Result<[u8; KEY_SIZE], String> {
    let bytes = fs::read(path).map_err(|error| {
        format!(
            "cannot read the trusted public key {}: {error}. Run `cargo xtask build` (it \
             creates the development key keys/development.pub.bin) or set {KEYS_VARIABLE} to \
             comma-separated paths of raw 32-byte public keys (`slingshot keygen` writes \
             NAME.pub.bin)",
            path.display()
        )
    })?;
    bytes.as_slice().try_into().map_err(|_| {
        format!(
            "{} holds {} bytes; a trusted key file must be the raw 32-byte Ed25519 public key \
             (NAME.pub.bin from `slingshot keygen`)",
            path.display(),
            bytes.len()
        )
    })
}

fn keys_source(keys: &[(PathBuf, PreparedKey)]) -> String {
    let mut source = String::new();
    let _ = writeln!(
        source,
        "/// The Ed25519 public keys this bootloader trusts (embedded by build.rs from {KEYS_VARIABLE} \
         or keys/development.pub.bin): an image signed by any of them verifies."
    );
    let _ = writeln!(
        source,
        "pub const TRUSTED_KEYS: [slingshot_image::PreparedKey; {}] = [",
        keys.len()
    );
    for (path, prepared) in keys {
        let _ = writeln!(source, "    // {}", path.display());
        let _ = writeln!(source, "    slingshot_image::PreparedKey {{");
        let _ = writeln!(
            source,
            "        public_key: {},",
            byte_array(&prepared.public_key)
        );
        let _ = writeln!(source, "        key_id: {},", byte_array(&prepared.key_id));
        let _ = writeln!(
            source,
            "        negated_x: {},",
            byte_array(&prepared.negated_x)
        );
        let _ = writeln!(source, "    }},");
    }
    let _ = writeln!(source, "];");
    source
}

/// `bytes` as a Rust array expression.
fn byte_array(bytes: &[u8]) -> String {
    let bytes: Vec<String> = bytes.iter().map(|byte| format!("0x{byte:02x}")).collect();
    format!("[{}]", bytes.join(", "))
}
