//! Puts this crate's own linker script, `link.x`, on the linker's search path. The name is the
//! one firmware/.cargo/config.toml passes with `-T`; the content is this program's alone
//! (no cortex-m-rt).

fn main() {
    let directory = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it");
    println!("cargo:rustc-link-search={directory}");
    println!("cargo:rerun-if-changed=link.x");
    println!("cargo:rerun-if-changed=build.rs");
}
