//! [`TwinLink`]: a `Transport` on the twin's serial port in modelled time, and the faults it
//! injects ([`LinkFaults`]): corruption, loss and insertion of bytes, a stall, a cable pull, a
//! frame lost by type.

use super::{PS_PER_SECOND, RUN_BUDGET};
use slingshot_flash_sim::SplitMix64;
use slingshot_protocol::frame::{DecodeEvent, FrameDecoder, DELIMITER};
use slingshot_protocol::host::{Transport, TransportError};
use slingshot_testkit::line::{LineNoise, NoiseTally};
use slingshot_twin::flash_controller::OperationKind;
use slingshot_twin::{Stop, Twin};
use std::collections::VecDeque;
use std::time::Duration;

/// Faults the link injects, from a fixed seed.
#[derive(Clone, Debug)]
pub struct LinkFaults {
    /// Byte corruption and loss, in each direction (the line model the protocol's link
    /// simulator uses too).
    pub noise: LineNoise,
    /// Cable pull: after this many host bytes written, the transport fails with
    /// `Disconnected` for `pull_duration` of modelled time (the board keeps running, its
    /// output is lost).
    pub pull_after_bytes: Option<u64>,
    /// Cable pull right after the first frame of this type (a request type, or a reply type
    /// with bit 7 set) has passed, for `pull_duration`.
    pub pull_after_frame_type: Option<u8>,
    /// How long the cable stays out.
    pub pull_duration: Duration,
    /// Stall: once this many host bytes have been written, the line carries nothing in
    /// either direction for `stall_duration` of modelled time (a busy USB host or hub); the
    /// bytes are delayed, not lost.
    pub stall_after_bytes: Option<u64>,
    /// How long the line stalls.
    pub stall_duration: Duration,
    /// Lose the first frame of this type (a request type, or a reply type with bit 7 set),
    /// whole, in whichever direction it travels.
    pub lose_frame_type: Option<u8>,
    /// Source of the faults.
    pub random: SplitMix64,
}

impl LinkFaults {
    /// A perfect link.
    pub fn none() -> Self {
        LinkFaults {
            noise: LineNoise::CLEAN,
            pull_after_bytes: None,
            pull_after_frame_type: None,
            pull_duration: Duration::ZERO,
            stall_after_bytes: None,
            stall_duration: Duration::ZERO,
            lose_frame_type: None,
            random: SplitMix64::new(0),
        }
    }

    /// A perfect link that loses the first frame of `frame_type`.
    pub fn losing(frame_type: u8) -> Self {
        LinkFaults {
            lose_frame_type: Some(frame_type),
            ..Self::none()
        }
    }

    /// Whether `frame` (one whole frame with its delimiter) is the one to lose; disarms.
    fn loses(&mut self, frame: &[u8]) -> bool {
        Self::matches(&mut self.lose_frame_type, frame)
    }

    /// Whether `frame` is the one after which the cable is pulled; disarms.
    fn pulls_after(&mut self, frame: &[u8]) -> bool {
        Self::matches(&mut self.pull_after_frame_type, frame)
    }

    /// Whether `frame` is of the `armed` type; disarms it if so.
    fn matches(armed: &mut Option<u8>, frame: &[u8]) -> bool {
        let Some(wanted) = *armed else {
            return false;
        };
        if frame_type_of(frame) == Some(wanted) {
            *armed = None;
            return true;
        }
        false
    }

