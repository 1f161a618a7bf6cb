//! Shared test fixtures: a CRC'd fake image format and its verifier, the device matrix (sector
//! maps, write sizes, erased values) and flash set-up helpers.
#![allow(dead_code)]

use crc::{Crc, CRC_32_ISO_HDLC};
use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};
use slingshot_flash_sim::{uniform_geometry, SimulatedFlash, SplitMix64};
use slingshot_layout::{FlashGeometry, Region, NUCLEO_F429ZI_DUAL_SLOT};
use slingshot_update::{
    DualSlotConfiguration, ImageSummary, ImageVerifier, Rejection, SlotLocation, VerifyError,
};

const CHECKSUM: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);
/// Magic of the fake trailer.
pub const TRAILER_MAGIC: u32 = 0x4641_4B45;
/// Size of the fake trailer: magic, security counter, version, CRC.
pub const TRAILER_SIZE: u32 = 16;

/// A fake image: `length` bytes of seeded content with the trailer offset in vector-table
/// word 7 (like the real format), then a 16-byte trailer whose CRC covers everything before it.
pub fn fake_image(seed: u64, length: u32, security_counter: u32, version: u32) -> Vec<u8> {
    assert!(length % 16 == 0 && length >= 64);
    let mut image = vec![0u8; length as usize];
    SplitMix64::new(seed).fill(&mut image);
    image[28..32].copy_from_slice(&length.to_le_bytes());
    image.extend_from_slice(&TRAILER_MAGIC.to_le_bytes());
    image.extend_from_slice(&security_counter.to_le_bytes());
    image.extend_from_slice(&version.to_le_bytes());
    let checksum = CHECKSUM.checksum(&image);
    image.extend_from_slice(&checksum.to_le_bytes());
    image
}

/// The verifier for [`fake_image`]s: checks word 7, bounds, magic and CRC; counts calls.
#[derive(Default)]
pub struct FakeVerifier {
    /// Number of verifications run.
    pub calls: u32,
}

/// The fake format's refusals, as the image format's own errors.
const REJECT_BOUNDS: Rejection = Rejection::ImageSizeBeyondSlot;
const REJECT_MAGIC: Rejection = Rejection::BadMagic;
pub const REJECT_CHECKSUM: Rejection = Rejection::HashMismatch;

impl<F: NorFlash> ImageVerifier<F> for FakeVerifier {
    fn verify(&mut self, flash: &mut F, slot: SlotLocation) -> Result<ImageSummary, VerifyError> {
        self.calls += 1;
        let mut word = [0u8; 4];
        flash.read(slot.flash_offset + 28, &mut word)?;
        let length = u32::from_le_bytes(word);
        if length < 32
            || length
                .checked_add(TRAILER_SIZE)
                .is_none_or(|end| end > slot.region.size)
        {
            return Err(VerifyError::Rejected(REJECT_BOUNDS));
        }
        let mut trailer = [0u8; TRAILER_SIZE as usize];
        flash.read(slot.flash_offset + length, &mut trailer)?;
        let field = |index: usize| {
            u32::from_le_bytes(trailer[index * 4..index * 4 + 4].try_into().unwrap())
        };
        if field(0) != TRAILER_MAGIC {
            return Err(VerifyError::Rejected(REJECT_MAGIC));
        }
        let mut digest = CHECKSUM.digest();
        let mut buffer = [0u8; 1024];
        let mut offset = 0;
        while offset < length {
            let chunk = (length - offset).min(1024) as usize;
            flash.read(slot.flash_offset + offset, &mut buffer[..chunk])?;
            digest.update(&buffer[..chunk]);
            offset += chunk as u32;
        }
        digest.update(&trailer[..12]);
        if digest.finalize() != field(3) {
            return Err(VerifyError::Rejected(REJECT_CHECKSUM));
        }
        Ok(ImageSummary {
            extent: length + TRAILER_SIZE,
            security_counter: field(1),
            version: slingshot_update::Version::new(field(2) as u16, 0, 0, 0),
        })
    }
}

/// One row of the device matrix.
#[derive(Clone, Copy, Debug)]
pub struct Device {
    /// Name for messages.
    pub name: &'static str,
    /// Flash geometry (with this row's write size and erased value).
    pub geometry: FlashGeometry,
    /// The engine's partitions on it.
    pub configuration: DualSlotConfiguration,
    /// Length of the installed (old) image before its trailer.
    pub old_length: u32,
    /// Length of the new image before its trailer.
    pub new_length: u32,
}

