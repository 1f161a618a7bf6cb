//! The `slingshot` binary itself: exit statuses (0 only for an accepted image, 1 with the
//! reason on standard error otherwise) and `--help` for every subcommand.

use std::process::Command;

fn slingshot(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_slingshot"))
        .args(arguments)
        .output()
        .expect("runs")
}

#[test]
fn every_subcommand_has_help() {
    for subcommand in ["keygen", "sign", "inspect", "verify", "merge"] {
        let output = slingshot(&[subcommand, "--help"]);
        assert!(output.status.success(), "{subcommand}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage: slingshot"),
            "{subcommand}"
        );
    }
}

#[test]
fn verify_exit_status_follows_the_bootloader() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let base = directory.path().join("key");
    let base = base.to_str().expect("UTF-8 path");
    assert!(slingshot(&["keygen", "--out", base]).status.success());
    let mut image = vec![0u8; 1024];
    image[0..4].copy_from_slice(&0x2002_FFE0u32.to_le_bytes());
    image[4..8].copy_from_slice(&0x0800_8101u32.to_le_bytes());
    let input = directory.path().join("app.bin");
    std::fs::write(&input, &image).expect("written");
    let signed = directory.path().join("app.signed.bin");
    let key = format!("{base}.pem");
    let public = format!("{base}.pub.pem");
    let sign = slingshot(&[
        "sign",
        "--key",
        &key,
        input.to_str().unwrap(),
        "-o",
        signed.to_str().unwrap(),
    ]);
    assert!(
        sign.status.success(),
        "{}",
        String::from_utf8_lossy(&sign.stderr)
    );
    let accepted = slingshot(&["verify", signed.to_str().unwrap(), "--key", &public]);
    assert_eq!(accepted.status.code(), Some(0));
    let refused = slingshot(&["verify", input.to_str().unwrap(), "--key", &public]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("word 7 holds no trailer offset (code 0x30)"),
        "{stderr}"
    );
    let usage = slingshot(&["verify", signed.to_str().unwrap()]);
    assert_eq!(
        usage.status.code(),
        Some(2),
        "missing --key is a usage error"
    );
}
