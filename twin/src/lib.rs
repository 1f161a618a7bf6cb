//! A host twin of the Nucleo-F429ZI on the Unicorn CPU emulator (GPL-2.0, test and development only).
//!
//! Placeholder: being written.
#![no_std]
#![forbid(unsafe_code)]