/// The F429 2 MB mixed map with the layout crate's dual-slot partitions.
pub fn f429(
    write_size: u32,
    erased_value: u8,
    old_length: u32,
    new_length: u32,
    name: &'static str,
) -> Device {
    let geometry = FlashGeometry {
        write_size,
        erased_value,
        ..NUCLEO_F429ZI_DUAL_SLOT.board.part.flash
    };
    let layout = slingshot_layout::Layout {
        board: slingshot_layout::Board {
            part: slingshot_layout::Part {
                flash: geometry,
                ..NUCLEO_F429ZI_DUAL_SLOT.board.part
            },
            ..NUCLEO_F429ZI_DUAL_SLOT.board
        },
        ..NUCLEO_F429ZI_DUAL_SLOT
    };
    let configuration = DualSlotConfiguration::from_layout(&layout)
        .expect("F429 dual-slot layout suits the engine");
    Device {
        name,
        geometry,
        configuration,
        old_length,
        new_length,
    }
}

/// A uniform map: 64 sectors of `sector_size` bytes; bootloader 2, primary 24, scratch 1,
/// state 2, secondary 24 sectors, the rest unused.
pub fn uniform(
    sector_size: u32,
    write_size: u32,
    erased_value: u8,
    old_length: u32,
    new_length: u32,
    name: &'static str,
) -> Device {
    let base = 0x0800_0000;
    let geometry = uniform_geometry(base, sector_size, 64, write_size, erased_value);
    let region =
        |first: u32, count: u32| Region::new(base + first * sector_size, count * sector_size);
    let configuration = DualSlotConfiguration::new(
        geometry,
        region(2, 24),
        region(29, 24),
        region(26, 1),
        region(27, 2),
    )
    .expect("uniform layout suits the engine");
    Device {
        name,
        geometry,
        configuration,
        old_length,
        new_length,
    }
}

/// The device matrix the sweeps run over: two sector maps, write sizes 4, 8 and 16, erased
/// values 0xFF and 0x00, old image smaller and larger than the new one.
pub fn matrix() -> [Device; 4] {
    [
        f429(
            4,
            0xFF,
            40 * 1024,
            110 * 1024,
            "F429 mixed map, write 4, erased 0xFF",
        ),
        f429(
            8,
            0x00,
            150 * 1024,
            20 * 1024,
            "F429 mixed map, write 8, erased 0x00",
        ),
        uniform(
            4096,
            16,
            0xFF,
            30 * 1024,
            45 * 1024,
            "uniform 4 KB map, write 16, erased 0xFF",
        ),
        uniform(
            8192,
            4,
            0x00,
            70 * 1024,
            33 * 1024,
            "uniform 8 KB map, write 4, erased 0x00",
        ),
    ]
}

/// Put `image` at the start of `slot` the way a programmer would: erase the sectors it
/// covers, then write it (bypassing counters; other sectors keep their random content).
pub fn program_image<const W: usize>(flash: &mut SimulatedFlash<W>, slot: Region, image: &[u8]) {
    let geometry = *flash.geometry();
    for sector in geometry.sectors_in(Region::new(slot.start, image.len() as u32)) {
        flash.load_erased(sector.start, sector.size);
    }
    flash.load(slot.start, image);
}

/// The offset-based `read` of an absolute address range (helper for assertions).
pub fn read_region<F: ReadNorFlash>(flash: &mut F, base: u32, start: u32, length: u32) -> Vec<u8> {
    let mut bytes = vec![0u8; length as usize];
    flash.read(start - base, &mut bytes).unwrap();
    bytes
}

/// Whether the full sweep was asked for.
pub fn full_sweep() -> bool {
    std::env::var("SLINGSHOT_FULL_SWEEP").is_ok_and(|value| value == "1")
}

/// `count` distinct sorted indices sampled from `0..total` with a fixed seed (all of them
/// when `count >= total` or the full sweep is on).
pub fn sample(total: u64, count: u64, seed: u64) -> Vec<u64> {
    if full_sweep() || count >= total {
        return (0..total).collect();
    }
    let mut random = SplitMix64::new(seed);
    let mut chosen = std::collections::BTreeSet::new();
    while (chosen.len() as u64) < count {
        chosen.insert(random.below(total));
    }
    chosen.into_iter().collect()
}
