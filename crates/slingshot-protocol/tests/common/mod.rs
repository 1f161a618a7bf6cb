//! Shared test support: the bootloader's real serial update service (`slingshot-service`) on
//! the simulated flash of the Nucleo-F429ZI (`slingshot-flash-sim`: NOR rules, datasheet
//! timings, torn operations), signed test images, the in-memory link simulator, and a model of
//! ST's ROM bootloader for comparison.
#![allow(dead_code)]

pub mod link;
pub mod rom;

use slingshot_flash_sim::{SimulatedFlash, SplitMix64, TimingModel};
use slingshot_image::signing::{public_key_from_seed, sign_image, SigningParameters};
use slingshot_image::{Version, DESCRIPTOR_SIZE, TRAILER_SIZE};
use slingshot_layout::Region;
use slingshot_service::simulated::{LayoutSource, SimulatedChip};
use slingshot_service::{FlashImageVerifier, UpdateService};
use slingshot_update::{DualSlotConfiguration, DualSlotEngine};

/// The simulated chip's flash (x32 programming, like the STM32F4 at 3.3 V).
pub type Flash = SimulatedFlash<4>;
/// The test bootloader's verifier: the key of [`SEED`].
pub type Verifier = FlashImageVerifier<[[u8; 32]; 1]>;
/// The bootloader's serial update service for the layout of `L`.
pub type Service<L> = UpdateService<Flash, Verifier, SimulatedChip<L>>;

/// The signing key's seed.
pub const SEED: [u8; 32] = [0x51; 32];

/// `count` bytes from the fixed-seed generator.
pub fn random_bytes(seed: u64, count: usize) -> Vec<u8> {
    let mut bytes = vec![0; count];
    SplitMix64::new(seed).fill(&mut bytes);
    bytes
}

/// The update engine of `L`'s layout (`None` for a single-slot layout).
pub fn engine<L: LayoutSource>() -> Option<DualSlotEngine> {
    DualSlotConfiguration::from_layout(&L::LAYOUT)
        .ok()
        .map(DualSlotEngine::new)
}

/// The slot images are received into.
pub fn target<L: LayoutSource>() -> Region {
    Service::<L>::TARGET
}

/// The flash of a device that has booted once with an empty primary slot: every sector erased,
/// the update journal formatted; statistics from zero. With `old_content`, the update target
/// holds seeded junk instead (an older application, as before a real update).
pub fn device_flash<L: LayoutSource>(old_content: Option<u64>) -> Flash {
    let geometry = L::LAYOUT.board.part.flash;
    let mut flash = Flash::new(geometry, 0xF1A5);
    flash.load_erased(geometry.base, geometry.size);
    if let Some(engine) = engine::<L>() {
        engine.state(&mut flash).expect("the journal formats");
    }
    if let Some(seed) = old_content {
        let target = target::<L>();
        flash.load(target.start, &random_bytes(seed, target.size as usize));
    }
    flash.reset_statistics();
    flash
}

/// [`device_flash`] whose erases take no time (to measure the link alone).
pub fn instant_erase(mut flash: Flash) -> Flash {
    flash.set_timing(TimingModel {
        erase_16_kib_microseconds: 0,
        erase_64_kib_microseconds: 0,
        erase_128_kib_microseconds: 0,
        ..TimingModel::STM32F4_X32_TYPICAL
    });
    flash
}

/// The service of `L` over `flash`, trusting the key of [`SEED`] (it surveys the slots).
pub fn service<L: LayoutSource>(flash: Flash) -> Service<L> {
    let verifier = FlashImageVerifier::for_layout(&L::LAYOUT, [public_key_from_seed(&SEED)]);
    UpdateService::new(
        flash,
        verifier,
        SimulatedChip::default(),
        engine::<L>(),
        true,
    )
}

/// A signed image of exactly `length` bytes for `L`'s layout, with `security_counter`: a
/// seeded application (stack pointer and reset vector plausible, word 7 for the trailer
/// offset), its trailer, and seeded bytes after the signature where `length` needs them.
pub fn signed_image<L: LayoutSource>(length: usize, seed: u64, security_counter: u32) -> Vec<u8> {
    signed_image_for(
        &L::LAYOUT,
        L::LAYOUT.board.board_id,
        length,
        seed,
        security_counter,
    )
}

/// [`signed_image`] for board `board_id`.
pub fn signed_image_for(
    layout: &slingshot_layout::Layout,
    board_id: u32,
    length: usize,
    seed: u64,
    security_counter: u32,
) -> Vec<u8> {
    let payload_length = (length - TRAILER_SIZE) / 4 * 4;
    let mut payload = random_bytes(seed, payload_length);
    payload[0..4].copy_from_slice(&0x2002_FFE0u32.to_le_bytes());
    payload[4..8].copy_from_slice(&(layout.partitions.primary.start + 0x101).to_le_bytes());
    payload[28..32].fill(0);
    let parameters = SigningParameters {
        load_address: layout.partitions.primary.start,
        board_id,
        version: Version::parse("2.0.0").expect("version"),
        security_counter,
    };
    let mut signed = sign_image(&payload, &parameters, &SEED).expect("signed");
    let tail = random_bytes(seed ^ 0x7A11, length - signed.len());
    signed.extend_from_slice(&tail);
    signed
}

/// The descriptor a StartUpdate announces for `signed`.
pub fn descriptor(signed: &[u8]) -> Vec<u8> {
    let trailer = slingshot_image::parse_trailer(signed).expect("a signed image");
    let start = trailer.descriptor.image_size as usize;
    signed[start..start + DESCRIPTOR_SIZE].to_vec()
}

/// The first `length` bytes of the update target.
pub fn received<L: LayoutSource>(service: &Service<L>, length: usize) -> &[u8] {
    service.flash().contents(target::<L>().start, length as u32)
}

/// The modelled time the flash has been busy, in nanoseconds.
pub fn busy_nanoseconds(flash: &Flash) -> u64 {
    flash.statistics().modelled_microseconds * 1000
}

/// The service's platform, for its baud rate and reboot flag.
pub fn chip<L: LayoutSource>(service: &Service<L>) -> &SimulatedChip<L> {
    service.platform()
}
