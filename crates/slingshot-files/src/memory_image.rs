//! [`MemoryImage`]: a sparse map from addresses to bytes, built from ELF, BIN or HEX files,
//! and turned back into a contiguous binary or an Intel HEX file.

use crate::FileError;
use object::{Object, ObjectSegment};
use std::collections::BTreeMap;
use std::path::Path;

/// The kind of a firmware file, recognised by content (ELF magic, HEX start code) first and
/// by extension second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// An ELF executable.
    Elf,
    /// An Intel HEX file.
    Hex,
    /// A raw binary (needs a load address).
    Binary,
}

impl FileKind {
    /// Guess the kind of `bytes` read from `path`.
    pub fn detect(path: &Path, bytes: &[u8]) -> FileKind {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if bytes.starts_with(b"\x7fELF") {
            FileKind::Elf
        } else {
            let hex_extension = ["hex", "ihex"]
                .iter()
                .any(|e| extension.eq_ignore_ascii_case(e));
            let hex_text = bytes.first() == Some(&b':')
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_hexdigit() || b" :\r\n".contains(b));
            if hex_extension || hex_text {
                FileKind::Hex
            } else {
                FileKind::Binary
            }
        }
    }
}

/// Bytes by address: what a programmer writes into the chip. Contiguous pieces are kept
/// merged; overlapping pieces are refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryImage {
    segments: BTreeMap<u32, Vec<u8>>,
}

impl MemoryImage {
    /// An empty image.
    pub fn new() -> Self {
        Self::default()
    }

    /// Load a firmware file: ELF and HEX carry their addresses; a raw binary needs `address`.
    pub fn load(path: &Path, address: Option<u32>) -> Result<Self, FileError> {
        let bytes = std::fs::read(path).map_err(|source| FileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        match (FileKind::detect(path, &bytes), address) {
            (FileKind::Elf, _) => Self::from_elf(&bytes),
            (FileKind::Hex, _) => {
                let text = String::from_utf8_lossy(&bytes);
                Self::from_ihex(&text)
            }
            (FileKind::Binary, Some(address)) => Self::from_binary(&bytes, address),
            (FileKind::Binary, None) => Err(FileError::BinaryNeedsAddress {
                path: path.display().to_string(),
            }),
        }
    }

    /// An image holding one raw binary at `address`.
    pub fn from_binary(bytes: &[u8], address: u32) -> Result<Self, FileError> {
        let mut image = Self::new();
        image.insert(address, bytes)?;
        Ok(image)
    }

    /// Load the `PT_LOAD` segments of an ELF file at their physical (load) addresses. Only
    /// the bytes present in the file count (`p_filesz`), so `.bss` adds nothing.
    pub fn from_elf(bytes: &[u8]) -> Result<Self, FileError> {
        let file = object::File::parse(bytes).map_err(|source| FileError::Elf { source })?;
        let mut image = Self::new();
        for segment in file.segments() {
            let data = segment.data().map_err(|source| FileError::Elf { source })?;
            if data.is_empty() {
                continue;
            }
            let address = physical_address(&file, &segment);
            let address = u32::try_from(address).map_err(|_| FileError::AddressOverflow {
                address: u32::MAX,
                size: data.len() as u64,
            })?;
            image.insert(address, data)?;
        }
        if image.is_empty() {
            return Err(FileError::EmptyElf);
        }
        Ok(image)
    }

    /// Parse an Intel HEX file (record types 00, 01, 02, 03, 04, 05).
    pub fn from_ihex(text: &str) -> Result<Self, FileError> {
        let mut image = Self::new();
        let mut base: u32 = 0;
        for (index, record) in ihex::Reader::new(text).enumerate() {
            let record = record.map_err(|source| FileError::Hex {
                record: index + 1,
                source,
            })?;
            match record {
                ihex::Record::Data { offset, value } => {
                    image.insert(base.wrapping_add(u32::from(offset)), &value)?;
                }
                ihex::Record::ExtendedSegmentAddress(segment) => base = u32::from(segment) << 4,
                ihex::Record::ExtendedLinearAddress(upper) => base = u32::from(upper) << 16,
                ihex::Record::EndOfFile => break,
                ihex::Record::StartSegmentAddress { .. } | ihex::Record::StartLinearAddress(_) => {}
            }
        }
        Ok(image)
    }

    /// Add `bytes` at `address`, merging with neighbours; refuses overlaps.
    pub fn insert(&mut self, address: u32, bytes: &[u8]) -> Result<(), FileError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let end = u64::from(address) + bytes.len() as u64;
        if end > 1 << 32 {
            return Err(FileError::AddressOverflow {
                address,
                size: bytes.len() as u64,
            });
        }
        if let Some((&start, existing)) = self.segments.range(..end as u32).next_back() {
            if u64::from(start) + existing.len() as u64 > u64::from(address) {
                return Err(FileError::Overlap {
                    address: address.max(start),
                    size: existing.len() as u32,
                });
            }
        }
        if end < 1 << 32 {
            if let Some(next) = self.segments.remove(&(end as u32)) {
                let mut merged = bytes.to_vec();
                merged.extend_from_slice(&next);
                return self.insert_merged(address, merged);
            }
        }
        self.insert_merged(address, bytes.to_vec())
    }

