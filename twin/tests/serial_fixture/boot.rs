//! What the twin brings up after a power-on, a reset or an update: the application (its
//! banner's version, whether it confirmed itself) or the bootloader staying with its reason.

use anyhow::{bail, ensure, Context, Result};
use slingshot_protocol::host::{HostConfig, HostSession};
use slingshot_twin::{Stop, Twin};

use super::{TwinLink, BANNER, PS_PER_SECOND};

/// What came up after a power-on or reset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Boot {
    /// The application printed its banner with this version and then `tick 4`; `confirmed`
    /// whether it printed `confirmed` on the way.
    Application {
        /// The banner's version.
        version: String,
        /// Whether `confirmed` was printed.
        confirmed: bool,
    },
    /// No application started; the bootloader's lines (its reason for staying).
    Bootloader(String),
}

/// Run the twin until the application is stable (`tick 4`) or, without an application
/// banner, for `seconds` of modelled time; what came up.
pub fn observe_boot(twin: &mut Twin, seconds: u64) -> Result<Boot> {
    let start = twin.serial_output().len();
    let deadline = twin.board().picoseconds() + seconds * PS_PER_SECOND;
    let stop = twin.run_until(4_000_000_000, |twin| {
        let text = String::from_utf8_lossy(&twin.serial_output()[start..]).into_owned();
        let stable = text
            .rfind(BANNER)
            .is_some_and(|index| text[index..].contains("tick 4\r\n"));
        stable || twin.board().picoseconds() >= deadline
    })?;
    if stop == Stop::PowerLost || stop == Stop::Breakpoint {
        bail!("the boot stopped: {stop:?}");
    }
    let text = String::from_utf8_lossy(&twin.serial_output()[start..]).into_owned();
    match text.rfind(BANNER) {
        Some(index) if text[index..].contains("tick 4\r\n") => {
            let after = &text[index + BANNER.len()..];
            Ok(Boot::Application {
                version: after.lines().next().unwrap_or("").trim().to_string(),
                confirmed: after.contains("confirmed\r\n"),
            })
        }
        _ => Ok(Boot::Bootloader(text)),
    }
}

/// After `flash` returned (it read the new application's banner): run until that application
/// is stable (`tick 4`) and report it from the whole output since the last banner.
pub fn settle_after_flash(twin: &mut Twin) -> Result<Boot> {
    let deadline = twin.board().picoseconds() + 10 * PS_PER_SECOND;
    let stable = |twin: &Twin| {
        let text = String::from_utf8_lossy(twin.serial_output()).into_owned();
        text.rfind(BANNER)
            .is_some_and(|index| text[index..].contains("tick 4\r\n"))
    };
    twin.run_until(4_000_000_000, |twin| {
        stable(twin) || twin.board().picoseconds() >= deadline
    })?;
    let text = String::from_utf8_lossy(twin.serial_output()).into_owned();
    match text.rfind(BANNER) {
        Some(index) if text[index..].contains("tick 4\r\n") => {
            let after = &text[index + BANNER.len()..];
            Ok(Boot::Application {
                version: after.lines().next().unwrap_or("").trim().to_string(),
                confirmed: after.contains("confirmed\r\n"),
            })
        }
        _ => Ok(Boot::Bootloader(text)),
    }
}

/// Fails unless `boot` is application `version` with the given confirmation.
pub fn expect_application(boot: &Boot, version: &str, confirmed: bool) -> Result<()> {
    match boot {
        Boot::Application {
            version: found,
            confirmed: was_confirmed,
        } if found == version && *was_confirmed == confirmed => Ok(()),
        other => bail!("expected application v{version} (confirmed: {confirmed}), got {other:?}"),
    }
}

/// What a power-on after a cut brought up must be: v1 or v2 running, or the bootloader
/// staying with a reason and answering hello.
pub fn check_power_on(twin: &mut Twin, label: &str) -> Result<String> {
    twin.power_on()?;
    match observe_boot(twin, 40)? {
        Boot::Application { version, .. } if version == "1.0.0" || version == "2.0.0" => {
            Ok(format!("v{version}"))
        }
        Boot::Application { version, .. } => bail!("{label}: unexpected application v{version}"),
        Boot::Bootloader(text) => {
            ensure!(
                text.contains("slingshot: "),
                "{label}: no application and no bootloader line: {text:?}"
            );
            let mut session = HostSession::new(TwinLink::new(twin), HostConfig::default());
            let info = session
                .hello()
                .with_context(|| format!("{label}: the bootloader does not answer: {text}"))?;
            Ok(format!("bootloader ({:?})", info.state))
        }
    }
}
