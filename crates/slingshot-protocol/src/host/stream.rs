//! The host's data stream: sliding window within the device's credit, selective retransmission
//! of chunks the acknowledgements show missing, go-back-N on timeout, and pacing of writes.
//!
//! Frame size: data frames start at the device's chunk (1 KB) and halve after losses (an
//! acknowledgement of a frame the device dropped, selective retransmissions close together, a
//! timeout) down to [`SMALLEST_FRAME`], and
//! double again after [`CLEAN_FRAMES_TO_GROW`] frames acknowledged without a loss, as ZMODEM
//! does: on a noisy line a short frame is more likely to arrive intact, and fewer bytes are in
//! flight behind a loss. Frames shorter than a chunk are accepted by the device only in order,
//! so a loss of one is recovered by going back to the last acknowledged byte.
//!
//! Pacing: a serial port's `write` returns as soon as the bytes are in the operating system's
//! buffer. The host keeps at most [`QUEUED_FRAMES`] frames queued beyond what the line has
//! already carried (estimated from the baud rate), so that a retransmission goes out promptly
//! instead of behind a whole window of queued frames. Pacing never lowers the rate: the line
//! stays busy as long as there is credit.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use std::vec;
use std::vec::Vec;

use super::error::HostError;
use super::session::{refusal, HostSession, TransferReport};
use super::transport::Transport;
use crate::frame::{encoded_size, CRC_SIZE, HEADER_SIZE};
use crate::message::{ack_flags, Ack, Reply, Request, UpdateAccepted};

/// Frames the host keeps queued ahead of the line.
const QUEUED_FRAMES: u32 = 2;

/// The shortest data frame payload the host shrinks to.
pub const SMALLEST_FRAME: u32 = 64;

/// Frames acknowledged without a loss after which the frame size doubles.
pub const CLEAN_FRAMES_TO_GROW: u32 = 8;

/// With whole chunks, losses are recovered selectively and cost little: the frames shrink only
/// when a loss follows the previous one within this many chunks acknowledged (a noisy line,
/// where most chunks carry an error).
pub const DENSE_LOSS_CHUNKS: u32 = 2;

/// Sender state of one transfer.
struct Sender {
    image_size: u32,
    chunk: u32,
    /// Payload bytes per data frame now: `chunk`, or a power-of-two fraction of it.
    frame: u32,
    /// Bytes acknowledged since the last loss.
    clean: u32,
    /// The smallest divisor of `chunk` frames may shrink to (a multiple of the write size).
    smallest: u32,
    acknowledged: u32,
    credit: u32,
    next: u32,
    /// Serial number of the last transmission of each chunk in flight.
    transmissions: BTreeMap<u32, u64>,
    /// The frame each sequence number carried last: offset and transmission serial.
    by_sequence: Vec<Option<(u32, u64)>>,
    /// The transmission serial at the last go-back: acknowledgements of frames sent before it
    /// say nothing new about losses.
    went_back_at: u64,
    retransmit: BTreeSet<u32>,
    serial: u64,
    /// When the bytes written so far will all be on the line.
    queue_empty_at: Duration,
}

impl Sender {
    /// The next chunk to send (retransmissions first) and its length.
    fn pick(&mut self) -> Option<(u32, u32)> {
        while let Some(offset) = self.retransmit.pop_first() {
            if offset >= self.acknowledged {
                return Some((offset, self.length_at(offset, self.image_size)));
            }
        }
        let limit = self.credit.min(self.image_size);
        if self.next < limit {
            let length = self.length_at(self.next, limit);
            return Some((self.next, length));
        }
        None
    }

    /// Bytes from `offset` to the end of its frame on the grid of the current frame size,
    /// capped at `limit`.
    fn length_at(&self, offset: u32, limit: u32) -> u32 {
        (self.frame - offset % self.frame).min(limit - offset)
    }

    /// A loss: with whole chunks, shrink only when losses come close together; with shorter
    /// frames, always.
    fn on_loss(&mut self, report: &mut TransferReport) {
        if self.frame < self.chunk || self.clean < self.chunk * DENSE_LOSS_CHUNKS {
            self.shrink(report);
        } else {
            self.clean = 0;
        }
    }

    /// Halve the frame (frames shorter than a chunk are taken only in order, so what is in
    /// flight beyond the acknowledged prefix is sent again).
    fn shrink(&mut self, report: &mut TransferReport) {
        if self.frame > self.smallest {
            self.frame /= 2;
            let acknowledged = self.acknowledged;
            self.go_back(acknowledged);
        }
        self.clean = 0;
        report.smallest_frame = report.smallest_frame.min(self.frame);
    }

