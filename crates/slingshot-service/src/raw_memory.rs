//! Address-level access to the update target for ST's serial bootloader protocol (AN3155,
//! [`crate::an3155`]): the ROM's commands name chip addresses and sector numbers; this file
//! maps them onto the update target slot, so that a tool written for ST's ROM bootloader
//! (stm32flash, STM32CubeProgrammer) fills the slot the Slingshot protocol would fill, and the
//! image still goes through verification and the update engine before it runs.
//!
//! The rules (docs/PROTOCOL.md, section 14, has them as a table):
//! - An address is accepted only inside the primary slot, at the same offset in the target
//!   (the secondary slot in the dual-slot layout, the primary itself in the single-slot one),
//!   and only below the target's size. Everything else — the bootloader's sectors, the state
//!   sectors, RAM, option bytes, system memory — is refused.
//! - Erasing a sector of the primary slot erases every target sector that overlaps its offsets
//!   (the banks' sector maps differ, so this may be more than asked), each at most once per
//!   session: stm32flash erases everything before it writes, and a second erase of a sector
//!   already written in this session would lose data.
//! - Writes and reads are accepted only in target sectors erased in this session, so a read
//!   returns only what this session wrote (or erased), never an older image. No word is
//!   programmed twice: a write resent after a lost ACK finds its words in place and is
//!   acknowledged; a write over other content is refused (`NotErased`).
//! - The first erase or write checks that the target may be written at all (not while a swap
//!   or an unconfirmed trial needs the secondary slot).
//! - Go to the primary slot's start verifies the written image (hash, signature, board, load
//!   address, anti-rollback) and installs it through the update engine; then the caller
//!   reboots. A refused image is abandoned: Go without a write since the last Go only
//!   reboots (into the installed application, as a user typing `stm32flash -g` expects).

use crate::an3155::RawMemory;
use crate::platform::{KeyRing, Platform};
use crate::service::UpdateService;
use embedded_storage::nor_flash::NorFlash;
use slingshot_layout::Region;
use slingshot_protocol::device::{program_once, DeviceHandler, EraseUnit, Refusal};
use slingshot_protocol::error::ErrorCode;
use slingshot_update::ImageVerifier;

/// What a session of ST's protocol did to the target so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawSession {
    /// Bit `n`: the target's erase unit number `n` (counted from its start) was erased in this
    /// session. Targets have at most 22 units (the F429's single-slot layout); units from the
    /// 33rd on are never marked, so writes there are refused.
    erased_units: u32,
    /// The end of the highest write, as an offset in the target (0: nothing written).
    written_end: u32,
    /// The engine allowed writing the target (checked at the first erase or write).
    writable: bool,
}

impl<F: NorFlash, V: ImageVerifier<F> + KeyRing, P: Platform> UpdateService<F, V, P> {
    /// The primary slot: the addresses ST's protocol may name.
    const PRIMARY: Region = P::LAYOUT.partitions.primary;

    /// The target offset of `length` bytes at chip address `address`, if they lie in the
    /// primary slot and the target holds that offset.
    fn target_offset(address: u32, length: u32) -> Result<u32, Refusal> {
        let offset = address.wrapping_sub(Self::PRIMARY.start);
        let inside = Self::PRIMARY.contains(address)
            && offset
                .checked_add(length)
                .is_some_and(|end| end <= Self::TARGET.size);
        if inside {
            Ok(offset)
        } else {
            Err(Refusal::with_detail(ErrorCode::OffsetOutOfRange, address))
        }
    }

    /// The erase unit holding target offset `offset` and its number from the target's start.
    fn numbered_unit(&self, offset: u32) -> Option<(u32, EraseUnit)> {
        let mut number = 0;
        let mut unit = self.erase_unit(0)?;
        while unit.end() <= offset {
            unit = self.erase_unit(unit.end())?;
            number += 1;
        }
        Some((number, unit))
    }

    /// Whether every unit overlapping `[offset, offset + length)` was erased in this session.
    fn erased_in_session(&self, offset: u32, length: u32) -> bool {
        let end = offset + length;
        let mut position = offset;
        while position < end {
            let Some((number, unit)) = self.numbered_unit(position) else {
                return false;
            };
            if number >= u32::BITS || self.raw.erased_units & (1 << number) == 0 {
                return false;
            }
            position = unit.end();
        }
        true
    }

