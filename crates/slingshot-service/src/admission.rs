//! The checks a StartUpdate request passes before anything is erased: the descriptor the host
//! announces (the signed image's descriptor, as `slingshot-image` lays it out) must parse, be
//! for this board and the primary slot's load address, name a trusted key, fit the update
//! target, end inside the announced image, and carry a security counter not below the minimum.
//!
//! These checks only refuse early; the signature over the received bytes is what counts
//! (`verify` checks everything again on what flash holds).

use crate::KeyRing;
use slingshot_image::{Descriptor, DESCRIPTOR_SIZE, DIGEST_SIZE, SIGNATURE_SIZE};
use slingshot_protocol::device::Refusal;
use slingshot_protocol::error::ErrorCode;

/// What an admitted announcement says about the image to come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// Bytes from the slot start to the end of the signature.
    pub extent: u32,
    /// The image's anti-rollback counter.
    pub security_counter: u32,
}

/// The digest and signature that follow the descriptor.
const DIGEST_AND_SIGNATURE: u32 = (DIGEST_SIZE + SIGNATURE_SIZE) as u32;

/// Admits `descriptor` for an image of `image_size` bytes into a target of `capacity` bytes, for board `board_id`
/// and an application loaded at `load_address`, signed with a key `keys` trusts, with a
/// security counter of at least `minimum`. Each refusal carries the protocol's code and, where
/// docs/PROTOCOL.md defines one, its detail (this board's id, the target's size, the minimum).
///
/// Inlined into its caller (`UpdateService`'s own admission, called twice per StartUpdate) so
/// that the layout's constants fold into the comparisons instead of travelling as arguments.
#[inline(always)]
pub fn admit(
    image_size: u32,
    descriptor: &[u8],
    capacity: u32,
    board_id: u32,
    load_address: u32,
    keys: &impl KeyRing,
    minimum: u32,
) -> Result<Announcement, Refusal> {
    let bad = Refusal::new(ErrorCode::BadDescriptor);
    let first: &[u8; DESCRIPTOR_SIZE] = descriptor
        .get(..DESCRIPTOR_SIZE)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(bad)?;
    let fields = Descriptor::decode(first);
    if fields.check_structure().is_err() {
        return Err(bad);
    }
    if fields.board_id != board_id {
        return Err(Refusal::with_detail(ErrorCode::WrongBoard, board_id));
    }
    if fields.load_address != load_address {
        return Err(Refusal::new(ErrorCode::WrongLoadAddress));
    }
    if !keys.trusts(&fields.key_id) {
        return Err(Refusal::new(ErrorCode::NoTrustedKey));
    }
    let extent = fields
        .image_size
        .checked_add(u32::from(fields.descriptor_size) + DIGEST_AND_SIGNATURE);
    let too_large = Refusal::with_detail(ErrorCode::ImageTooLarge, capacity);
    let extent = extent.ok_or(too_large)?;
    if image_size > capacity || extent > capacity {
        return Err(too_large);
    }
    if extent > image_size {
        // The trailer would lie beyond the bytes the host is going to send.
        return Err(bad);
    }
    if fields.security_counter < minimum {
        return Err(Refusal::with_detail(ErrorCode::VersionTooOld, minimum));
    }
    Ok(Announcement {
        extent,
        security_counter: fields.security_counter,
    })
}