    /// `bytes` more acknowledged without a loss: double the frame after enough of them.
    fn clean_progress(&mut self, bytes: u32) {
        self.clean = self.clean.saturating_add(bytes);
        if self.frame < self.chunk && self.clean >= self.frame * CLEAN_FRAMES_TO_GROW {
            self.frame *= 2;
            self.clean = 0;
        }
    }

    fn has_work(&self) -> bool {
        !self.retransmit.is_empty() || self.next < self.credit.min(self.image_size)
    }

    fn go_back(&mut self, offset: u32) {
        self.acknowledged = offset;
        self.next = offset;
        self.transmissions.clear();
        self.retransmit.clear();
        self.went_back_at = self.serial;
    }

    /// Whether the frame the acknowledgement with `sequence` answers was dropped by the
    /// device: sent after the last go-back, beyond the prefix, and not kept out of order (the
    /// device keeps only whole chunks on the grid, and only with whole-chunk frames). Every
    /// such acknowledgement shows the loss, so one lost gap report costs nothing.
    fn dropped(&self, sequence: u8, ack: &Ack) -> bool {
        let Some(Some((offset, serial))) = self.by_sequence.get(usize::from(sequence)) else {
            return false;
        };
        let kept = self.frame == self.chunk
            && ack.received != 0
            && offset % self.chunk == 0
            && offset.checked_sub(ack.contiguous).is_some_and(|distance| {
                let index = distance / self.chunk;
                (1..=32).contains(&index) && ack.received & (1 << (index - 1)) != 0
            });
        *serial > self.went_back_at && *offset > ack.contiguous && !kept
    }

    /// Applies the acknowledgement with `sequence`; returns `true` if `contiguous` advanced.
    fn on_ack(&mut self, ack: &Ack, sequence: u8, report: &mut TransferReport) -> bool {
        let dropped = self.dropped(sequence, ack);
        if ack.flags & ack_flags::REWOUND != 0 {
            report.gaps += 1;
            self.go_back(ack.contiguous);
            self.credit = ack.credit_limit;
            return false;
        }
        let advanced = ack.contiguous > self.acknowledged;
        if advanced {
            self.clean_progress(ack.contiguous - self.acknowledged);
        }
        self.acknowledged = self.acknowledged.max(ack.contiguous);
        self.credit = ack.credit_limit;
        self.next = self.next.max(self.acknowledged);
        let acknowledged = self.acknowledged;
        self.transmissions
            .retain(|&offset, _| offset >= acknowledged);
        if ack.received != 0 && ack.contiguous == self.acknowledged && self.frame == self.chunk {
            if self.select_missing(ack.received) {
                self.on_loss(report);
            }
        } else if dropped {
            // The device dropped a frame after a loss without keeping it: go back (with
            // shorter frames when losses come close together).
            report.gaps += 1;
            let acknowledged = self.acknowledged;
            self.go_back(acknowledged);
            self.on_loss(report);
        }
        advanced
    }

    /// Queues for retransmission every chunk below the highest one received whose last
    /// transmission went out before that one's (the link keeps order, so it was lost);
    /// returns whether one was.
    fn select_missing(&mut self, received: u32) -> bool {
        let highest = 31 - received.leading_zeros();
        let highest_offset = self.acknowledged + (highest + 1) * self.chunk;
        let Some(&highest_serial) = self.transmissions.get(&highest_offset) else {
            return false;
        };
        let mut any = false;
        let mut offset = self.acknowledged;
        while offset < highest_offset {
            let index = (offset - self.acknowledged) / self.chunk;
            let is_received = index > 0 && received & (1 << (index - 1)) != 0;
            let lost = self
                .transmissions
                .get(&offset)
                .is_some_and(|&serial| serial < highest_serial);
            if !is_received && lost {
                any |= self.retransmit.insert(offset);
            }
            offset += self.chunk;
        }
        any
    }
}

