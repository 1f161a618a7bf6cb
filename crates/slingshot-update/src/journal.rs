//! The update-state journal: write-once, self-checking records in two (or more) flash sectors
//! used in turn. Every record is a complete snapshot of [`UpdateState`], so the newest valid
//! record *is* the state; there is nothing to replay.
//!
//! # Record format (32 bytes, little-endian)
//!
//! | offset | size | field | meaning |
//! |--------|------|-------|---------|
//! | 0  | 1 | format | [`RECORD_FORMAT`] (`0x01`) |
//! | 1  | 1 | phase | [`Phase`] number |
//! | 2  | 1 | sector count | slot sectors the current install/revert swaps |
//! | 3  | 1 | flags | 1: the primary held a valid image before the install (a revert is possible); 0 otherwise; any other value is not a record |
//! | 4  | 2 | completed steps | swap steps done (3 per sector: primary→scratch, secondary→primary, scratch→secondary) |
//! | 6  | 1 | refusal | code of the last refused image ([`Refusal::code`](crate::Refusal::code)), 0 if none |
//! | 7  | 1 | reserved | 0 (any other value is not a record) |
//! | 8  | 4 | minimum security counter | anti-rollback minimum |
//! | 12 | 4 | candidate security counter | security counter of the image being installed / on trial |
//! | 16 | 4 | sequence | increases by one per record; the highest valid one is the state |
//! | 20 | 4 | CRC | CRC-32 (ISO-HDLC) of bytes 0–19 |
//! | 24 | 4 | commit | [`COMMIT_MAGIC`] |
//! | 28 | 4 | commit complement | `!COMMIT_MAGIC` |
//!
//! Bytes 0–15 are written in one program operation, bytes 16–31 in a second one. A record
//! counts only when the commit words are intact and the CRC matches. A program torn by a power
//! cut applies a strict subset of its bit changes, so a torn second write never leaves both
//! commit words equal to their targets (neither word contains a byte equal to the erased value,
//! 0xFF or 0x00, so every byte has changes to tear), and a torn first write is never followed
//! by a second one. Random or half-erased content passes the commit and CRC checks with a
//! probability of about 2⁻⁹⁶.
//!
//! # Placement
//!
//! Records are appended to the next slot after the last non-erased one in the active sector
//! (the sector holding the highest sequence). A slot holding a torn record is skipped, never
//! rewritten. When the active sector is full, the next sector is erased and the current state
//! is written into its first slot with the next sequence number (compaction). That is
//! power-safe: until the new record is committed the old sector holds the highest sequence.
//! The only erases are this compaction (once per `sector size / 32` records: 512 records per
//! 16 KB sector) and formatting a state area that holds no valid record at all.

use crate::{DualSlotConfiguration, FlashFailure};
use embedded_storage::nor_flash::NorFlash;
/// The record checksum: CRC-32/ISO-HDLC over the first 20 bytes (bit by bit with `small-crc`).
use slingshot_checksum::CRC32 as CHECKSUM;

/// Size of one record in bytes.
pub const RECORD_SIZE: u32 = 32;

/// Records [`Journal::open`] reads at a time (a 256-byte stack buffer).
const RECORDS_PER_READ: u32 = 8;

/// Whether every byte of `record` is the erased value, compared a word at a time.
fn is_erased(record: &[u8], erased: u8) -> bool {
    let erased_word = u32::from_ne_bytes([erased; 4]);
    record
        .chunks_exact(4)
        .all(|word| u32::from_ne_bytes([word[0], word[1], word[2], word[3]]) == erased_word)
}
/// Value of the format byte.
pub const RECORD_FORMAT: u8 = 0x01;
/// The commit word.
pub const COMMIT_MAGIC: u32 = 0x5A17_C0DE;

/// Where the update process stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No update has happened (factory state) or the state area was just formatted.
    Idle,
    /// The secondary slot holds an image the application marked for installation.
    Pending,
    /// Swapping the slots to install the pending image.
    Installing,
    /// The install finished; the new image has not booted yet.
    Trial,
    /// The new image booted once on trial and has not been confirmed.
    TrialRunning,
    /// Swapping the slots back because the trial image was not confirmed.
    Reverting,
    /// The trial image was not confirmed; the previous image is back.
    Reverted,
    /// The running image was confirmed by the application.
    Confirmed,
    /// The last pending image was refused (see [`UpdateState::refusal`]).
    Refused,
}

