//! Slingshot's signed image format: trailer, descriptor, SHA-256 and Ed25519 verification.
//!
//! Placeholder: being written.
#![no_std]
#![forbid(unsafe_code)]
