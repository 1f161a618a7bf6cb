//! The byte links `slingshot flash`, `info`, `reboot` and `monitor` talk over, behind one
//! [`open_port`]: a serial port (the ST-LINK virtual COM port, or a pseudo-terminal such as
//! the F429 twin's) or a TCP socket (`tcp:HOST:PORT`, the twin's TCP endpoint). Both implement
//! the protocol's [`Transport`], so the same [`slingshot_protocol::host::HostSession`] runs
//! over either.

pub mod discovery;
mod serial;
mod tcp;

pub use serial::SerialTransport;
pub use tcp::TcpTransport;

use slingshot_protocol::host::{Transport, TransportError};
use std::time::Duration;

/// Baud rate of the bootloader and of the example application after reset.
pub const DEFAULT_BAUD: u32 = 115_200;

/// Where to connect, as given with `--port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortSpec {
    /// A serial device path (`/dev/ttyACM0`, `COM3`, `/dev/pts/4`).
    Serial(String),
    /// A TCP endpoint (`tcp:127.0.0.1:4000`).
    Tcp(String),
}

impl PortSpec {
    /// `tcp:HOST:PORT` is a TCP endpoint; anything else a serial device path.
    pub fn parse(text: &str) -> PortSpec {
        match text.strip_prefix("tcp:") {
            Some(address) => PortSpec::Tcp(address.to_string()),
            None => PortSpec::Serial(text.to_string()),
        }
    }
}

impl std::fmt::Display for PortSpec {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortSpec::Serial(path) => formatter.write_str(path),
            PortSpec::Tcp(address) => write!(formatter, "tcp:{address}"),
        }
    }
}

/// Why a port could not be opened: each case says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// No such device.
    #[error("serial port {port} does not exist: is the board plugged in? (`slingshot flash` without --port looks for the ST-LINK by USB ID 0483:374b)")]
    Missing {
        /// The port as given.
        port: String,
    },
    /// Another program holds the port open.
    #[error("serial port {port} is busy: close the terminal program or other tool using it")]
    Busy {
        /// The port as given.
        port: String,
    },
    /// No permission to open the device.
    #[error("no permission to open serial port {port}: add your user to the group owning it (often `dialout`)")]
    PermissionDenied {
        /// The port as given.
        port: String,
    },
    /// Nothing listens at the TCP endpoint.
    #[error("cannot connect to {port}: is the twin running with its TCP serial endpoint?")]
    ConnectionRefused {
        /// The port as given.
        port: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Any other failure to open or configure the port.
    #[error("cannot open {port}")]
    Other {
        /// The port as given.
        port: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// An open link: serial or TCP.
pub enum Port {
    /// A serial device.
    Serial(SerialTransport),
    /// A TCP socket.
    Tcp(TcpTransport),
}

/// Opens `spec` at `baud` (8N1, no flow control). For TCP the baud rate only sizes the
/// protocol's timeouts and pacing; the far end decides the real line rate.
pub fn open_port(spec: &PortSpec, baud: u32) -> Result<Port, PortError> {
    match spec {
        PortSpec::Serial(path) => SerialTransport::open(path, baud).map(Port::Serial),
        PortSpec::Tcp(address) => TcpTransport::connect(address, baud).map(Port::Tcp),
    }
}

impl Transport for Port {
    fn write(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        match self {
            Port::Serial(port) => port.write(bytes),
            Port::Tcp(port) => port.write(bytes),
        }
    }

    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        match self {
            Port::Serial(port) => port.read(buffer, timeout),
            Port::Tcp(port) => port.read(buffer, timeout),
        }
    }

    fn flush(&mut self) -> Result<(), TransportError> {
        match self {
            Port::Serial(port) => port.flush(),
            Port::Tcp(port) => port.flush(),
        }
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), TransportError> {
        match self {
            Port::Serial(port) => port.set_baud(baud),
            Port::Tcp(port) => port.set_baud(baud),
        }
    }

    fn baud(&self) -> u32 {
        match self {
            Port::Serial(port) => port.baud(),
            Port::Tcp(port) => port.baud(),
        }
    }

    fn elapsed(&self) -> Duration {
        match self {
            Port::Serial(port) => port.elapsed(),
            Port::Tcp(port) => port.elapsed(),
        }
    }
}

/// Maps an I/O error during use of an open port to the protocol's transport error.
pub(crate) fn transport_error(error: std::io::Error) -> TransportError {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::BrokenPipe
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::NotConnected
        | ErrorKind::UnexpectedEof => TransportError::Disconnected,
        _ if error.raw_os_error() == Some(5) => TransportError::Disconnected, // EIO: USB gone
        _ => TransportError::Io(error),
    }
}
