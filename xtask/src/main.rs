//! `cargo xtask`: every developer task of Slingshot behind one entry point.
//!
//! Each subcommand lives in its own module with a `run` function; prerequisites (the
//! Cortex-M target, Debian packages) are checked — and installed where possible — by
//! [`prerequisites`] before a task needs them.
#![forbid(unsafe_code)]

mod bench;
mod breakdown;
mod budgets;
mod build;
mod demo;
mod feature_costs;
mod flash;
mod fuzz;
mod gdb;
mod merge;
mod prerequisites;
mod process;
mod reports;
mod run;
mod size;
mod supply_chain;
mod test;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Slingshot developer tasks.
#[derive(Parser)]
#[command(name = "cargo xtask", about = "Slingshot developer tasks")]
struct Arguments {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install what the other tasks need (Cortex-M target, Debian packages).
    Setup(prerequisites::SetupArguments),
    /// Build the bootloader and the application in release, with .bin and .hex files.
    Build(build::BuildArguments),
    /// Build both programs and boot them: in QEMU when no board is attached.
    Run(run::RunArguments),
    /// Board-free demo: boot v1 on the F429 twin, update it to v2 over serial with `slingshot flash`.
    Demo(demo::DemoArguments),
    /// Program both programs into a Nucleo-F429ZI through probe-rs.
    Flash(flash::FlashArguments),
    /// Write one Intel HEX holding both programs, for production programming.
    Merge(merge::MergeArguments),
    /// Flash and RAM used by each program against its budget.
    Size(size::SizeArguments),
    /// Debug both programs at once in QEMU's gdb server.
    Gdb(gdb::GdbArguments),
    /// Build and run the fuzz targets of every parser.
    Fuzz(fuzz::FuzzArguments),
    /// Measure sizes and instruction counts and write docs/BENCHMARKS.md.
    Bench(bench::BenchArguments),
    /// Run every check and test: formatting, lints, firmware builds, host, QEMU and twin tests.
    Test(test::TestArguments),
}

fn main() -> Result<()> {
    match Arguments::parse().task {
        Task::Setup(arguments) => prerequisites::run(arguments),
        Task::Build(arguments) => build::run(arguments).map(|_| ()),
        Task::Run(arguments) => run::run(arguments),
        Task::Flash(arguments) => flash::run(arguments),
        Task::Demo(arguments) => demo::run(arguments),
        Task::Merge(arguments) => merge::run(arguments),
        Task::Size(arguments) => size::run(arguments),
        Task::Gdb(arguments) => gdb::run(arguments),
        Task::Test(arguments) => test::run(arguments),
        Task::Bench(arguments) => bench::run(arguments),
        Task::Fuzz(arguments) => fuzz::run(arguments),
    }
}
