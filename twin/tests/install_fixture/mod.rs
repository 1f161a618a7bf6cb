//! The flash of a device about to install an update, for the power-cut sweep: the real
//! bootloader, the signed application v1 in the primary slot, a signed v2 in the secondary
//! slot, and the journal saying "pending" — written on the host with `slingshot-update`'s
//! own `mark_pending`, as the application's `FirmwareWriter` would.
//!
//! v2 is v1 with its banner's version patched to `v2.0.0`, 24 KB of seeded filler appended
//! (so the install swaps one sector pair more than v1 occupies, including a 64 KB pair) and
//! signed as version 2.0.0 with the development key, as `cargo xtask build` signs v1.

use anyhow::{ensure, Context, Result};
use slingshot_files::MemoryImage;
use slingshot_flash_sim::SimulatedFlash;
use slingshot_image::signing::public_key_from_seed;
use slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT as LAYOUT;
use slingshot_service::FlashImageVerifier;
use slingshot_testkit::artifacts::{firmware_file, Program};
use slingshot_twin::{Twin, TwinConfig};
use slingshot_update::{DualSlotConfiguration, DualSlotEngine};

#[path = "../image_fixture/mod.rs"]
mod images;

pub use images::BANNER;

/// Bytes of filler appended to v2.
const V2_FILLER: usize = 24 * 1024;

/// The whole 2 MB flash of a device with v1 running and v2 pending.
pub fn pending_update_flash() -> Result<Vec<u8>> {
    let public_key = public_key_from_seed(&images::development_seed()?);
    let signed_v1 = std::fs::read(firmware_file(Program::Application, "signed.bin")?)?;
    let signed_v2 = images::signed_bytes(&signed_v1, &images::ImageSpec::version_2(V2_FILLER))?;

    let mut twin = Twin::new(TwinConfig::default())?;
    twin.load_flash_file(&firmware_file(Program::Bootloader, "")?, None)?;
    let primary = LAYOUT.partitions.primary.start;
    let secondary = LAYOUT
        .partitions
        .secondary
        .context("dual-slot layout")?
        .start;
    twin.load_flash_image(&MemoryImage::from_binary(&signed_v1, primary)?)?;
    twin.load_flash_image(&MemoryImage::from_binary(&signed_v2, secondary)?)?;

    let geometry = LAYOUT.board.part.flash;
    let mut flash = SimulatedFlash::<4>::new(geometry, 0);
    flash.load(geometry.base, &twin.board().flash.content);
    let configuration = DualSlotConfiguration::from_layout(&LAYOUT)
        .map_err(|error| anyhow::anyhow!("dual-slot configuration: {error:?}"))?;
    let engine = DualSlotEngine::new(configuration);
    let summary = engine
        .mark_pending(
            &mut flash,
            &mut FlashImageVerifier::for_layout(&LAYOUT, [public_key]),
        )
        .map_err(|error| anyhow::anyhow!("mark_pending: {error:?}"))?;
    ensure!(summary.version.major() == 2, "pending image {summary:?}");
    Ok(flash.contents(geometry.base, geometry.size).to_vec())
}

/// The version in the banner of the last application start in `output`, once that start has
/// printed `tick 4` (the device is stable: a trial image confirms itself at tick 3); `None`
/// before.
pub fn stable_version(output: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(output);
    let start = text.rfind(BANNER)?;
    let after = &text[start + BANNER.len()..];
    if !after.contains("tick 4\r\n") {
        return None;
    }
    Some(after.lines().next()?.trim().to_string())
}
