//! The plain validate-and-jump (built without the `verify` feature): a mailbox request or the
//! button keeps the bootloader, otherwise the primary slot's vector table decides. This is
//! the ≤ 2 KB, ≤ 300-instruction path `cargo xtask bench` measures.

use crate::refusal::Refusal;
use crate::start::Start;
use slingshot_boot::{decide as decide_boot, ApplicationBounds, BootDecision, Request};
use slingshot_layout::ACTIVE;

/// The primary slot and the memories its stack may use (a constant: only these few words
/// reach flash, not the whole layout).
const APPLICATION_BOUNDS: ApplicationBounds = ApplicationBounds::of(&ACTIVE);
use slingshot_stm32::system;

/// What to run: a request or the button wins over a startable application.
pub fn decide(request: Request, button_held: bool) -> Result<Start, Refusal> {
    let slot = ACTIVE.partitions.primary.start;
    let stack_pointer = system::flash_word(slot).unwrap_or(0);
    let reset_vector = system::flash_word(slot + 4).unwrap_or(0);
    match decide_boot(
        &APPLICATION_BOUNDS,
        request,
        button_held,
        stack_pointer,
        reset_vector,
    ) {
        BootDecision::HandOff(application) => Ok(Start::new(application)),
        BootDecision::Stay(reason) => Err(Refusal::Boot(reason)),
    }
}
