//! What the device tells about itself in the info reply: board, bootloader, layout, slots, state.

use crate::wire::{Reader, Writer};

/// Longest layout name carried in the info reply, in bytes.
pub const MAX_LAYOUT_NAME: usize = 32;

/// Slots described in the info reply at most (primary and secondary).
pub const MAX_SLOTS: usize = 2;

/// Bytes of a slot image's digest the info reply carries: the first bytes of the SHA-256 in
/// its trailer (docs/IMAGE_FORMAT.md), enough for a host to tell whether a slot already holds
/// the image it would send.
pub const DIGEST_PREFIX: usize = 8;

/// A semantic version plus build number, as in the image descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// Patch version.
    pub patch: u8,
    /// Build number.
    pub build: u32,
}

impl Version {
    /// Bytes on the wire.
    pub const WIRE_SIZE: usize = 7;

    /// The wire bytes.
    fn to_bytes(self) -> [u8; Self::WIRE_SIZE] {
        let [build0, build1, build2, build3] = self.build.to_le_bytes();
        [
            self.major, self.minor, self.patch, build0, build1, build2, build3,
        ]
    }

    pub(crate) fn read(reader: &mut Reader<'_>) -> Option<Self> {
        Some(Self {
            major: reader.u8()?,
            minor: reader.u8()?,
            patch: reader.u8()?,
            build: reader.u32()?,
        })
    }
}

/// What a slot holds, as far as the bootloader knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlotStatus {
    /// 0: erased or without a descriptor.
    Empty,
    /// 1: a verified image (signature checked).
    Valid,
    /// 2: content that fails verification (e.g. an interrupted update).
    Invalid,
    /// 3: a newly installed image on its trial boot.
    Trial,
    /// Any other wire value.
    Unknown(u8),
}

impl SlotStatus {
    const fn code(self) -> u8 {
        match self {
            Self::Empty => 0,
            Self::Valid => 1,
            Self::Invalid => 2,
            Self::Trial => 3,
            Self::Unknown(code) => code,
        }
    }

    const fn from_code(code: u8) -> Self {
        match code {
            0 => Self::Empty,
            1 => Self::Valid,
            2 => Self::Invalid,
            3 => Self::Trial,
            other => Self::Unknown(other),
        }
    }
}

/// One slot in the info reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlotInfo {
    /// What the slot holds.
    pub status: SlotStatus,
    /// The version of the image in the slot (zero when there is none).
    pub version: Version,
    /// The first [`DIGEST_PREFIX`] bytes of the verified image's digest (zero when the slot
    /// holds no verified image, or the bootloader predates the field).
    pub digest: [u8; DIGEST_PREFIX],
}

impl SlotInfo {
    /// An empty slot.
    pub const EMPTY: Self = Self {
        status: SlotStatus::Empty,
        version: Version {
            major: 0,
            minor: 0,
            patch: 0,
            build: 0,
        },
        digest: [0; DIGEST_PREFIX],
    };
}

/// How the layout installs updates (mirrors `slingshot_layout::UpdateMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpdateMode {
    /// 0: the image is written over the application slot.
    SingleSlot,
    /// 1: the image is written to the secondary slot, then swapped in.
    DualSlot,
    /// 2: the image is written to the secondary slot, then copied over the application slot
    /// at the next boot (no rollback).
    Overwrite,
}

/// The device's protocol state, as reported in the info reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceState {
    /// 0: no update in progress.
    Idle,
    /// 1: an update was started; data is being received.
    Receiving,
    /// 2: every byte of the image has been written.
    Received,
    /// 3: the written image passed verification; it can be installed.
    Verified,
    /// 4: the image was installed; the device waits for a reboot.
    Installed,
}

impl DeviceState {
    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Idle => 0,
            Self::Receiving => 1,
            Self::Received => 2,
            Self::Verified => 3,
            Self::Installed => 4,
        }
    }

    pub(crate) const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Idle),
            1 => Some(Self::Receiving),
            2 => Some(Self::Received),
            3 => Some(Self::Verified),
            4 => Some(Self::Installed),
            _ => None,
        }
    }
}

