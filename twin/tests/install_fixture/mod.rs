//! The flash of a device about to install an update, for the power-cut sweep: the real
//! bootloader, the signed application v1 in the primary slot, a signed v2 in the secondary
//! slot, and the journal saying "pending" — written on the host with `slingshot-update`'s
//! own `mark_pending`, as the application's `FirmwareWriter` would.
//!
//! v2 is v1 with its banner's version patched to `v2.0.0`, 24 KB of seeded filler appended
//! (so the install swaps one sector pair more than v1 occupies, including a 64 KB pair) and
//! signed as version 2.0.0 with the development key, as `cargo xtask build` signs v1.

use anyhow::{bail, ensure, Context, Result};
use slingshot_files::MemoryImage;
use slingshot_flash_sim::{SimulatedFlash, SplitMix64};
use slingshot_image::signing::{sign_image, SigningParameters};
use slingshot_image::{parse_trailer, Version, PUBLIC_KEY_SIZE};
use slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT as LAYOUT;
use slingshot_service::FlashImageVerifier;
use slingshot_testkit::artifacts::{firmware_file, repository_root, Program};
use slingshot_twin::{Twin, TwinConfig};
use slingshot_update::{DualSlotConfiguration, DualSlotEngine};

/// Banner prefix of the example application.
pub const BANNER: &str = "slingshot example application v";
/// Bytes of filler appended to v2.
const V2_FILLER: usize = 24 * 1024;

/// v2 from the signed v1: banner patched, filler appended, signed as 2.0.0.
fn version_2(signed_v1: &[u8], seed: &[u8; 32]) -> Result<Vec<u8>> {
    let trailer = parse_trailer(signed_v1).map_err(|error| anyhow::anyhow!("{error:?}"))?;
    let descriptor = trailer.descriptor;
    let mut image = signed_v1[..descriptor.image_size as usize].to_vec();
    let old = format!("{BANNER}1.0.0");
    let positions: Vec<usize> = image
        .windows(old.len())
        .enumerate()
        .filter(|(_, window)| *window == old.as_bytes())
        .map(|(position, _)| position)
        .collect();
    let [position] = positions[..] else {
        bail!("expected the banner {old:?} once in the application, found {positions:?}");
    };
    image[position + BANNER.len()] = b'2';
    // Word 7 holds the trailer offset: cleared so that signing sets the new size.
    image[28..32].fill(0);
    let mut filler = vec![0u8; V2_FILLER];
    SplitMix64::new(2).fill(&mut filler);
    image.extend_from_slice(&filler);
    let parameters = SigningParameters {
        load_address: descriptor.load_address,
        board_id: descriptor.board_id,
        version: Version {
            major: 2,
            minor: 0,
            patch: 0,
            build: 0,
        },
        security_counter: descriptor.security_counter,
    };
    sign_image(&image, &parameters, seed).map_err(|error| anyhow::anyhow!("{error}"))
}

/// The whole 2 MB flash of a device with v1 running and v2 pending.
pub fn pending_update_flash() -> Result<Vec<u8>> {
    let key_path = repository_root().join("keys/development.pem");
    let key_pair = slingshot_cli::keys::load_private_key(&key_path)
        .context("the development key (run `cargo xtask build` first)")?;
    let seed: [u8; 32] = *key_pair.sk.seed();
    let public_key: [u8; PUBLIC_KEY_SIZE] = *key_pair.pk;
    let signed_v1 = std::fs::read(firmware_file(Program::Application, "signed.bin")?)?;
    let signed_v2 = version_2(&signed_v1, &seed)?;

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
    ensure!(summary.version >> 48 == 2, "pending image {summary:?}");
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
