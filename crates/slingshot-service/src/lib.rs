//! Slingshot's serial update service: the request handler behind the bootloader's serial port,
//! portable so that the same code runs in the firmware and in the host tests.
//!
//! [`UpdateService`] is the protocol's [`DeviceHandler`](slingshot_protocol::device::DeviceHandler)
//! for one layout: it admits an announced image before anything is erased ([`admit`]), maps the
//! protocol's offsets onto the update target slot, erases and programs through any
//! `embedded-storage` flash, verifies the received image with any
//! [`ImageVerifier`](slingshot_update::ImageVerifier) that also knows the trusted keys
//! ([`KeyRing`]), installs it through the dual-slot update engine (or, in the single-slot
//! layout, in place) and plans option-byte changes with `slingshot-flash-controller`.
//!
//! [`an3155`] serves ST's serial bootloader protocol over the same service, so that
//! stm32flash and STM32CubeProgrammer update the device too (`raw_memory.rs` maps the ROM's
//! addresses onto the update target).
//!
//! What only the chip does — resetting, switching the baud rate, reading and programming the
//! option bytes — and which layout and bootloader version it runs come from a [`Platform`]:
//! the firmware's wiring (`firmware/bootloader/src/serial`) on the STM32, a simulated board in
//! the tests.
#![no_std]
#![forbid(unsafe_code)]

mod admission;
pub mod an3155;
mod platform;
mod protection;
mod raw_memory;
mod refusal;
mod service;
mod signed_image;
#[cfg(feature = "simulation")]
pub mod simulated;

pub use admission::{admit, Announcement};
pub use platform::{KeyRing, OptionBytesFailed, Platform};
pub use protection::protection_request;
pub use refusal::{update_refusal, verify_refusal};
pub use service::{protocol_version, UpdateService};
pub use signed_image::{image_summary, verify_error, FlashImageVerifier};
