//! Slingshot's serial update protocol: framing, sequence numbers, windowed acknowledgements,
//! flow control around flash erases, and resumption after a cable pull or a power cut.
//!
//! - [`frame`]: COBS frames with a version byte, frame type, sequence number and CRC-32.
//! - [`message`]: requests, replies and their payload layouts; [`error::ErrorCode`]: stable codes.
//! - [`device`]: the allocation-free device state machine, [`device::Device`], over a
//!   [`device::DeviceHandler`] the bootloader implements.
//! - `host` (feature `std`): `host::HostSession` over a `host::Transport`: hello, start,
//!   resumable windowed transfer with progress, verify, install, reboot, baud switch.
//!
//! `docs/PROTOCOL.md` is the versioned specification, with every layout as a table.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

pub mod device;
pub mod error;
pub mod frame;
#[cfg(feature = "std")]
pub mod host;
pub mod info;
pub mod message;
mod wire;

pub use error::ErrorCode;
pub use frame::PROTOCOL_VERSION;
