//! Helpers shared by the twin's integration tests: load a pre-assembled program (see
//! `programs/*.s`, rebuilt by `programs/build.sh`) at the start of flash and power on.

use slingshot_files::MemoryImage;
use slingshot_twin::{Twin, TwinConfig};

/// A powered-on twin running `program` from 0x0800_0000.
pub fn twin_with(program: &[u8]) -> Twin {
    let mut twin = Twin::new(TwinConfig {
        strict: true,
        seed: 7,
        ..TwinConfig::default()
    })
    .expect("twin");
    let image = MemoryImage::from_binary(program, 0x0800_0000).expect("image");
    twin.load_flash_image(&image).expect("load");
    twin.power_on().expect("power on");
    twin
}

/// [`twin_with`] for a program that provokes model diagnostics on purpose (the flash error
/// sequences of `programs/flash_errors.s`): strict about unmodelled accesses only.
#[allow(dead_code)]
pub fn twin_expecting_diagnostics(program: &[u8]) -> Twin {
    let mut twin = twin_with(program);
    twin.expect_diagnostics();
    twin
}

/// A little-endian word of RAM.
pub fn word(twin: &Twin, address: u32) -> u32 {
    let bytes = twin.read_memory(address, 4).expect("read");
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}
