//! Ed25519 key files as the tool reads them, from their bytes (the commands add the paths and
//! the file reading): a private key in PKCS#8 PEM (`slingshot keygen`, `openssl genpkey
//! -algorithm ed25519`), and a public key in SPKI PEM, as 32 raw bytes, as 64 hex digits, or
//! as the public half of a private key PEM. The PEM and DER decoding is ed25519-compact's.

use ed25519_compact::{KeyPair, PublicKey};

/// Bytes of an Ed25519 key (public key or private seed).
pub const KEY_SIZE: usize = 32;

/// Why bytes are not a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    /// Not an Ed25519 private key in PKCS#8 PEM form.
    #[error(
        "not an Ed25519 private key in PKCS#8 PEM form (-----BEGIN PRIVATE KEY-----): {reason}"
    )]
    NotPrivateKeyPem {
        /// What the decoder found wrong.
        reason: String,
    },
    /// A public key PEM that does not hold an Ed25519 key.
    #[error("not an Ed25519 public key PEM: {reason}")]
    NotPublicKeyPem {
        /// What the decoder found wrong.
        reason: String,
    },
    /// None of the public key forms.
    #[error(
        "not a public key: expected SPKI PEM, 32 raw bytes or 64 hex digits ({length} bytes found)"
    )]
    UnknownPublicKeyForm {
        /// Bytes in the file.
        length: usize,
    },
}

/// The 32-byte seed of the private key in `text` (PKCS#8 PEM).
pub fn private_key_seed(text: &str) -> Result<[u8; KEY_SIZE], KeyFileError> {
    KeyPair::from_pem(text)
        .map(|key_pair| *key_pair.sk.seed())
        .map_err(|error| KeyFileError::NotPrivateKeyPem {
            reason: error.to_string(),
        })
}

/// The public key in `bytes`: SPKI PEM, 32 raw bytes, 64 hex digits (surrounding white space
/// ignored), or the public half of a PKCS#8 private key PEM.
pub fn public_key(bytes: &[u8]) -> Result<[u8; KEY_SIZE], KeyFileError> {
    if let Ok(key) = <[u8; KEY_SIZE]>::try_from(bytes) {
        return Ok(key);
    }
    let text = String::from_utf8_lossy(bytes);
    if text.contains("-----BEGIN PUBLIC KEY-----") {
        return PublicKey::from_pem(&text).map(|key| *key).map_err(|error| {
            KeyFileError::NotPublicKeyPem {
                reason: error.to_string(),
            }
        });
    }
    if text.contains("-----BEGIN PRIVATE KEY-----") {
        let seed = private_key_seed(&text)?;
        return Ok(*KeyPair::from_seed(ed25519_compact::Seed::new(seed)).pk);
    }
    hex_key(text.trim()).ok_or(KeyFileError::UnknownPublicKeyForm {
        length: bytes.len(),
    })
}

/// 64 hex digits as a key.
fn hex_key(text: &str) -> Option<[u8; KEY_SIZE]> {
    if text.len() != 2 * KEY_SIZE || !text.is_ascii() {
        return None;
    }
    let mut key = [0; KEY_SIZE];
    for (index, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * index..2 * index + 2], 16).ok()?;
    }
    Some(key)
}

/// The PEM files `slingshot keygen` writes for the key pair of `seed`: the private key
/// (PKCS#8) and the public key (SPKI).
pub fn key_pair_pem(seed: &[u8; KEY_SIZE]) -> (String, String) {
    let key_pair = KeyPair::from_seed(ed25519_compact::Seed::new(*seed));
    (key_pair.sk.to_pem(), key_pair.pk.to_pem())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_public_form_gives_the_same_key_and_garbage_is_refused() {
        let seed = [7u8; KEY_SIZE];
        let (private_pem, public_pem) = key_pair_pem(&seed);
        let key = public_key(public_pem.as_bytes()).expect("SPKI PEM");
        assert_eq!(private_key_seed(&private_pem), Ok(seed));
        assert_eq!(public_key(private_pem.as_bytes()), Ok(key));
        assert_eq!(public_key(&key), Ok(key));
        let hex: String = key.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(public_key(format!("{hex}\n").as_bytes()), Ok(key));
        assert_eq!(
            public_key(b"hello"),
            Err(KeyFileError::UnknownPublicKeyForm { length: 5 })
        );
        assert!(matches!(
            public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
            Err(KeyFileError::NotPublicKeyPem { .. })
        ));
        assert!(private_key_seed(&public_pem).is_err());
    }
}
