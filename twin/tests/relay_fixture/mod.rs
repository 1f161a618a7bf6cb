//! A fault-injecting serial relay between two processes: it listens on 127.0.0.1 for the
//! host tool and talks to the twin's TCP serial endpoint (`slingshot-twin run --serial
//! tcp:0`), corrupting, dropping and inserting bytes in both directions (`LineNoise`, one seeded
//! source per direction), stalling the line, losing a frame of a given type, and pulling the
//! cable (closing the tool's connection; the board keeps running and its output meanwhile is
//! lost; the cable is back when the tool connects again, so `LinkFaults::pull_duration` is not
//! used). The faults are the twin link's [`LinkFaults`], with a second random source for the
//! board-to-tool direction.

use crate::serial_fixture::LinkFaults;
use anyhow::{bail, Context, Result};
use slingshot_flash_sim::SplitMix64;
use slingshot_testkit::line::NoiseTally;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the relay did.
#[derive(Clone, Copy, Debug, Default)]
pub struct RelayCounts {
    pub corrupted: u64,
    pub dropped: u64,
    pub inserted: u64,
    pub stalls: u64,
    pub pulls: u64,
    pub lost_frames: u64,
    /// Bytes the tool sent (all connections).
    pub from_tool: u64,
}

/// The relay: listens for the tool on 127.0.0.1, talks to the twin's TCP endpoint.
pub struct Relay {
    /// Where the tool connects.
    pub address: SocketAddr,
    counts: Arc<Mutex<RelayCounts>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl Relay {
    /// Starts relaying between a new listening port and the twin at `twin`.
    pub fn start(twin: &str, faults: LinkFaults) -> Result<Relay> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let board = TcpStream::connect(twin).with_context(|| format!("connecting to {twin}"))?;
        board.set_nonblocking(true)?;
        let counts = Arc::new(Mutex::new(RelayCounts::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let state = RelayState {
            random_to_board: faults.random.clone(),
            random_to_tool: SplitMix64::new(faults.random.clone().next_u64()),
            faults,
            counts: counts.clone(),
            tool: None,
            stalled_until: None,
            to_board: Direction::default(),
            to_tool: Direction::default(),
        };
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || state.run(listener, board, &stopping));
        Ok(Relay {
            address,
            counts,
            stop,
            thread: Some(thread),
        })
    }

    /// The port argument for `slingshot flash`.
    pub fn port(&self) -> String {
        format!("tcp:{}", self.address)
    }

    pub fn counts(&self) -> RelayCounts {
        *self
            .counts
            .lock()
            .expect("the relay never panics holding it")
    }

    /// Stops the relay; an error it met is returned.
    pub fn finish(mut self) -> Result<RelayCounts> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread
                .join()
                .map_err(|_| anyhow::anyhow!("the relay panicked"))??;
        }
        Ok(self.counts())
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One direction of the line: bytes waiting for a frame's end while a frame fault is armed.
#[derive(Default)]
struct Direction {
    partial: Vec<u8>,
}

/// The relay thread's state.
struct RelayState {
    faults: LinkFaults,
    /// One source of faults per direction, so each direction's faults follow from its bytes.
    random_to_board: SplitMix64,
    random_to_tool: SplitMix64,
    counts: Arc<Mutex<RelayCounts>>,
    tool: Option<TcpStream>,
    stalled_until: Option<Instant>,
    to_board: Direction,
    to_tool: Direction,
}

impl RelayState {
    fn run(mut self, listener: TcpListener, mut board: TcpStream, stop: &AtomicBool) -> Result<()> {
        let mut buffer = [0u8; 4096];
        while !stop.load(Ordering::Relaxed) {
            let mut busy = false;
            if self.tool.is_none() {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(true)?;
                        stream.set_nodelay(true)?;
                        self.tool = Some(stream);
                        busy = true;
                    }
                    Err(error) if error.kind() == ErrorKind::WouldBlock => {}
                    Err(error) => return Err(error.into()),
                }
            }
            if self
                .stalled_until
                .is_some_and(|until| Instant::now() < until)
            {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            // Tool → board.
            if let Some(tool) = self.tool.as_mut() {
                match tool.read(&mut buffer) {
                    Ok(0) => self.tool = None, // the tool closed its port
                    Ok(count) => {
                        busy = true;
                        let bytes = buffer[..count].to_vec();
                        self.carry_to_board(&bytes, &mut board)?;
                    }
                    Err(error) if error.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => self.tool = None,
                }
            }
            // Board → tool (lost while the cable is out).
            match board.read(&mut buffer) {
                Ok(0) => bail!("the twin closed its serial port"),
                Ok(count) => {
                    busy = true;
                    let bytes = buffer[..count].to_vec();
                    self.carry_to_tool(&bytes)?;
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => {}
                Err(error) => return Err(error.into()),
            }
            if !busy {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        Ok(())
    }

    fn count(&self, change: impl FnOnce(&mut RelayCounts)) {
        change(
            &mut self
                .counts
                .lock()
                .expect("the relay never panics holding it"),
        );
    }

    /// Bytes the tool sent: stall and pull by count, frame faults, noise, then to the board.
    fn carry_to_board(&mut self, bytes: &[u8], board: &mut TcpStream) -> Result<()> {
        let sent_before = self.counts.lock().expect("not poisoned").from_tool;
        let sent = sent_before + bytes.len() as u64;
        self.count(|counts| counts.from_tool = sent);
        if self
            .faults
            .pull_after_bytes
            .is_some_and(|after| sent >= after)
        {
            self.faults.pull_after_bytes = None;
            self.pull();
            return Ok(());
        }
        if self
            .faults
            .stall_after_bytes
            .is_some_and(|after| sent >= after)
        {
            self.faults.stall_after_bytes = None;
            self.stalled_until = Some(Instant::now() + self.faults.stall_duration);
            self.count(|counts| counts.stalls += 1);
        }
        let (passed, pull) = self.frames(bytes, true);
        let delivered = self.noise(&passed, true);
        write_all(board, &delivered)?;
        if pull {
            self.pull();
        }
        Ok(())
    }

    /// Bytes the board sent: frame faults, noise, then to the tool if the cable is in.
    fn carry_to_tool(&mut self, bytes: &[u8]) -> Result<()> {
        if self.tool.is_none() {
            return Ok(());
        }
        let (passed, pull) = self.frames(bytes, false);
        let delivered = self.noise(&passed, false);
        if let Some(tool) = self.tool.as_mut() {
            if write_all(tool, &delivered).is_err() {
                self.tool = None;
            }
        }
        if pull {
            self.pull();
        }
        Ok(())
    }

    /// Frame faults (`LinkFaults::pass_frames`) in one direction; `true`: pull the cable once
    /// what passed is delivered.
    fn frames(&mut self, bytes: &[u8], to_board: bool) -> (Vec<u8>, bool) {
        let direction = if to_board {
            &mut self.to_board
        } else {
            &mut self.to_tool
        };
        let mut lost = 0;
        let (passed, pull) = self
            .faults
            .pass_frames(&mut direction.partial, bytes, &mut lost);
        self.counts.lock().expect("not poisoned").lost_frames += lost;
        if pull {
            self.to_board.partial.clear();
            self.to_tool.partial.clear();
        }
        (passed, pull)
    }

    /// Corruption, loss and insertion, byte by byte.
    fn noise(&mut self, bytes: &[u8], to_board: bool) -> Vec<u8> {
        let mut tally = NoiseTally::default();
        let random = if to_board {
            &mut self.random_to_board
        } else {
            &mut self.random_to_tool
        };
        let arrived = self.faults.noise.carry(bytes, random, &mut tally);
        self.count(|total| {
            total.corrupted += tally.corrupted;
            total.dropped += tally.dropped;
            total.inserted += tally.inserted;
        });
        arrived
    }

    /// The cable comes out: the tool's connection is closed (its next read or write fails);
    /// it is back when the tool connects again.
    fn pull(&mut self) {
        if let Some(tool) = self.tool.take() {
            let _ = tool.shutdown(std::net::Shutdown::Both);
        }
        self.count(|counts| counts.pulls += 1);
    }
}

/// Writes everything to a non-blocking socket (waiting while its buffer is full).
fn write_all(stream: &mut TcpStream, mut bytes: &[u8]) -> Result<()> {
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(0) => bail!("the connection closed"),
            Ok(count) => bytes = &bytes[count..],
            Err(error) if error.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}
