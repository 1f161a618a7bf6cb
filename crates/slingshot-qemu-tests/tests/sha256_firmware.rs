//! Builds `firmware/sha256-test` (the Cortex-M4 SHA-256 assembly of
//! `firmware/stm32/src/sha256.rs` plugged into `slingshot_image::Sha256Hasher`, and the SHA-512
//! block assembly of `sha512.rs`) and runs it in QEMU (netduinoplus2, `-icount
//! shift=0,sleep=off`, semihosting): every FIPS 180-4 example, the host digests of a 256 KB
//! buffer, the comparison with sha2 and the SHA-512 comparison with the portable block function
//! must pass, and the SHA-256 instruction count per byte (deterministic under icount) must not
//! regress.

use anyhow::{bail, Context, Result};
use slingshot_testkit::artifacts::repository_root;
use slingshot_testkit::qemu::Machine;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Safety net against a hung guest only; the run takes well under a second.
const LIMIT: Duration = Duration::from_secs(60);

/// Instructions per byte the assembly may take (it reaches 27.18); a change that costs more
/// is a regression to look at, not noise: the count is exact under icount.
const MAXIMUM_INSTRUCTIONS_PER_BYTE: f64 = 27.5;

/// Checks the firmware must report as passed.
const CHECKS: [&str; 13] = [
    "fips empty",
    "fips abc",
    "fips 448-bit",
    "fips 896-bit",
    "fips million a",
    "sha2 lengths 0..=300",
    "sha2 splits",
    "four blocks in one call",
    "host digest 256 KB",
    "host digest 256 KB from an odd address",
    "sha512 fips abc",
    "sha512 fips two blocks",
    "sha512 300 random blocks against the portable one",
];

/// Build the test firmware in release (its own workspace and target directory) and return
/// the ELF.
fn build_firmware() -> Result<PathBuf> {
    let root = repository_root();
    let directory = root.join("firmware/sha256-test");
    let target = root.join("firmware/target/sha256-test");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Cargo must run inside the firmware tree so that firmware/.cargo/config.toml (target,
    // linker script) applies; flags of the outer host build must not leak in.
    let output = Command::new(cargo)
        .args(["build", "--release", "--quiet"])
        .current_dir(&directory)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .with_context(|| format!("running cargo build in {}", directory.display()))?;
    if !output.status.success() {
        bail!(
            "the SHA-256 test firmware did not build (cargo build --release in {}, {}; a missing \
             target needs `rustup target add thumbv7em-none-eabihf`):\n{}",
            directory.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(target.join("thumbv7em-none-eabihf/release/slingshot-sha256-test"))
}

/// Run the ELF in QEMU until it exits through semihosting; its status and stdout.
fn run_in_qemu(elf: &Path) -> Result<(Option<i32>, String)> {
    let mut command = Machine::new(elf).command();
    command
        .args(["-semihosting-config", "enable=on,target=native"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().context("starting qemu-system-arm")?;
    let started = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if started.elapsed() > LIMIT {
            child.kill()?;
            let output = child.wait_with_output()?;
            bail!(
                "the SHA-256 test firmware did not exit within {LIMIT:?}; output so far:\n{}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output()?;
    Ok((
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

#[test]
fn sha256_assembly_passes_every_vector_in_qemu() -> Result<()> {
    let elf = build_firmware()?;
    let (status, output) = run_in_qemu(&elf)?;
    for check in CHECKS {
        assert!(
            output.lines().any(|line| line == format!("PASS {check}")),
            "check '{check}' did not pass; firmware output:\n{output}"
        );
    }
    assert!(
        !output.contains("FAIL"),
        "a check failed; firmware output:\n{output}"
    );
    assert!(
        output
            .lines()
            .any(|line| line == format!("sha256-test: {} passed, 0 failed", CHECKS.len())),
        "unexpected summary; firmware output:\n{output}"
    );
    assert_eq!(
        status,
        Some(0),
        "semihosting exit status; output:\n{output}"
    );
    let per_byte: f64 = output
        .lines()
        .find_map(|line| line.strip_prefix("instructions_per_byte "))
        .context("no instructions_per_byte line")?
        .parse()?;
    assert!(
        per_byte > 10.0 && per_byte <= MAXIMUM_INSTRUCTIONS_PER_BYTE,
        "SHA-256 took {per_byte} instructions per byte (at most {MAXIMUM_INSTRUCTIONS_PER_BYTE} expected)"
    );
    Ok(())
}