impl<T: Transport> HostSession<T> {
    /// Streams `image` from the first acknowledgement until every byte is acknowledged.
    pub(super) fn stream(
        &mut self,
        image: &[u8],
        accepted: &UpdateAccepted,
        first_ack: Ack,
        report: &mut TransferReport,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), HostError> {
        let chunk = u32::from(accepted.max_data)
            .max(u32::from(accepted.write_size))
            .max(1);
        // Halving keeps frames on the write size's grid while they divide the chunk.
        let write_size = u32::from(accepted.write_size).max(1);
        let mut smallest = chunk;
        while smallest / 2 >= SMALLEST_FRAME.max(write_size)
            && smallest % 2 == 0
            && (smallest / 2) % write_size == 0
        {
            smallest /= 2;
        }
        report.smallest_frame = match report.smallest_frame {
            0 => chunk,
            smallest => smallest.min(chunk),
        };
        let mut sender = Sender {
            image_size: image.len() as u32,
            chunk,
            frame: chunk,
            clean: 0,
            smallest,
            acknowledged: first_ack.contiguous,
            credit: first_ack.credit_limit,
            next: first_ack.contiguous,
            transmissions: BTreeMap::new(),
            by_sequence: vec![None; 256],
            went_back_at: 0,
            retransmit: BTreeSet::new(),
            serial: 0,
            queue_empty_at: self.transport.elapsed(),
        };
        let mut retries = 0;
        let mut last_event = self.transport.elapsed();
        let mut probe_sent = false;
        // When everything sent should have been acknowledged (the last frame processed and
        // its Ack back), resend the first missing chunk once: this recovers a lost last frame
        // or a lost retransmission without waiting for the stall timeout.
        while sender.acknowledged < sender.image_size {
            let frame_time = self
                .wire_time(encoded_size(HEADER_SIZE + 4 + sender.frame as usize + CRC_SIZE) as u64);
            let probe_delay = frame_time * 2 + Duration::from_millis(50);
            self.send_paced(image, &mut sender, frame_time * QUEUED_FRAMES, report)?;
            let now = self.transport.elapsed();
            let stall_deadline =
                last_event.max(sender.queue_empty_at) + self.config.stall_allowance;
            let probe_at = sender.queue_empty_at.max(last_event) + probe_delay;
            let probe_due = !probe_sent && !sender.has_work() && sender.next > sender.acknowledged;
            let wake = if sender.has_work() {
                stall_deadline.min(
                    sender
                        .queue_empty_at
                        .saturating_sub(frame_time * QUEUED_FRAMES)
                        .max(now),
                )
            } else if probe_due {
                stall_deadline.min(probe_at)
            } else {
                stall_deadline
            };
            match self.next_reply(wake)? {
                Some((sequence, Reply::Ack(ack))) => {
                    let advanced = sender.on_ack(&ack, sequence, report);
                    if advanced {
                        retries = 0;
                        probe_sent = false;
                        last_event = self.transport.elapsed();
                        progress(u64::from(sender.acknowledged), u64::from(sender.image_size));
                    }
                }
                None if probe_due
                    && self.transport.elapsed() >= probe_at
                    && self.transport.elapsed() < stall_deadline =>
                {
                    // No evidence of a loss (a sector erase stalls the device too): the frame
                    // size stays.
                    probe_sent = true;
                    report.probes += 1;
                    sender.retransmit.insert(sender.acknowledged);
                }
                Some((_, Reply::Error(error))) => return Err(refusal(error, sender.image_size)),
                Some(_) => {} // a late reply to an earlier command
                None if self.transport.elapsed() >= stall_deadline => {
                    retries += 1;
                    report.timeouts += 1;
                    if retries > self.config.retry_budget {
                        return Err(HostError::RetryBudgetExhausted {
                            offset: sender.acknowledged,
                            retries: retries - 1,
                        });
                    }
                    let acknowledged = sender.acknowledged;
                    sender.go_back(acknowledged);
                    sender.shrink(report);
                    last_event = self.transport.elapsed();
                }
                None => {} // time to send more
            }
        }
        Ok(())
    }

    /// Sends chunks while fewer than `backlog` worth of bytes wait for the line.
    fn send_paced(
        &mut self,
        image: &[u8],
        sender: &mut Sender,
        backlog: Duration,
        report: &mut TransferReport,
    ) -> Result<(), HostError> {
        loop {
            let now = self.transport.elapsed();
            if sender.queue_empty_at > now + backlog {
                return Ok(());
            }
            let Some((offset, length)) = sender.pick() else {
                return Ok(());
            };
            let data = &image[offset as usize..(offset + length) as usize];
            let sequence = self.send(&Request::Data { offset, data })?;
            sender.serial += 1;
            sender.transmissions.insert(offset, sender.serial);
            sender.by_sequence[usize::from(sequence)] = Some((offset, sender.serial));
            report.data_bytes_sent += u64::from(length);
            let wire = encoded_size(HEADER_SIZE + 4 + length as usize + CRC_SIZE) as u64;
            sender.queue_empty_at = sender.queue_empty_at.max(now) + self.wire_time(wire);
            sender.next = sender.next.max(offset + length);
        }
    }
}
