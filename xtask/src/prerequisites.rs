//! Prerequisites: the Cortex-M target for rustup and the Debian packages the tasks need.
//! Installed automatically when possible (rustup always; apt-get when running as root),
//! otherwise the exact command to run is printed and the task fails.

use crate::process::{capture, on_path, run_checked};
use anyhow::{bail, Result};
use clap::Args;
use std::process::Command;

/// The Rust target of the STM32F4 (Cortex-M4F with hardware floating point).
pub const FIRMWARE_TARGET: &str = "thumbv7em-none-eabihf";

/// A Debian package and how to tell it is installed.
#[derive(Clone, Copy, Debug)]
pub struct Package {
    /// Debian package name.
    pub name: &'static str,
    /// A command it provides, if any (checked on PATH); otherwise `dpkg -s` is asked.
    pub command: Option<&'static str>,
}

/// QEMU with the netduinoplus2 (STM32F405) machine.
pub const QEMU: Package = Package {
    name: "qemu-system-arm",
    command: Some("qemu-system-arm"),
};
/// cmake, to build the Unicorn engine for the twin.
pub const CMAKE: Package = Package {
    name: "cmake",
    command: Some("cmake"),
};
/// libclang, for Unicorn's bindings.
pub const LIBCLANG: Package = Package {
    name: "libclang-dev",
    command: None,
};
/// stm32flash, the client of ST's serial bootloader protocol the twin's AN3155 test runs.
pub const STM32FLASH: Package = Package {
    name: "stm32flash",
    command: Some("stm32flash"),
};
/// gdb for ARM targets.
pub const GDB: Package = Package {
    name: "gdb-multiarch",
    command: Some("gdb-multiarch"),
};

/// Arguments of `cargo xtask setup`.
#[derive(Args)]
pub struct SetupArguments {
    /// Also install gdb-multiarch (for `cargo xtask gdb`).
    #[arg(long)]
    debugger: bool,
}

/// `cargo xtask setup`: install everything for run and test.
pub fn run(arguments: SetupArguments) -> Result<()> {
    ensure_firmware_target()?;
    let mut packages = vec![QEMU, CMAKE, LIBCLANG, STM32FLASH];
    if arguments.debugger {
        packages.push(GDB);
    }
    ensure_packages(&packages)?;
    eprintln!("xtask: everything needed is installed");
    Ok(())
}

/// Make sure rustup has the firmware target, adding it if not.
pub fn ensure_firmware_target() -> Result<()> {
    let installed = capture(Command::new("rustup").args(["target", "list", "--installed"]));
    match installed {
        Ok(output) if String::from_utf8_lossy(&output.stdout).contains(FIRMWARE_TARGET) => Ok(()),
        Ok(_) => run_checked(Command::new("rustup").args(["target", "add", FIRMWARE_TARGET])),
        Err(_) => {
            // No rustup: the toolchain may still have the target (e.g. a distribution build).
            let probe = capture(Command::new("rustc").args([
                "--print",
                "target-libdir",
                "--target",
                FIRMWARE_TARGET,
            ]))?;
            let directory = String::from_utf8_lossy(&probe.stdout).trim().to_owned();
            if probe.status.success() && std::path::Path::new(&directory).exists() {
                Ok(())
            } else {
                bail!("the Rust target {FIRMWARE_TARGET} is missing and rustup is not available: install rustup (https://rustup.rs) and run `rustup target add {FIRMWARE_TARGET}`")
            }
        }
    }
}

fn installed(package: &Package) -> bool {
    match package.command {
        Some(command) => on_path(command),
        None => capture(Command::new("dpkg").args(["-s", package.name]))
            .map(|output| output.status.success())
            .unwrap_or(false),
    }
}

fn running_as_root() -> bool {
    capture(Command::new("id").arg("-u"))
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Make sure the Debian packages are installed: apt-get as root, else say what to run.
pub fn ensure_packages(packages: &[Package]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|package| !installed(package))
        .map(|package| package.name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !running_as_root() || !on_path("apt-get") {
        bail!(
            "missing Debian packages: {list}\ninstall them with:\n    sudo apt-get update && sudo apt-get install -y {list}"
        );
    }
    eprintln!("xtask: installing {list}");
    run_checked(
        Command::new("apt-get")
            .arg("update")
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    run_checked(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    let still_missing: Vec<&str> = packages
        .iter()
        .filter(|package| !installed(package))
        .map(|package| package.name)
        .collect();
    if !still_missing.is_empty() {
        bail!(
            "apt-get finished but these are still missing: {}",
            still_missing.join(" ")
        );
    }
    Ok(())
}