impl Phase {
    const fn number(self) -> u8 {
        match self {
            Phase::Idle => 1,
            Phase::Pending => 2,
            Phase::Installing => 3,
            Phase::Trial => 4,
            Phase::TrialRunning => 5,
            Phase::Reverting => 6,
            Phase::Reverted => 7,
            Phase::Confirmed => 8,
            Phase::Refused => 9,
        }
    }

    const fn from_number(number: u8) -> Option<Phase> {
        Some(match number {
            1 => Phase::Idle,
            2 => Phase::Pending,
            3 => Phase::Installing,
            4 => Phase::Trial,
            5 => Phase::TrialRunning,
            6 => Phase::Reverting,
            7 => Phase::Reverted,
            8 => Phase::Confirmed,
            9 => Phase::Refused,
            _ => return None,
        })
    }
}

/// The complete update state; one journal record holds one snapshot of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateState {
    /// Where the update process stands.
    pub phase: Phase,
    /// Slot sectors the current (or last) install swaps.
    pub sector_count: u8,
    /// The primary held a valid image before the install, so a revert is possible.
    pub has_fallback: bool,
    /// Swap steps done in the current install or revert.
    pub completed_steps: u16,
    /// Code of the last refused image, 0 if none.
    pub refusal: u8,
    /// Anti-rollback minimum: images with a lower security counter are refused.
    pub minimum_security_counter: u32,
    /// Security counter of the image being installed or on trial.
    pub candidate_security_counter: u32,
}

impl UpdateState {
    /// The state of a freshly formatted journal.
    pub const INITIAL: UpdateState = UpdateState {
        phase: Phase::Idle,
        sector_count: 0,
        has_fallback: false,
        completed_steps: 0,
        refusal: 0,
        minimum_security_counter: 0,
        candidate_security_counter: 0,
    };
}

/// Encode `state` with `sequence` into a record.
pub fn encode(state: &UpdateState, sequence: u32) -> [u8; RECORD_SIZE as usize] {
    let mut record = [0u8; RECORD_SIZE as usize];
    record[0] = RECORD_FORMAT;
    record[1] = state.phase.number();
    record[2] = state.sector_count;
    record[3] = u8::from(state.has_fallback);
    record[4..6].copy_from_slice(&state.completed_steps.to_le_bytes());
    record[6] = state.refusal;
    record[8..12].copy_from_slice(&state.minimum_security_counter.to_le_bytes());
    record[12..16].copy_from_slice(&state.candidate_security_counter.to_le_bytes());
    record[16..20].copy_from_slice(&sequence.to_le_bytes());
    let checksum = CHECKSUM.checksum(&record[..20]);
    record[20..24].copy_from_slice(&checksum.to_le_bytes());
    record[24..28].copy_from_slice(&COMMIT_MAGIC.to_le_bytes());
    record[28..32].copy_from_slice(&(!COMMIT_MAGIC).to_le_bytes());
    record
}

fn word(record: &[u8; RECORD_SIZE as usize], offset: usize) -> u32 {
    u32::from_le_bytes([
        record[offset],
        record[offset + 1],
        record[offset + 2],
        record[offset + 3],
    ])
}

/// Decode a record: its state and sequence, or `None` for anything but a complete, valid one.
/// Out of line: the journal scan calls it from several places (16 B smaller in the bootloader).
#[inline(never)]
pub fn decode(record: &[u8; RECORD_SIZE as usize]) -> Option<(UpdateState, u32)> {
    let committed = word(record, 24) == COMMIT_MAGIC && word(record, 28) == !COMMIT_MAGIC;
    // Only what `encode` writes is a record: the flags byte 0 or 1 and the reserved byte
    // zero. The fuzzer found checksummed records with other values that decoded all the same.
    if !committed
        || word(record, 20) != CHECKSUM.checksum(&record[..20])
        || record[0] != RECORD_FORMAT
        || record[3] > 1
        || record[7] != 0
    {
        return None;
    }
    let state = UpdateState {
        phase: Phase::from_number(record[1])?,
        sector_count: record[2],
        has_fallback: record[3] == 1,
        completed_steps: u16::from_le_bytes([record[4], record[5]]),
        refusal: record[6],
        minimum_security_counter: word(record, 8),
        candidate_security_counter: word(record, 12),
    };
    Some((state, word(record, 16)))
}

