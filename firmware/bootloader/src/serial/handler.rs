//! The bootloader's [`DeviceHandler`]: the protocol state machine's offsets mapped onto the
//! update target slot of the active layout, through the flash driver, the image verifier and
//! the dual-slot update engine.
//!
//! - Single-slot layout: the target is the primary slot (0x0800_8000, banks 1 and 2); the
//!   minimum security counter is that of the image installed when bootloader mode began
//!   (`slingshot_update::single_slot`'s rule); install only records the new counter.
//! - Dual-slot layout: the target is the secondary slot (bank 2); the minimum is the engine's
//!   stored one; install is `DualSlotEngine::mark_pending` (the swap happens at the next boot).
//!
//! Without a flash interface (QEMU) every flash-touching request is refused with a flash error
//! code instead of touching addresses QEMU does not map.

use super::admission::admit;
use crate::verified::ENGINE_CONFIGURATION;
use embedded_storage::nor_flash::NorFlash;
use slingshot_flash_controller::option_bytes::plan_protection;
use slingshot_image::ImageError;
use slingshot_layout::{Region, UpdateMode as LayoutUpdateMode, ACTIVE};

/// The active layout's update mode as the protocol names it. Constants like this one keep
/// single fields of the layout in flash instead of the whole layout with its names.
const UPDATE_MODE: UpdateMode = match ACTIVE.update_mode {
    LayoutUpdateMode::SingleSlot => UpdateMode::SingleSlot,
    LayoutUpdateMode::DualSlot => UpdateMode::DualSlot,
};
use slingshot_protocol::device::{DeviceHandler, EraseUnit, Refusal};
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::info::{
    ChipInfo, DeviceInfo, DeviceState, SlotInfo, SlotStatus, UpdateMode, Version, MAX_LAYOUT_NAME,
    MAX_SLOTS,
};
use slingshot_protocol::message::Protection;
use slingshot_stm32::{option_bytes, system, usart_dma};
use slingshot_update::{
    DualSlotEngine, ImageSummary, ImageVerifier, Phase, Slot, SlotLocation, UpdateError,
    VerifyError,
};

/// The slot images are received into: the secondary slot if the layout has one, else the
/// primary slot.
pub const TARGET: Region = match ACTIVE.partitions.secondary {
    Some(secondary) => secondary,
    None => ACTIVE.partitions.primary,
};

/// Index of the target in the info reply's slot list (primary first).
const TARGET_INDEX: usize = if ACTIVE.partitions.secondary.is_some() {
    1
} else {
    0
};

/// Parses a decimal version field of Cargo's package version at compile time.
const fn decimal(text: &str) -> u8 {
    let bytes = text.as_bytes();
    let mut value: u32 = 0;
    let mut index = 0;
    while index < bytes.len() {
        value = value * 10 + (bytes[index] - b'0') as u32;
        index += 1;
    }
    if value > 255 {
        255
    } else {
        value as u8
    }
}

/// This bootloader's version, from its Cargo package version.
const BOOTLOADER_VERSION: Version = Version {
    major: decimal(env!("CARGO_PKG_VERSION_MAJOR")),
    minor: decimal(env!("CARGO_PKG_VERSION_MINOR")),
    patch: decimal(env!("CARGO_PKG_VERSION_PATCH")),
    build: 0,
};

/// Where `slot` is, for the verifier.
fn location(slot: Slot) -> SlotLocation {
    let region = match slot {
        Slot::Primary => ACTIVE.partitions.primary,
        Slot::Secondary => TARGET,
    };
    SlotLocation {
        slot,
        region,
        flash_offset: region.start - ACTIVE.board.part.flash.base,
    }
}

/// The target slot as the verifier sees it.
fn target_location() -> SlotLocation {
    location(if TARGET_INDEX == 1 {
        Slot::Secondary
    } else {
        Slot::Primary
    })
}

