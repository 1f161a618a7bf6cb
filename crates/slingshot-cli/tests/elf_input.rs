//! ELF input: `sign` loads an ELF by its program headers' physical addresses and takes the
//! version from the `SLINGSHOT_VERSION` symbol. The ELF files are built here, byte by byte
//! (one PT_LOAD segment, .text, .symtab, .strtab, .shstrtab), so the test needs no ARM
//! toolchain.

mod common;

use common::*;

/// Little-endian field writer.
struct Bytes(Vec<u8>);

impl Bytes {
    fn u8(&mut self, value: u8) -> &mut Self {
        self.0.push(value);
        self
    }
    fn u16(&mut self, value: u16) -> &mut Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }
    fn u32(&mut self, value: u32) -> &mut Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }
}

/// A 32-bit ARM executable with `data` in one loadable segment (virtual address `virtual`,
/// physical address `physical`) and, optionally, a global object symbol
/// `(name, offset in data, size)`.
fn elf(
    data: &[u8],
    virtual_address: u32,
    physical: u32,
    symbol: Option<(&str, u32, u32)>,
) -> Vec<u8> {
    const HEADER: u32 = 52;
    const PROGRAM_HEADER: u32 = 32;
    let data_offset = HEADER + PROGRAM_HEADER;
    let data_length = data.len().next_multiple_of(4) as u32;
    let mut strtab = vec![0u8];
    let symbol_name = strtab.len() as u32;
    if let Some((name, _, _)) = symbol {
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
    }
    while strtab.len() % 4 != 0 {
        strtab.push(0);
    }
    let shstrtab: &[u8] = b"\0.text\0.symtab\0.strtab\0.shstrtab\0\0\0";
    let symtab_offset = data_offset + data_length;
    let symbol_count: u32 = if symbol.is_some() { 2 } else { 1 };
    let strtab_offset = symtab_offset + 16 * symbol_count;
    let shstrtab_offset = strtab_offset + strtab.len() as u32;
    let section_headers = shstrtab_offset + shstrtab.len() as u32;

    let mut out = Bytes(Vec::new());
    out.0
        .extend_from_slice(&[0x7F, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.u16(2)
        .u16(40)
        .u32(1)
        .u32(physical | 1)
        .u32(HEADER)
        .u32(section_headers);
    out.u32(0x0500_0400)
        .u16(HEADER as u16)
        .u16(PROGRAM_HEADER as u16)
        .u16(1)
        .u16(40)
        .u16(5)
        .u16(4);
    // PT_LOAD, offset, vaddr, paddr, filesz, memsz, flags R+X, align.
    out.u32(1)
        .u32(data_offset)
        .u32(virtual_address)
        .u32(physical);
    out.u32(data.len() as u32)
        .u32(data.len() as u32)
        .u32(5)
        .u32(4);
    out.0.extend_from_slice(data);
    out.0.resize((data_offset + data_length) as usize, 0);
    out.u32(0).u32(0).u32(0).u8(0).u8(0).u16(0); // null symbol
    if let Some((_, offset, size)) = symbol {
        out.u32(symbol_name)
            .u32(virtual_address + offset)
            .u32(size)
            .u8(0x11)
            .u8(0)
            .u16(1);
    }
    out.0.extend_from_slice(&strtab);
    out.0.extend_from_slice(shstrtab);
    let mut section = |name: u32,
                       kind: u32,
                       flags: u32,
                       address: u32,
                       offset: u32,
                       size: u32,
                       link: u32,
                       info: u32,
                       entry: u32| {
        out.u32(name)
            .u32(kind)
            .u32(flags)
            .u32(address)
            .u32(offset)
            .u32(size);
        out.u32(link).u32(info).u32(4).u32(entry);
    };
    section(0, 0, 0, 0, 0, 0, 0, 0, 0);
    section(
        1,
        1,
        6,
        virtual_address,
        data_offset,
        data.len() as u32,
        0,
        0,
        0,
    );
    section(7, 2, 0, 0, symtab_offset, 16 * symbol_count, 3, 1, 16);
    section(15, 3, 0, 0, strtab_offset, strtab.len() as u32, 0, 0, 0);
    section(23, 3, 0, 0, shstrtab_offset, shstrtab.len() as u32, 0, 0, 0);
    out.0
}

fn sign_elf(workspace: &Workspace, elf: &[u8], extra: &[&str]) -> Result<String, String> {
    workspace.file("app.elf", elf);
    let key = workspace.arg("key.pem");
    let input = workspace.arg("app.elf");
    let output = workspace.arg("app.signed.bin");
    let mut arguments = vec![
        "sign",
        "--key",
        key.as_str(),
        input.as_str(),
        "-o",
        output.as_str(),
    ];
    arguments.extend_from_slice(extra);
    workspace.run(&arguments)
}

#[test]
fn the_version_comes_from_the_elf_symbol_unless_given() {
    let workspace = Workspace::new();
    workspace.key("key", 1);
    let mut data = application(2048);
    data[1024..1040].copy_from_slice(b"2.5.1+42\0\0\0\0\0\0\0\0");
    let image = elf(
        &data,
        0x0800_8000,
        0x0800_8000,
        Some(("_ZN3app17SLINGSHOT_VERSION17h0123456789abcdefE", 1024, 16)),
    );
    let output = sign_elf(&workspace, &image, &[]).expect("signs");
    assert!(
        output.contains("version: 2.5.1+42 (SLINGSHOT_VERSION)"),
        "{output}"
    );
    let output = sign_elf(&workspace, &image, &["--version", "3.0.0"]).expect("signs");
    assert!(output.contains("version: 3.0.0+0 (--version)"), "{output}");
    let inspect = workspace
        .run(&["inspect", &workspace.arg("app.signed.bin")])
        .expect("inspect");
    assert!(inspect.contains("  version: 3.0.0+0\n"), "{inspect}");

    let mut bad = data.clone();
    bad[1024..1040].copy_from_slice(b"version two\0\0\0\0\0");
    let image = elf(
        &bad,
        0x0800_8000,
        0x0800_8000,
        Some(("SLINGSHOT_VERSION", 1024, 16)),
    );
    let error = sign_elf(&workspace, &image, &[]).unwrap_err();
    assert!(
        error.contains("\"version two\" is not a version"),
        "{error}"
    );
}

#[test]
fn segments_load_at_their_physical_address() {
    let workspace = Workspace::new();
    workspace.key("key", 1);
    // Linked to run from RAM but stored in the slot: the physical address is what counts.
    let image = elf(&application(1024), 0x2000_0000, 0x0800_8000, None);
    let output = sign_elf(&workspace, &image, &[]).expect("signs");
    assert!(output.contains("trailer at 0x08008400"), "{output}");
    std::fs::remove_file(workspace.path("app.signed.bin")).expect("first output");
    let image = elf(&application(1024), 0x0800_8000, 0x0801_0000, None);
    let error = sign_elf(&workspace, &image, &[]).unwrap_err();
    assert!(
        error.contains("the application starts at 0x08010000, but the primary slot"),
        "{error}"
    );
    assert!(
        !workspace.path("app.signed.bin").exists(),
        "nothing written"
    );
}
