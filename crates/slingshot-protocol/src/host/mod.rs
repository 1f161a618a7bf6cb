//! The host side (feature `std`): a session that drives a device through a [`Transport`].

mod error;
mod session;
mod stream;
mod timing;
mod transfer;
mod transport;

pub use error::HostError;
pub use session::{HostConfig, HostSession, TransferReport};
pub use timing::DeviceTiming;
pub use transport::{Transport, TransportError};
