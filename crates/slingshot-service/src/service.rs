//! [`UpdateService`]: the protocol state machine's offsets mapped onto the update target slot
//! of the platform's layout, through the flash, the image verifier and the update engine.
//!
//! - Single-slot layout: the target is the primary slot; the minimum security counter is that
//!   of the image installed when the service started (`slingshot_update::single_slot`'s rule);
//!   install only records the new counter.
//! - Dual-slot layout: the target is the secondary slot; the minimum is the engine's stored
//!   one; install is `DualSlotEngine::mark_pending` (the swap happens at the next boot).
//! - Overwrite layout: the target is the secondary slot; the minimum is the installed image's
//!   counter as in the single-slot layout; a verified image there is what the next boot copies
//!   over the primary slot (`slingshot_update::overwrite`), so install only records the new
//!   counter. Images are limited to the smaller slot.
//!
//! Without a flash interface (QEMU) every flash-touching request is refused with a flash error
//! code instead of touching addresses the emulator does not map.

use crate::admission::admit;
use crate::platform::{KeyRing, Platform};
use crate::protection::protection_request;
use crate::raw_memory::RawSession;
use crate::refusal;
use core::marker::PhantomData;
use embedded_storage::nor_flash::NorFlash;
use slingshot_flash_controller::option_bytes::plan_protection;
use slingshot_image::{DIGEST_SIZE, SIGNATURE_SIZE};
use slingshot_layout::{Region, UpdateMode as LayoutUpdateMode};
use slingshot_protocol::device::{DeviceHandler, EraseUnit, Refusal};
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::info::{
    ChipInfo, DeviceInfo, DeviceState, SlotInfo, SlotStatus, UpdateMode, Version, DIGEST_PREFIX,
    MAX_LAYOUT_NAME, MAX_SLOTS,
};
use slingshot_protocol::message::Protection;
use slingshot_update::{
    DualSlotEngine, ImageSummary, ImageVerifier, Phase, Refusal as EngineRefusal, Slot,
    SlotLocation, UpdateError, VerifyError,
};

/// The update service over flash `F`, image verifier `V` and platform `P`.
pub struct UpdateService<F, V, P> {
    flash: F,
    verifier: V,
    platform: P,
    engine: Option<DualSlotEngine>,
    flash_present: bool,
    slots: [SlotInfo; MAX_SLOTS],
    /// Single slot: the security counter of the image installed when the service started (0 if
    /// none verified), raised by each install.
    installed_security_counter: u32,
    /// The target's image as last verified, cleared by every erase or program.
    verified: Option<ImageSummary>,
    flash_type: PhantomData<F>,
    /// What a session of ST's serial bootloader protocol did to the target.
    pub(crate) raw: RawSession,
}

impl<F: NorFlash, V: ImageVerifier<F> + KeyRing, P: Platform> UpdateService<F, V, P> {
    /// The slot images are received into: the secondary slot if the layout has one, else the
    /// primary slot.
    pub const TARGET: Region = match P::LAYOUT.partitions.secondary {
        Some(secondary) => secondary,
        None => P::LAYOUT.partitions.primary,
    };

    /// Index of the target in the info reply's slot list (primary first).
    const TARGET_INDEX: usize = if P::LAYOUT.partitions.secondary.is_some() {
        1
    } else {
        0
    };

    /// The largest image the layout installs (in the overwrite layout the smaller slot).
    const CAPACITY: u32 = P::LAYOUT.largest_image();

    /// The layout's update mode as the protocol names it. Constants like this one keep single
    /// fields of the layout in a firmware's flash instead of the whole layout with its names.
    const UPDATE_MODE: UpdateMode = match P::LAYOUT.update_mode {
        LayoutUpdateMode::SingleSlot => UpdateMode::SingleSlot,
        LayoutUpdateMode::DualSlot => UpdateMode::DualSlot,
        LayoutUpdateMode::Overwrite => UpdateMode::Overwrite,
    };

    const BOARD_ID: u32 = P::LAYOUT.board.board_id;

    /// The sectors the bootloader partition covers, for write protection.
    const BOOTLOADER_SECTORS: core::ops::Range<u8> = {
        let sectors = P::LAYOUT
            .board
            .part
            .flash
            .sector_numbers_in(P::LAYOUT.partitions.bootloader);
        assert!(
            sectors.start < sectors.end,
            "the bootloader partition covers no sector"
        );
        sectors
    };

