//! Slingshot's QEMU tier: system tests of the real firmware binaries in `qemu-system-arm -M
//! netduinoplus2` (boot and hand-off, signed boot, gdb, instruction counts, other boards, the
//! assembly SHA-256). Everything is in `tests/`; the harness they drive is
//! `slingshot-testkit::qemu`. Run alone with `cargo xtask test qemu`.
#![forbid(unsafe_code)]
