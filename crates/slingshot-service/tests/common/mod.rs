//! What the service's tests share: signed images for the simulated Nucleo-F429ZI, its blank
//! flash with an image installed, and the service over it.

// Each test binary uses a different part of the kit.
#![allow(dead_code)]

pub mod an3155_host;

use slingshot_flash_sim::SimulatedFlash;
use slingshot_image::signing::{public_key_from_seed, sign_image, SigningParameters};
use slingshot_image::{Version, DESCRIPTOR_SIZE};
use slingshot_layout::Layout;
use slingshot_layout::Region;
use slingshot_protocol::device::DeviceHandler;
use slingshot_service::simulated::{LayoutSource, SimulatedChip};
use slingshot_service::{FlashImageVerifier, UpdateService};
use slingshot_update::{BootAction, DualSlotConfiguration, DualSlotEngine, ImageSummary};

pub const SEED: [u8; 32] = [0x42; 32];
pub type Flash = SimulatedFlash<4>;
pub type Verifier = FlashImageVerifier<[[u8; 32]; 1]>;
pub type Service<L> = UpdateService<Flash, Verifier, SimulatedChip<L>>;

/// A fake application: stack pointer in SRAM, reset vector in the slot, word 7 zero.
pub fn application(length: usize) -> Vec<u8> {
    let mut image = vec![0u8; length];
    image[0..4].copy_from_slice(&0x2002_FFE0u32.to_le_bytes());
    image[4..8].copy_from_slice(&0x0800_8101u32.to_le_bytes());
    for (index, byte) in image.iter_mut().enumerate().skip(64) {
        *byte = (index * 7 + 3) as u8;
    }
    image
}

/// An image for `layout`'s board and primary slot.
pub fn signed(layout: &Layout, length: usize, version: &str, security_counter: u32) -> Vec<u8> {
    let parameters = SigningParameters {
        load_address: layout.partitions.primary.start,
        board_id: layout.board.board_id,
        version: Version::parse(version).expect("version"),
        security_counter,
    };
    sign_image(&application(length), &parameters, &SEED).expect("signed")
}

/// The descriptor of a signed image (what StartUpdate announces).
pub fn descriptor(signed: &[u8]) -> Vec<u8> {
    let trailer = slingshot_image::parse_trailer(signed).expect("trailer");
    let start = trailer.descriptor.image_size as usize;
    signed[start..start + DESCRIPTOR_SIZE].to_vec()
}

/// A blank F429 flash with `primary` (if any) installed.
pub fn flash_with(layout: &Layout, primary: Option<&[u8]>) -> Flash {
    let geometry = layout.board.part.flash;
    let mut flash = Flash::new(geometry, 7);
    flash.load_erased(geometry.base, geometry.size);
    if let Some(image) = primary {
        flash.load(layout.partitions.primary.start, image);
    }
    flash
}

pub fn engine(layout: &Layout) -> Option<DualSlotEngine> {
    DualSlotConfiguration::from_layout(layout)
        .ok()
        .map(DualSlotEngine::new)
}

/// The service of `L` over `flash`, trusting the test key.
pub fn service<L: LayoutSource>(flash: Flash) -> Service<L> {
    let verifier = FlashImageVerifier::for_layout(&L::LAYOUT, [public_key_from_seed(&SEED)]);
    UpdateService::new(
        flash,
        verifier,
        SimulatedChip::default(),
        engine(&L::LAYOUT),
        true,
    )
}

/// Erases the units covering `image` and programs it, as the protocol's transfer does.
pub fn receive<L: LayoutSource>(service: &mut Service<L>, image: &[u8]) {
    let mut offset = 0;
    while offset < image.len() as u32 {
        let unit = service.erase_unit(offset).expect("a unit in the target");
        assert_eq!(unit.offset, offset, "units follow each other");
        service.erase(unit).expect("erase");
        offset = unit.offset + unit.size;
    }
    for (index, chunk) in image.chunks(1024).enumerate() {
        service
            .program(index as u32 * 1024, chunk)
            .expect("program");
    }
}

/// Sector erases of the sectors starting at an address `counted` accepts.
fn erases_where(flash: &Flash, layout: &Layout, counted: impl Fn(u32) -> bool) -> u32 {
    layout
        .board
        .part
        .flash
        .sectors
        .iter()
        .zip(&flash.statistics().erases_per_sector)
        .filter(|(sector, _)| counted(sector.start))
        .map(|(_, erases)| erases)
        .sum()
}

/// Sector erases outside `layout`'s update target and state partition.
pub fn erases_outside_target(flash: &Flash, layout: &Layout) -> u32 {
    let partitions = layout.partitions;
    let allowed = [partitions.secondary, partitions.state];
    erases_where(flash, layout, |start| {
        !allowed
            .iter()
            .flatten()
            .any(|region| region.contains(start))
    })
}

/// Sector erases in `region`.
pub fn erases_in(flash: &Flash, layout: &Layout, region: Region) -> u32 {
    erases_where(flash, layout, |start| region.contains(start))
}

/// Boots `service`'s flash (an overwrite layout) with the overwrite install: the image it
/// starts and what the install did (panics if it stays in the bootloader).
pub fn boot_overwrite<L: LayoutSource>(
    service: Service<L>,
) -> (ImageSummary, slingshot_update::BootEvent, Flash) {
    let (mut flash, mut verifier, _) = service.into_parts();
    let configuration =
        slingshot_update::OverwriteConfiguration::from_layout(&L::LAYOUT).expect("overwrite");
    let outcome = slingshot_update::OverwriteEngine::new(configuration)
        .boot(&mut flash, &mut verifier)
        .expect("boot");
    let BootAction::Start { image, .. } = outcome.action else {
        panic!("an image starts: {outcome:?}");
    };
    (image, outcome.event, flash)
}

/// Boots `service`'s flash with the real update engine: the image it starts and whether on
/// trial (panics if it stays in the bootloader). Returns the flash and verifier too.
pub fn boot<L: LayoutSource>(service: Service<L>) -> (ImageSummary, bool, Flash, Verifier) {
    let (mut flash, mut verifier, _) = service.into_parts();
    let outcome = engine(&L::LAYOUT)
        .expect("engine")
        .boot(&mut flash, &mut verifier)
        .expect("boot");
    let BootAction::Start { image, trial, .. } = outcome.action else {
        panic!("an image starts: {outcome:?}");
    };
    (image, trial, flash, verifier)
}