    /// Passes `bytes` on (after what `pending` holds from earlier calls): while a frame fault
    /// is armed, whole frames only, up to each delimiter (text before a frame travels with
    /// it), losing the armed one (counted in `lost_frames`) or stopping right after the one the
    /// cable is pulled after (`true`: pull once these bytes are delivered; what follows is
    /// dropped); otherwise everything.
    pub fn pass_frames(
        &mut self,
        pending: &mut Vec<u8>,
        bytes: &[u8],
        lost_frames: &mut u64,
    ) -> (Vec<u8>, bool) {
        pending.extend_from_slice(bytes);
        if !self.watches_frames() {
            return (std::mem::take(pending), false);
        }
        let mut passed = Vec::new();
        while let Some(end) = pending.iter().position(|&byte| byte == DELIMITER) {
            let frame: Vec<u8> = pending.drain(..=end).collect();
            if self.loses(&frame) {
                *lost_frames += 1;
            } else {
                passed.extend_from_slice(&frame);
            }
            if self.pulls_after(&frame) {
                pending.clear();
                return (passed, true);
            }
        }
        if !self.watches_frames() {
            passed.append(pending);
        }
        (passed, false)
    }

    /// Whether the board's output is to be taken frame by frame (a frame is watched for).
    fn watches_frames(&self) -> bool {
        self.lose_frame_type.is_some() || self.pull_after_frame_type.is_some()
    }

    /// Apply corruption, loss and insertion to `bytes` (one direction).
    fn apply(&mut self, bytes: &[u8], counts: &mut FaultCounts) -> Vec<u8> {
        let mut tally = NoiseTally::default();
        let arrived = self.noise.carry(bytes, &mut self.random, &mut tally);
        counts.corrupted += tally.corrupted;
        counts.dropped += tally.dropped;
        counts.inserted += tally.inserted;
        arrived
    }
}

/// The type of the first frame that decodes in `bytes` (a frame with its delimiter).
fn frame_type_of(bytes: &[u8]) -> Option<u8> {
    let mut decoder = FrameDecoder::new();
    bytes.iter().find_map(|&byte| match decoder.push(byte) {
        DecodeEvent::FrameReady => decoder.frame().map(|frame| frame.frame_type),
        _ => None,
    })
}

/// What the link did to the bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Bytes corrupted.
    pub corrupted: u64,
    /// Bytes dropped.
    pub dropped: u64,
    /// Spurious bytes inserted.
    pub inserted: u64,
    /// Stalls of the line.
    pub stalls: u64,
    /// Bytes garbled by a baud-rate mismatch.
    pub garbled: u64,
    /// Transport calls refused during a cable pull.
    pub refused: u64,
    /// Whole frames lost on purpose (`LinkFaults::lose_frame_type`).
    pub lost_frames: u64,
}

/// A `Transport` on the twin's USART3 in modelled time.
pub struct TwinLink<'a> {
    twin: &'a mut Twin,
    host_baud: u32,
    /// Output bytes of the twin already taken into `to_host`.
    output_seen: usize,
    to_host: VecDeque<u8>,
    /// Modelled time added while the board slept with nothing to wake it.
    idle_ps: u64,
    start_ps: u64,
    faults: LinkFaults,
    /// Host bytes written so far.
    pub written: u64,
    pull_until_ps: Option<u64>,
    /// What the faults did.
    pub counts: FaultCounts,
    /// Stop at every flash operation to record erases (slower).
    pub track_erases: bool,
    /// Sectors whose erase started while the link ran, in order.
    pub erased_sectors: Vec<u8>,
    /// Flash operations that started while the link ran.
    pub flash_operations: u64,
    /// With `track_erases`: every operation seen, as (index since power-on, is an erase).
    pub operation_log: Vec<(u64, bool)>,
    /// The twin's operation count (since power-on) at the host's last write.
    pub operations_at_last_write: u64,
    /// The twin's count of bytes garbled by a rate mismatch when the link was made.
    garbled_at_start: u64,
    /// Board output after the last delimiter, while a reply is to be lost.
    partial_frame: Vec<u8>,
}

impl<'a> TwinLink<'a> {
    /// A link at 115200 baud (the reset rate) without faults.
    pub fn new(twin: &'a mut Twin) -> Self {
        Self::with_faults(twin, LinkFaults::none())
    }

