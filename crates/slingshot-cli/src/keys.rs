//! Ed25519 key files: generating a key pair (private key as PKCS#8 PEM, public key as SPKI PEM
//! and as the raw 32 bytes the bootloader build embeds), loading them back, and the
//! development key every fresh checkout creates on first use.

use anyhow::{bail, Context, Result};
use ed25519_compact::{KeyPair, Seed};
use slingshot_files::keys;
use std::path::{Path, PathBuf};

/// Printed whenever something is signed with the development key.
pub const DEVELOPMENT_WARNING: &str = "WARNING: development key: for development only. Images \
signed with keys/development.pem are trusted by every development bootloader; sign release \
images with your own key (slingshot keygen).";

/// Directory, relative to the repository root, holding the development key (git-ignored).
pub const DEVELOPMENT_KEY_DIRECTORY: &str = "keys";

/// File stem of the development key.
pub const DEVELOPMENT_KEY_NAME: &str = "development";

/// The three files of a key pair, named from one base path `DIR/NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFiles {
    /// `NAME.pem`: the private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub private_pem: PathBuf,
    /// `NAME.pub.pem`: the public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_pem: PathBuf,
    /// `NAME.pub.bin`: the raw 32-byte public key the bootloader build embeds.
    pub public_bin: PathBuf,
}

impl KeyFiles {
    /// The files for base path `DIR/NAME` (a trailing `.pem` on NAME is ignored).
    pub fn for_base(base: &Path) -> KeyFiles {
        let base = match base.extension() {
            Some(extension) if extension == "pem" => base.with_extension(""),
            _ => base.to_path_buf(),
        };
        let with_suffix = |suffix: &str| {
            let mut name = base.file_name().unwrap_or_default().to_os_string();
            name.push(suffix);
            base.with_file_name(name)
        };
        KeyFiles {
            private_pem: with_suffix(".pem"),
            public_pem: with_suffix(".pub.pem"),
            public_bin: with_suffix(".pub.bin"),
        }
    }

    fn all(&self) -> [&Path; 3] {
        [&self.private_pem, &self.public_pem, &self.public_bin]
    }
}

/// Generate a new key pair and write its three files atomically. Refuses if any of them
/// exists already, so a key is never overwritten. Returns the public key.
pub fn generate(files: &KeyFiles) -> Result<[u8; 32]> {
    write_key_pair(files, &KeyPair::generate())
}

/// Write `key_pair`'s three files; refuses to overwrite any existing file.
pub fn write_key_pair(files: &KeyFiles, key_pair: &KeyPair) -> Result<[u8; 32]> {
    for path in files.all() {
        if path.exists() {
            bail!(
                "{} already exists: refusing to overwrite a key",
                path.display()
            );
        }
    }
    if let Some(directory) = files
        .private_pem
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(directory)
            .with_context(|| format!("creating the key directory {}", directory.display()))?;
    }
    let public_key: [u8; 32] = *key_pair.pk;
    let (private_pem, public_pem) = keys::key_pair_pem(&key_pair.sk.seed());
    let writes: [(&Path, Vec<u8>); 3] = [
        (&files.private_pem, private_pem.into_bytes()),
        (&files.public_pem, public_pem.into_bytes()),
        (&files.public_bin, public_key.to_vec()),
    ];
    for (index, (path, bytes)) in writes.into_iter().enumerate() {
        // The private key (first) is owner-only; the public halves are for sharing.
        let mode = if index == 0 { 0o600 } else { 0o644 };
        write_new_file(path, &bytes, mode)?;
    }
    Ok(public_key)
}

/// Write a file that must not exist yet, atomically: a temporary file in the same directory
/// (created owner-only), given `mode` on Unix, flushed, then renamed into place only if
/// `path` still does not exist — so a key is never overwritten, even by a concurrent keygen.
fn write_new_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".slingshot-key-")
        .tempfile_in(directory)
        .with_context(|| format!("creating a temporary file in {}", directory.display()))?;
    temporary
        .write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temporary
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("setting the permissions of {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    temporary
        .as_file()
        .sync_all()
        .with_context(|| format!("writing {}", path.display()))?;
    temporary.persist_noclobber(path).map_err(|error| {
        anyhow::anyhow!(
            "{} could not be created (refusing to overwrite a key): {}",
            path.display(),
            error.error
        )
    })?;
    Ok(())
}

/// Load a private key from a PKCS#8 PEM file (as written by `slingshot keygen` or
/// `openssl genpkey -algorithm ed25519`); the parsing is `slingshot_files::keys`.
pub fn load_private_key(path: &Path) -> Result<KeyPair> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the private key {}", path.display()))?;
    let seed = keys::private_key_seed(&text)
        .map_err(|error| anyhow::anyhow!("{} is {error}", path.display()))?;
    Ok(KeyPair::from_seed(Seed::new(seed)))
}

/// Load a public key from an SPKI PEM file, a raw 32-byte file, a file holding 64 hex
/// digits, or a private key PEM (its public half).
pub fn load_public_key(path: &Path) -> Result<[u8; 32]> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading the key {}", path.display()))?;
    keys::public_key(&bytes).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether `path` names the development key (`development.pem`).
pub fn is_development_key(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name == "development.pem")
}

/// The development key of a repository, as [`ensure_development_key`] left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevelopmentKey {
    /// Its files under `<repository>/keys/`.
    pub files: KeyFiles,
    /// Its public key.
    pub public_key: [u8; 32],
    /// Whether this call created it.
    pub created: bool,
}

/// Make sure `<repository_root>/keys/development.{pem,pub.pem,pub.bin}` exist, generating a
/// fresh key pair on first use (`/keys/` is git-ignored, so it is never committed). Used by
/// `cargo xtask` and the bootloader build. A half-present key (some files missing) is an
/// error rather than silently replaced.
pub fn ensure_development_key(repository_root: &Path) -> Result<DevelopmentKey> {
    let base = repository_root
        .join(DEVELOPMENT_KEY_DIRECTORY)
        .join(DEVELOPMENT_KEY_NAME);
    let files = KeyFiles::for_base(&base);
    let present = files.all().map(Path::exists);
    if present.iter().all(|&exists| exists) {
        let public_key = *load_private_key(&files.private_pem)?.pk;
        if load_public_key(&files.public_bin)? != public_key {
            bail!(
                "{} does not match {}: delete the keys directory to make a new development key",
                files.public_bin.display(),
                files.private_pem.display()
            );
        }
        return Ok(DevelopmentKey {
            files,
            public_key,
            created: false,
        });
    }
    if present.iter().any(|&exists| exists) {
        bail!(
            "the development key in {} is incomplete (need development.pem, development.pub.pem \
             and development.pub.bin): delete the keys directory to make a new one",
            base.parent().unwrap_or(repository_root).display()
        );
    }
    let public_key = generate(&files)?;
    Ok(DevelopmentKey {
        files,
        public_key,
        created: true,
    })
}