/// The [`DeviceHandler`] over flash driver `F` and image verifier `V`.
pub struct BootloaderHandler<F, V> {
    flash: F,
    verifier: V,
    engine: Option<DualSlotEngine>,
    flash_present: bool,
    slots: [SlotInfo; MAX_SLOTS],
    /// Single slot: the security counter of the image installed when bootloader mode began
    /// (0 if none verified), raised by each install.
    installed_security_counter: u32,
    /// The target's image as last verified, cleared by every erase or program.
    verified: Option<ImageSummary>,
}

impl<F: NorFlash, V: ImageVerifier<F>> BootloaderHandler<F, V> {
    /// A handler for the active layout. With `flash_present` it verifies the slots once now
    /// (for the info reply and the single-slot minimum), which takes up to about a second.
    pub fn new(flash: F, verifier: V, flash_present: bool) -> Self {
        // `None` in the single-slot layout.
        let engine = ENGINE_CONFIGURATION.map(DualSlotEngine::new);
        let mut handler = Self {
            flash,
            verifier,
            engine,
            flash_present,
            slots: [SlotInfo::EMPTY; MAX_SLOTS],
            installed_security_counter: 0,
            verified: None,
        };
        if flash_present {
            handler.survey();
        }
        handler
    }

    /// Verifies the primary (and secondary) slot for the info reply.
    fn survey(&mut self) {
        let (primary, summary) = self.slot_info(location(Slot::Primary));
        self.slots[0] = primary;
        self.installed_security_counter = summary.map_or(0, |image| image.security_counter);
        if let Some(engine) = self.engine {
            self.slots[1] = self.slot_info(location(Slot::Secondary)).0;
            let phase = engine.state(&mut self.flash).map(|state| state.phase);
            if matches!(phase, Ok(Phase::TrialRunning)) && self.slots[0].status == SlotStatus::Valid
            {
                self.slots[0].status = SlotStatus::Trial;
            }
        }
    }

    /// What a slot holds: verified, erased at its start, or something else.
    fn slot_info(&mut self, slot: SlotLocation) -> (SlotInfo, Option<ImageSummary>) {
        match self.verifier.verify(&mut self.flash, slot) {
            Ok(summary) => (
                SlotInfo {
                    status: SlotStatus::Valid,
                    version: protocol_version(summary.version),
                },
                Some(summary),
            ),
            Err(_) => {
                let mut start = [0u8; 8];
                let erased = self.flash.read(slot.flash_offset, &mut start).is_ok()
                    && start.iter().all(|&byte| byte == 0xFF);
                let status = if erased {
                    SlotStatus::Empty
                } else {
                    SlotStatus::Invalid
                };
                let info = SlotInfo {
                    status,
                    ..SlotInfo::EMPTY
                };
                (info, None)
            }
        }
    }

    /// The anti-rollback minimum an update must meet; refuses while the engine cannot take one.
    fn minimum_security_counter(&mut self) -> Result<u32, Refusal> {
        let Some(engine) = self.engine else {
            return Ok(self.installed_security_counter);
        };
        let refusal = |error| match error {
            UpdateError::Flash(_) => Refusal::new(ErrorCode::ReadFailed),
            other => update_refusal(other),
        };
        engine
            .check_secondary_writable(&mut self.flash)
            .map_err(refusal)?;
        let state = engine.state(&mut self.flash).map_err(refusal)?;
        Ok(state.minimum_security_counter)
    }

    /// Flash offset of target offset `offset`.
    fn flash_offset(offset: u32) -> u32 {
        target_location().flash_offset + offset
    }

    /// The target's content changes: forget its verification.
    fn target_changed(&mut self) {
        self.verified = None;
        self.slots[TARGET_INDEX] = SlotInfo {
            status: SlotStatus::Invalid,
            ..SlotInfo::EMPTY
        };
    }
}

