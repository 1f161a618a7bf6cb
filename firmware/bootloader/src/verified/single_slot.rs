//! The single-slot plan: the primary image must verify; there is no engine, no trial and no
//! persistent anti-rollback minimum (see docs/UPDATE_ENGINE.md, "Single-slot plan").

use super::{verifier, Cleared};
use crate::refusal::Refusal;

/// Clear the primary image on its signature.
pub fn boot() -> Result<Cleared, Refusal> {
    verifier::verify_primary_only()
}