/// The chip as the bootloader reads it: identity and option bytes, raw (the host decodes them
/// with `slingshot_flash_controller::option_bytes`). Also the reply to a protection request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChipInfo {
    /// DBGMCU_IDCODE: DEV_ID in bits 11:0 (0x419 on the F42x/F43x), REV_ID in bits 31:16.
    pub id_code: u32,
    /// FLASH_OPTCR as loaded: brown-out level, watchdog mode, read protection, nWRP 0–11.
    pub option_control: u32,
    /// FLASH_OPTCR1 as loaded: nWRP of sectors 12–23.
    pub option_control1: u32,
}

impl ChipInfo {
    /// Bytes on the wire.
    pub const WIRE_SIZE: usize = 12;

    /// The device id (DEV_ID).
    pub const fn device_id(&self) -> u16 {
        (self.id_code & 0xFFF) as u16
    }

    /// The silicon revision (REV_ID).
    pub const fn revision(&self) -> u16 {
        (self.id_code >> 16) as u16
    }

    pub(crate) fn write(&self, writer: &mut Writer<'_>) {
        // One bounds check for the three words (this runs in the bootloader).
        writer.bytes(&self.to_bytes());
    }

    /// The wire bytes.
    fn to_bytes(self) -> [u8; Self::WIRE_SIZE] {
        let mut bytes = [0u8; Self::WIRE_SIZE];
        for (chunk, word) in
            bytes
                .chunks_exact_mut(4)
                .zip([self.id_code, self.option_control, self.option_control1])
        {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        bytes
    }

    pub(crate) fn read(reader: &mut Reader<'_>) -> Option<Self> {
        Some(Self {
            id_code: reader.u32()?,
            option_control: reader.u32()?,
            option_control1: reader.u32()?,
        })
    }
}

/// Everything the info reply carries. Fixed-size so the device needs no allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeviceInfo {
    /// The board identifier (`slingshot_layout::Board::board_id`).
    pub board_id: u32,
    /// The bootloader's version.
    pub bootloader_version: Version,
    /// The layout name, UTF-8, `layout_name_length` bytes used.
    pub layout_name: [u8; MAX_LAYOUT_NAME],
    /// Bytes of `layout_name` in use.
    pub layout_name_length: u8,
    /// How updates are installed.
    pub update_mode: UpdateMode,
    /// Largest image the update target slot accepts, in bytes.
    pub max_image_size: u32,
    /// Slots in use in `slots` (1 or 2).
    pub slot_count: u8,
    /// Primary slot first, then the secondary one (if any).
    pub slots: [SlotInfo; MAX_SLOTS],
    /// The protocol state (filled in by the device state machine).
    pub state: DeviceState,
    /// Identity and option bytes; `None` from a bootloader that predates them (or cannot read
    /// them) — the reply then ends after `state`.
    pub chip: Option<ChipInfo>,
}

impl DeviceInfo {
    /// Bytes on the wire without the chip block (67): what older bootloaders send.
    pub const BASE_WIRE_SIZE: usize = 4
        + Version::WIRE_SIZE
        + 1
        + MAX_LAYOUT_NAME
        + 1
        + 4
        + 1
        + MAX_SLOTS * (1 + Version::WIRE_SIZE)
        + 1;

    /// Bytes on the wire with the chip block and the slot digests (95).
    pub const WIRE_SIZE: usize =
        Self::BASE_WIRE_SIZE + ChipInfo::WIRE_SIZE + MAX_SLOTS * DIGEST_PREFIX;

    /// Sets the layout name (truncated to [`MAX_LAYOUT_NAME`] bytes).
    pub fn set_layout_name(&mut self, name: &str) {
        let length = name.len().min(MAX_LAYOUT_NAME);
        self.layout_name = [0; MAX_LAYOUT_NAME];
        self.layout_name[..length].copy_from_slice(&name.as_bytes()[..length]);
        self.layout_name_length = length as u8;
    }

    /// The layout name (empty if it is not valid UTF-8).
    pub fn layout_name(&self) -> &str {
        let length = usize::from(self.layout_name_length).min(MAX_LAYOUT_NAME);
        core::str::from_utf8(&self.layout_name[..length]).unwrap_or("")
    }

    /// The slots in use.
    pub fn slots(&self) -> &[SlotInfo] {
        &self.slots[..usize::from(self.slot_count).min(MAX_SLOTS)]
    }

