//! One image transfer on the device: resume point, erase-ahead, writing in order and out of
//! order (selective acknowledgement), acknowledgements with credit.
//!
//! Invariants (documented in `docs/PROTOCOL.md`):
//! - `contiguous`: every image byte below it is in flash and correct.
//! - `prepared_end`: every erase unit below it was erased in this session,
//!   except the unit holding the resume point, whose words are checked one by one.
//! - The only durable state is flash itself: after a power cut, the host finds the longest
//!   prefix whose CRC matches and resumes there.

use super::handler::{DeviceHandler, Refusal};
use crate::error::ErrorCode;
use crate::frame::{CRC32, MAX_DATA_PAYLOAD};
use crate::message::{ack_flags, Ack, UpdateAccepted};

/// State of the transfer announced by the last start request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Transfer {
    pub(super) image_size: u32,
    pub(super) contiguous: u32,
    prepared_end: u32,
    window: u32,
    resumed: bool,
    gap_reported_at: Option<u32>,
    /// Selective acknowledgement: bit i set = the 1 KB chunk number `contiguous / 1 KB + 1 + i`
    /// is written (received out of order; flash is the reorder buffer). Out-of-order chunks are
    /// taken only while `contiguous` is on the grid; in-order frames may be of any length.
    received: u32,
}

/// Chunk size of the selective-acknowledgement grid (the data payload size).
const CHUNK: u32 = MAX_DATA_PAYLOAD as u32;

/// What comparing a chunk with flash found.
enum Comparison {
    /// Every word is erased or already equal: program the ones that differ.
    Writable,
    /// A word holds different, non-erased content at this offset.
    Conflict(u32),
}

impl Transfer {
    /// Starts a transfer: finds the written prefix in flash and its checksum.
    pub(super) fn start<H: DeviceHandler>(
        handler: &mut H,
        image_size: u32,
        window: u32,
    ) -> Result<(Self, UpdateAccepted), Refusal> {
        let mut prefix_end = 0u32;
        let mut digest = CRC32.digest();
        let mut buffer = [0u8; MAX_DATA_PAYLOAD];
        while prefix_end < image_size {
            let length = (image_size - prefix_end).min(MAX_DATA_PAYLOAD as u32) as usize;
            handler.read(prefix_end, &mut buffer[..length])?;
            if buffer[..length].iter().all(|&byte| byte == H::ERASED_VALUE) {
                break;
            }
            digest.update(&buffer[..length]);
            prefix_end += length as u32;
        }
        let transfer = Self {
            image_size,
            contiguous: 0,
            prepared_end: 0,
            window,
            resumed: false,
            gap_reported_at: None,
            received: 0,
        };
        let accepted = UpdateAccepted {
            window,
            max_data: MAX_DATA_PAYLOAD as u16,
            write_size: H::WRITE_SIZE as u16,
            prefix_end,
            prefix_checksum: digest.finalize(),
        };
        Ok((transfer, accepted))
    }

    pub(super) fn is_complete(&self) -> bool {
        self.resumed && self.contiguous >= self.image_size
    }

    fn ack(&self, flags: u8) -> Ack {
        let complete = if self.is_complete() {
            ack_flags::COMPLETE
        } else {
            0
        };
        Ack {
            contiguous: self.contiguous,
            credit_limit: self
                .contiguous
                .saturating_add(self.window)
                .min(self.image_size),
            flags: flags | complete,
            received: self.received,
        }
    }

    /// Sets the point the host continues from. The host checked (by checksum) that the
    /// bytes below `offset` are right; the device only rounds it down to the write size.
    pub(super) fn resume<H: DeviceHandler>(
        &mut self,
        handler: &mut H,
        offset: u32,
    ) -> Result<Ack, Refusal> {
        if offset > self.image_size {
            return Err(Refusal::with_detail(ErrorCode::OffsetOutOfRange, offset));
        }
        let offset = offset - offset % H::WRITE_SIZE;
        let unit = handler.erase_unit(offset.min(self.image_size.saturating_sub(1)));
        let unit = unit.ok_or(Refusal::with_detail(ErrorCode::OffsetOutOfRange, offset))?;
        self.contiguous = offset;
        // The unit holding a mid-unit resume point keeps its written words; a resume point at
        // a unit start gets the unit erased like any other.
        self.prepared_end = if offset > unit.offset {
            unit.end()
        } else {
            offset
        };
        self.resumed = true;
        self.gap_reported_at = None;
        self.received = 0;
        Ok(self.ack(0))
    }

