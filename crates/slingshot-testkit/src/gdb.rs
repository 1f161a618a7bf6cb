//! The two-program debugging recipe: gdb with the bootloader's symbols, the application's
//! added at their own addresses, connected to QEMU's gdb server. Shared by `cargo xtask gdb`
//! and the test that proves the recipe stops in both programs.

use std::path::Path;
use std::process::Command;

/// The gdb executable that understands ARM targets (Debian package `gdb-multiarch`).
pub const GDB: &str = "gdb-multiarch";

/// gdb loading both programs' symbols, connected to `localhost:port`, with a breakpoint on
/// `main` — which exists in both programs, so it has two locations: the debugger stops in
/// the bootloader, then again in the application after the hand-off.
pub fn command(bootloader: &Path, application: &Path, port: u16) -> Command {
    let mut command = Command::new(GDB);
    command.arg("-q");
    for line in [
        format!("file {}", bootloader.display()),
        format!("add-symbol-file {}", application.display()),
        format!("target remote :{port}"),
        "break main".to_owned(),
    ] {
        command.arg("-ex").arg(line);
    }
    command
}
