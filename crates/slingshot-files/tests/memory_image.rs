//! Tests of loading, merging and writing firmware files.

use slingshot_files::{write_atomically, FileError, FileKind, MemoryImage};
use std::path::Path;

#[test]
fn binary_round_trips_through_hex() {
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let image = MemoryImage::from_binary(&bytes, 0x0800_FFF0).unwrap();
    let hex = image.to_ihex();
    assert!(
        hex.contains(":020000040800F2"),
        "extended address for 0x0800"
    );
    assert!(
        hex.contains(":020000040801F1"),
        "64 KB boundary crossed with a new record"
    );
    let back = MemoryImage::from_ihex(&hex).unwrap();
    assert_eq!(back, image);
    assert_eq!(back.to_contiguous(0xFF).unwrap(), (0x0800_FFF0, bytes));
}

#[test]
fn pieces_merge_and_gaps_fill() {
    let mut image = MemoryImage::new();
    image.insert(0x100, &[1, 2]).unwrap();
    image.insert(0x104, &[5]).unwrap();
    image.insert(0x102, &[3, 4]).unwrap();
    assert_eq!(image.segments().count(), 1);
    image.insert(0x200, &[9]).unwrap();
    assert_eq!(image.segments().count(), 2);
    let (start, bytes) = image.to_contiguous(0xFF).unwrap();
    assert_eq!(start, 0x100);
    assert_eq!(bytes.len(), 0x101);
    assert_eq!(&bytes[..6], &[1, 2, 3, 4, 5, 0xFF]);
    assert_eq!(image.read(0x101, 3), Some(&[2, 3, 4][..]));
    assert_eq!(image.read(0x104, 2), None);
    assert_eq!(image.data_size(), 6);
}

#[test]
fn overlaps_are_refused() {
    let mut image = MemoryImage::from_binary(&[0; 16], 0x1000).unwrap();
    let error = image.insert(0x100F, &[1]).unwrap_err();
    assert!(
        matches!(
            error,
            FileError::Overlap {
                address: 0x100F,
                size: 16
            }
        ),
        "{error}"
    );
    let error = image.insert(0x0FF0, &[0; 17]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "overlapping data at 0x00001000 (16 bytes already present)"
    );
    assert!(matches!(
        image.insert(0xFFFF_FFF0, &[0; 17]),
        Err(FileError::AddressOverflow { .. })
    ));
}

#[test]
fn kinds_are_detected_by_content() {
    assert_eq!(
        FileKind::detect(Path::new("a.bin"), b"\x7fELF...."),
        FileKind::Elf
    );
    assert_eq!(
        FileKind::detect(Path::new("a"), b":00000001FF\n"),
        FileKind::Hex
    );
    assert_eq!(FileKind::detect(Path::new("a.hex"), b"zz"), FileKind::Hex);
    assert_eq!(
        FileKind::detect(Path::new("a.bin"), &[0, 1, 2]),
        FileKind::Binary
    );
}

#[test]
fn garbage_is_a_clear_error() {
    assert!(matches!(
        MemoryImage::from_elf(b"\x7fELF garbage"),
        Err(FileError::Elf { .. })
    ));
    assert!(matches!(
        MemoryImage::from_ihex(":zz\n"),
        Err(FileError::Hex { record: 1, .. })
    ));
    // The error names the offending record.
    let error = MemoryImage::from_ihex(":0400000001020304F2\n:zz\n").unwrap_err();
    assert!(
        matches!(error, FileError::Hex { record: 2, .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("not a valid Intel HEX file: record 2: "),
        "{error}"
    );
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("app.bin");
    std::fs::write(&path, [1, 2, 3]).unwrap();
    let error = MemoryImage::load(&path, None).unwrap_err();
    assert!(
        error.to_string().contains("give its load address"),
        "{error}"
    );
    assert_eq!(MemoryImage::load(&path, Some(8)).unwrap().start(), Some(8));
}

#[test]
fn atomic_write_replaces_and_leaves_no_temporary() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("out.hex");
    write_atomically(&path, b"old").unwrap();
    write_atomically(&path, b"new").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
    let names: Vec<_> = std::fs::read_dir(directory.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary left behind");
    let missing = directory.path().join("no/such/dir/out.bin");
    assert!(write_atomically(&missing, b"x").is_err());
    assert!(!missing.exists());
}

/// The host test binary itself is an ELF: loading it must give at least one segment.
#[test]
fn loads_a_real_elf() {
    let executable = std::env::current_exe().unwrap();
    let image = MemoryImage::load(&executable, None).unwrap();
    assert!(!image.is_empty());
}