impl<F: NorFlash, V: ImageVerifier<F>> DeviceHandler for BootloaderHandler<F, V> {
    fn info(&mut self) -> DeviceInfo {
        let mut info = DeviceInfo {
            board_id: ACTIVE.board.board_id,
            bootloader_version: BOOTLOADER_VERSION,
            layout_name: [0; MAX_LAYOUT_NAME],
            layout_name_length: 0,
            update_mode: UPDATE_MODE,
            max_image_size: TARGET.size,
            slot_count: TARGET_INDEX as u8 + 1,
            slots: self.slots,
            state: DeviceState::Idle,
            chip: self.flash_present.then(chip_info),
        };
        info.set_layout_name(ACTIVE.name);
        info
    }

    fn check_update(&mut self, image_size: u32, descriptor: &[u8]) -> Result<(), Refusal> {
        if !self.flash_present {
            return Err(Refusal::new(ErrorCode::ReadFailed));
        }
        // Descriptor, board, load address and size first: they need no flash access.
        admit(image_size, descriptor, TARGET, 0)?;
        let minimum = self.minimum_security_counter()?;
        admit(image_size, descriptor, TARGET, minimum)?;
        Ok(())
    }

    fn erase_unit(&self, offset: u32) -> Option<EraseUnit> {
        if offset >= TARGET.size {
            return None;
        }
        let sector = ACTIVE.board.part.flash.sector_at(TARGET.start + offset)?;
        Some(EraseUnit {
            offset: sector.start - TARGET.start,
            size: sector.size,
        })
    }

    fn erase(&mut self, unit: EraseUnit) -> Result<(), ErrorCode> {
        if !self.flash_present {
            return Err(ErrorCode::EraseFailed);
        }
        self.target_changed();
        let from = Self::flash_offset(unit.offset);
        self.flash
            .erase(from, from + unit.size)
            .map_err(|_| ErrorCode::EraseFailed)
    }

    fn program(&mut self, offset: u32, data: &[u8]) -> Result<(), ErrorCode> {
        if !self.flash_present {
            return Err(ErrorCode::ProgramFailed);
        }
        self.target_changed();
        self.flash
            .write(Self::flash_offset(offset), data)
            .map_err(|_| ErrorCode::ProgramFailed)
    }

    fn read(&mut self, offset: u32, buffer: &mut [u8]) -> Result<(), ErrorCode> {
        let inside = (offset as usize)
            .checked_add(buffer.len())
            .is_some_and(|end| end <= TARGET.size as usize);
        if !self.flash_present || !inside {
            return Err(ErrorCode::ReadFailed);
        }
        self.flash
            .read(Self::flash_offset(offset), buffer)
            .map_err(|_| ErrorCode::ReadFailed)
    }

    fn verify(&mut self, image_size: u32) -> Result<(), Refusal> {
        if !self.flash_present {
            return Err(Refusal::new(ErrorCode::ReadFailed));
        }
        self.verified = None;
        let summary = self
            .verifier
            .verify(&mut self.flash, target_location())
            .map_err(verify_refusal)?;
        if summary.extent > image_size {
            // The signed image continues beyond the bytes received: not what was announced.
            return Err(Refusal::new(ErrorCode::BadDescriptor));
        }
        let minimum = self.minimum_security_counter()?;
        if summary.security_counter < minimum {
            return Err(Refusal::with_detail(ErrorCode::VersionTooOld, minimum));
        }
        self.verified = Some(summary);
        self.slots[TARGET_INDEX] = SlotInfo {
            status: SlotStatus::Valid,
            version: protocol_version(summary.version),
        };
        Ok(())
    }

    fn install(&mut self, _image_size: u32) -> Result<(), Refusal> {
        let Some(summary) = self.verified else {
            return Err(Refusal::new(ErrorCode::NotVerified));
        };
        match self.engine {
            Some(engine) => {
                engine
                    .mark_pending(&mut self.flash, &mut self.verifier)
                    .map_err(update_refusal)?;
            }
            None => self.installed_security_counter = summary.security_counter,
        }
        Ok(())
    }

    fn reboot(&mut self) {
        system::reset()
    }

    fn supports_baud(&self, baud: u32) -> bool {
        usart_dma::supports_baud(baud)
    }

