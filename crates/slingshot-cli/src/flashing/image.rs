//! The image `slingshot flash` sends: a signed BIN or HEX, checked against the layout before
//! any port is opened, so a wrong file never reaches the board.

use crate::input::load;
use slingshot_image::{parse_trailer, Descriptor, ImageError, DIGEST_SIZE, SIGNATURE_SIZE};
use slingshot_layout::Layout;
use slingshot_protocol::info::DIGEST_PREFIX;
use std::path::Path;

/// A signed image ready to send: the bytes (image, descriptor, digest, signature) and the
/// encoded descriptor the bootloader checks in StartUpdate before erasing anything.
#[derive(Clone, Debug)]
pub struct SignedImage {
    /// Everything the device stores: image, padding and trailer.
    pub bytes: Vec<u8>,
    /// The descriptor as it is encoded in the trailer (StartUpdate's descriptor field).
    pub descriptor_bytes: Vec<u8>,
    /// The decoded descriptor.
    pub descriptor: Descriptor,
}

/// Why an image is refused before connecting.
#[derive(Debug, thiserror::Error)]
pub enum ImageRefusal {
    /// The file could not be read or parsed as BIN/HEX/ELF.
    #[error("cannot load {path}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: anyhow::Error,
    },
    /// The image has no valid trailer.
    #[error("{path} is not a signed image ({reason}): sign it with `slingshot sign` first")]
    NotSigned {
        /// The file.
        path: String,
        /// What the trailer check found.
        reason: &'static str,
    },
    /// The image does not start at the layout's primary slot.
    #[error("{path} starts at 0x{start:08x}, not at the primary slot 0x{slot_start:08x} of layout {layout}")]
    WrongAddress {
        /// The file.
        path: String,
        /// Where the file's data starts.
        start: u32,
        /// Where the slot starts.
        slot_start: u32,
        /// The layout's name.
        layout: &'static str,
    },
    /// The descriptor names another load address than the primary slot.
    #[error("{path} is signed to run at 0x{load_address:08x}, but the primary slot of layout {layout} starts at 0x{slot_start:08x}: sign it for this layout")]
    WrongLoadAddress {
        /// The file.
        path: String,
        /// The descriptor's load address.
        load_address: u32,
        /// Where the slot starts.
        slot_start: u32,
        /// The layout's name.
        layout: &'static str,
    },
    /// The image was signed for another board.
    #[error("{path} is signed for board id 0x{image_board:08x}, but layout {layout} is for {board} (0x{layout_board:08x})")]
    WrongBoard {
        /// The file.
        path: String,
        /// The descriptor's board id.
        image_board: u32,
        /// The layout's board id.
        layout_board: u32,
        /// The layout's board name.
        board: &'static str,
        /// The layout's name.
        layout: &'static str,
    },
    /// Image and trailer do not fit the update slot.
    #[error("{path} needs {size} bytes (image and trailer), more than the {slot_size} byte update slot of layout {layout}")]
    TooLarge {
        /// The file.
        path: String,
        /// Image plus trailer, in bytes.
        size: usize,
        /// The slot size in bytes.
        slot_size: u32,
        /// The layout's name.
        layout: &'static str,
    },
}

impl SignedImage {
    /// The first bytes of the image's digest (SHA-256 of image and descriptor, in the
    /// trailer before the signature): what a bootloader's info reply shows of each slot.
    pub fn digest_prefix(&self) -> [u8; DIGEST_PREFIX] {
        let mut prefix = [0u8; DIGEST_PREFIX];
        let end = self.bytes.len().saturating_sub(SIGNATURE_SIZE);
        let start = end.saturating_sub(DIGEST_SIZE);
        prefix.copy_from_slice(&self.bytes[start..start + DIGEST_PREFIX]);
        prefix
    }

    /// Loads a signed BIN (placed at the primary slot start) or HEX and checks it against `layout`.
    pub fn load(path: &Path, layout: &'static Layout) -> Result<SignedImage, ImageRefusal> {
        let name = path.display().to_string();
        let slot = layout.partitions.primary;
        let loaded = load(path, slot.start).map_err(|source| ImageRefusal::Unreadable {
            path: name.clone(),
            source,
        })?;
        let (start, bytes) =
            loaded
                .image
                .to_contiguous(0xFF)
                .ok_or_else(|| ImageRefusal::NotSigned {
                    path: name.clone(),
                    reason: "it holds no data",
                })?;
        if start != slot.start {
            return Err(ImageRefusal::WrongAddress {
                path: name,
                start,
                slot_start: slot.start,
                layout: layout.name,
            });
        }
        SignedImage::from_bytes(&name, bytes, layout)
    }

    /// Checks `bytes` (starting at the primary slot) against `layout`; `name` is for messages.
    pub fn from_bytes(
        name: &str,
        mut bytes: Vec<u8>,
        layout: &'static Layout,
    ) -> Result<SignedImage, ImageRefusal> {
        let target = layout
            .partitions
            .secondary
            .unwrap_or(layout.partitions.primary)
            .size
            .min(layout.partitions.primary.size);
        let trailer = match parse_trailer(&bytes) {
            Ok(trailer) => trailer,
            Err(ImageError::ImageSizeBeyondSlot) if bytes.len() > target as usize => {
                return Err(ImageRefusal::TooLarge {
                    path: name.to_string(),
                    size: bytes.len(),
                    slot_size: target,
                    layout: layout.name,
                })
            }
            Err(error) => {
                return Err(ImageRefusal::NotSigned {
                    path: name.to_string(),
                    reason: error.message(),
                })
            }
        };
        let descriptor = trailer.descriptor;
        if descriptor.board_id != layout.board.board_id {
            return Err(ImageRefusal::WrongBoard {
                path: name.to_string(),
                image_board: descriptor.board_id,
                layout_board: layout.board.board_id,
                board: layout.board.name,
                layout: layout.name,
            });
        }
        let slot_start = layout.partitions.primary.start;
        if descriptor.load_address != slot_start {
            return Err(ImageRefusal::WrongLoadAddress {
                path: name.to_string(),
                load_address: descriptor.load_address,
                slot_start,
                layout: layout.name,
            });
        }
        let total = trailer.total_length();
        if total > target as usize {
            return Err(ImageRefusal::TooLarge {
                path: name.to_string(),
                size: total,
                slot_size: target,
                layout: layout.name,
            });
        }
        let descriptor_range = trailer.descriptor_offset()..trailer.hashed_length();
        let descriptor_bytes = bytes[descriptor_range].to_vec();
        bytes.truncate(total);
        Ok(SignedImage {
            bytes,
            descriptor_bytes,
            descriptor,
        })
    }
}
