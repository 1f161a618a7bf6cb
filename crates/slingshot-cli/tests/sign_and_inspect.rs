//! `keygen`, `sign`, `inspect` and `verify` on fake applications: the happy path with output
//! snapshots, and every refusal of `sign` with its message — after which no output exists.

mod common;

use common::*;
use insta::assert_snapshot;

/// Sign a 4 KB application with key `key` (seed byte 1) into app.signed.bin and .hex.
fn signed_workspace() -> Workspace {
    let workspace = Workspace::new();
    workspace.key("key", 1);
    workspace.file("app.bin", &application(4096));
    let output = workspace
        .run(&[
            "sign",
            "--key",
            &workspace.arg("key.pem"),
            "--version",
            "1.2.3+4",
            "--security-counter",
            "7",
            &workspace.arg("app.bin"),
            "--output",
            &workspace.arg("app.signed.bin"),
            "-o",
            &workspace.arg("app.signed.hex"),
        ])
        .expect("signs");
    assert_snapshot!("sign_output", output);
    workspace
}

#[test]
fn keygen_writes_three_files_and_refuses_to_overwrite() {
    let workspace = Workspace::new();
    let output = workspace
        .run(&["keygen", "--out", &workspace.arg("keys/release")])
        .expect("keygen");
    assert!(output.contains("[DIR]/keys/release.pem"));
    let private = std::fs::read_to_string(workspace.path("keys/release.pem")).expect("private");
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    let public = std::fs::read_to_string(workspace.path("keys/release.pub.pem")).expect("public");
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(
        std::fs::read(workspace.path("keys/release.pub.bin"))
            .expect("raw")
            .len(),
        32
    );
    let error = workspace
        .run(&["keygen", "--out", &workspace.arg("keys/release")])
        .unwrap_err();
    assert_snapshot!("keygen_refuses_overwrite", error);
    assert_eq!(
        std::fs::read_to_string(workspace.path("keys/release.pem")).expect("kept"),
        private
    );
}

#[test]
fn inspect_reports_a_signed_image() {
    let workspace = signed_workspace();
    workspace.key("other", 2);
    let text = workspace
        .run(&[
            "inspect",
            &workspace.arg("app.signed.bin"),
            "--key",
            &workspace.arg("key.pub.pem"),
            "--key",
            &workspace.arg("other.pub.bin"),
        ])
        .expect("inspect");
    assert_snapshot!("inspect_text", text);
    let json = workspace
        .run(&[
            "inspect",
            "--json",
            &workspace.arg("app.signed.hex"),
            "--key",
            &workspace.arg("key.pub.bin"),
        ])
        .expect("inspect --json");
    assert_snapshot!("inspect_json", json);
    let unkeyed = workspace
        .run(&[
            "inspect",
            &workspace.arg("app.bin"),
            "--key",
            &workspace.arg("key.pub.pem"),
        ])
        .expect("inspect unsigned");
    assert_snapshot!("inspect_unsigned", unkeyed);
    let no_keys = workspace
        .run(&["inspect", &workspace.arg("app.signed.bin")])
        .expect("inspect");
    assert!(
        no_keys.ends_with("signature: not checked (give --key PUB)\n"),
        "{no_keys}"
    );
}

#[test]
fn verify_accepts_the_signed_image_in_both_formats() {
    let workspace = signed_workspace();
    for name in ["app.signed.bin", "app.signed.hex"] {
        let output = workspace
            .run(&[
                "verify",
                &workspace.arg(name),
                "--key",
                &workspace.arg("key.pub.pem"),
            ])
            .expect("valid");
        assert!(output.starts_with("OK: "), "{output}");
    }
    // The private key PEM and a hex text file work as trusted keys too.
    let key_hex: String = std::fs::read(workspace.path("key.pub.bin"))
        .expect("raw")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    workspace.file("key.hex", key_hex.as_bytes());
    for key in ["key.pem", "key.hex"] {
        assert!(
            workspace
                .run(&[
                    "verify",
                    &workspace.arg("app.signed.bin"),
                    "--key",
                    &workspace.arg(key)
                ])
                .is_ok(),
            "{key}"
        );
    }
}

