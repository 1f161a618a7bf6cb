//! What `inspect` reports and `verify` decides: the layout fit, the vector table, the trailer,
//! the digest, each key's verdict on the signature, and whether the bootloader would accept
//! the image — computed the way the bootloader does it (the image in an erased slot,
//! `check_vector_table`, then `slingshot_image::verify_slot`).

use slingshot_image::{key_id, parse_trailer, sha256, verify_signature, ImageError, Trailer};
use slingshot_layout::Layout;

/// Why the bootloader would refuse an image, with a stable code where it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The bootloader's reason code (0 for checks the tool makes before the bootloader could).
    pub code: u8,
    /// What is wrong, with addresses and sizes.
    pub message: String,
}

/// One trusted key's view of the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyVerdict {
    /// Where the key came from (as given on the command line).
    pub name: String,
    /// The key's id.
    pub key_id: [u8; 8],
    /// `valid`, `bad signature`, `key id differs` or `not checked (no valid descriptor)`.
    pub status: &'static str,
}

/// Everything `inspect` prints about an image.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The layout checked against.
    pub layout: &'static Layout,
    /// Address of the first byte.
    pub start: u32,
    /// Bytes from the first to the last address.
    pub total_size: usize,
    /// Words 0, 1 and 7 of the vector table (None when the image is shorter).
    pub vector_words: Option<[u32; 3]>,
    /// The vector-table check's verdict.
    pub vector_table: Result<(), slingshot_boot::VectorTableError>,
    /// The trailer, or why it could not be parsed.
    pub trailer: Result<Trailer, ImageError>,
    /// SHA-256 over image and descriptor as found in the file.
    pub computed_digest: Option<[u8; 32]>,
    /// Each key's verdict.
    pub keys: Vec<KeyVerdict>,
    /// `None` if the bootloader would accept the image with one of the keys.
    pub refusal: Option<Refusal>,
}

fn word(bytes: &[u8], index: usize) -> Option<u32> {
    let chunk = bytes.get(index * 4..index * 4 + 4)?;
    Some(u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
}

/// Analyse `bytes` loaded at `start` against `layout` and the trusted `keys` (name, key).
pub fn analyse(
    layout: &'static Layout,
    start: u32,
    bytes: &[u8],
    keys: &[(String, [u8; 32])],
) -> Analysis {
    let vector_words = (|| Some([word(bytes, 0)?, word(bytes, 1)?, word(bytes, 7)?]))();
    let vector_table = match vector_words {
        Some([stack_pointer, reset_vector, _]) => {
            slingshot_boot::check_vector_table(layout, stack_pointer, reset_vector)
        }
        None => Err(slingshot_boot::VectorTableError::SlotErased),
    };
    let trailer = parse_trailer(bytes);
    let computed_digest = trailer
        .as_ref()
        .ok()
        .and_then(|t| bytes.get(..t.hashed_length()))
        .map(sha256);
    let key_verdicts = keys
        .iter()
        .map(|(name, key)| {
            let status = match (&trailer, computed_digest) {
                (Ok(trailer), _) if trailer.descriptor.key_id != key_id(key) => "key id differs",
                (Ok(trailer), Some(digest))
                    if verify_signature(key, &digest, &trailer.signature) =>
                {
                    "valid"
                }
                (Ok(_), _) => "bad signature",
                (Err(_), _) => "not checked (no valid descriptor)",
            };
            KeyVerdict {
                name: name.clone(),
                key_id: key_id(key),
                status,
            }
        })
        .collect();
    let refusal = bootloader_verdict(layout, start, bytes, keys);
    Analysis {
        layout,
        start,
        total_size: bytes.len(),
        vector_words,
        vector_table,
        trailer,
        computed_digest,
        keys: key_verdicts,
        refusal,
    }
}

impl Analysis {
    /// Whether the image with its trailer fits the primary slot.
    pub fn fits_slot(&self) -> bool {
        let slot = self.layout.partitions.primary;
        self.start == slot.start && self.total_size <= slot.size as usize
    }
}

/// What the bootloader would do with `bytes` placed at `start`: `None` to accept.
pub fn bootloader_verdict(
    layout: &Layout,
    start: u32,
    bytes: &[u8],
    keys: &[(String, [u8; 32])],
) -> Option<Refusal> {
    let slot = layout.partitions.primary;
    if start != slot.start {
        return Some(Refusal {
            code: 0,
            message: format!(
                "the image starts at 0x{start:08x}, not at the primary slot start 0x{:08x} of \
                 layout {}",
                slot.start, layout.name
            ),
        });
    }
    if bytes.len() > slot.size as usize {
        return Some(Refusal {
            code: 0,
            message: format!(
                "the image is {} bytes, larger than the {} byte primary slot of layout {}",
                bytes.len(),
                slot.size,
                layout.name
            ),
        });
    }
    if let Err(ImageError::ImageSizeBeyondSlot) = parse_trailer(bytes) {
        let end = u64::from(start) + bytes.len() as u64;
        return Some(Refusal {
            code: ImageError::ImageSizeBeyondSlot.code(),
            message: format!(
                "truncated image: the file ends at 0x{end:08x} ({} bytes), before the end of \
                 the trailer that word 7 points to",
                bytes.len()
            ),
        });
    }
    let mut flash = vec![0xFF; slot.size as usize];
    flash[..bytes.len()].copy_from_slice(bytes);
    let stack_pointer = word(&flash, 0).unwrap_or(u32::MAX);
    let reset_vector = word(&flash, 1).unwrap_or(u32::MAX);
    if let Err(error) = slingshot_boot::check_vector_table(layout, stack_pointer, reset_vector) {
        return Some(Refusal {
            code: error.code(),
            message: error.message().to_string(),
        });
    }
    let trusted: Vec<[u8; 32]> = keys.iter().map(|(_, key)| *key).collect();
    match slingshot_image::verify_slot(&flash, slot.start, layout.board.board_id, &trusted) {
        Ok(_) => None,
        Err(error) => Some(Refusal {
            code: error.code(),
            message: error.message().to_string(),
        }),
    }
}
