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
/// `movs r2, #0x20; lsls r2, #24` (r2 = 0x2000_0000, SRAM), then
/// `ldr r1, [r2]; adds r1, #1; str r1, [r2]; b .-6`.
const MEMORY_LOOP: [u8; 20] = [
    0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08, 0x20, 0x22, 0x12, 0x06, 0x11, 0x68, 0x01, 0x31,
    0x11, 0x60, 0xFB, 0xE7,
];

/// CPU time this thread has used, in seconds (wall time is inflated on a shared machine).
fn thread_cpu_seconds() -> f64 {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    time.tv_sec as f64 + time.tv_nsec as f64 / 1e9
}

/// Million instructions per second by wall time and by thread CPU time.
fn mips(program: &[u8], instructions: u64) -> Result<(f64, f64)> {
    let mut twin = Twin::new(TwinConfig::default())?;
    twin.load_flash_image(&MemoryImage::from_binary(program, 0x0800_0000)?)?;
    twin.power_on()?;
    let (started, cpu_started) = (Instant::now(), thread_cpu_seconds());
    let stop = twin.run(instructions)?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = thread_cpu_seconds() - cpu_started;
    ensure!(
        stop == Stop::InstructionLimit,
        "benchmark loop stopped early: {stop:?}"
    );
    let millions = instructions as f64 / 1e6;
    Ok((millions / seconds, millions / cpu_seconds))
}

impl BenchCommand {
    /// Execute the command.
    pub fn run(self) -> Result<()> {
        for (name, program) in [
            ("tight loop", &TIGHT_LOOP[..]),
            ("load/store loop", &MEMORY_LOOP[..]),
        ] {
            let (wall, cpu) = mips(program, self.instructions)?;
            println!("{name:16} {wall:7.1} MIPS (wall time), {cpu:7.1} MIPS (thread CPU time)");
        }
        let mut cpu_times = Vec::new();
        let mut times = Vec::new();
        let mut instructions = 0;
        for _ in 0..self.boots.max(1) {
            let (started, cpu_started) = (Instant::now(), thread_cpu_seconds());
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
            cpu_times.push((thread_cpu_seconds() - cpu_started) * 1e3);
            instructions = twin.instructions();
        }
        times.sort_by(f64::total_cmp);
        cpu_times.sort_by(f64::total_cmp);
        println!(
            "boot (new twin, load both ELFs, run to \"VTOR=\"): {:.2} ms wall, {:.2} ms CPU, median of {} ({} instructions)",
            times[times.len() / 2],
            cpu_times[cpu_times.len() / 2],
            times.len(),
            instructions
        );
        Ok(())
    }
}
