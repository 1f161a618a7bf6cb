//! Slingshot's serial update protocol: framing, sequence numbers, windowed acknowledgements, resumption.
//!
//! Placeholder: being written.
#![no_std]
#![forbid(unsafe_code)]