    /// Erases the next unit if it lies within two windows of `contiguous`.
    pub(super) fn erase_ahead<H: DeviceHandler>(
        &mut self,
        handler: &mut H,
        window: u32,
    ) -> Result<(), ErrorCode> {
        let horizon = self
            .contiguous
            .saturating_add(window.saturating_mul(2))
            .min(self.image_size);
        if self.resumed && self.prepared_end < horizon {
            self.prepare_next_unit(handler)?;
        }
        Ok(())
    }

    fn prepare_next_unit<H: DeviceHandler>(&mut self, handler: &mut H) -> Result<(), ErrorCode> {
        let unit = handler
            .erase_unit(self.prepared_end)
            .ok_or(ErrorCode::OffsetOutOfRange)?;
        if !(H::SKIP_BLANK_UNITS && handler.is_erased(unit.offset, unit.size)?) {
            handler.erase(unit)?;
        }
        self.prepared_end = unit.end();
        Ok(())
    }

    /// Handles a data frame.
    pub(super) fn data<H: DeviceHandler>(
        &mut self,
        handler: &mut H,
        offset: u32,
        data: &[u8],
    ) -> Result<Ack, Refusal> {
        if !self.resumed {
            return Err(Refusal::new(ErrorCode::WrongState));
        }
        if offset % H::WRITE_SIZE != 0 {
            return Err(Refusal::with_detail(ErrorCode::Misaligned, offset));
        }
        let end = offset.saturating_add(data.len() as u32);
        if end > self.image_size {
            return Err(Refusal::with_detail(ErrorCode::OffsetOutOfRange, end));
        }
        if offset > self.contiguous {
            return self.out_of_order(handler, offset, data);
        }
        if end <= self.contiguous {
            return Ok(self.ack(0)); // a duplicate: already written
        }
        let start = self.contiguous;
        let new_part = &data[(start - offset) as usize..];
        if self.write(handler, start, new_part)? {
            return Ok(self.ack(ack_flags::REWOUND));
        }
        self.contiguous = end;
        self.gap_reported_at = None;
        // Bit i of `received` stands for the chunk `contiguous / CHUNK + 1 + i`. Frames shorter
        // than a chunk (a host shrinks them on a noisy line) may leave the prefix inside a
        // chunk: move the bits along by the chunks the prefix crossed; if the chunk it ends in
        // (or starts, on the grid) was written out of order, the prefix covers it, and the
        // chunks after it written so too.
        let crossed = end / CHUNK - start / CHUNK;
        if crossed > 0 {
            let holding = self.received.checked_shr(crossed - 1).unwrap_or(0) & 1 != 0;
            self.received = self.received.checked_shr(crossed).unwrap_or(0);
            if holding {
                self.contiguous = ((end / CHUNK + 1) * CHUNK).min(self.image_size);
                loop {
                    let next_written = self.received & 1 != 0;
                    self.received >>= 1;
                    if !next_written {
                        break;
                    }
                    self.contiguous = self.contiguous.saturating_add(CHUNK).min(self.image_size);
                }
            }
        }
        Ok(self.ack(0))
    }

    /// A frame beyond `contiguous`: a frame before it was lost. A whole chunk on the 1 KB grid
    /// within the credit window is written right away and marked in `received` (selective
    /// acknowledgement); anything else is dropped. The first frame after a loss sets GAP.
    fn out_of_order<H: DeviceHandler>(
        &mut self,
        handler: &mut H,
        offset: u32,
        data: &[u8],
    ) -> Result<Ack, Refusal> {
        let first_report = self.gap_reported_at != Some(self.contiguous);
        self.gap_reported_at = Some(self.contiguous);
        let flags = if first_report { ack_flags::GAP } else { 0 };
        let end = offset + data.len() as u32;
        let whole_chunk = data.len() as u32 == CHUNK || end == self.image_size;
        let on_grid = self.contiguous % CHUNK == 0 && offset % CHUNK == 0;
        let within_credit = end <= self.contiguous.saturating_add(self.window);
        let index = (offset - self.contiguous) / CHUNK;
        if !(whole_chunk && on_grid && within_credit) || index == 0 || index > 32 {
            return Ok(self.ack(flags));
        }
        let bit = 1u32 << (index - 1);
        if self.received & bit != 0 {
            return Ok(self.ack(flags)); // a duplicate of a chunk already written
        }
        if self.write(handler, offset, data)? {
            return Ok(self.ack(flags | ack_flags::REWOUND));
        }
        self.received |= bit;
        Ok(self.ack(flags))
    }

