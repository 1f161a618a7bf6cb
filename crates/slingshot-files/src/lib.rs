//! Load ELF, BIN and Intel HEX firmware files into a sparse memory image and write BIN and HEX atomically.
//!
//! Placeholder: being written.
#![no_std]
#![forbid(unsafe_code)]
