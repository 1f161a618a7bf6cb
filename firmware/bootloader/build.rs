//! Writes the bootloader's `memory.x` from slingshot-layout (the single source of truth) into
//! OUT_DIR and puts it on the linker's search path for cortex-m-rt's `link.x`.

use slingshot_layout::linker::{write_memory_x, Program};
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut script = String::new();
    write_memory_x(
        &mut script,
        &slingshot_layout::ACTIVE,
        Program::Bootloader,
        0,
    )
    .expect("formatting into a String cannot fail");
    fs::write(out.join("memory.x"), script).expect("OUT_DIR is writable");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
}