    /// A link at 115200 baud with `faults`.
    pub fn with_faults(twin: &'a mut Twin, faults: LinkFaults) -> Self {
        let output_seen = twin.serial_output().len();
        let start_ps = twin.board().picoseconds();
        twin.set_line_baud(Some(115_200));
        let garbled_at_start = twin.board().serial.garbled;
        TwinLink {
            twin,
            host_baud: 115_200,
            output_seen,
            to_host: VecDeque::new(),
            idle_ps: 0,
            start_ps,
            faults,
            written: 0,
            pull_until_ps: None,
            counts: FaultCounts::default(),
            track_erases: false,
            erased_sectors: Vec::new(),
            flash_operations: 0,
            operation_log: Vec::new(),
            operations_at_last_write: 0,
            garbled_at_start,
            partial_frame: Vec::new(),
        }
    }

    /// Modelled time now (the twin's, plus time skipped while it slept).
    fn now_ps(&self) -> u64 {
        self.twin.board().picoseconds() + self.idle_ps
    }

    /// Take the board's new output, as the host UART receives it.
    fn collect_output(&mut self) {
        let output = self.twin.serial_output();
        if output.len() <= self.output_seen {
            return;
        }
        let fresh = output[self.output_seen..].to_vec();
        self.output_seen = output.len();
        self.counts.garbled = self.twin.board().serial.garbled - self.garbled_at_start;
        if self.pulled() {
            return;
        }
        // While a reply is to be lost or awaited for a cable pull, output is taken frame by
        // frame (up to each delimiter).
        let (fresh, pull) = self.faults.pass_frames(
            &mut self.partial_frame,
            &fresh,
            &mut self.counts.lost_frames,
        );
        if pull {
            // The frame arrived; the cable goes right after it, with what follows.
            self.pull_now();
        }
        let mut counts = self.counts;
        let delivered = self.faults.apply(&fresh, &mut counts);
        self.counts = counts;
        self.to_host.extend(delivered);
    }

    /// Pulls the cable now, for the faults' pull duration.
    fn pull_now(&mut self) {
        self.pull_until_ps =
            Some(self.now_ps() + self.faults.pull_duration.as_nanos() as u64 * 1000);
    }

    fn pulled(&self) -> bool {
        self.pull_until_ps
            .is_some_and(|until| self.now_ps() < until)
    }

    /// Run the twin until `deadline_ps` or until `done` holds; output is collected each stop.
    fn run_until_time(
        &mut self,
        deadline_ps: u64,
        mut done: impl FnMut(&Self) -> bool,
    ) -> Result<(), TransportError> {
        loop {
            self.collect_output();
            if done(self) || self.now_ps() >= deadline_ps {
                return Ok(());
            }
            let seen = self.output_seen;
            let twin_deadline = deadline_ps - self.idle_ps;
            let input_pending = !self.twin.board().serial.input.is_empty();
            let operations = self.twin.board().flash.operations_started;
            let track = self.track_erases;
            let stop = self
                .twin
                .run_until(RUN_BUDGET, |twin| {
                    twin.serial_output().len() > seen
                        || twin.board().picoseconds() >= twin_deadline
                        || (input_pending && twin.board().serial.input.is_empty())
                        || (track && twin.board().flash.operations_started != operations)
                })
                .map_err(|error| TransportError::Io(std::io::Error::other(error.to_string())))?;
            let started = self.twin.board().flash.operations_started;
            if started > operations {
                self.flash_operations += started - operations;
            }
            if let Some(operation) = &self.twin.board().flash.operation {
                if track && started != operations {
                    let erase = matches!(operation.kind, OperationKind::Erase { .. });
                    self.operation_log.push((operation.index, erase));
                    if let OperationKind::Erase { sectors } = &operation.kind {
                        self.erased_sectors.extend(sectors);
                    }
                }
            }
            match stop {
                Stop::Condition | Stop::InstructionLimit => {}
                Stop::Asleep => {
                    self.collect_output();
                    let now = self.now_ps();
                    if now < deadline_ps {
                        self.idle_ps += deadline_ps - now;
                    }
                }
                Stop::PowerLost => {
                    return Err(TransportError::Io(std::io::Error::other("power lost")))
                }
                Stop::Breakpoint => {
                    return Err(TransportError::Io(std::io::Error::other(
                        "the board hit a breakpoint",
                    )))
                }
            }
        }
    }

