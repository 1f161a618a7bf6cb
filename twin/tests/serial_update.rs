//! Serial updates end to end (issue 6, Tests): the real bootloader on the F429 twin, updated by
//! the real host library `slingshot_cli::flashing::flash` over `serial_fixture::TwinLink` (the
//! twin's USART3 in modelled time, so every run is deterministic). Needs `cargo xtask build`
//! (dual slot) and `cargo xtask build --layout single` (firmware/target/variants/single).
//!
//! Run: `cargo test --release -p slingshot-twin --test serial_update`.

mod serial_fixture;

use anyhow::{bail, ensure, Result};
use serial_fixture::{
    observe_boot, signed_bytes, unchecked_image, Boot, Build, ImageSpec, TwinLink,
};
use slingshot_cli::flashing::{flash, FlashEvent, FlashOptions, FlashReport, RunningVersion};
use slingshot_twin::Twin;

/// Seeded filler appended to v2: one sector more than v1 occupies.
const V2_FILLER: usize = 24 * 1024;

/// Runs `flash` over a fault-free link; the report and whether a resume was reported.
fn flash_image(
    twin: &mut Twin,
    bytes: Vec<u8>,
    options: &FlashOptions,
) -> Result<(FlashReport, Option<u64>)> {
    let image = unchecked_image(bytes)?;
    let mut resumed = None;
    let report = flash(TwinLink::new(twin), &image, options, &mut |event| {
        if let FlashEvent::Resuming { offset } = event {
            resumed = Some(offset);
        }
    })?;
    Ok((report, resumed))
}

/// `flash`'s defaults, but waiting long enough for the banner after a dual-slot install (the
/// swap erases and copies sector pairs before the application starts).
fn options() -> FlashOptions {
    FlashOptions {
        banner_timeout: std::time::Duration::from_secs(30),
        ..FlashOptions::default()
    }
}

fn expect_application(boot: &Boot, version: &str, confirmed: bool) -> Result<()> {
    match boot {
        Boot::Application {
            version: found,
            confirmed: was_confirmed,
        } if found == version && *was_confirmed == confirmed => Ok(()),
        other => bail!("expected application v{version} (confirmed: {confirmed}), got {other:?}"),
    }
}

fn full_update(build: Build) -> Result<()> {
    let mut twin = build.twin(11)?;
    let boot = observe_boot(&mut twin, 3)?;
    expect_application(&boot, "1.0.0", false)?;
    let v2 = signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(V2_FILLER))?;
    let size = v2.len() as u32;
    let (report, resumed) = flash_image(&mut twin, v2, &options())?;
    ensure!(resumed.is_none(), "a fresh transfer reported a resume");
    ensure!(
        report.transfer.image_size == size && report.transfer.resumed_from == 0,
        "transfer {:?}",
        report.transfer
    );
    ensure!(
        report.running == Some(RunningVersion::Application("2.0.0".into())),
        "running after the reboot: {:?}",
        report.running
    );
    // The application keeps running: in dual slot it is a trial image that confirms itself.
    let boot = observe_boot(&mut twin, 5)?;
    let confirmed = build == Build::Dual;
    if let Boot::Application { version, .. } = &boot {
        ensure!(version == "2.0.0", "{boot:?}");
    }
    // `observe_boot` starts after the banner flash already read: check the whole output.
    let text = String::from_utf8_lossy(twin.serial_output()).into_owned();
    let last = text.rfind(serial_fixture::BANNER).unwrap_or(0);
    ensure!(
        text[last..].starts_with("slingshot example application v2.0.0"),
        "last banner: {}",
        &text[last..]
    );
    ensure!(
        text[last..].contains("confirmed\r\n") == confirmed,
        "confirmation in dual slot only; output after the banner:\n{}",
        &text[last..]
    );
    // Power cycle: v2 again, and (dual slot) no second trial: it stays confirmed.
    twin.power_on()?;
    expect_application(&observe_boot(&mut twin, 5)?, "2.0.0", false)?;
    Ok(())
}

#[test]
fn full_update_dual_slot_boots_v2_confirmed() -> Result<()> {
    full_update(Build::Dual)
}

#[test]
fn full_update_single_slot_boots_v2() -> Result<()> {
    full_update(Build::Single)
}
