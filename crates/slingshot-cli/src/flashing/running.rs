//! After the reboot: which version runs now? The example application prints
//! `slingshot example application vX` first thing, then its boot report: `image: version
//! 2.0.0+0, security counter N` (the signed image's descriptor) and `boot: slot primary, state
//! trial, …` (the update engine); a device that stayed in its bootloader (e.g. the new image
//! failed its boot checks) answers hello instead.

use slingshot_protocol::host::{HostSession, Transport, TransportError};
use slingshot_protocol::info::DeviceInfo;
use std::time::Duration;

/// The start of the example application's banner line; the version follows it.
pub const BANNER_PREFIX: &str = "slingshot example application v";

/// What runs after the reboot.
#[derive(Clone, Debug, PartialEq)]
pub enum RunningVersion {
    /// The application printed its banner with this version (its compiled-in version).
    Application(String),
    /// The application printed its boot report: the signed image's version and its state.
    Image {
        /// The banner's version, if seen.
        banner: Option<String>,
        /// The version in the running image's descriptor, e.g. `2.0.0+0`.
        version: String,
        /// What the update engine says of it: `trial`, `confirmed`, `reverted`, or `unknown
        /// (single-slot layout)`.
        state: String,
    },
    /// The bootloader answered hello: it did not start the application.
    Bootloader(DeviceInfo),
    /// The serial port disconnected after the reboot request (a cable pull): what runs could
    /// not be seen. The board installs and starts the image on its own.
    PortLost,
}

impl RunningVersion {
    /// The application's version: the signed image's if it reported it, else its banner's.
    pub fn application_version(&self) -> Option<&str> {
        match self {
            Self::Application(version) => Some(version),
            Self::Image { version, .. } => Some(version),
            Self::Bootloader(_) | Self::PortLost => None,
        }
    }
}

/// How long after its banner an application's boot report may come.
const BOOT_REPORT_AFTER_BANNER: Duration = Duration::from_secs(2);

/// The start of the application's boot report line with the signed image's version.
pub const IMAGE_PREFIX: &str = "image: version ";
/// The start of its line with the update state.
pub const STATE_PREFIX: &str = "boot: slot primary, state ";

/// Reads lines from `transport` until `deadline`, handing each (without its line ending) to
/// `line`, which may pull the deadline in, until it returns a value.
fn read_lines<R>(
    transport: &mut impl Transport,
    mut deadline: Duration,
    mut line: impl FnMut(&str, &mut Duration, Duration) -> Option<R>,
) -> Result<Option<R>, TransportError> {
    let mut current = Vec::new();
    let mut buffer = [0u8; 256];
    loop {
        let now = transport.elapsed();
        if now >= deadline {
            return Ok(None);
        }
        let count = transport.read(&mut buffer, deadline - now)?;
        for &byte in &buffer[..count] {
            if byte != b'\n' && byte != b'\r' {
                current.push(byte);
                continue;
            }
            let text = String::from_utf8_lossy(&current).into_owned();
            current.clear();
            if let Some(result) = line(&text, &mut deadline, transport.elapsed()) {
                return Ok(Some(result));
            }
        }
    }
}

/// The version after [`BANNER_PREFIX`] in `text`, if it is a banner line.
fn banner_version(text: &str) -> Option<String> {
    let index = text.find(BANNER_PREFIX)?;
    Some(text[index + BANNER_PREFIX.len()..].trim().to_string())
}

/// Reads lines from `transport` for at most `timeout` and returns what the application
/// reported: its boot report (image version and state) if it printed one, else the version
/// from its banner, or `None` when nothing came; an error if the port failed meanwhile.
pub fn read_boot_report(
    transport: &mut impl Transport,
    timeout: Duration,
) -> Result<Option<RunningVersion>, TransportError> {
    let deadline = transport.elapsed() + timeout;
    let (mut banner, mut version) = (None::<String>, None::<String>);
    let report = read_lines(transport, deadline, |text, deadline, now| {
        if let Some(seen) = banner_version(text) {
            banner = Some(seen);
            // The boot report follows the banner at once; an application without one is not
            // waited for any longer than that.
            *deadline = (*deadline).min(now + BOOT_REPORT_AFTER_BANNER);
        } else if let Some(rest) = text.strip_prefix(IMAGE_PREFIX) {
            version = rest
                .split(',')
                .next()
                .map(|version| version.trim().to_string());
        } else if let Some(rest) = text.strip_prefix(STATE_PREFIX) {
            let state = rest
                .split(", reset")
                .next()
                .unwrap_or(rest)
                .trim()
                .to_string();
            return Some(match version.take() {
                Some(version) => RunningVersion::Image {
                    banner: banner.take(),
                    version,
                    state,
                },
                None => RunningVersion::Application(banner.take().unwrap_or_default()),
            });
        }
        None
    });
    Ok(report?.or_else(|| banner.map(RunningVersion::Application)))
}

/// Reads lines from `transport` for at most `timeout` and returns the version from the first
/// banner line, or `None`.
pub fn read_banner(transport: &mut impl Transport, timeout: Duration) -> Option<String> {
    let deadline = transport.elapsed() + timeout;
    read_lines(transport, deadline, |text, _, _| banner_version(text))
        .ok()
        .flatten()
}

/// The application's boot report (or banner) within `wait`, else the bootloader's answer to
/// hello, else `None`; [`RunningVersion::PortLost`] if the port disconnected meanwhile.
pub(super) fn find_running_version<T: Transport>(
    session: &mut HostSession<T>,
    wait: Duration,
) -> Option<RunningVersion> {
    match read_boot_report(session.transport_mut(), wait) {
        Ok(Some(running)) => return Some(running),
        Err(TransportError::Disconnected) => return Some(RunningVersion::PortLost),
        Ok(None) | Err(_) => {}
    }
    session.hello().ok().map(RunningVersion::Bootloader)
}
