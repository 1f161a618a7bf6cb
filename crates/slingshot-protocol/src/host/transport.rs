//! The byte link the host session talks over: a serial port, or a simulator in tests.

use std::time::Duration;

/// Why a transport operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The port went away (cable pulled, device reset by USB).
    #[error("the serial port disconnected")]
    Disconnected,
    /// The port cannot run at this baud rate.
    #[error("the serial port cannot run at {baud} baud")]
    BaudUnsupported {
        /// The requested rate.
        baud: u32,
    },
    /// Any other input/output error.
    #[error("serial port input/output error")]
    Io(#[from] std::io::Error),
}

/// A bidirectional byte stream with read timeouts.
pub trait Transport {
    /// Queues `bytes` for sending (may return before they are on the wire).
    fn write(&mut self, bytes: &[u8]) -> Result<(), TransportError>;

    /// Reads at least one byte into `buffer`, waiting at most `timeout`; returns 0 on timeout.
    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;

    /// Waits until every queued byte has been sent.
    fn flush(&mut self) -> Result<(), TransportError>;

    /// Changes the local baud rate (after [`Transport::flush`]).
    fn set_baud(&mut self, baud: u32) -> Result<(), TransportError>;

    /// The current baud rate, used to size timeouts.
    fn baud(&self) -> u32;

    /// A monotonic clock (time since the transport was opened): real time for a serial
    /// port, virtual time in a simulator.
    fn elapsed(&self) -> Duration;
}
