//! [`Transport`] over a serial device through the `serialport` crate (built without libudev).

use super::{transport_error, PortError};
use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};
use slingshot_protocol::host::{Transport, TransportError};
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

/// A serial port: 8N1, no flow control, read timeouts per call.
pub struct SerialTransport {
    port: Box<dyn SerialPort>,
    baud: u32,
    timeout: Duration,
    opened: Instant,
}

impl SerialTransport {
    /// Opens `path` at `baud`, discarding whatever the operating system had buffered.
    pub fn open(path: &str, baud: u32) -> Result<SerialTransport, PortError> {
        let timeout = Duration::from_millis(10);
        let port = serialport::new(path, baud)
            .data_bits(DataBits::Eight)
            .parity(Parity::None)
            .stop_bits(StopBits::One)
            .flow_control(FlowControl::None)
            .timeout(timeout)
            .open()
            .map_err(|error| open_error(path, error))?;
        let _ = port.clear(ClearBuffer::All);
        Ok(SerialTransport {
            port,
            baud,
            timeout,
            opened: Instant::now(),
        })
    }
}

fn open_error(path: &str, error: serialport::Error) -> PortError {
    let port = path.to_string();
    match error.kind() {
        // serialport reports EBUSY (the TIOCEXCL lock or flock held by another process) as
        // NoDevice when opening.
        serialport::ErrorKind::NoDevice => PortError::Busy { port },
        serialport::ErrorKind::Io(ErrorKind::NotFound) => PortError::Missing { port },
        serialport::ErrorKind::Io(ErrorKind::PermissionDenied) => {
            PortError::PermissionDenied { port }
        }
        _ => PortError::Other {
            port,
            source: error.into(),
        },
    }
}

impl Transport for SerialTransport {
    fn write(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.port.write_all(bytes).map_err(transport_error)
    }

    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if timeout != self.timeout {
            self.port
                .set_timeout(timeout)
                .map_err(|error| transport_error(error.into()))?;
            self.timeout = timeout;
        }
        match self.port.read(buffer) {
            Ok(count) => Ok(count),
            Err(error) if matches!(error.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
                Ok(0)
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => Ok(0),
            Err(error) => Err(transport_error(error)),
        }
    }

    fn flush(&mut self) -> Result<(), TransportError> {
        self.port.flush().map_err(transport_error)
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), TransportError> {
        self.port
            .set_baud_rate(baud)
            .map_err(|_| TransportError::BaudUnsupported { baud })?;
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
