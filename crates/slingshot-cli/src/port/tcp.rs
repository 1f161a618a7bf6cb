//! [`Transport`] over a TCP socket: the F429 twin's serial endpoint (`tcp:127.0.0.1:PORT`).

use super::{transport_error, PortError};
use slingshot_protocol::host::{Transport, TransportError};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A TCP connection carrying the UART's bytes. The baud rate is bookkeeping: it sizes the
/// session's timeouts and pacing as it would on the real line.
pub struct TcpTransport {
    stream: TcpStream,
    baud: u32,
    timeout: Option<Duration>,
    opened: Instant,
}

impl TcpTransport {
    /// Connects to `address` (`HOST:PORT`).
    pub fn connect(address: &str, baud: u32) -> Result<TcpTransport, PortError> {
        let port = format!("tcp:{address}");
        let stream = TcpStream::connect(address).map_err(|source| match source.kind() {
            ErrorKind::ConnectionRefused => PortError::ConnectionRefused {
                port: port.clone(),
                source,
            },
            _ => PortError::Other {
                port: port.clone(),
                source,
            },
        })?;
        stream
            .set_nodelay(true)
            .map_err(|source| PortError::Other { port, source })?;
        Ok(TcpTransport {
            stream,
            baud,
            timeout: None,
            opened: Instant::now(),
        })
    }
}

impl Transport for TcpTransport {
    fn write(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.stream.write_all(bytes).map_err(transport_error)
    }

    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        // A zero timeout means "block forever" to the socket: wait at least a millisecond.
        let timeout = timeout.max(Duration::from_millis(1));
        if self.timeout != Some(timeout) {
            self.stream
                .set_read_timeout(Some(timeout))
                .map_err(transport_error)?;
            self.timeout = Some(timeout);
        }
        match self.stream.read(buffer) {
            Ok(0) if !buffer.is_empty() => Err(TransportError::Disconnected),
            Ok(count) => Ok(count),
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                ) =>
            {
                Ok(0)
            }
            Err(error) => Err(transport_error(error)),
        }
    }

    fn flush(&mut self) -> Result<(), TransportError> {
        self.stream.flush().map_err(transport_error)
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), TransportError> {
        self.baud = baud;
        Ok(())
    }

    fn baud(&self) -> u32 {
        self.baud
    }

    fn elapsed(&self) -> Duration {
        self.opened.elapsed()
    }
}
