//! What each of the default bootloader's features costs in flash, for `cargo xtask bench`:
//! the default build against the same build without the feature (and without what needs it),
//! all in one target directory (`firmware/target/variants/feature-costs`) so only the
//! bootloader crate is compiled again between them. This is where the kilobytes between the
//! default build and its 24 KB goal are spent (issue: the lean bootloader).

use crate::build::{self, BuildArguments, LayoutChoice};
use crate::process::firmware_directory;
use anyhow::{bail, Context, Result};
use slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT;
use std::fmt::Write as _;

/// The default features, read from the bootloader's manifest (the one source of truth).
pub fn default_features() -> Result<Vec<String>> {
    let path = firmware_directory().join("bootloader/Cargo.toml");
    let manifest =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let line = manifest
        .lines()
        .find(|line| line.trim_start().starts_with("default = ["))
        .with_context(|| format!("{} has no `default = [...]` line", path.display()))?;
    let list = line
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .with_context(|| {
            format!(
                "{}: the default feature list is not on one line",
                path.display()
            )
        })?;
    let features: Vec<String> = list
        .split(',')
        .map(|item| item.trim().trim_matches('"').to_owned())
        .filter(|item| !item.is_empty())
        .collect();
    if features.is_empty() {
        bail!("{}: the default feature list is empty", path.display());
    }
    Ok(features)
}

/// One measured row: a feature and the flash the default build spends on it.
struct Cost {
    feature: &'static str,
    what: &'static str,
    without: u64,
    cost: i64,
}

/// Flash of the dual-slot bootloader built with exactly `features`.
fn bootloader_flash(features: &[String]) -> Result<u64> {
    let artifacts = build::run(BuildArguments {
        layout: LayoutChoice::Dual,
        quiet: true, // `--no-default-features`: only the features listed
        bootloader_features: features.to_vec(),
        variant: Some("feature-costs".to_owned()),
        ..Default::default()
    })?;
    let [(_, bootloader), _] = crate::size::measure_both(&NUCLEO_F429ZI_DUAL_SLOT, &artifacts)?;
    Ok(bootloader.flash)
}

/// The default features without `removed`.
fn without(defaults: &[String], removed: &[&str]) -> Vec<String> {
    defaults
        .iter()
        .filter(|feature| !removed.contains(&feature.as_str()))
        .cloned()
        .collect()
}

/// Writes the section: each feature's cost and the gap to the goal.
pub fn section(report: &mut String) -> Result<()> {
    let defaults = default_features()?;
    let default = bootloader_flash(&defaults)?;
    // Each row removes the feature and whatever depends on it, measured against the build
    // that still has the dependency's base (so the rows add up).
    let without_an3155 = bootloader_flash(&without(&defaults, &["an3155"]))?;
    let rows: Vec<(&'static str, &'static str, Vec<String>, u64)> = vec![
        (
            "logging",
            "USART3 lines saying what the bootloader decided and why",
            without(&defaults, &["logging"]),
            default,
        ),
        (
            "an3155",
            "ST's serial bootloader protocol (stm32flash) on the update port",
            without(&defaults, &["an3155"]),
            default,
        ),
        (
            "serial-update",
            "the Slingshot update protocol, the update service and the DMA receiver (an3155 off)",
            without(&defaults, &["an3155", "serial-update"]),
            without_an3155,
        ),
        (
            "fast-verify",
            "verification on the PLL at 168 MHz, the reset clock restored",
            without(&defaults, &["fast-verify"]),
            default,
        ),
        (
            "watchdog-on-trial",
            "the independent watchdog started before a trial image",
            without(&defaults, &["watchdog-on-trial"]),
            default,
        ),
    ];
    let mut costs = Vec::new();
    for (feature, what, features, base) in rows {
        let flash = bootloader_flash(&features)?;
        costs.push(Cost {
            feature,
            what,
            without: flash,
            cost: base as i64 - flash as i64,
        });
    }
    let core = bootloader_flash(&["verify".to_owned()])?;
    let quiet = bootloader_flash(&[])?;
    writeln!(report, "## What each feature costs\n")?;
    writeln!(
        report,
        "The default bootloader (dual slot, {default} B) against the same build without one \
         feature; the serial-update row is measured with an3155 already off, so the rows add \
         up. The last rows split what remains: the verifying core and the plain \
         validate-and-jump it replaces.\n"
    )?;
    writeln!(
        report,
        "| feature | what it adds | build without it | cost |"
    )?;
    writeln!(report, "|---|---|---|---|")?;
    for cost in &costs {
        writeln!(
            report,
            "| `{}` | {} | {} B | {} B |",
            cost.feature, cost.what, cost.without, cost.cost
        )?;
    }
    writeln!(
        report,
        "| `verify` alone | verification (SHA-256, Ed25519), the dual-slot engine, the \
         part check, the reset-like hand-off | {quiet} B (quiet validate-and-jump) | {} B |",
        core as i64 - quiet as i64
    )?;
    let features_total: i64 = costs.iter().map(|cost| cost.cost).sum();
    let goal = crate::budgets::DEFAULT_BUDGET;
    let gap = default as i64 - goal as i64;
    // What the gap means in features: which one alone costs as much, and how much every part
    // of the build would have to shrink for all of them to fit.
    let large_enough: Vec<String> = costs
        .iter()
        .filter(|cost| cost.cost >= gap)
        .map(|cost| format!("`{}`", cost.feature))
        .collect();
    let gap_text = if gap <= 0 {
        format!(
            "The default build is {} B below the goal of {goal} B.",
            -gap
        )
    } else {
        let count = match large_enough.len() {
            0 => "none".to_owned(),
            1 => "one".to_owned(),
            count => count.to_string(),
        };
        format!(
            "The goal of {goal} B is {gap} B below the default build: {count} of the features \
             alone {} that much ({}), so with every feature kept the whole build, core and \
             features alike, would have to shrink by {:.1} %.",
            if large_enough.len() == 1 {
                "costs"
            } else {
                "cost"
            },
            if large_enough.is_empty() {
                "removing any one would not reach it".to_owned()
            } else {
                large_enough.join(", ")
            },
            gap as f64 * 100.0 / default as f64
        )
    };
    writeln!(
        report,
        "\nThe features on top of the verifying core ({core} B) cost {features_total} B \
         together. {gap_text} Every lever measured so far and what it gave is in \
         docs/SIZE_HISTORY.md.\n\nReproduce: `cargo xtask bench` (each row is `cargo build \
         --release -p slingshot-bootloader --no-default-features --features …` in firmware/, \
         measured like `cargo xtask size`).\n"
    )?;
    Ok(())
}
