//! `slingshot-twin bench`: million instructions per second with every hook in place (a tight
//! loop and a load/store loop in flash), and the wall time of one boot of the real bootloader
//! and application (twin creation, loading the bootloader ELF and the signed application,
//! power-on, signature check, until the application prints its VTOR line). `--markdown`
//! prints the same figures as a Markdown table for `docs/BENCHMARKS.md`.

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
    /// Application for the boot measurement: the signed image (a `.bin` is loaded at the
    /// application slot, 0x0800_8000; ELF and HEX carry their addresses).
    #[arg(
        long,
        default_value = "firmware/target/thumbv7em-none-eabihf/release/example-application.signed.bin"
    )]
    application: PathBuf,
    /// Boots to time (the median is reported).
    #[arg(long, default_value_t = 5)]
    boots: usize,
    /// Print a Markdown table instead of plain lines.
    #[arg(long)]
    markdown: bool,
}

/// Where a raw application binary is loaded: the start of the application slot.
const APPLICATION_SLOT: u32 = 0x0800_8000;

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

/// Run until the application prints its VTOR line.
fn run_to_vtor(twin: &mut Twin) -> Result<()> {
    let stop = twin.run_until(50_000_000, |twin| {
        twin.serial_output()
            .windows(5)
            .any(|window| window == b"VTOR=")
    })?;
    ensure!(
        stop == Stop::Condition,
        "the application never printed its VTOR line"
    );
    Ok(())
}

/// The median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

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
        let mut speeds = Vec::new();
        for (name, program) in [
            ("tight loop (`adds; b`)", &TIGHT_LOOP[..]),
            (
                "load/store loop on SRAM (`ldr; adds; str; b`)",
                &MEMORY_LOOP[..],
            ),
        ] {
            let (wall, cpu) = mips(program, self.instructions)?;
            if !self.markdown {
                println!("{name:48} {wall:7.1} MIPS (wall time), {cpu:7.1} MIPS (thread CPU time)");
            }
            speeds.push((name, wall, cpu));
        }
        let application_address = self
            .application
            .extension()
            .is_some_and(|extension| extension == "bin")
            .then_some(APPLICATION_SLOT);
        let mut cpu_times = Vec::new();
        let mut times = Vec::new();
        let mut instructions = 0;
        let (mut warm_times, mut warm_cpu_times, mut warm_instructions) =
            (Vec::new(), Vec::new(), 0);
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
            twin.load_flash_file(&self.application, application_address)
                .with_context(|| {
                    format!(
                        "{} (build it with `cargo xtask build`)",
                        self.application.display()
                    )
                })?;
            twin.power_on()?;
            run_to_vtor(&mut twin)?;
            times.push(started.elapsed().as_secs_f64() * 1e3);
            cpu_times.push((thread_cpu_seconds() - cpu_started) * 1e3);
            instructions = twin.instructions();
            // Power cycle: the first boot of a blank device formatted the update journal
            // (a 16 KB erase the bootloader waits for); later boots do not.
            twin.take_serial_output();
            let first = twin.instructions();
            let (started, cpu_started) = (Instant::now(), thread_cpu_seconds());
            twin.power_on()?;
            run_to_vtor(&mut twin)?;
            warm_times.push(started.elapsed().as_secs_f64() * 1e3);
            warm_cpu_times.push((thread_cpu_seconds() - cpu_started) * 1e3);
            warm_instructions = twin.instructions() - first;
        }
        let (wall, cpu) = (median(&mut times), median(&mut cpu_times));
        let (warm_wall, warm_cpu) = (median(&mut warm_times), median(&mut warm_cpu_times));
        if self.markdown {
            println!("| measurement | wall time | thread CPU time | target |");
            println!("|---|---|---|---|");
            for (name, wall, cpu) in speeds {
                println!(
                    "| {name}, every hook in place | {wall:.1} MIPS | {cpu:.1} MIPS | ≥ 50 MIPS |"
                );
            }
            println!(
                "| one boot: new twin, load bootloader + signed application, verify, run to `VTOR=` ({instructions} instructions, median of {}) | {wall:.2} ms | {cpu:.2} ms | < 50 ms |",
                times.len()
            );
            println!(
                "| the next power-on of that twin, journal already formatted, to `VTOR=` ({warm_instructions} instructions) | {warm_wall:.2} ms | {warm_cpu:.2} ms | |"
            );
        } else {
            println!(
                "boot (new twin, load bootloader + signed application, run to \"VTOR=\"): {wall:.2} ms wall, {cpu:.2} ms CPU, median of {} ({instructions} instructions)",
                times.len()
            );
            println!(
                "next power-on (journal formatted): {warm_wall:.2} ms wall, {warm_cpu:.2} ms CPU ({warm_instructions} instructions)"
            );
        }
        Ok(())
    }
}