    /// Let `duration` of modelled time pass (the host does nothing).
    pub fn idle(&mut self, duration: Duration) -> Result<(), TransportError> {
        let deadline = self.now_ps() + duration.as_nanos() as u64 * 1000;
        self.run_until_time(deadline, |_| false)
    }

    /// Bytes received and not read yet (e.g. a banner after `flash` returned).
    pub fn received_text(&mut self) -> String {
        self.collect_output();
        String::from_utf8_lossy(&self.to_host.drain(..).collect::<Vec<_>>()).into_owned()
    }
}

impl Transport for TwinLink<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        if let (Some(after), None) = (self.faults.pull_after_bytes, self.pull_until_ps) {
            if self.written + bytes.len() as u64 >= after {
                self.pull_now();
            }
        }
        if self.pulled() {
            self.counts.refused += 1;
            return Err(TransportError::Disconnected);
        }
        if let Some(after) = self.faults.stall_after_bytes {
            if self.written + bytes.len() as u64 >= after {
                // The line holds these bytes (and carries nothing back) for the stall.
                self.faults.stall_after_bytes = None;
                self.counts.stalls += 1;
                // What the board sends meanwhile waits for the host's next read.
                self.idle(self.faults.stall_duration)?;
            }
        }
        self.written += bytes.len() as u64;
        self.operations_at_last_write = self.twin.board().flash.operations_started;
        if self.faults.loses(bytes) {
            self.counts.lost_frames += 1;
            return Ok(());
        }
        let mut counts = self.counts;
        let sent = self.faults.apply(bytes, &mut counts);
        self.counts = counts;
        self.twin.send_serial(&sent);
        if self.faults.pulls_after(bytes) {
            self.pull_now();
        }
        Ok(())
    }

    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if self.pulled() {
            self.counts.refused += 1;
            // Time passes while the port is gone (as a real read would block, then fail).
            self.idle(timeout.min(Duration::from_millis(100)))?;
            return Err(TransportError::Disconnected);
        }
        let deadline = self.now_ps() + timeout.as_nanos() as u64 * 1000;
        self.run_until_time(deadline, |link| !link.to_host.is_empty())?;
        let count = buffer.len().min(self.to_host.len());
        for (slot, byte) in buffer.iter_mut().zip(self.to_host.drain(..count)) {
            *slot = byte;
        }
        Ok(count)
    }

    fn flush(&mut self) -> Result<(), TransportError> {
        let deadline = self.now_ps() + 10 * PS_PER_SECOND;
        self.run_until_time(deadline, |link| link.twin.board().serial.input.is_empty())
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), TransportError> {
        self.host_baud = baud;
        self.twin.set_line_baud(Some(baud));
        Ok(())
    }

    fn baud(&self) -> u32 {
        self.host_baud
    }

    fn elapsed(&self) -> Duration {
        Duration::from_nanos((self.now_ps() - self.start_ps) / 1000)
    }
}

/// Lends a link to `flash` (which takes its transport by value) and keeps its counters.
impl Transport for &mut TwinLink<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        (**self).write(bytes)
    }

    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        (**self).read(buffer, timeout)
    }

    fn flush(&mut self) -> Result<(), TransportError> {
        (**self).flush()
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), TransportError> {
        (**self).set_baud(baud)
    }

    fn baud(&self) -> u32 {
        (**self).baud()
    }

    fn elapsed(&self) -> Duration {
        (**self).elapsed()
    }
}