    fn insert_merged(&mut self, address: u32, bytes: Vec<u8>) -> Result<(), FileError> {
        if let Some((&start, previous)) = self.segments.range_mut(..address).next_back() {
            if u64::from(start) + previous.len() as u64 == u64::from(address) {
                previous.extend_from_slice(&bytes);
                return Ok(());
            }
        }
        self.segments.insert(address, bytes);
        Ok(())
    }

    /// Add every segment of `other` (e.g. bootloader + application into one image).
    pub fn merge(&mut self, other: &MemoryImage) -> Result<(), FileError> {
        for (address, bytes) in other.segments() {
            self.insert(address, bytes)?;
        }
        Ok(())
    }

    /// The contiguous pieces, in address order.
    pub fn segments(&self) -> impl Iterator<Item = (u32, &[u8])> {
        self.segments
            .iter()
            .map(|(&address, bytes)| (address, bytes.as_slice()))
    }

    /// Whether the image holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Lowest address with data.
    pub fn start(&self) -> Option<u32> {
        self.segments.keys().next().copied()
    }

    /// One past the highest address with data (as u64: it may be 2^32).
    pub fn end(&self) -> Option<u64> {
        self.segments
            .iter()
            .next_back()
            .map(|(&a, b)| u64::from(a) + b.len() as u64)
    }

    /// Number of bytes holding data (gaps excluded).
    pub fn data_size(&self) -> usize {
        self.segments.values().map(Vec::len).sum()
    }

    /// The bytes from the lowest to the highest address, gaps filled with `fill` (0xFF for
    /// flash: erased). Returns the start address and the bytes; `None` for an empty image.
    pub fn to_contiguous(&self, fill: u8) -> Option<(u32, Vec<u8>)> {
        let start = self.start()?;
        let end = self.end()?;
        let mut bytes = vec![fill; (end - u64::from(start)) as usize];
        for (address, data) in self.segments() {
            let offset = (address - start) as usize;
            bytes[offset..offset + data.len()].copy_from_slice(data);
        }
        Some((start, bytes))
    }

    /// Read `length` bytes at `address`, or `None` if any of them is not in the image.
    pub fn read(&self, address: u32, length: usize) -> Option<&[u8]> {
        let (&start, bytes) = self.segments.range(..=address).next_back()?;
        let offset = (address - start) as usize;
        bytes.get(offset..offset.checked_add(length)?)
    }

    /// Intel HEX text: 16-byte data records, extended linear address records, end of file.
    pub fn to_ihex(&self) -> String {
        let mut records = Vec::new();
        let mut upper: Option<u16> = None;
        for (start, bytes) in self.segments() {
            let mut address = u64::from(start);
            for chunk in bytes.chunks(16) {
                // A record must not cross a 64 KB boundary: split at it.
                let room = 0x1_0000 - (address & 0xFFFF) as usize;
                let pieces: [&[u8]; 2] = if chunk.len() > room {
                    [&chunk[..room], &chunk[room..]]
                } else {
                    [chunk, &[]]
                };
                for piece in pieces.into_iter().filter(|p| !p.is_empty()) {
                    let high = (address >> 16) as u16;
                    if upper != Some(high) {
                        records.push(ihex::Record::ExtendedLinearAddress(high));
                        upper = Some(high);
                    }
                    records.push(ihex::Record::Data {
                        offset: (address & 0xFFFF) as u16,
                        value: piece.to_vec(),
                    });
                    address += piece.len() as u64;
                }
            }
        }
        records.push(ihex::Record::EndOfFile);
        let mut text = ihex::create_object_file_representation(&records)
            .expect("records are built within Intel HEX limits");
        text.push('\n');
        text
    }
}

/// The load address of an ELF segment: `p_paddr`, which `object` does not expose directly
/// on its generic segment type, so read the program header.
fn physical_address(file: &object::File<'_>, segment: &object::Segment<'_, '_>) -> u64 {
    use object::read::elf::ProgramHeader;
    let virtual_address = segment.address();
    match file {
        object::File::Elf32(elf) => {
            let endian = elf.endian();
            for header in elf.elf_program_headers() {
                if u64::from(header.p_vaddr(endian)) == virtual_address
                    && header.p_type(endian) == object::elf::PT_LOAD
                    && u64::from(header.p_filesz(endian)) == segment.file_range().1
                    && u64::from(header.p_offset(endian)) == segment.file_range().0
                {
                    return u64::from(header.p_paddr(endian));
                }
            }
            virtual_address
        }
        _ => virtual_address,
    }
}
