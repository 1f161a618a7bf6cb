//! The wiring between the portable update service (`slingshot-service`) and this chip: the
//! [`Platform`] (the active layout, this bootloader's version, reset, baud rate, option bytes)
//! and the trusted keys of the bootloader's verifier. Everything the service decides —
//! admission, the target slot, verification, install, protection — is in `slingshot-service`
//! and tested on the host.

use crate::verified::verifier::{SignedImageVerifier, TRUSTED_KEYS};
use slingshot_flash_controller::option_bytes::OptionBytes;
use slingshot_image::KEY_ID_SIZE;
use slingshot_layout::{Layout, ACTIVE};
use slingshot_protocol::info::Version;
use slingshot_service::{KeyRing, OptionBytesFailed, Platform};
use slingshot_stm32::{option_bytes, system, usart_dma};

/// Parses a decimal version field of Cargo's package version at compile time.
const fn decimal(text: &str) -> u8 {
    let bytes = text.as_bytes();
    let mut value: u32 = 0;
    let mut index = 0;
    while index < bytes.len() {
        value = value * 10 + (bytes[index] - b'0') as u32;
        index += 1;
    }
    if value > 255 {
        255
    } else {
        value as u8
    }
}

/// The STM32 the bootloader runs on, with the layout it was built for.
pub struct Stm32;

impl Platform for Stm32 {
    const LAYOUT: Layout = ACTIVE;
    const BOOTLOADER_VERSION: Version = Version {
        major: decimal(env!("CARGO_PKG_VERSION_MAJOR")),
        minor: decimal(env!("CARGO_PKG_VERSION_MINOR")),
        patch: decimal(env!("CARGO_PKG_VERSION_PATCH")),
        build: 0,
    };

    fn reboot(&mut self) {
        system::reset()
    }

    fn supports_baud(&self, baud: u32) -> bool {
        usart_dma::supports_baud(baud)
    }

    fn set_baud(&mut self, baud: u32) {
        usart_dma::switch_baud(baud);
    }

    // Out of line: the Info reply and the protection request both read them (24 B less flash,
    // 2026-12-06).
    #[inline(never)]
    fn option_bytes(&self) -> OptionBytes {
        option_bytes::read()
    }

    fn program_option_bytes(&mut self, values: OptionBytes) -> Result<(), OptionBytesFailed> {
        option_bytes::program(values)
            .map(|_| ())
            .map_err(|_| OptionBytesFailed)
    }

    fn id_code(&self) -> u32 {
        option_bytes::id_code()
    }

    /// On the PLL with `fast-verify`, as the boot decision (USART3 idles meanwhile: the host
    /// waits for the answer to Go).
    fn at_full_speed<R>(work: impl FnOnce() -> R) -> R {
        crate::at_decision_speed(work)
    }
}

impl KeyRing for SignedImageVerifier {
    fn trusts(&self, key_id: &[u8; KEY_ID_SIZE]) -> bool {
        TRUSTED_KEYS.iter().any(|key| key.key_id == *key_id)
    }
}