    /// Writes `data` at `offset` (at or beyond `contiguous`); returns `true` if `contiguous`
    /// moved back. Re-erasing a unit forgets the out-of-order chunks (they are resent, and
    /// words already right are then skipped).
    fn write<H: DeviceHandler>(
        &mut self,
        handler: &mut H,
        offset: u32,
        data: &[u8],
    ) -> Result<bool, Refusal> {
        let end = offset + data.len() as u32;
        while self.prepared_end < end {
            self.prepare_next_unit(handler)?;
        }
        let word = H::WRITE_SIZE as usize;
        let padded_length = data.len().div_ceil(word) * word;
        let mut wanted = [H::ERASED_VALUE; MAX_DATA_PAYLOAD];
        wanted[..data.len()].copy_from_slice(data);
        let wanted = &wanted[..padded_length];
        let mut present = [0u8; MAX_DATA_PAYLOAD];
        let present = &mut present[..padded_length];
        for _attempt in 0..3 {
            handler.read(offset, present)?;
            match compare(wanted, present, word, H::ERASED_VALUE) {
                Comparison::Writable => {
                    program_differing_runs(handler, offset, wanted, present, word)?;
                    return Ok(false);
                }
                Comparison::Conflict(relative) => {
                    // Left over from an interrupted write or an older image: erase its unit again.
                    let unit = handler
                        .erase_unit(offset + relative)
                        .ok_or(ErrorCode::OffsetOutOfRange)?;
                    handler.erase(unit)?;
                    self.received = 0;
                    if unit.offset < self.contiguous {
                        self.contiguous = unit.offset;
                        self.gap_reported_at = None;
                        return Ok(true);
                    }
                }
            }
        }
        Err(Refusal::with_detail(ErrorCode::NotErased, offset))
    }
}

/// Programs `data` (a multiple of the write size, at most [`MAX_DATA_PAYLOAD`] bytes) at
/// `offset` without ever programming a word twice: words that already hold their content are
/// skipped (a host that resends a write whose acknowledgement it lost), erased words are
/// programmed, and a word holding other content refuses the whole write with `NotErased`
/// (detail = the offset of the write) before anything is programmed.
pub fn program_once<H: DeviceHandler>(
    handler: &mut H,
    offset: u32,
    data: &[u8],
) -> Result<(), Refusal> {
    let word = H::WRITE_SIZE as usize;
    let mut present = [0u8; MAX_DATA_PAYLOAD];
    let present = &mut present[..data.len()];
    handler.read(offset, present)?;
    match compare(data, present, word, H::ERASED_VALUE) {
        Comparison::Writable => Ok(program_differing_runs(
            handler, offset, data, present, word,
        )?),
        Comparison::Conflict(_) => Err(Refusal::with_detail(ErrorCode::NotErased, offset)),
    }
}

fn compare(wanted: &[u8], present: &[u8], word: usize, erased: u8) -> Comparison {
    for (index, (wanted_word, present_word)) in
        wanted.chunks(word).zip(present.chunks(word)).enumerate()
    {
        if wanted_word != present_word && present_word.iter().any(|&byte| byte != erased) {
            return Comparison::Conflict((index * word) as u32);
        }
    }
    Comparison::Writable
}

/// Programs the runs of words whose flash content differs from the wanted content (all erased).
fn program_differing_runs<H: DeviceHandler>(
    handler: &mut H,
    offset: u32,
    wanted: &[u8],
    present: &[u8],
    word: usize,
) -> Result<(), ErrorCode> {
    let words = wanted.len() / word;
    let differs = |index: usize| {
        wanted[index * word..(index + 1) * word] != present[index * word..(index + 1) * word]
    };
    let mut index = 0;
    while index < words {
        if !differs(index) {
            index += 1;
            continue;
        }
        let run_start = index;
        while index < words && differs(index) {
            index += 1;
        }
        let (from, to) = (run_start * word, index * word);
        handler.program(offset + from as u32, &wanted[from..to])?;
    }
    Ok(())
}
