//! Harness shared by the system tests, `cargo xtask` and the twin's tests:
//!
//! - [`artifacts`]: where the firmware build puts the bootloader and application, with a
//!   clear error telling how to build them when they are missing;
//! - [`qemu`]: boot the real binaries in `qemu-system-arm -M netduinoplus2`, talk to USART3,
//!   wait for lines, count instructions.
//!
//! Wall-clock limits here are safety nets against hangs, never assertions about speed.
#![forbid(unsafe_code)]

pub mod artifacts;
pub mod gdb;
pub mod qemu;
