//! One module per `slingshot` subcommand.

pub mod boards;
pub mod flash;
pub mod info;
pub mod inspect;
pub mod keygen;
pub mod merge;
pub mod monitor;
pub mod protect;
pub mod reboot;
pub mod sign;
pub mod verify;
