//! A simulated NOR flash enforcing NOR rules, with power cuts and torn operations, for host tests.
//!
//! Placeholder: being written.
#![no_std]
#![forbid(unsafe_code)]
