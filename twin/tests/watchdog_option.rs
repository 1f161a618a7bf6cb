//! The hardware watchdog option (option byte WDG_SW = 0: the IWDG runs from reset, 512 ms at
//! the LSI's typical 32 kHz) at both ends of the LSI's range (DS9405: 17–47 kHz): the real
//! bootloader lengthens the running watchdog to its longest timeout and feeds it before every
//! flash operation and in its serial loop, so a first boot (journal format), a serial update
//! of v2 and the swap at the next boot all complete without a watchdog reset, and the
//! application (which feeds it on every tick) keeps running. Needs `cargo xtask build`.
//!
//! Run: `cargo test --release -p slingshot-twin --test watchdog_option`.

mod serial_fixture;

use anyhow::{ensure, Result};
use serial_fixture::{
    expect_application, flash_image, observe_boot, options, settle_after_flash, signed_bytes,
    Build, ImageSpec,
};
use slingshot_twin::iwdg::LSI_RANGE_HZ;
use slingshot_twin::{Stop, Twin};

/// FLASH_OPTCR.WDG_SW.
const SOFTWARE_WATCHDOG: u32 = 1 << 5;

/// Seeded filler appended to v2 (one 16 KB sector more than v1, as in `serial_update`).
const V2_FILLER: usize = 24 * 1024;

/// Select the hardware watchdog and an LSI of `lsi_hz` before the first power-on.
fn hardware_watchdog(lsi_hz: u64) -> impl FnOnce(&mut Twin) {
    move |twin: &mut Twin| {
        let board = twin.board_mut();
        board.flash.option_bytes.0 &= !SOFTWARE_WATCHDOG;
        board.iwdg.lsi_hz = lsi_hz;
    }
}

/// How many resets the independent watchdog caused (the application reports each boot's
/// reason).
fn watchdog_resets(twin: &Twin) -> usize {
    String::from_utf8_lossy(twin.serial_output())
        .matches("reset reason independent watchdog")
        .count()
}

fn update_under_the_hardware_watchdog(lsi_hz: u64) -> Result<()> {
    let build = Build::Dual;
    let mut twin = build.twin_prepared(21, hardware_watchdog(lsi_hz))?;
    ensure!(
        twin.board().iwdg.expires_ps.is_some(),
        "the hardware watchdog runs from reset"
    );
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let v2 = signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(V2_FILLER))?;
    flash_image(&mut twin, v2, &options())?;
    expect_application(&settle_after_flash(&mut twin)?, "2.0.0", true)?;
    // Several watchdog periods of the application running on its own.
    let deadline = twin.board().picoseconds() + 70 * 1_000_000_000_000;
    let stop = twin.run_until(40_000_000_000, |twin| {
        twin.board().picoseconds() >= deadline
    })?;
    ensure!(stop == Stop::Condition, "the twin stopped early: {stop:?}");
    ensure!(
        watchdog_resets(&twin) == 0,
        "{} watchdog resets at {lsi_hz} Hz:\n{}",
        watchdog_resets(&twin),
        String::from_utf8_lossy(twin.serial_output())
    );
    Ok(())
}

#[test]
fn update_and_swap_complete_under_the_hardware_watchdog_with_the_slowest_lsi() -> Result<()> {
    update_under_the_hardware_watchdog(LSI_RANGE_HZ.0)
}

#[test]
fn update_and_swap_complete_under_the_hardware_watchdog_with_the_fastest_lsi() -> Result<()> {
    update_under_the_hardware_watchdog(LSI_RANGE_HZ.1)
}