/// An open journal: the current state and where the next record goes.
#[derive(Clone, Copy, Debug)]
pub struct Journal {
    state: UpdateState,
    sequence: u32,
    active_sector: usize,
    next_slot: u32,
}

impl Journal {
    /// Read the journal; format the state area if it holds no valid record at all (a new
    /// device: the only case that erases outside compaction).
    pub fn open<F: NorFlash>(
        flash: &mut F,
        configuration: &DualSlotConfiguration,
    ) -> Result<Journal, FlashFailure> {
        let erased = configuration.geometry.erased_value;
        let mut best: Option<Journal> = None;
        for index in 0..configuration.state_sector_count() {
            let sector = configuration.state_sector(index);
            let slots = sector.size / RECORD_SIZE;
            let mut next_free = 0;
            let mut newest: Option<(UpdateState, u32)> = None;
            // A batch of records per flash read: the scan covers every slot of both sectors
            // at every boot.
            let mut batch = [0u8; (RECORD_SIZE * RECORDS_PER_READ) as usize];
            for first in (0..slots).step_by(RECORDS_PER_READ as usize) {
                let count = (slots - first).min(RECORDS_PER_READ);
                let bytes = &mut batch[..(count * RECORD_SIZE) as usize];
                flash.read(
                    configuration.offset(sector.start + first * RECORD_SIZE),
                    bytes,
                )?;
                for (slot, record) in (first..).zip(bytes.chunks_exact(RECORD_SIZE as usize)) {
                    if is_erased(record, erased) {
                        continue;
                    }
                    next_free = slot + 1;
                    let decoded = <&[u8; RECORD_SIZE as usize]>::try_from(record)
                        .ok()
                        .and_then(decode);
                    if let Some((state, sequence)) = decoded {
                        if newest.is_none_or(|(_, newest_sequence)| sequence > newest_sequence) {
                            newest = Some((state, sequence));
                        }
                    }
                }
            }
            if let Some((state, sequence)) = newest {
                if best.is_none_or(|journal| sequence > journal.sequence) {
                    best = Some(Journal {
                        state,
                        sequence,
                        active_sector: index,
                        next_slot: next_free,
                    });
                }
            }
        }
        match best {
            Some(journal) => Ok(journal),
            None => {
                let mut journal = Journal {
                    state: UpdateState::INITIAL,
                    sequence: 0,
                    active_sector: configuration.state_sector_count() - 1,
                    next_slot: u32::MAX,
                };
                journal.append(flash, configuration, UpdateState::INITIAL)?;
                Ok(journal)
            }
        }
    }

    /// The current state.
    pub fn state(&self) -> UpdateState {
        self.state
    }

    /// Make `state` the current state: one record, or a compaction into the next sector when
    /// the active one is full.
    pub fn append<F: NorFlash>(
        &mut self,
        flash: &mut F,
        configuration: &DualSlotConfiguration,
        state: UpdateState,
    ) -> Result<(), FlashFailure> {
        let mut sector = configuration.state_sector(self.active_sector);
        if self.next_slot >= sector.size / RECORD_SIZE {
            self.active_sector = (self.active_sector + 1) % configuration.state_sector_count();
            sector = configuration.state_sector(self.active_sector);
            flash.erase(
                configuration.offset(sector.start),
                configuration.offset(sector.end()),
            )?;
            self.next_slot = 0;
        }
        let sequence = self.sequence.wrapping_add(1);
        let record = encode(&state, sequence);
        let offset = configuration.offset(sector.start + self.next_slot * RECORD_SIZE);
        // The slot is consumed whatever happens next: a torn record is skipped, never rewritten.
        self.next_slot += 1;
        flash.write(offset, &record[..16])?;
        flash.write(offset + 16, &record[16..])?;
        self.sequence = sequence;
        self.state = state;
        Ok(())
    }
}