    /// A service for `P`'s layout over `flash` (offsets from the start of the chip's flash),
    /// with `engine` in the dual-slot layout (`None` in the single-slot one). With
    /// `flash_present` it verifies the slots once now (for the info reply and the single-slot
    /// minimum), which takes up to about a second on the chip.
    pub fn new(
        flash: F,
        verifier: V,
        platform: P,
        engine: Option<DualSlotEngine>,
        flash_present: bool,
    ) -> Self {
        let mut service = Self {
            flash,
            verifier,
            platform,
            engine,
            flash_present,
            slots: [SlotInfo::EMPTY; MAX_SLOTS],
            installed_security_counter: 0,
            verified: None,
            flash_type: PhantomData,
            raw: RawSession::default(),
        };
        if flash_present {
            service.survey();
        }
        service
    }

    /// The flash, for a test's checks.
    pub fn flash(&self) -> &F {
        &self.flash
    }

    /// The platform, for a test's checks.
    pub fn platform(&self) -> &P {
        &self.platform
    }

    /// The flash, verifier and platform back (what a simulated board keeps across a reset).
    pub fn into_parts(self) -> (F, V, P) {
        (self.flash, self.verifier, self.platform)
    }

    /// Where `slot` is, for the verifier.
    fn location(slot: Slot) -> SlotLocation {
        let region = match slot {
            Slot::Primary => P::LAYOUT.partitions.primary,
            Slot::Secondary => Self::TARGET,
        };
        SlotLocation {
            slot,
            region,
            flash_offset: region.start - P::LAYOUT.board.part.flash.base,
        }
    }

    /// The target slot as the verifier sees it.
    fn target_location() -> SlotLocation {
        Self::location(if Self::TARGET_INDEX == 1 {
            Slot::Secondary
        } else {
            Slot::Primary
        })
    }

