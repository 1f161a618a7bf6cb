//! Where the board's USART3 meets the host: standard input/output, a TCP socket on 127.0.0.1,
//! or a pseudo-terminal whose path the CLI prints (a terminal program or the `slingshot` host
//! tool opens it like the ST-LINK's virtual COM port). Every endpoint is polled without
//! blocking. Tests use the in-process API of [`crate::Twin`] instead.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{channel, Receiver};

/// Bytes of output kept for the first TCP client.
pub const EARLY_OUTPUT_LIMIT: usize = 64 * 1024;

/// A host-side serial endpoint.
pub enum SerialEndpoint {
    /// Bytes to standard output; standard input read by a helper thread.
    Standard {
        /// Bytes typed on standard input.
        input: Receiver<Vec<u8>>,
    },
    /// One client at a time on a local TCP port; when it disconnects (a "cable pull") the next
    /// connection is accepted and the board keeps running meanwhile. What the board prints
    /// before the first client connects is kept for it (up to [`EARLY_OUTPUT_LIMIT`] bytes),
    /// as a terminal opened before power-on would show it; after a cable pull output is lost,
    /// as on a real line.
    Tcp {
        /// The listening socket.
        listener: TcpListener,
        /// The connected client, if any.
        client: Option<TcpStream>,
        /// Output kept until the first client connects (`None` once one has).
        early_output: Option<Vec<u8>>,
    },
    /// The controlling side of a pseudo-terminal.
    PseudoTerminal {
        /// The controller file.
        controller: File,
        /// Path of the terminal device to open (e.g. `/dev/pts/3`).
        path: String,
    },
}

impl SerialEndpoint {
    /// Standard input and output.
    pub fn standard() -> Self {
        let (sender, input) = channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 256];
            let mut stdin = std::io::stdin();
            while let Ok(count) = stdin.read(&mut buffer) {
                if count == 0 || sender.send(buffer[..count].to_vec()).is_err() {
                    break;
                }
            }
        });
        SerialEndpoint::Standard { input }
    }

    /// Listen on 127.0.0.1:`port` (0 picks a free port; see [`SerialEndpoint::describe`]).
    pub fn tcp(port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        Ok(SerialEndpoint::Tcp {
            listener,
            client: None,
            early_output: Some(Vec::new()),
        })
    }

    /// A new pseudo-terminal in raw mode.
    pub fn pseudo_terminal() -> std::io::Result<Self> {
        use rustix::fs::{fcntl_setfl, OFlags};
        use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
        let controller = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)?;
        grantpt(&controller)?;
        unlockpt(&controller)?;
        let path = ptsname(&controller, Vec::new())?
            .to_string_lossy()
            .into_owned();
        if let Ok(mut attributes) = rustix::termios::tcgetattr(&controller) {
            attributes.make_raw();
            let _ = rustix::termios::tcsetattr(
                &controller,
                rustix::termios::OptionalActions::Now,
                &attributes,
            );
        }
        fcntl_setfl(&controller, OFlags::NONBLOCK)?;
        Ok(SerialEndpoint::PseudoTerminal {
            controller: File::from(controller),
            path,
        })
    }

    /// Where a user connects, for the CLI to print.
    pub fn describe(&self) -> String {
        match self {
            SerialEndpoint::Standard { .. } => "standard input/output".into(),
            SerialEndpoint::Tcp { listener, .. } => match listener.local_addr() {
                Ok(address) => format!("tcp {address}"),
                Err(_) => "tcp (address unknown)".into(),
            },
            SerialEndpoint::PseudoTerminal { path, .. } => format!("pseudo-terminal {path}"),
        }
    }

    /// Whether a TCP client is connected (standard I/O and pseudo-terminals: always true).
    pub fn client_connected(&self) -> bool {
        match self {
            SerialEndpoint::Tcp { client, .. } => client.is_some(),
            _ => true,
        }
    }

    /// Bytes the host sent since the last poll (never blocks).
    pub fn poll_input(&mut self) -> Vec<u8> {
        let mut bytes = Vec::new();
        match self {
            SerialEndpoint::Standard { input } => {
                while let Ok(chunk) = input.try_recv() {
                    bytes.extend(chunk);
                }
            }
            SerialEndpoint::Tcp {
                listener,
                client,
                early_output,
            } => {
                if client.is_none() {
                    if let Ok((mut stream, _)) = listener.accept() {
                        let _ = stream.set_nonblocking(true);
                        let kept = early_output.take().unwrap_or_default();
                        if write_or_drop(&mut stream, &kept) {
                            *client = Some(stream);
                        }
                    }
                }
                if let Some(stream) = client {
                    if !read_available(stream, &mut bytes) {
                        *client = None;
                    }
                }
            }
            SerialEndpoint::PseudoTerminal { controller, .. } => {
                read_available(controller, &mut bytes);
            }
        }
        bytes
    }

    /// Send the board's output to the host (dropped when no TCP client is connected, except
    /// before the first one).
    pub fn write_output(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self {
            SerialEndpoint::Standard { .. } => {
                let mut stdout = std::io::stdout();
                let _ = stdout.write_all(bytes);
                let _ = stdout.flush();
            }
            SerialEndpoint::Tcp {
                client,
                early_output,
                ..
            } => match (client.as_mut(), early_output.as_mut()) {
                (Some(stream), _) => {
                    if !write_or_drop(stream, bytes) {
                        *client = None;
                    }
                }
                (None, Some(kept)) => {
                    let room = EARLY_OUTPUT_LIMIT.saturating_sub(kept.len());
                    kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
                }
                (None, None) => {}
            },
            SerialEndpoint::PseudoTerminal { controller, .. } => {
                let _ = controller.write_all(bytes);
            }
        }
    }
}

/// Write to a non-blocking client: what its socket buffer cannot take is dropped, as bytes on
/// a serial line nobody reads are lost. `false` when the connection is gone (a cable pull:
/// the endpoint then waits for the next client).
fn write_or_drop(stream: &mut TcpStream, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(0) => return false,
            Ok(count) => bytes = &bytes[count..],
            Err(error) if error.kind() == ErrorKind::WouldBlock => return true,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

/// Read what is available; `false` when the peer closed the connection.
fn read_available(source: &mut impl Read, bytes: &mut Vec<u8>) -> bool {
    let mut buffer = [0u8; 256];
    loop {
        match source.read(&mut buffer) {
            Ok(0) => return false,
            Ok(count) => bytes.extend_from_slice(&buffer[..count]),
            Err(error) if error.kind() == ErrorKind::WouldBlock => return true,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            // A reset connection (the client vanished) is a disconnection too.
            Err(error) if error.kind() == ErrorKind::ConnectionReset => return false,
            Err(_) => return true,
        }
    }
}