#[test]
fn verify_refuses_each_broken_image_with_its_reason() {
    let workspace = signed_workspace();
    workspace.key("other", 2);
    let signed = std::fs::read(workspace.path("app.signed.bin")).expect("signed");
    let mut code = signed.clone();
    code[2000] ^= 0x01;
    workspace.file("code.bin", &code);
    let mut descriptor = signed.clone();
    descriptor[4096 + 0x20] ^= 0x01;
    workspace.file("descriptor.bin", &descriptor);
    let mut signature = signed.clone();
    *signature.last_mut().expect("non-empty") ^= 0x01;
    workspace.file("signature.bin", &signature);
    workspace.file("truncated.bin", &signed[..signed.len() - 10]);
    let key = workspace.arg("key.pub.pem");
    let mut report = String::new();
    for (name, key) in [
        ("code.bin", key.as_str()),
        ("descriptor.bin", key.as_str()),
        ("signature.bin", key.as_str()),
        ("truncated.bin", key.as_str()),
        ("app.bin", key.as_str()),
        ("app.signed.bin", &workspace.arg("other.pub.pem")),
    ] {
        let error = workspace
            .run(&["verify", &workspace.arg(name), "--key", key])
            .unwrap_err();
        report.push_str(&error);
        report.push('\n');
    }
    assert_snapshot!("verify_refusals", report);
}

#[test]
fn resigning_replaces_the_old_signature() {
    let workspace = signed_workspace();
    workspace.key("other", 2);
    let output = workspace
        .run(&[
            "sign",
            "--key",
            &workspace.arg("other.pem"),
            &workspace.arg("app.signed.bin"),
            "-o",
            &workspace.arg("again.bin"),
        ])
        .expect("re-sign");
    assert!(output.contains("(old signature replaced)"), "{output}");
    assert!(output.contains("0.0.0+0 (default"), "{output}");
    assert!(workspace
        .run(&[
            "verify",
            &workspace.arg("again.bin"),
            "--key",
            &workspace.arg("other.pub.pem")
        ])
        .is_ok());
    let first = std::fs::read(workspace.path("app.signed.bin")).expect("first");
    let again = std::fs::read(workspace.path("again.bin")).expect("again");
    assert_eq!(first.len(), again.len());
    assert_eq!(first[..4096], again[..4096], "same image, same word 7");
}

/// Run a sign that must fail; return the error and check no output was written.
fn failed_sign(workspace: &Workspace, input: &str, extra: &[&str]) -> String {
    let key = workspace.arg("key.pem");
    let output = workspace.arg("out.bin");
    let hex = workspace.arg("out.hex");
    let mut arguments = vec![
        "sign",
        "--key",
        key.as_str(),
        input,
        "-o",
        output.as_str(),
        "-o",
        hex.as_str(),
    ];
    arguments.extend_from_slice(extra);
    let error = workspace.run(&arguments).unwrap_err();
    assert!(
        !workspace.path("out.bin").exists(),
        "no output after: {error}"
    );
    assert!(
        !workspace.path("out.hex").exists(),
        "no output after: {error}"
    );
    error
}

