//! The bootloader's own `memcpy`, `memset`, `memcmp` and their aliases
//! (`firmware/stm32/src/memory_functions.rs`, hand-written Thumb-2 for size) run on the twin
//! as the bootloader ships them and are compared with the C library's contract: every
//! alignment of the addresses, every length up to a few words, bytes around the destination
//! untouched, the return value.
//!
//! The twin loads the built bootloader (`cargo xtask build`) with its reset vector pointed at
//! `programs/memory_functions.s` in the application slot, which calls the function named by
//! the test with the arguments the test wrote to RAM and stops at `bkpt`.

mod common;

use anyhow::{Context, Result};
use object::{Object, ObjectSymbol};
use slingshot_files::MemoryImage;
use slingshot_flash_sim::SplitMix64;
use slingshot_testkit::artifacts::{firmware_file, Program};
use slingshot_twin::{ResetCause, Stop, Twin, TwinConfig};

const HARNESS: &[u8] = include_bytes!("programs/memory_functions.bin");
/// Where the harness is loaded (the application slot's start, free in this test).
const HARNESS_ADDRESS: u32 = 0x0800_8000;
/// The harness's call block: function, r0, r1, r2, then the returned r0.
const CALL_BLOCK: u32 = 0x2000_0000;
/// The harness's stack (top).
const STACK_TOP: u32 = 0x2001_0000;
/// Two buffers the functions work on, 256 bytes apart, each with guard bytes around it.
const FIRST: u32 = 0x2000_1000;
const SECOND: u32 = 0x2000_1100;
/// Bytes around a destination that must stay untouched.
const GUARD: u32 = 8;
/// Longest length tried: a few 16-byte blocks plus every tail.
const LONGEST: u32 = 70;

/// The twin with the bootloader and the harness, and the addresses of the functions.
struct Harness {
    twin: Twin,
    symbols: Vec<(String, u32)>,
    random: SplitMix64,
}

impl Harness {
    fn new() -> Result<Self> {
        let elf_path = firmware_file(Program::Bootloader, "")?;
        let elf = std::fs::read(&elf_path).with_context(|| elf_path.display().to_string())?;
        let file = object::File::parse(&*elf)?;
        let symbols = file
            .symbols()
            .filter_map(|symbol| Some((symbol.name().ok()?.to_string(), symbol.address() as u32)))
            .collect();
        let (start, mut bytes) = MemoryImage::from_elf(&elf)?
            .to_contiguous(0xFF)
            .context("the bootloader has no flash content")?;
        assert_eq!(start, 0x0800_0000);
        assert!(
            start + bytes.len() as u32 <= HARNESS_ADDRESS,
            "the bootloader reaches the slot"
        );
        // Reset enters the harness, not the bootloader.
        bytes[0..4].copy_from_slice(&STACK_TOP.to_le_bytes());
        bytes[4..8].copy_from_slice(&(HARNESS_ADDRESS | 1).to_le_bytes());
        let mut image = MemoryImage::from_binary(&bytes, start)?;
        image.insert(HARNESS_ADDRESS, HARNESS)?;
        let mut twin = Twin::new(TwinConfig {
            strict: true,
            seed: 11,
            ..TwinConfig::default()
        })?;
        twin.load_flash_image(&image)?;
        twin.power_on()?;
        Ok(Self {
            twin,
            symbols,
            random: SplitMix64::new(0x6d65_6d63),
        })
    }

    fn address(&self, name: &str) -> u32 {
        self.symbols
            .iter()
            .find(|(symbol, _)| symbol == name)
            .map(|&(_, address)| address)
            .unwrap_or_else(|| panic!("the bootloader has no symbol {name}"))
    }

    fn random_bytes(&mut self, length: usize) -> Vec<u8> {
        let mut bytes = vec![0; length];
        self.random.fill(&mut bytes);
        bytes
    }

    /// Call `function(r0, r1, r2)` on the twin and return r0.
    fn call(&mut self, function: &str, arguments: [u32; 3]) -> Result<u32> {
        let address = self.address(function) | 1;
        self.twin.reset(ResetCause::Software)?;
        let mut block = address.to_le_bytes().to_vec();
        for argument in arguments {
            block.extend_from_slice(&argument.to_le_bytes());
        }
        self.twin.write_memory(CALL_BLOCK, &block)?;
        match self.twin.run(100_000)? {
            Stop::Breakpoint => {}
            other => panic!(
                "{function}{arguments:x?}: stopped with {other:?} at 0x{:08x}",
                self.twin.pc()
            ),
        }
        Ok(common::word(&self.twin, CALL_BLOCK + 16))
    }

    fn read(&self, address: u32, length: u32) -> Vec<u8> {
        self.twin
            .read_memory(address, length as usize)
            .expect("read RAM")
    }