    fn set_baud(&mut self, baud: u32) {
        usart_dma::switch_baud(baud);
    }

    fn set_protection(&mut self, protection: Protection) -> Result<ChipInfo, Refusal> {
        if !self.flash_present {
            return Err(Refusal::new(ErrorCode::OptionBytesFailed));
        }
        let request = super::protection::request(protection);
        let current = option_bytes::read();
        let planned = plan_protection(current, &request, super::protection::BOOTLOADER_SECTORS)
            .map_err(|refusal| {
                Refusal::with_detail(ErrorCode::ProtectionRefused, refusal.code())
            })?;
        if planned != current {
            option_bytes::program(planned)
                .map_err(|_| Refusal::new(ErrorCode::OptionBytesFailed))?;
        }
        Ok(chip_info())
    }
}

/// The chip's identity and option bytes as loaded now.
fn chip_info() -> ChipInfo {
    let options = option_bytes::read();
    ChipInfo {
        id_code: option_bytes::id_code(),
        option_control: options.control,
        option_control1: options.control1,
    }
}

/// The protocol's version (8-bit fields, saturated) from the engine's packed one (major, minor,
/// patch, build in 16-bit fields, most significant first: `verifier::pack_version`).
fn protocol_version(packed: u64) -> Version {
    let field = |shift: u32| ((packed >> shift) & 0xFFFF).min(0xFF) as u8;
    Version {
        major: field(48),
        minor: field(32),
        patch: field(16),
        build: (packed & 0xFFFF) as u32,
    }
}

/// The protocol refusal for an image the verifier rejected (codes of `slingshot-image`).
fn verify_refusal(error: VerifyError) -> Refusal {
    let code = match error {
        VerifyError::Flash(_) => return Refusal::new(ErrorCode::ReadFailed),
        VerifyError::Rejected(rejection) => rejection.code,
    };
    let image_error = ImageError::ALL
        .iter()
        .copied()
        .find(|error| error.code() == code);
    match image_error {
        Some(ImageError::HashMismatch) => Refusal::new(ErrorCode::HashMismatch),
        Some(ImageError::NoTrustedKey) => Refusal::new(ErrorCode::NoTrustedKey),
        Some(ImageError::BadSignature) => Refusal::new(ErrorCode::BadSignature),
        Some(ImageError::WrongBoard) => {
            Refusal::with_detail(ErrorCode::WrongBoard, ACTIVE.board.board_id)
        }
        Some(ImageError::WrongLoadAddress) => Refusal::new(ErrorCode::WrongLoadAddress),
        Some(ImageError::ImageSizeBeyondSlot) => {
            Refusal::with_detail(ErrorCode::ImageTooLarge, TARGET.size)
        }
        Some(ImageError::StorageRead) => Refusal::new(ErrorCode::ReadFailed),
        _ => Refusal::new(ErrorCode::BadDescriptor),
    }
}

/// The protocol refusal for an update engine error.
fn update_refusal(error: UpdateError) -> Refusal {
    use slingshot_update::Refusal as EngineRefusal;
    match error {
        UpdateError::Refused(EngineRefusal::Rejected(rejection)) => {
            verify_refusal(VerifyError::Rejected(rejection))
        }
        UpdateError::Refused(EngineRefusal::BelowMinimum { minimum, .. }) => {
            Refusal::with_detail(ErrorCode::VersionTooOld, minimum)
        }
        UpdateError::Refused(EngineRefusal::TooLarge { slot_size, .. }) => {
            Refusal::with_detail(ErrorCode::ImageTooLarge, slot_size)
        }
        UpdateError::TrialNotConfirmed | UpdateError::SwapInProgress => {
            Refusal::new(ErrorCode::WrongState)
        }
        UpdateError::Flash(_)
        | UpdateError::Configuration(_)
        | UpdateError::ImageTooLarge { .. } => Refusal::new(ErrorCode::InstallFailed),
    }
}