#[test]
fn sign_refuses_bad_inputs_and_writes_nothing() {
    let workspace = Workspace::new();
    workspace.key("key", 1);
    let application_path = workspace.file("app.bin", &application(4096));
    let app = application_path.display().to_string();
    let mut bad_stack = application(4096);
    bad_stack[0..4].copy_from_slice(&0x1000_0000u32.to_le_bytes());
    let bad_stack = workspace
        .file("bad-stack.bin", &bad_stack)
        .display()
        .to_string();
    let mut no_thumb = application(4096);
    no_thumb[4..8].copy_from_slice(&0x0800_8100u32.to_le_bytes());
    let no_thumb = workspace
        .file("no-thumb.bin", &no_thumb)
        .display()
        .to_string();
    let mut word7 = application(4096);
    word7[0x1C..0x20].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
    let word7 = workspace.file("word7.bin", &word7).display().to_string();
    let huge = workspace
        .file("huge.bin", &application(864 * 1024))
        .display()
        .to_string();
    let over = workspace
        .file("over.bin", &application(864 * 1024 + 4))
        .display()
        .to_string();
    let tiny = workspace
        .file("tiny.bin", &application(8)[..6])
        .display()
        .to_string();
    let not_a_key = workspace
        .file("not-a-key.pem", b"hello")
        .display()
        .to_string();
    let mut report = String::new();
    let mut case = |name: &str, error: String| report.push_str(&format!("## {name}\n{error}\n"));
    case(
        "wrong address",
        failed_sign(&workspace, &app, &["--address", "0x08000000"]),
    );
    case(
        "stack outside RAM",
        failed_sign(&workspace, &bad_stack, &[]),
    );
    case(
        "reset vector without Thumb bit",
        failed_sign(&workspace, &no_thumb, &[]),
    );
    case("word 7 in use", failed_sign(&workspace, &word7, &[]));
    case(
        "no room for the trailer",
        failed_sign(&workspace, &huge, &[]),
    );
    case("beyond the slot", failed_sign(&workspace, &over, &[]));
    case("too short", failed_sign(&workspace, &tiny, &[]));
    case(
        "bad version",
        failed_sign(&workspace, &app, &["--version", "1.2"]),
    );
    case(
        "unknown layout",
        failed_sign(&workspace, &app, &["--layout", "nucleo-f407"]),
    );
    case(
        "missing input",
        failed_sign(&workspace, &workspace.arg("missing.bin"), &[]),
    );
    let error = workspace
        .run(&[
            "sign",
            "--key",
            &not_a_key,
            &app,
            "-o",
            &workspace.arg("out.bin"),
        ])
        .unwrap_err();
    case("not a private key", error);
    let error = workspace
        .run(&[
            "sign",
            "--key",
            &workspace.arg("key.pem"),
            &app,
            "-o",
            &workspace.arg("out.elf"),
        ])
        .unwrap_err();
    case("output format", error);
    assert!(!workspace.path("out.bin").exists());
    assert_snapshot!("sign_refusals", report);
}

#[test]
fn the_development_key_is_created_once_and_announced() {
    let workspace = Workspace::new();
    let created =
        slingshot_cli::keys::ensure_development_key(workspace.directory.path()).expect("created");
    assert!(created.created);
    let again =
        slingshot_cli::keys::ensure_development_key(workspace.directory.path()).expect("reused");
    assert!(!again.created);
    assert_eq!(created.public_key, again.public_key);
    workspace.file("app.bin", &application(1024));
    let output = workspace
        .run(&[
            "sign",
            "--key",
            &workspace.arg("keys/development.pem"),
            &workspace.arg("app.bin"),
            "-o",
            &workspace.arg("app.signed.bin"),
        ])
        .expect("signs");
    assert!(
        output.starts_with("WARNING: development key: for development only."),
        "{output}"
    );
    // A half-present key is an error, not silently replaced.
    std::fs::remove_file(workspace.path("keys/development.pub.bin")).expect("removed");
    assert!(slingshot_cli::keys::ensure_development_key(workspace.directory.path()).is_err());
}

#[cfg(unix)]
#[test]
fn the_private_key_is_owner_only_and_the_public_key_is_readable() {
    use std::os::unix::fs::PermissionsExt;
    let workspace = Workspace::new();
    let files = workspace.key("key", 3);
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&files.private_pem), 0o600);
    assert_eq!(mode(&files.public_pem), 0o644);
    assert_eq!(mode(&files.public_bin), 0o644);
}
