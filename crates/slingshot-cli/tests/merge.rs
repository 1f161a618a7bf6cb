//! `merge`: bootloader plus signed application into one HEX (and BIN), refusing programs
//! outside their partitions, overlaps and unsigned applications.

mod common;

use common::*;
use insta::assert_snapshot;
use slingshot_files::MemoryImage;

fn bootloader(length: usize) -> Vec<u8> {
    let mut image = vec![0xA5u8; length];
    image[0..4].copy_from_slice(&0x2002_FFE0u32.to_le_bytes());
    image[4..8].copy_from_slice(&0x0800_0101u32.to_le_bytes());
    image
}

fn prepared() -> Workspace {
    let workspace = Workspace::new();
    workspace.key("key", 1);
    workspace.file("boot.bin", &bootloader(2048));
    workspace.file("app.bin", &application(4096));
    workspace
        .run(&[
            "sign",
            "--key",
            &workspace.arg("key.pem"),
            &workspace.arg("app.bin"),
            "-o",
            &workspace.arg("app.signed.hex"),
        ])
        .expect("signed");
    workspace
}

#[test]
fn merge_writes_one_hex_and_one_bin() {
    let workspace = prepared();
    let output = workspace
        .run(&[
            "merge",
            "--bootloader",
            &workspace.arg("boot.bin"),
            "--application",
            &workspace.arg("app.signed.hex"),
            "--output",
            &workspace.arg("all.hex"),
            "--bin",
            &workspace.arg("all.bin"),
        ])
        .expect("merged");
    assert_snapshot!("merge_output", output);
    let text = std::fs::read_to_string(workspace.path("all.hex")).expect("hex");
    let merged = MemoryImage::from_ihex(&text).expect("valid HEX");
    let segments: Vec<(u32, usize)> = merged
        .segments()
        .map(|(address, bytes)| (address, bytes.len()))
        .collect();
    assert_eq!(
        segments,
        vec![(0x0800_0000, 2048), (0x0800_8000, 4096 + 224)]
    );
    let bin = std::fs::read(workspace.path("all.bin")).expect("bin");
    assert_eq!(bin.len(), 0x8000 + 4096 + 224);
    assert!(
        bin[2048..0x8000].iter().all(|&byte| byte == 0xFF),
        "gap is erased flash"
    );
    let signed = std::fs::read_to_string(workspace.path("app.signed.hex")).expect("signed");
    let application = MemoryImage::from_ihex(&signed).expect("valid");
    assert_eq!(
        merged.read(0x0800_8000, 4320),
        application.read(0x0800_8000, 4320)
    );
}

#[test]
fn merge_refuses_misplaced_or_unsigned_programs() {
    let workspace = prepared();
    workspace.file("big-boot.bin", &bootloader(32 * 1024 + 4));
    workspace.file("unsigned-app.bin", &application(4096));
    let mut report = String::new();
    for (boot, app) in [
        ("big-boot.bin", "app.signed.hex"),
        ("boot.bin", "unsigned-app.bin"),
        ("app.signed.hex", "app.signed.hex"),
    ] {
        let error = workspace
            .run(&[
                "merge",
                "--bootloader",
                &workspace.arg(boot),
                "--application",
                &workspace.arg(app),
                "-o",
                &workspace.arg("all.hex"),
            ])
            .unwrap_err();
        report.push_str(&format!("## {boot} + {app}\n{error}\n"));
        assert!(!workspace.path("all.hex").exists());
    }
    assert_snapshot!("merge_refusals", report);
}
