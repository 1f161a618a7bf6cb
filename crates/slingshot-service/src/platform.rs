//! What the update service needs from the program that runs it: the layout and version it was
//! built with, what only the chip does ([`Platform`]), and which signing keys it trusts
//! ([`KeyRing`]).

use slingshot_flash_controller::option_bytes::OptionBytes;
use slingshot_image::KEY_ID_SIZE;
use slingshot_layout::Layout;
use slingshot_protocol::info::Version;

/// The chip and build the service runs on.
pub trait Platform {
    /// The layout the program was built for (the firmware's `slingshot_layout::ACTIVE`).
    const LAYOUT: Layout;
    /// The version the Info reply reports for the bootloader.
    const BOOTLOADER_VERSION: Version;

    /// Resets the chip (on the STM32 it does not return).
    fn reboot(&mut self);
    /// Whether the serial port can run at `baud` from the current clock.
    fn supports_baud(&self, baud: u32) -> bool;
    /// Switches the serial port to `baud` (after the reply that agreed to it has left).
    fn set_baud(&mut self, baud: u32);
    /// The option bytes as loaded now.
    fn option_bytes(&self) -> OptionBytes;
    /// Programs the option bytes to `values` and reloads them.
    fn program_option_bytes(&mut self, values: OptionBytes) -> Result<(), OptionBytesFailed>;
    /// DBGMCU_IDCODE (device and revision id).
    fn id_code(&self) -> u32;
    /// Runs `work` — the verification before the answer to ST's Go command, for which
    /// stm32flash waits only half a second — on the fastest clock the chip offers, back on
    /// the serial port's clock before the answer. The default runs it as it is.
    fn at_full_speed<R>(work: impl FnOnce() -> R) -> R {
        work()
    }
}

/// Programming the option bytes failed (an error flag, a timeout, or a value that did not stick).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionBytesFailed;

/// The signing keys an image may be signed with, by key id (docs/IMAGE_FORMAT.md): checked
/// when an update is announced, before anything is erased.
pub trait KeyRing {
    /// Whether a trusted key has id `key_id`.
    fn trusts(&self, key_id: &[u8; KEY_ID_SIZE]) -> bool;
}
