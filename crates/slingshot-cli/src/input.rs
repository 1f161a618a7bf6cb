//! Loading firmware files for the commands: ELF, Intel HEX or raw binary into one contiguous
//! block that must start exactly at a partition's start and stay inside it, plus the version
//! an ELF may carry in its `SLINGSHOT_VERSION` symbol.

use anyhow::{bail, Context, Result};
use object::{Object, ObjectSymbol};
use slingshot_files::{FileKind, MemoryImage};
use slingshot_image::Version;
use slingshot_layout::Region;
use std::path::Path;

/// Name of the symbol an ELF may define to carry its version: a byte array holding
/// `major.minor.patch[+build]` in ASCII, padded with NUL bytes.
pub const VERSION_SYMBOL: &str = "SLINGSHOT_VERSION";

/// A firmware file loaded for signing or inspection.
#[derive(Clone, Debug)]
pub struct LoadedFile {
    /// What the file holds, by address.
    pub image: MemoryImage,
    /// What kind of file it was.
    pub kind: FileKind,
    /// The version from the ELF's `SLINGSHOT_VERSION` symbol, if present.
    pub embedded_version: Option<Version>,
}

/// Load `path`; a raw binary is placed at `address`.
pub fn load(path: &Path, address: u32) -> Result<LoadedFile> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let kind = FileKind::detect(path, &bytes);
    let image = match kind {
        FileKind::Elf => MemoryImage::from_elf(&bytes),
        FileKind::Hex => MemoryImage::from_ihex(&String::from_utf8_lossy(&bytes)),
        FileKind::Binary => MemoryImage::from_binary(&bytes, address),
    }
    .with_context(|| format!("loading {}", path.display()))?;
    if image.is_empty() {
        bail!("{} holds no data", path.display());
    }
    let embedded_version = match kind {
        FileKind::Elf => embedded_version(&bytes, &image)
            .with_context(|| format!("reading {VERSION_SYMBOL} from {}", path.display()))?,
        _ => None,
    };
    Ok(LoadedFile {
        image,
        kind,
        embedded_version,
    })
}

/// Whether an ELF symbol name is the version symbol: exactly `SLINGSHOT_VERSION` (C, or Rust
/// with `#[no_mangle]`), or a mangled Rust path whose last segment is `SLINGSHOT_VERSION`
/// (both manglings write identifiers as `<length><name>`: `17SLINGSHOT_VERSION`), so a
/// `#![forbid(unsafe_code)]` firmware can define it with `#[used]` alone.
pub fn is_version_symbol(name: &str) -> bool {
    let mangled_segment = format!("{}{VERSION_SYMBOL}", VERSION_SYMBOL.len());
    name == VERSION_SYMBOL
        || name.match_indices(&mangled_segment).any(|(index, _)| {
            let before = name[..index].chars().next_back();
            let after = name[index + mangled_segment.len()..].chars().next();
            // Not the tail of a longer length prefix; followed by the end of the path
            // (`E` in legacy mangling, end of string in v0) or the hash segment (`17h…`).
            !before.is_some_and(|c| c.is_ascii_digit())
                && after.is_none_or(|c| c == 'E' || c.is_ascii_digit())
        })
}

fn embedded_version(elf: &[u8], image: &MemoryImage) -> Result<Option<Version>> {
    let file = object::File::parse(elf).context("parsing the ELF")?;
    let Some(symbol) = file
        .symbols()
        .find(|symbol| symbol.name().is_ok_and(is_version_symbol))
    else {
        return Ok(None);
    };
    let address = u32::try_from(symbol.address()).context("symbol address beyond 32 bits")?;
    let size = usize::try_from(symbol.size()).unwrap_or(usize::MAX);
    let Some(bytes) = image.read(address, size) else {
        bail!("the symbol at 0x{address:08x} ({size} bytes) is not in a loaded segment");
    };
    let text = std::str::from_utf8(bytes)
        .unwrap_or("")
        .trim_end_matches('\0');
    match Version::parse(text) {
        Some(version) => Ok(Some(version)),
        None => bail!("{text:?} is not a version (major.minor.patch[+build])"),
    }
}

/// The image's bytes from `region.start`, gaps filled with 0xFF. Refuses an image that does
/// not start exactly at the region start or that ends beyond it; `what` names the program
/// and `region_name` the partition in messages.
pub fn contiguous_in(
    image: &MemoryImage,
    region: Region,
    what: &str,
    region_name: &str,
) -> Result<Vec<u8>> {
    let (start, bytes) = image
        .to_contiguous(0xFF)
        .context("the image holds no data")?;
    if start != region.start {
        bail!(
            "the {what} starts at 0x{start:08x}, but the {region_name} starts at 0x{:08x}: \
             link it there (or give --address 0x{:08x} for a raw binary)",
            region.start,
            region.start
        );
    }
    let end = u64::from(start) + bytes.len() as u64;
    if end > u64::from(region.end()) {
        bail!(
            "the {what} ends at 0x{end:08x} ({} bytes), beyond the end of the {region_name} at \
             0x{:08x} ({} bytes)",
            bytes.len(),
            region.end(),
            region.size
        );
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::is_version_symbol;

    #[test]
    fn version_symbol_names() {
        assert!(is_version_symbol("SLINGSHOT_VERSION"));
        assert!(is_version_symbol(
            "_ZN19example_application17SLINGSHOT_VERSION17h0123456789abcdefE"
        ));
        assert!(is_version_symbol(
            "_RNvCs1234_19example_application17SLINGSHOT_VERSION"
        ));
        assert!(!is_version_symbol("SLINGSHOT_VERSION_TEXT"));
        assert!(!is_version_symbol(
            "_ZN3app17SLINGSHOT_VERSIONX17h0123456789abcdefE"
        ));
        assert!(!is_version_symbol(
            "_ZN3app117SLINGSHOT_VERSION17h0123456789abcdefE"
        ));
        assert!(!is_version_symbol("main"));
    }
}