    /// Fills the destination area (the first buffer and the guard bytes around it) with random
    /// bytes and returns them.
    fn scramble_destination(&mut self) -> Result<Vec<u8>> {
        let before = self.random_bytes((LONGEST + 2 * GUARD + 4) as usize);
        self.twin.write_memory(FIRST - GUARD, &before)?;
        Ok(before)
    }

    /// Checks that the destination area holds `before` with `written` at `FIRST + offset`.
    fn assert_destination(&self, before: &[u8], offset: u32, written: &[u8], context: &str) {
        let mut expected = before.to_vec();
        let at = (GUARD + offset) as usize;
        expected[at..at + written.len()].copy_from_slice(written);
        assert_eq!(
            self.read(FIRST - GUARD, before.len() as u32),
            expected,
            "{context}"
        );
    }
}

#[test]
fn memcpy_and_its_aliases_copy_exactly_the_bytes_asked_for() -> Result<()> {
    let mut harness = Harness::new()?;
    for function in [
        "memcpy",
        "__aeabi_memcpy",
        "__aeabi_memcpy4",
        "__aeabi_memcpy8",
    ] {
        for destination_offset in 0..4 {
            for source_offset in 0..4 {
                for length in 0..=LONGEST {
                    let before = harness.scramble_destination()?;
                    let source = harness.random_bytes((LONGEST + 4) as usize);
                    harness.twin.write_memory(SECOND, &source)?;
                    let destination = FIRST + destination_offset;
                    let from = SECOND + source_offset;
                    let returned = harness.call(function, [destination, from, length])?;
                    let from_index = source_offset as usize;
                    let copied = &source[from_index..from_index + length as usize];
                    let context =
                        format!("{function}(+{destination_offset}, +{source_offset}, {length})");
                    harness.assert_destination(&before, destination_offset, copied, &context);
                    assert_eq!(
                        harness.read(SECOND, source.len() as u32),
                        source,
                        "{context}: source changed"
                    );
                    if function == "memcpy" {
                        assert_eq!(returned, destination, "{context}: return value");
                    }
                }
            }
        }
    }
    Ok(())
}

#[test]
fn memset_memclr_and_their_aliases_fill_exactly_the_bytes_asked_for() -> Result<()> {
    let mut harness = Harness::new()?;
    let functions = [
        "memset",
        "__aeabi_memset",
        "__aeabi_memset4",
        "__aeabi_memset8",
        "__aeabi_memclr",
        "__aeabi_memclr4",
        "__aeabi_memclr8",
    ];
    for function in functions {
        for offset in 0..4 {
            for length in 0..=LONGEST {
                let before = harness.scramble_destination()?;
                let destination = FIRST + offset;
                // Only the low byte of the value counts.
                let value = 0x1234_5600 | (harness.random.next_u64() as u32 & 0xFF);
                let (arguments, fill) = match function {
                    "memset" => ([destination, value, length], value as u8),
                    name if name.starts_with("__aeabi_memclr") => ([destination, length, 0], 0),
                    _ => ([destination, length, value], value as u8),
                };
                let returned = harness.call(function, arguments)?;
                let context = format!("{function}(+{offset}, {length}, 0x{fill:02x})");
                let filled = vec![fill; length as usize];
                harness.assert_destination(&before, offset, &filled, &context);
                if function == "memset" {
                    assert_eq!(returned, destination, "{context}: return value");
                }
            }
        }
    }
    Ok(())
}

#[test]
fn memcmp_and_bcmp_order_by_the_first_differing_byte_as_unsigned() -> Result<()> {
    let mut harness = Harness::new()?;
    for function in ["memcmp", "bcmp"] {
        for length in 0..=40u32 {
            // Equal, then one difference at every position, both ways, with bytes on both
            // sides of 0x80 (an unsigned comparison).
            let mut cases = vec![None];
            cases.extend(
                (0..length).flat_map(|position| [Some((position, 0x01u8)), Some((position, 0x90))]),
            );
            for case in cases {
                let first = harness.random_bytes(length as usize);
                let mut second = first.clone();
                if let Some((position, flip)) = case {
                    second[position as usize] ^= flip;
                }
                harness.twin.write_memory(FIRST, &first)?;
                harness.twin.write_memory(SECOND, &second)?;
                let returned = harness.call(function, [FIRST, SECOND, length])? as i32;
                let expected = first.cmp(&second);
                let context = format!("{function}({first:02x?}, {second:02x?})");
                assert_eq!(returned.cmp(&0), expected, "{context}: returned {returned}");
                if function == "memcmp" {
                    if let Some((position, _)) = case {
                        let position = position as usize;
                        let difference = i32::from(first[position]) - i32::from(second[position]);
                        assert_eq!(returned, difference, "{context}");
                    }
                }
                assert_eq!(
                    harness.read(FIRST, length),
                    first,
                    "{context}: changed its input"
                );
                assert_eq!(
                    harness.read(SECOND, length),
                    second,
                    "{context}: changed its input"
                );
            }
        }
    }
    Ok(())
}
