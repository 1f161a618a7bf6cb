//! After the reboot: which version runs now? The example application prints
//! `slingshot example application vX` first thing; a device that stayed in its bootloader
//! (e.g. the new image failed its boot checks) answers hello instead.

use super::FlashOptions;
use slingshot_protocol::host::{HostSession, Transport};
use slingshot_protocol::info::DeviceInfo;
use std::time::Duration;

/// The start of the example application's banner line; the version follows it.
pub const BANNER_PREFIX: &str = "slingshot example application v";

/// What runs after the reboot.
#[derive(Clone, Debug, PartialEq)]
pub enum RunningVersion {
    /// The application printed its banner with this version.
    Application(String),
    /// The bootloader answered hello: it did not start the application.
    Bootloader(DeviceInfo),
}

/// Reads lines from `transport` for at most `timeout` and returns the version from the first
/// banner line, or `None`.
pub fn read_banner(transport: &mut impl Transport, timeout: Duration) -> Option<String> {
    let deadline = transport.elapsed() + timeout;
    let mut line = Vec::new();
    let mut buffer = [0u8; 256];
    loop {
        let now = transport.elapsed();
        if now >= deadline {
            return None;
        }
        let count = transport.read(&mut buffer, deadline - now).ok()?;
        for &byte in &buffer[..count] {
            if byte != b'\n' && byte != b'\r' {
                line.push(byte);
                continue;
            }
            let text = String::from_utf8_lossy(&line);
            if let Some(index) = text.find(BANNER_PREFIX) {
                let version = text[index + BANNER_PREFIX.len()..].trim();
                return Some(version.to_string());
            }
            line.clear();
        }
    }
}

/// The banner's version, else the bootloader's answer to hello, else `None`.
pub(super) fn find_running_version<T: Transport>(
    session: &mut HostSession<T>,
    options: &FlashOptions,
) -> Option<RunningVersion> {
    if let Some(version) = read_banner(session.transport_mut(), options.banner_timeout) {
        return Some(RunningVersion::Application(version));
    }
    session.hello().ok().map(RunningVersion::Bootloader)
}
