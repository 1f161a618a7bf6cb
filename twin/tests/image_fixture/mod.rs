//! The twin tests' one set of image fixtures (included by `serial_fixture` and
//! `install_fixture`): images derived from the signed v1 of a build, the banner patched to the
//! new version, seeded filler appended, signed with the development key (or another seed, or
//! with another board id or security counter).
#![allow(dead_code)]

use anyhow::{bail, Context, Result};
use slingshot_cli::flashing::SignedImage;
use slingshot_flash_sim::SplitMix64;
use slingshot_image::signing::{sign_image, SigningParameters};
use slingshot_image::{parse_trailer, Descriptor, Version};
use slingshot_testkit::artifacts::repository_root;

/// Banner prefix of the example application.
pub const BANNER: &str = "slingshot example application v";

/// How to derive an image from v1.
#[derive(Clone, Copy, Debug)]
pub struct ImageSpec {
    /// Version in the banner and descriptor (major.minor.patch).
    pub version: (u16, u16, u16),
    /// Security counter; `None` keeps v1's.
    pub security_counter: Option<u32>,
    /// Board id; `None` keeps v1's.
    pub board_id: Option<u32>,
    /// Seeded filler appended after the application, in bytes.
    pub filler: usize,
    /// Signing seed; `None` signs with the development key.
    pub signing_seed: Option<[u8; 32]>,
}

impl ImageSpec {
    /// Version 2.0.0 with `filler` bytes appended, signed by the development key.
    pub fn version_2(filler: usize) -> Self {
        ImageSpec {
            version: (2, 0, 0),
            security_counter: None,
            board_id: None,
            filler,
            signing_seed: None,
        }
    }
}

/// The development key's signing seed.
pub fn development_seed() -> Result<[u8; 32]> {
    let key_path = repository_root().join("keys/development.pem");
    let key_pair = slingshot_cli::keys::load_private_key(&key_path)
        .context("the development key (run `cargo xtask build` first)")?;
    Ok(*key_pair.sk.seed())
}

/// v1's unsigned application bytes and descriptor.
pub fn v1_parts(signed_v1: &[u8]) -> Result<(Vec<u8>, Descriptor)> {
    let trailer = parse_trailer(signed_v1).map_err(|error| anyhow::anyhow!("{error:?}"))?;
    let descriptor = trailer.descriptor;
    Ok((
        signed_v1[..descriptor.image_size as usize].to_vec(),
        descriptor,
    ))
}

/// The application of `signed_v1` with its banner set to `spec.version` and the filler
/// appended, unsigned (word 7, the trailer offset, cleared).
pub fn patched_application(signed_v1: &[u8], spec: &ImageSpec) -> Result<Vec<u8>> {
    let (mut image, _) = v1_parts(signed_v1)?;
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
    let (major, minor, patch) = spec.version;
    let new = format!("{major}.{minor}.{patch}");
    if new.len() != 5 {
        bail!("version {new} must have five characters to patch the banner in place");
    }
    image[position + BANNER.len()..position + BANNER.len() + 5].copy_from_slice(new.as_bytes());
    image[28..32].fill(0);
    let mut filler = vec![0u8; spec.filler];
    SplitMix64::new(u64::from(major) * 1000 + spec.filler as u64).fill(&mut filler);
    image.extend_from_slice(&filler);
    Ok(image)
}

/// The signed bytes `spec` describes.
pub fn signed_bytes(signed_v1: &[u8], spec: &ImageSpec) -> Result<Vec<u8>> {
    let (_, descriptor) = v1_parts(signed_v1)?;
    let image = patched_application(signed_v1, spec)?;
    let (major, minor, patch) = spec.version;
    let parameters = SigningParameters {
        load_address: descriptor.load_address,
        board_id: spec.board_id.unwrap_or(descriptor.board_id),
        version: Version {
            major,
            minor,
            patch,
            build: 0,
        },
        security_counter: spec.security_counter.unwrap_or(descriptor.security_counter),
    };
    let seed = match spec.signing_seed {
        Some(seed) => seed,
        None => development_seed()?,
    };
    sign_image(&image, &parameters, &seed).map_err(|error| anyhow::anyhow!("{error}"))
}

/// A [`SignedImage`] without the host's own checks (board, size), so that the device's and
/// `flash`'s refusals are what the test sees.
pub fn unchecked_image(bytes: Vec<u8>) -> Result<SignedImage> {
    let trailer = parse_trailer(&bytes).map_err(|error| anyhow::anyhow!("{error:?}"))?;
    let descriptor = trailer.descriptor;
    let start = descriptor.image_size as usize;
    let descriptor_bytes = bytes[start..start + usize::from(descriptor.descriptor_size)].to_vec();
    Ok(SignedImage {
        bytes,
        descriptor_bytes,
        descriptor,
    })
}
