//! Slingshot's power-fail-safe update engine: journal, sector swap, trial boot, rollback and anti-rollback.
//!
//! Placeholder: being written.
#![no_std]
#![forbid(unsafe_code)]
