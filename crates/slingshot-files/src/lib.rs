//! Firmware files on the host: load ELF, raw BIN and Intel HEX into one sparse
//! [`MemoryImage`] (what ends up in the chip's memory, by address), and write BIN and HEX
//! files atomically so a failed command never leaves a half-written output; read Ed25519 key
//! files ([`keys`]).
//!
//! ELF files are loaded by their program headers' *physical* addresses (`p_paddr`), the
//! load memory address: `.data`'s initial values live in flash at its LMA, not at its RAM
//! address.
#![forbid(unsafe_code)]

mod atomic;
pub mod keys;
mod memory_image;

pub use atomic::write_atomically;
pub use memory_image::{FileKind, MemoryImage};

/// Everything that can go wrong loading or saving firmware files.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The ELF file could not be parsed.
    #[error("not a valid ELF file: {source}")]
    Elf {
        /// What the ELF reader found wrong.
        source: object::read::Error,
    },
    /// The ELF file has no loadable segment with content.
    #[error("the ELF file has no loadable segment with content")]
    EmptyElf,
    /// The Intel HEX file could not be parsed.
    #[error("not a valid Intel HEX file: record {record}: {source}")]
    Hex {
        /// 1-based number of the offending record (its line, for a file of records only).
        record: usize,
        /// What the HEX reader found wrong.
        source: ihex::ReaderError,
    },
    /// A raw binary was given without a load address.
    #[error("{path} is a raw binary: give its load address (e.g. --address 0x08008000)")]
    BinaryNeedsAddress {
        /// The file.
        path: String,
    },
    /// Two pieces of data claim the same address.
    #[error("overlapping data at 0x{address:08x} ({size} bytes already present)")]
    Overlap {
        /// First overlapping address.
        address: u32,
        /// Size of the data already there.
        size: u32,
    },
    /// Data would run past the end of the 32-bit address space.
    #[error("data at 0x{address:08x} of {size} bytes runs past the 32-bit address space")]
    AddressOverflow {
        /// Start address.
        address: u32,
        /// Size in bytes.
        size: u64,
    },
}
