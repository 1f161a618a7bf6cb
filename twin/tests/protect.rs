//! `slingshot protect` and the chip block of `slingshot info`, through the real host library
//! and the real bootloader on the twin, whose flash interface models the option bytes and
//! write protection: the bootloader's sectors end write-protected (a program there sets WRPERR
//! and changes nothing), the brown-out reset at level 3, every other option byte as it was;
//! refusals change nothing. Needs `cargo xtask build` first.

mod serial_fixture;

use anyhow::{ensure, Result};
use serial_fixture::{expect_application, observe_boot, options, Build, TwinLink};
use slingshot_cli::flashing::{connect, FlashOptions};
use slingshot_cli::protection::{chip_lines, option_bytes, protect, ProtectError};
use slingshot_flash_controller::option_bytes::{
    BrownOutLevel, OptionBytes, ProtectionRefusal, ProtectionRequest, ReadProtection,
};
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::host::HostError;
use slingshot_protocol::message::Protection;
use slingshot_twin::flash_controller::status::WRPERR;

/// The defaults of `slingshot protect`: bootloader write-protected, brown-out level 3.
fn hardening() -> ProtectionRequest {
    ProtectionRequest {
        brown_out: Some(BrownOutLevel::Level3),
        protect_bootloader: true,
        ..ProtectionRequest::default()
    }
}

fn entering() -> FlashOptions {
    FlashOptions {
        enter_bootloader: true,
        ..options()
    }
}

#[test]
fn protect_write_protects_the_bootloader_and_sets_the_brown_out_level() -> Result<()> {
    // The hardware watchdog option is set too: protect must keep it.
    let mut twin = Build::Dual.twin_prepared(41, |twin| {
        let flash = &mut twin.board_mut().flash;
        flash.option_bytes.0 &= !(1 << 5);
    })?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let report = protect(
        TwinLink::new(&mut twin),
        &hardening(),
        &entering(),
        &mut |_| {},
    )?;
    ensure!(report.changed, "{report:?}");
    let before = option_bytes(&report.before);
    ensure!(before.brown_out_level() == BrownOutLevel::Off && !before.write_protected(0));
    let after = option_bytes(&report.after);
    ensure!(
        after.brown_out_level() == BrownOutLevel::Level3,
        "{after:?}"
    );
    ensure!(
        after.write_protected(0) && after.write_protected(1),
        "{after:?}"
    );
    ensure!(
        (2..24).all(|sector| !after.write_protected(sector)),
        "{after:?}"
    );
    ensure!(after.read_protection() == ReadProtection::Level0);
    ensure!(
        after.hardware_watchdog(),
        "the hardware watchdog option was kept"
    );
    // The reply is what the chip holds.
    let (control, control1) = twin.board().flash.option_bytes;
    ensure!(OptionBytes::from_registers(control, control1) == after);
    ensure!(twin.board().flash.is_write_protected(0) && twin.board().flash.is_write_protected(1));
    // The info reply shows it (and asking again changes nothing).
    let (_, info) = connect(TwinLink::new(&mut twin), &entering(), &mut |_| {})?;
    let lines = chip_lines(&info.chip.expect("chip block"), None).join("\n");
    ensure!(
        lines.contains("chip: device id 0x419, revision 0x2003"),
        "{lines}"
    );
    ensure!(
        lines.contains("brown-out reset: level 3 (reset below about 2.83 V)"),
        "{lines}"
    );
    ensure!(lines.contains("write-protected sectors: 0-1"), "{lines}");
    ensure!(lines.contains("watchdog: hardware option"), "{lines}");
    let again = protect(
        TwinLink::new(&mut twin),
        &hardening(),
        &entering(),
        &mut |_| {},
    )?;
    ensure!(!again.changed && again.after == report.after);
    // Protected, the bootloader still boots the application after a power cycle.
    twin.power_on()?;
    expect_application(&observe_boot(&mut twin, 5)?, "1.0.0", false)?;
    // A program of the bootloader's first word now fails with WRPERR and changes nothing, as
    // on the chip (driving the flash interface model directly, as a debugger would).
    let flash = &mut twin.board_mut().flash;
    let first_word = flash.content[..4].to_vec();
    for key in [0x4567_0123, 0xCDEF_89AB] {
        flash.write(0x04, key, 0);
    }
    flash.write(0x0C, WRPERR, 0);
    flash.write(0x10, 0x0000_0201, 0); // PG, PSIZE x32
    ensure!(!flash.store(0, 4, 0, 0), "the program started");
    ensure!(flash.read(0x0C) & WRPERR != 0, "WRPERR");
    ensure!(flash.content[..4] == first_word[..], "sector 0 changed");
    Ok(())
}

#[test]
fn refusals_change_no_option_byte() -> Result<()> {
    let mut twin = Build::Dual.twin(43)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let factory = twin.board().flash.option_bytes;
    // Level 2 without the confirmation: the host refuses before sending anything...
    let permanent = ProtectionRequest {
        read_protection: Some(ReadProtection::Level2),
        ..ProtectionRequest::default()
    };
    match protect(
        TwinLink::new(&mut twin),
        &permanent,
        &entering(),
        &mut |_| {},
    ) {
        Err(ProtectError::Refused(ProtectionRefusal::PermanentNotConfirmed)) => {}
        other => anyhow::bail!("level 2 without confirmation: {other:?}"),
    }
    // ...and the bootloader refuses the raw request itself.
    let (mut session, _) = connect(TwinLink::new(&mut twin), &entering(), &mut |_| {})?;
    let refused = session.set_protection(Protection {
        read_protection: 2,
        ..Protection::default()
    });
    ensure!(
        matches!(
            refused,
            Err(HostError::Rejected {
                code: ErrorCode::ProtectionRefused,
                detail: 2,
                ..
            })
        ),
        "{refused:?}"
    );
    drop(session);
    ensure!(
        twin.board().flash.option_bytes == factory,
        "option bytes changed"
    );
    Ok(())
}
