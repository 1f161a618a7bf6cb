//! `slingshot-twin bench`: million instructions per second with every hook in place (a tight
//! loop and a load/store loop in flash), and the wall time of one boot of the real bootloader
//! and application (twin creation, loading both ELFs, power-on, until the application prints
//! its VTOR line).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use clap::Args;
use slingshot_files::MemoryImage;
use slingshot_twin::{Stop, Twin, TwinConfig};

/// Options of `bench`.
#[derive(Args)]
pub struct BenchCommand {
    /// Instructions per speed measurement.
    #[arg(long, default_value_t = 200_000_000)]
    instructions: u64,
    /// Bootloader ELF for the boot measurement.
    #[arg(
        long,
        default_value = "firmware/target/thumbv7em-none-eabihf/release/slingshot-bootloader"
    )]
    bootloader: PathBuf,
    /// Application ELF for the boot measurement.
    #[arg(
        long,
        default_value = "firmware/target/thumbv7em-none-eabihf/release/example-application"
    )]
    application: PathBuf,
    /// Boots to time (the median is reported).
    #[arg(long, default_value_t = 5)]
    boots: usize,
}

/// `adds r0, #1; b .-2` after a vector table (SP 0x2000_1000, reset 0x0800_0009).
const TIGHT_LOOP: [u8; 12] = [
    0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08, 0x01, 0x30, 0xFD, 0xE7,
];
/// `ldr r1, [r2]; adds r1, #1; str r1, [r2]; b .-6` with r2 = 0 (the boot alias is read-only
/// flash, so the loop first points r2 at SRAM: `movs r2, #0x20; lsls r2, #24`).
const MEMORY_LOOP: [u8; 20] = [
    0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08, 0x20, 0x22, 0x12, 0x06, 0x11, 0x68, 0x01, 0x31,
    0x11, 0x60, 0xFB, 0xE7,
];

fn mips(program: &[u8], instructions: u64) -> Result<f64> {
    let mut twin = Twin::new(TwinConfig::default())?;
    twin.load_flash_image(&MemoryImage::from_binary(program, 0x0800_0000)?)?;
    twin.power_on()?;
    let started = Instant::now();
    let stop = twin.run(instructions)?;
    let seconds = started.elapsed().as_secs_f64();
    ensure!(
        stop == Stop::InstructionLimit,
        "benchmark loop stopped early: {stop:?}"
    );
    Ok(instructions as f64 / seconds / 1e6)
}

impl BenchCommand {
    /// Execute the command.
    pub fn run(self) -> Result<()> {
        println!(
            "tight loop:      {:7.1} MIPS",
            mips(&TIGHT_LOOP, self.instructions)?
        );
        println!(
            "load/store loop: {:7.1} MIPS",
            mips(&MEMORY_LOOP, self.instructions)?
        );
        let mut times = Vec::new();
        let mut instructions = 0;
        for _ in 0..self.boots.max(1) {
            let started = Instant::now();
            let mut twin = Twin::new(TwinConfig::default())?;
            twin.load_flash_file(&self.bootloader, None)
                .with_context(|| {
                    format!(
                        "{} (build it with `cargo xtask build`)",
                        self.bootloader.display()
                    )
                })?;
            twin.load_flash_file(&self.application, None)
                .with_context(|| {
                    format!(
                        "{} (build it with `cargo xtask build`)",
                        self.application.display()
                    )
                })?;
            twin.power_on()?;
            let stop = twin.run_until(50_000_000, |twin| {
                twin.serial_output()
                    .windows(5)
                    .any(|window| window == b"VTOR=")
            })?;
            ensure!(
                stop == Stop::Condition,
                "the application never printed its VTOR line"
            );
            times.push(started.elapsed().as_secs_f64() * 1e3);
            instructions = twin.instructions();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "boot (bootloader + application to \"VTOR=\"): {:.2} ms median of {} ({} instructions)",
            times[times.len() / 2],
            times.len(),
            instructions
        );
        Ok(())
    }
}
