//! Build script of slingshot-stm32: without the `device-interrupts` feature this crate supplies
//! the interrupt table (`interrupt_table`), and cortex-m-rt's `link.x`, built with its `device`
//! feature, includes a `device.x` naming the device's interrupt handlers. The PAC writes that
//! file only with its `rt` feature; here there are no handlers to name, so the file is empty.

use std::{env, fs, path::PathBuf};

fn main() {
    if env::var_os("CARGO_FEATURE_DEVICE_INTERRUPTS").is_none() {
        let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        fs::write(
            out.join("device.x"),
            "/* slingshot-stm32: one-entry interrupt table, no device interrupt handlers. */\n",
        )
        .expect("OUT_DIR is writable");
        println!("cargo:rustc-link-search={}", out.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
}