    /// Checks once per session that the engine lets the target be written.
    fn check_writable(&mut self) -> Result<(), Refusal> {
        if !self.raw.writable {
            self.minimum_security_counter()?;
            self.raw.writable = true;
        }
        Ok(())
    }
}

impl<F: NorFlash, V: ImageVerifier<F> + KeyRing, P: Platform> RawMemory for UpdateService<F, V, P> {
    fn product_id(&self) -> u16 {
        P::LAYOUT.board.part.device_id
    }

    fn accepts_address(&self, address: u32) -> bool {
        Self::target_offset(address, 0).is_ok()
    }

    /// ST's erase of chip sector `number`: erases the target units its primary-slot offsets
    /// cover (not yet erased in this session).
    fn erase_sector(&mut self, number: u16) -> Result<(), Refusal> {
        let sector = P::LAYOUT
            .board
            .part
            .flash
            .sectors
            .iter()
            .find(|sector| u16::from(sector.number) == number)
            .ok_or(Refusal::with_detail(
                ErrorCode::OffsetOutOfRange,
                u32::from(number),
            ))?;
        if !Self::PRIMARY.contains_region(sector.region()) {
            return Err(Refusal::with_detail(
                ErrorCode::OffsetOutOfRange,
                sector.start,
            ));
        }
        let start = sector.start - Self::PRIMARY.start;
        if start >= Self::TARGET.size {
            // The part of the primary slot the target cannot hold: nothing can be written
            // there, so there is nothing to erase.
            return Ok(());
        }
        self.check_writable()?;
        let end = (start + sector.size).min(Self::TARGET.size);
        let mut position = start;
        while position < end {
            let (number, unit) = self
                .numbered_unit(position)
                .ok_or(Refusal::new(ErrorCode::EraseFailed))?;
            let bit = 1u32.checked_shl(number).unwrap_or(0);
            if self.raw.erased_units & bit == 0 {
                self.erase(unit).map_err(Refusal::new)?;
                self.raw.erased_units |= bit;
            }
            position = unit.end();
        }
        Ok(())
    }

    /// ST's Write Memory: programs `data` at chip address `address` (in the primary slot, in
    /// target sectors erased in this session; address and length multiples of the write size).
    fn write_memory(&mut self, address: u32, data: &[u8]) -> Result<(), Refusal> {
        let length = data.len() as u32;
        let offset = Self::target_offset(address, length)?;
        if offset % Self::WRITE_SIZE != 0 || length % Self::WRITE_SIZE != 0 {
            return Err(Refusal::with_detail(ErrorCode::Misaligned, address));
        }
        self.check_writable()?;
        if !self.erased_in_session(offset, length) {
            return Err(Refusal::with_detail(ErrorCode::WrongState, address));
        }
        // Never a word programmed twice: a resent write (its ACK lost) is skipped, a write over
        // other content refused.
        program_once(self, offset, data)?;
        self.raw.written_end = self.raw.written_end.max(offset + length);
        Ok(())
    }

    /// ST's Read Memory: what this session wrote (or erased) at chip address `address`.
    fn read_memory(&mut self, address: u32, buffer: &mut [u8]) -> Result<(), Refusal> {
        let length = buffer.len() as u32;
        let offset = Self::target_offset(address, length)?;
        if !self.erased_in_session(offset, length) {
            return Err(Refusal::with_detail(ErrorCode::WrongState, address));
        }
        self.read(offset, buffer).map_err(Refusal::new)
    }

    /// ST's Go: at the primary slot's start, verifies and installs what this session wrote (on
    /// the platform's fastest clock); the caller reboots after acknowledging. Any other
    /// address is refused: Slingshot runs only verified images, and only through a reset.
    fn go(&mut self, address: u32) -> Result<(), Refusal> {
        if address != Self::PRIMARY.start {
            return Err(Refusal::with_detail(ErrorCode::WrongLoadAddress, address));
        }
        let written = self.raw.written_end;
        if written == 0 {
            // Nothing received: a plain restart into what is installed.
            return Ok(());
        }
        // A refused image is abandoned: the next Go without new writes only restarts.
        self.raw.written_end = 0;
        P::at_full_speed(|| self.verify(written))?;
        self.install(written)
    }
}
