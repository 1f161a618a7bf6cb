//! Writes the application's `memory.x` from slingshot-layout (FLASH = the primary slot,
//! minus room for the signature trailer) and passes the version to print in the banner:
//! `SLINGSHOT_APPLICATION_VERSION` if set (the demo builds two versions), else the package
//! version.

use slingshot_layout::linker::{write_memory_x, Program};
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut script = String::new();
    write_memory_x(
        &mut script,
        &slingshot_layout::ACTIVE,
        Program::Application,
        slingshot_layout::SIGNATURE_TRAILER_RESERVE,
    )
    .expect("formatting into a String cannot fail");
    fs::write(out.join("memory.x"), script).expect("OUT_DIR is writable");
    println!("cargo:rustc-link-search={}", out.display());
    let version = env::var("SLINGSHOT_APPLICATION_VERSION")
        .unwrap_or_else(|_| env::var("CARGO_PKG_VERSION").expect("cargo sets the version"));
    println!("cargo:rustc-env=APPLICATION_VERSION={version}");
    println!("cargo:rerun-if-env-changed=SLINGSHOT_APPLICATION_VERSION");
    println!("cargo:rerun-if-changed=build.rs");
}
