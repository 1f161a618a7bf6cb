//! `cargo xtask fuzz`: build the libFuzzer targets in `fuzz/` with coverage instrumentation
//! (on stable Rust: `-C passes=sancov-module` and LLVM's sanitizer-coverage options, the
//! flags cargo-fuzz passes) and run each for a while. Every parser of Slingshot has a
//! target: Intel HEX/ELF loading, the signed-image trailer, the serial protocol's frames and
//! messages, the update journal's records; and `update_service` drives the bootloader's real
//! serial update service over the simulated flash with request scripts (stateful).

use crate::process::{describe, repository_root};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::process::Command;

/// The fuzz targets (binaries of the `fuzz/` package).
pub const TARGETS: &[&str] = &[
    "intel_hex",
    "key_files",
    "image_trailer",
    "protocol_frames",
    "journal_records",
    "update_service",
];

/// The host triple the fuzzers are built for: giving it explicitly keeps the
/// instrumentation flags away from build scripts.
const HOST: &str = "x86_64-unknown-linux-gnu";

/// Arguments of `cargo xtask fuzz`.
#[derive(Args)]
pub struct FuzzArguments {
    /// Seconds to run each target.
    #[arg(long, default_value_t = 60)]
    pub seconds: u32,
    /// Run only this target.
    #[arg(long)]
    pub target: Option<String>,
}

/// Build and run the fuzz targets.
pub fn run(arguments: FuzzArguments) -> Result<()> {
    let fuzz = repository_root().join("fuzz");
    let flags = [
        "-Cpasses=sancov-module",
        "-Cllvm-args=-sanitizer-coverage-level=4",
        "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
        "-Cllvm-args=-sanitizer-coverage-pc-table",
        "-Cllvm-args=-sanitizer-coverage-trace-compares",
        "--cfg",
        "fuzzing",
    ];
    crate::process::run_checked(
        crate::process::cargo()
            .current_dir(&fuzz)
            .env("RUSTFLAGS", flags.join(" "))
            .args(["build", "--release", "--target", HOST]),
    )?;
    let targets: Vec<&str> = match &arguments.target {
        Some(name) if TARGETS.contains(&name.as_str()) => vec![name.as_str()],
        Some(name) => bail!(
            "unknown fuzz target {name:?}; the targets are {}",
            TARGETS.join(", ")
        ),
        None => TARGETS.to_vec(),
    };
    for target in targets {
        let corpus = fuzz.join("corpus").join(target);
        std::fs::create_dir_all(&corpus)
            .with_context(|| format!("creating {}", corpus.display()))?;
        let mut command = Command::new(fuzz.join("target").join(HOST).join("release").join(target));
        command.arg(&corpus);
        // Committed seeds (fuzz/seeds/TARGET) are read, never written: the working corpus
        // (fuzz/corpus, git-ignored) collects what the runs find.
        let seeds = fuzz.join("seeds").join(target);
        if seeds.is_dir() {
            command.arg(&seeds);
        }
        command
            .arg(format!("-max_total_time={}", arguments.seconds))
            .arg("-seed=1")
            .arg("-print_final_stats=1")
            .current_dir(&fuzz);
        eprintln!("$ {}", describe(&command));
        let output = command
            .output()
            .with_context(|| format!("cannot start the {target} fuzzer"))?;
        let log = String::from_utf8_lossy(&output.stderr);
        let runs = log
            .lines()
            .find_map(|line| line.strip_prefix("stat::number_of_executed_units:"))
            .map(str::trim)
            .unwrap_or("?");
        if !output.status.success() {
            bail!("fuzz target {target} found a failure (input saved in fuzz/):\n{log}");
        }
        // libFuzzer's last status line: coverage (edges), features and corpus size.
        let coverage = log
            .lines()
            .rev()
            .find(|line| line.contains(" cov: "))
            .and_then(|line| line.split_once(" cov: "))
            .map(|(_, rest)| format!(", cov: {}", rest.trim()))
            .unwrap_or_default();
        eprintln!(
            "ok: {target}: {runs} inputs in {} s, no failure{coverage}",
            arguments.seconds
        );
    }
    Ok(())
}
