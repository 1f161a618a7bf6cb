//! One module per `slingshot` subcommand.

pub mod inspect;
pub mod keygen;
pub mod merge;
pub mod sign;
pub mod verify;