    /// Verifies the primary (and secondary) slot for the info reply.
    fn survey(&mut self) {
        let (primary, summary) = self.slot_info(Self::location(Slot::Primary));
        self.slots[0] = primary;
        self.installed_security_counter = summary.map_or(0, |image| image.security_counter);
        if Self::TARGET_INDEX == 1 {
            self.slots[1] = self.slot_info(Self::location(Slot::Secondary)).0;
        }
        if let Some(engine) = self.engine {
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
                    digest: self.digest_prefix(slot.flash_offset, &summary),
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

    /// The first bytes of a verified image's digest, read from its trailer (the digest precedes
    /// the signature at the end of the extent: docs/IMAGE_FORMAT.md); zero if the read fails.
    fn digest_prefix(&mut self, slot_offset: u32, image: &ImageSummary) -> [u8; DIGEST_PREFIX] {
        let mut digest = [0u8; DIGEST_PREFIX];
        let at = slot_offset + image.extent - (DIGEST_SIZE + SIGNATURE_SIZE) as u32;
        if self.flash.read(at, &mut digest).is_err() {
            digest = [0; DIGEST_PREFIX];
        }
        digest
    }

    /// The anti-rollback minimum an update must meet; refuses while the engine cannot take one.
    pub(crate) fn minimum_security_counter(&mut self) -> Result<u32, Refusal> {
        let Some(engine) = self.engine else {
            return Ok(self.installed_security_counter);
        };
        let refusal = |error| match error {
            UpdateError::Flash(_) => Refusal::new(ErrorCode::ReadFailed),
            other => Self::update_refusal(other),
        };
        let state = engine
            .check_secondary_writable(&mut self.flash)
            .map_err(refusal)?;
        Ok(state.minimum_security_counter)
    }

    /// Flash offset of target offset `offset`.
    fn flash_offset(offset: u32) -> u32 {
        Self::target_location().flash_offset + offset
    }

    /// The target's content changes: forget its verification.
    fn target_changed(&mut self) {
        self.verified = None;
        self.slots[Self::TARGET_INDEX] = SlotInfo {
            status: SlotStatus::Invalid,
            ..SlotInfo::EMPTY
        };
    }

    /// The chip's identity and option bytes as loaded now.
    fn chip_info(&self) -> ChipInfo {
        let options = self.platform.option_bytes();
        ChipInfo {
            id_code: self.platform.id_code(),
            option_control: options.control,
            option_control1: options.control1,
        }
    }

    /// The refusal for a verifier error, with this layout's details.
    #[inline(never)]
    fn verify_refusal(error: VerifyError) -> Refusal {
        refusal::verify_refusal(error, Self::BOARD_ID, Self::CAPACITY)
    }

    /// The refusal for an update engine error, with this layout's details.
    #[inline(never)]
    fn update_refusal(error: UpdateError) -> Refusal {
        match error {
            // One copy of the verifier's mapping.
            UpdateError::Refused(EngineRefusal::Rejected(rejection)) => {
                Self::verify_refusal(VerifyError::Rejected(rejection))
            }
            other => refusal::update_refusal(other, Self::BOARD_ID, Self::CAPACITY),
        }
    }

    /// Admits an announcement against the layout and `minimum`.
    #[inline(never)]
    fn admit(&self, image_size: u32, descriptor: &[u8], minimum: u32) -> Result<(), Refusal> {
        admit(
            image_size,
            descriptor,
            Self::CAPACITY,
            Self::BOARD_ID,
            P::LAYOUT.partitions.primary.start,
            &self.verifier,
            minimum,
        )
        .map(|_| ())
    }
}

impl<F: NorFlash, V: ImageVerifier<F> + KeyRing, P: Platform> DeviceHandler
    for UpdateService<F, V, P>
{
    fn info(&mut self) -> DeviceInfo {
        let mut info = DeviceInfo {
            board_id: Self::BOARD_ID,
            bootloader_version: P::BOOTLOADER_VERSION,
            layout_name: [0; MAX_LAYOUT_NAME],
            layout_name_length: 0,
            update_mode: Self::UPDATE_MODE,
            max_image_size: Self::CAPACITY,
            slot_count: Self::TARGET_INDEX as u8 + 1,
            slots: self.slots,
            state: DeviceState::Idle,
            chip: self.flash_present.then(|| self.chip_info()),
        };
        info.set_layout_name(P::LAYOUT.name);
        info
    }

    fn check_update(&mut self, image_size: u32, descriptor: &[u8]) -> Result<(), Refusal> {
        if !self.flash_present {
            return Err(Refusal::new(ErrorCode::ReadFailed));
        }
        // Descriptor, board, load address and size first: they need no flash access.
        self.admit(image_size, descriptor, 0)?;
        let minimum = self.minimum_security_counter()?;
        self.admit(image_size, descriptor, minimum)
    }

    // Out of line: the transfer, the erase-ahead and AN3155 look units up (20 B less bootloader
    // flash, 2026-12-06).
    #[inline(never)]
    fn erase_unit(&self, offset: u32) -> Option<EraseUnit> {
        if offset >= Self::TARGET.size {
            return None;
        }
        let sector = P::LAYOUT
            .board
            .part
            .flash
            .sector_at(Self::TARGET.start + offset)?;
        Some(EraseUnit {
            offset: sector.start - Self::TARGET.start,
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
            .is_some_and(|end| end <= Self::TARGET.size as usize);
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
            .verify(&mut self.flash, Self::target_location())
            .map_err(Self::verify_refusal)?;
        if summary.extent > image_size {
            // The signed image continues beyond the bytes received: not what was announced.
            return Err(Refusal::new(ErrorCode::BadDescriptor));
        }
        let minimum = self.minimum_security_counter()?;
        if summary.security_counter < minimum {
            return Err(Refusal::with_detail(ErrorCode::VersionTooOld, minimum));
        }
        self.verified = Some(summary);
        self.slots[Self::TARGET_INDEX] = SlotInfo {
            status: SlotStatus::Valid,
            version: protocol_version(summary.version),
            digest: self.digest_prefix(Self::target_location().flash_offset, &summary),
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
                    .map_err(Self::update_refusal)?;
            }
            None => self.installed_security_counter = summary.security_counter,
        }
        Ok(())
    }

    fn reboot(&mut self) {
        self.platform.reboot()
    }

    fn supports_baud(&self, baud: u32) -> bool {
        self.platform.supports_baud(baud)
    }

    fn set_baud(&mut self, baud: u32) {
        self.platform.set_baud(baud);
    }

    fn set_protection(&mut self, protection: Protection) -> Result<ChipInfo, Refusal> {
        if !self.flash_present {
            return Err(Refusal::new(ErrorCode::OptionBytesFailed));
        }
        let request = protection_request(protection);
        let current = self.platform.option_bytes();
        let planned =
            plan_protection(current, &request, Self::BOOTLOADER_SECTORS).map_err(|refusal| {
                Refusal::with_detail(ErrorCode::ProtectionRefused, refusal.code())
            })?;
        if planned != current {
            self.platform
                .program_option_bytes(planned)
                .map_err(|_| Refusal::new(ErrorCode::OptionBytesFailed))?;
        }
        Ok(self.chip_info())
    }
}

/// The protocol's version from the engine's (the Info reply's fields are 8 bits: saturated).
// Out of line: the slot survey and the admission both convert (36 B less bootloader flash,
// 2026-12-05).
#[inline(never)]
pub fn protocol_version(version: slingshot_update::Version) -> Version {
    let field = |value: u16| value.min(0xFF) as u8;
    Version {
        major: field(version.major()),
        minor: field(version.minor()),
        patch: field(version.patch()),
        build: version.build(),
    }
}
