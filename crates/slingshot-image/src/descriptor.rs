//! The descriptor: the signed metadata at the start of the trailer, with its encoding to and
//! decoding from the fixed little-endian layout documented in the crate root.

use crate::{
    ImageError, DESCRIPTOR_SIZE, FORMAT_VERSION, HASH_ALGORITHM_SHA256, KEY_ID_SIZE, MAGIC,
    MAXIMUM_DESCRIPTOR_SIZE, SIGNATURE_ALGORITHM_ED25519,
};

/// A semantic version with a build number: `major.minor.patch+build`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Incompatible changes.
    pub major: u16,
    /// Compatible additions.
    pub minor: u16,
    /// Fixes.
    pub patch: u16,
    /// Build number (CI run, commit count, …).
    pub build: u32,
}

impl Version {
    /// Parse `major.minor.patch` or `major.minor.patch+build` (decimal numbers only).
    pub fn parse(text: &str) -> Option<Version> {
        let (core, build) = match text.split_once('+') {
            Some((core, build)) => (core, parse_decimal_u32(build)?),
            None => (text, 0),
        };
        let mut parts = core.split('.');
        let major = parse_decimal_u16(parts.next()?)?;
        let minor = parse_decimal_u16(parts.next()?)?;
        let patch = parse_decimal_u16(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
            build,
        })
    }
}

fn parse_decimal_u32(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_decimal_u16(text: &str) -> Option<u16> {
    u16::try_from(parse_decimal_u32(text)?).ok()
}

impl core::fmt::Display for Version {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            formatter,
            "{}.{}.{}+{}",
            self.major, self.minor, self.patch, self.build
        )
    }
}

/// The decoded descriptor fields (see the table in the crate root).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Descriptor {
    /// Magic word; [`MAGIC`] in a valid descriptor.
    pub magic: u32,
    /// Format version; [`FORMAT_VERSION`] in a descriptor this crate writes.
    pub format_version: u16,
    /// Size of the descriptor in bytes (128 in version 1).
    pub descriptor_size: u16,
    /// Size of the image in bytes (equal to vector-table word 7).
    pub image_size: u32,
    /// Address the image runs at.
    pub load_address: u32,
    /// Board the image is built for.
    pub board_id: u32,
    /// Semantic version and build number.
    pub version: Version,
    /// Hash algorithm id.
    pub hash_algorithm: u8,
    /// Signature algorithm id.
    pub signature_algorithm: u8,
    /// Anti-rollback counter.
    pub security_counter: u32,
    /// Flags (none defined yet).
    pub flags: u32,
    /// First bytes of SHA-256 of the signing public key.
    pub key_id: [u8; KEY_ID_SIZE],
}

fn u16_at(bytes: &[u8; DESCRIPTOR_SIZE], offset: usize) -> u16 {
    u16::from_le_bytes([bytes[offset], bytes[offset + 1]])
}

fn u32_at(bytes: &[u8; DESCRIPTOR_SIZE], offset: usize) -> u32 {
    u32::from_le_bytes([
        bytes[offset],
        bytes[offset + 1],
        bytes[offset + 2],
        bytes[offset + 3],
    ])
}

impl Descriptor {
    /// The descriptor's own structure: magic, format version, descriptor size (128 bytes up to
    /// the maximum, a multiple of 4) and algorithms. The one copy of these checks: the trailer
    /// parser and the bootloader's update admission both call it.
    #[inline(always)]
    pub fn check_structure(&self) -> Result<(), ImageError> {
        if self.magic != MAGIC {
            return Err(ImageError::BadMagic);
        }
        if self.format_version != FORMAT_VERSION {
            return Err(ImageError::UnsupportedFormatVersion);
        }
        let size = usize::from(self.descriptor_size);
        if !(DESCRIPTOR_SIZE..=MAXIMUM_DESCRIPTOR_SIZE).contains(&size) || size % 4 != 0 {
            return Err(ImageError::BadDescriptorSize);
        }
        if self.hash_algorithm != HASH_ALGORITHM_SHA256
            || self.signature_algorithm != SIGNATURE_ALGORITHM_ED25519
        {
            return Err(ImageError::UnsupportedAlgorithm);
        }
        Ok(())
    }

    /// A version-1 descriptor with the current magic, sizes and algorithm ids.
    pub const fn new(
        image_size: u32,
        load_address: u32,
        board_id: u32,
        version: Version,
        security_counter: u32,
        key_id: [u8; KEY_ID_SIZE],
    ) -> Descriptor {
        Descriptor {
            magic: MAGIC,
            format_version: FORMAT_VERSION,
            descriptor_size: DESCRIPTOR_SIZE as u16,
            image_size,
            load_address,
            board_id,
            version,
            hash_algorithm: HASH_ALGORITHM_SHA256,
            signature_algorithm: SIGNATURE_ALGORITHM_ED25519,
            security_counter,
            flags: 0,
            key_id,
        }
    }

    /// Decode the first 128 bytes of a descriptor. Never fails: validation is
    /// [`crate::parse_trailer`]'s job.
    pub fn decode(bytes: &[u8; DESCRIPTOR_SIZE]) -> Descriptor {
        let mut key_id = [0; KEY_ID_SIZE];
        key_id.copy_from_slice(&bytes[0x28..0x28 + KEY_ID_SIZE]);
        Descriptor {
            magic: u32_at(bytes, 0x00),
            format_version: u16_at(bytes, 0x04),
            descriptor_size: u16_at(bytes, 0x06),
            image_size: u32_at(bytes, 0x08),
            load_address: u32_at(bytes, 0x0C),
            board_id: u32_at(bytes, 0x10),
            version: Version {
                major: u16_at(bytes, 0x14),
                minor: u16_at(bytes, 0x16),
                patch: u16_at(bytes, 0x18),
                build: u32_at(bytes, 0x1C),
            },
            hash_algorithm: bytes[0x1A],
            signature_algorithm: bytes[0x1B],
            security_counter: u32_at(bytes, 0x20),
            flags: u32_at(bytes, 0x24),
            key_id,
        }
    }

    /// Encode as a version-1 descriptor (reserved bytes zero).
    pub fn encode(&self) -> [u8; DESCRIPTOR_SIZE] {
        let mut bytes = [0; DESCRIPTOR_SIZE];
        let mut put = |offset: usize, field: &[u8]| {
            bytes[offset..offset + field.len()].copy_from_slice(field);
        };
        put(0x00, &self.magic.to_le_bytes());
        put(0x04, &self.format_version.to_le_bytes());
        put(0x06, &self.descriptor_size.to_le_bytes());
        put(0x08, &self.image_size.to_le_bytes());
        put(0x0C, &self.load_address.to_le_bytes());
        put(0x10, &self.board_id.to_le_bytes());
        put(0x14, &self.version.major.to_le_bytes());
        put(0x16, &self.version.minor.to_le_bytes());
        put(0x18, &self.version.patch.to_le_bytes());
        put(0x1A, &[self.hash_algorithm, self.signature_algorithm]);
        put(0x1C, &self.version.build.to_le_bytes());
        put(0x20, &self.security_counter.to_le_bytes());
        put(0x24, &self.flags.to_le_bytes());
        put(0x28, &self.key_id);
        bytes
    }
}
