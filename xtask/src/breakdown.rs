//! `cargo xtask size --breakdown`: where a program's flash goes, read from the symbols of its
//! ELF the way cargo-bloat does, with no external binutils: bytes per crate and the largest
//! functions and data objects.
//!
//! Every allocated section that has contents (`.vector_table`, `.text`, `.rodata`, `.data`:
//! what the program occupies in flash) is counted. A symbol is attributed to the crate that
//! starts its demangled path (`<salty::field::FieldElement as …>::mul` → `salty`); after
//! link-time optimisation much code is inlined into its callers, so a crate's figure is the
//! code that kept its own symbol. Compiler intrinsics (`memcpy`, `__aeabi_*`) count as
//! `compiler_builtins`, other symbols without a Rust path (assembly, linker symbols) as
//! `[not Rust]`, and bytes no symbol covers (alignment padding, anonymous constants such as
//! string literals merged by the linker) as `[no symbol]`.

use anyhow::{Context, Result};
use object::{Object, ObjectSection, ObjectSymbol, SectionFlags, SectionKind, SymbolKind};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

/// Name under which bytes that no symbol covers are reported.
pub const NO_SYMBOL: &str = "[no symbol]";
/// Name under which symbols without a Rust path are reported.
pub const NOT_RUST: &str = "[not Rust]";

/// What kind of flash object a symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// Code.
    Function,
    /// Read-only data or initial values of `.data`.
    Data,
}

/// One function or data object and the flash it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashObject {
    /// Demangled name, without the hash suffix.
    pub name: String,
    /// The crate it is attributed to.
    pub crate_name: String,
    /// Bytes of flash.
    pub size: u64,
    /// Code or data.
    pub kind: ObjectKind,
}

/// Where one program's flash goes.
#[derive(Clone, Debug)]
pub struct Breakdown {
    /// Bytes of every section that occupies flash.
    pub total: u64,
    /// Bytes per crate (including [`NO_SYMBOL`]), largest first.
    pub crates: Vec<(String, u64)>,
    /// Every function and data object, largest first.
    pub objects: Vec<FlashObject>,
}

/// The crate a demangled symbol name belongs to.
pub fn crate_of(demangled: &str) -> String {
    let path = demangled.trim_start_matches('<');
    let path = path.strip_prefix("impl ").unwrap_or(path);
    let path = path.trim_start_matches(['&', '*']);
    let path = path
        .strip_prefix("mut ")
        .or_else(|| path.strip_prefix("const "))
        .unwrap_or(path);
    match path.find("::") {
        Some(end) if is_identifier(&path[..end]) => path[..end].to_string(),
        _ if is_compiler_intrinsic(demangled) => "compiler_builtins".to_string(),
        _ => NOT_RUST.to_string(),
    }
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '_')
}

/// Memory and arithmetic helpers the compiler calls (from `compiler_builtins`, unmangled).
fn is_compiler_intrinsic(name: &str) -> bool {
    name.starts_with("__aeabi_")
        || name.starts_with("__udiv")
        || name.starts_with("__umod")
        || name.starts_with("__div")
        || name.starts_with("__mod")
        || name.starts_with("__ashl")
        || name.starts_with("__lshr")
        || name.starts_with("__mul")
        || matches!(name, "memcpy" | "memmove" | "memset" | "memcmp" | "bcmp")
}

