//! Harness shared by the system tests, `cargo xtask` and the twin's tests:
//!
//! - [`artifacts`]: where the firmware build puts the bootloader and application, with a
//!   clear error telling how to build them when they are missing;
//! - [`qemu`]: boot the real binaries in `qemu-system-arm -M netduinoplus2`, talk to USART3,
//!   wait for lines, count instructions (the tests that do are in `slingshot-qemu-tests`);
//! - [`gdb`]: the debugger command line `cargo xtask gdb` runs;
//! - [`line`]: the noisy serial line the protocol's link simulator and the twin's serial tests
//!   share.
//!
//! Wall-clock limits here are safety nets against hangs, never assertions about speed.
#![forbid(unsafe_code)]

pub mod artifacts;
pub mod gdb;
pub mod line;
pub mod qemu;