    pub(crate) fn write(&self, writer: &mut Writer<'_>) {
        // Every field at its fixed offset in one array, written at once: one bounds check
        // (this runs in the bootloader).
        const NAME: usize = 4 + Version::WIRE_SIZE + 1;
        const MODE: usize = NAME + MAX_LAYOUT_NAME;
        const SLOTS: usize = MODE + 6;
        const SLOT_SIZE: usize = 1 + Version::WIRE_SIZE;
        const STATE: usize = SLOTS + MAX_SLOTS * SLOT_SIZE;
        const CHIP: usize = STATE + 1;
        const DIGESTS: usize = CHIP + ChipInfo::WIRE_SIZE;
        const _: () = assert!(CHIP == DeviceInfo::BASE_WIRE_SIZE);
        const _: () = assert!(DIGESTS + MAX_SLOTS * DIGEST_PREFIX == DeviceInfo::WIRE_SIZE);
        let mut bytes = [0u8; Self::WIRE_SIZE];
        bytes[..4].copy_from_slice(&self.board_id.to_le_bytes());
        bytes[4..NAME - 1].copy_from_slice(&self.bootloader_version.to_bytes());
        bytes[NAME - 1] = self.layout_name_length.min(MAX_LAYOUT_NAME as u8);
        bytes[NAME..MODE].copy_from_slice(&self.layout_name);
        bytes[MODE] = match self.update_mode {
            UpdateMode::SingleSlot => 0,
            UpdateMode::DualSlot => 1,
            UpdateMode::Overwrite => 2,
        };
        bytes[MODE + 1..MODE + 5].copy_from_slice(&self.max_image_size.to_le_bytes());
        bytes[MODE + 5] = self.slot_count.min(MAX_SLOTS as u8);
        for (index, slot) in self.slots.iter().enumerate() {
            let at = SLOTS + index * SLOT_SIZE;
            bytes[at] = slot.status.code();
            bytes[at + 1..at + SLOT_SIZE].copy_from_slice(&slot.version.to_bytes());
        }
        bytes[STATE] = self.state.code();
        // An info without the chip block ends after `state`; the digests follow the chip.
        let length = match &self.chip {
            Some(chip) => {
                bytes[CHIP..DIGESTS].copy_from_slice(&chip.to_bytes());
                for (index, slot) in self.slots.iter().enumerate() {
                    let at = DIGESTS + index * DIGEST_PREFIX;
                    bytes[at..at + DIGEST_PREFIX].copy_from_slice(&slot.digest);
                }
                Self::WIRE_SIZE
            }
            None => Self::BASE_WIRE_SIZE,
        };
        writer.bytes(&bytes[..length]);
    }

    pub(crate) fn read(reader: &mut Reader<'_>) -> Option<Self> {
        let board_id = reader.u32()?;
        let bootloader_version = Version::read(reader)?;
        let layout_name_length = reader.u8()?;
        if usize::from(layout_name_length) > MAX_LAYOUT_NAME {
            return None;
        }
        let mut layout_name = [0; MAX_LAYOUT_NAME];
        layout_name.copy_from_slice(reader.bytes(MAX_LAYOUT_NAME)?);
        let update_mode = match reader.u8()? {
            0 => UpdateMode::SingleSlot,
            1 => UpdateMode::DualSlot,
            2 => UpdateMode::Overwrite,
            _ => return None,
        };
        let max_image_size = reader.u32()?;
        let slot_count = reader.u8()?;
        if usize::from(slot_count) > MAX_SLOTS {
            return None;
        }
        let mut slots = [SlotInfo::EMPTY; MAX_SLOTS];
        for slot in &mut slots {
            slot.status = SlotStatus::from_code(reader.u8()?);
            slot.version = Version::read(reader)?;
        }
        let state = DeviceState::from_code(reader.u8()?)?;
        let chip = if reader.rest_length() == 0 {
            None
        } else {
            Some(ChipInfo::read(reader)?)
        };
        // Slot digests, from bootloaders that send them (after the chip block).
        if chip.is_some() && reader.rest_length() >= MAX_SLOTS * DIGEST_PREFIX {
            for slot in &mut slots {
                slot.digest.copy_from_slice(reader.bytes(DIGEST_PREFIX)?);
            }
        }
        Some(Self {
            board_id,
            bootloader_version,
            layout_name,
            layout_name_length,
            update_mode,
            max_image_size,
            slot_count,
            slots,
            state,
            chip,
        })
    }
}