/// Read the breakdown of the ELF file `bytes`.
pub fn analyse(bytes: &[u8]) -> Result<Breakdown> {
    let file = object::File::parse(bytes).context("parsing the ELF")?;
    let mut flash_sections = HashSet::new();
    let mut total = 0;
    for section in file.sections() {
        let allocated = match section.flags() {
            SectionFlags::Elf { sh_flags, .. } => sh_flags.0 & object::elf::SHF_ALLOC.0 != 0,
            _ => false,
        };
        let occupies_flash =
            allocated && section.size() > 0 && section.kind() != SectionKind::UninitializedData;
        if occupies_flash {
            flash_sections.insert(section.index());
            total += section.size();
        }
    }
    let mut seen = HashSet::new();
    let mut objects = Vec::new();
    for symbol in file.symbols() {
        let Some(section) = symbol.section_index() else {
            continue;
        };
        let kind = match symbol.kind() {
            SymbolKind::Text => ObjectKind::Function,
            SymbolKind::Data => ObjectKind::Data,
            _ => continue,
        };
        if symbol.size() == 0 || !flash_sections.contains(&section) {
            continue;
        }
        // Thumb functions have bit 0 set; aliases (same address and size) count once.
        if !seen.insert((section, symbol.address() & !1, symbol.size())) {
            continue;
        }
        let raw = symbol.name().unwrap_or("?");
        let name = format!("{:#}", rustc_demangle::demangle(raw));
        objects.push(FlashObject {
            crate_name: crate_of(&name),
            name,
            size: symbol.size(),
            kind,
        });
    }
    objects.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    let mut per_crate: BTreeMap<String, u64> = BTreeMap::new();
    for object in &objects {
        *per_crate.entry(object.crate_name.clone()).or_default() += object.size;
    }
    let attributed: u64 = per_crate.values().sum();
    if total > attributed {
        per_crate.insert(NO_SYMBOL.to_string(), total - attributed);
    }
    let mut crates: Vec<(String, u64)> = per_crate.into_iter().collect();
    crates.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Breakdown {
        total,
        crates,
        objects,
    })
}

impl Breakdown {
    /// The report as plain text: bytes per crate, then the `largest` biggest objects.
    pub fn to_text(&self, title: &str, largest: usize) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "{title}: {} B of flash", self.total);
        let _ = writeln!(text, "  {:<28} {:>8} {:>7}", "crate", "bytes", "share");
        for (name, bytes) in &self.crates {
            let _ = writeln!(
                text,
                "  {:<28} {:>8} {:>6.1} %",
                name,
                bytes,
                self.share(*bytes)
            );
        }
        let _ = writeln!(text, "  {largest} largest functions and data objects:");
        for object in self.objects.iter().take(largest) {
            let _ = writeln!(
                text,
                "  {:>8} {:<4} {:<20} {}",
                object.size,
                kind_label(object.kind),
                object.crate_name,
                shorten(&object.name, 90)
            );
        }
        text
    }

    /// The report as Markdown tables (for docs/BENCHMARKS.md): the `crates` largest crates
    /// and the `largest` biggest objects.
    pub fn to_markdown(&self, title: &str, crates: usize, largest: usize) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "{title}: {} B of flash\n", self.total);
        let _ = writeln!(text, "| crate | bytes | share |\n|---|---|---|");
        for (name, bytes) in self.crates.iter().take(crates) {
            let _ = writeln!(text, "| {name} | {bytes} | {:.1} % |", self.share(*bytes));
        }
        let _ = writeln!(
            text,
            "\n| bytes | kind | crate | function or data object |\n|---|---|---|---|"
        );
        for object in self.objects.iter().take(largest) {
            let _ = writeln!(
                text,
                "| {} | {} | {} | `{}` |",
                object.size,
                kind_label(object.kind),
                object.crate_name,
                shorten(&object.name, 80).replace('|', "\\|")
            );
        }
        text
    }

    fn share(&self, bytes: u64) -> f64 {
        100.0 * bytes as f64 / self.total.max(1) as f64
    }
}

fn kind_label(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Function => "code",
        ObjectKind::Data => "data",
    }
}

/// `name` cut to `limit` characters, with `…` where it was cut.
fn shorten(name: &str, limit: usize) -> String {
    if name.chars().count() <= limit {
        return name.to_string();
    }
    let mut short: String = name.chars().take(limit - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_come_from_the_first_path_segment() {
        assert_eq!(crate_of("salty::field::haase::FieldElement::mul"), "salty");
        assert_eq!(
            crate_of("<slingshot_protocol::device::Device<H> as core::fmt::Debug>::fmt"),
            "slingshot_protocol"
        );
        assert_eq!(crate_of("<&mut T as core::ops::Fn>::call"), NOT_RUST);
        assert_eq!(crate_of("__aeabi_memcpy"), "compiler_builtins");
        assert_eq!(crate_of("memset"), "compiler_builtins");
        assert_eq!(crate_of("Reset"), NOT_RUST);
        assert_eq!(crate_of("slingshot_sha256_compress"), NOT_RUST);
    }

    #[test]
    fn long_names_are_shortened() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcdef", 4), "abc…");
    }
}
