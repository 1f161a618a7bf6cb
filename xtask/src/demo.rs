//! `cargo xtask demo [--board NAME]`: the whole system. Builds the bootloader and two versions
//! of the example application for the board (the Nucleo-F429ZI by default), signs them, boots
//! version 1 — on the board's twin, or on the board when a debug probe is attached (programmed
//! through probe-rs) — updates it to version 2 with `slingshot flash` over the serial port (the
//! twin's TCP port, or the ST-LINK virtual COM port), with the progress bar visible, and shows
//! version 2 running after the reset.

use crate::build::{self, Artifacts, BuildArguments};
use crate::prerequisites::{ensure_packages, CMAKE, LIBCLANG};
use crate::process::{cargo, describe, repository_root, run_checked};
use anyhow::{bail, Context, Result};
use clap::Args;
use slingshot_layout::layouts::layout_for;
use slingshot_layout::UpdateMode;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Arguments of `cargo xtask demo`.
#[derive(Args)]
pub struct DemoArguments {
    /// Baud rate of the update (115200 by default; up to 1000000).
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
    /// Board (`slingshot boards` lists them; default nucleo-f429zi).
    #[arg(long)]
    board: Option<String>,
    /// Partition plan (dual: install by swap with rollback; single: overwrite in place).
    /// Default: dual where the board has it, else single.
    #[arg(long, value_enum)]
    layout: Option<build::LayoutChoice>,
    /// Use the twin even when a debug probe is attached.
    #[arg(long)]
    twin: bool,
}

/// A host binary built by `cargo build --release` in the host workspace.
pub fn host_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository_root().join("target"));
    target.join("release").join(name)
}

/// A free TCP port on the loopback interface.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The twin, killed when dropped.
struct RunningTwin(Child);

impl Drop for RunningTwin {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_twin(artifacts: &Artifacts, port: u16) -> Result<RunningTwin> {
    let mut command = Command::new(host_binary("slingshot-twin"));
    command
        .arg("run")
        .arg("--board")
        .arg(artifacts.layout.board.name)
        .arg("--flash")
        .arg(&artifacts.bootloader)
        .arg("--flash")
        .arg(format!(
            "{}@0x{:08x}",
            artifacts.signed_application().display(),
            artifacts.layout.partitions.primary.start
        ))
        .arg("--serial")
        .arg(format!("tcp:{port}"))
        .stderr(Stdio::piped());
    eprintln!("$ {}", describe(&command));
    let mut child = command.spawn().context("starting the twin")?;
    // The twin's own lines (LED changes, model messages) go to its standard error: shown here
    // on lines of their own, marked `twin |`, without the heartbeat LED's blinking, so they
    // never split the board's serial output. The serial port is ready once the twin says where it listens;
    // what the board prints before `monitor` connects is kept for it.
    let stderr = child.stderr.take().expect("piped");
    let (ready, listening) = std::sync::mpsc::channel();
    let heartbeat = artifacts.layout.board.leds[0].name;
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("slingshot-twin: USART") && line.contains(" on tcp ") {
                let _ = ready.send(());
            }
            if !line.contains(heartbeat) {
                println!("  twin | {line}");
            }
        }
    });
    if listening.recv_timeout(Duration::from_secs(30)).is_err() {
        bail!("the twin did not open its serial port 127.0.0.1:{port}");
    }
    Ok(RunningTwin(child))
}

fn slingshot(arguments: &[&str]) -> Result<()> {
    run_checked(Command::new(host_binary("slingshot")).args(arguments))
}

/// Build everything, boot v1 (twin or board), update it to v2 over serial, show v2 running.
pub fn run(arguments: DemoArguments) -> Result<()> {
    let on_board = !arguments.twin && crate::flash::probe_attached();
    if !on_board {
        ensure_packages(&[CMAKE, LIBCLANG])?;
    }
    let layout = demo_layout(&arguments)?;
    println!(
        "== 1/5 build the bootloader and application v1.0.0 for the {} ({}), signed ==",
        layout.board.product, layout.name
    );
    let choice = build::LayoutChoice::of(layout.update_mode);
    let version_1 = build::run(BuildArguments {
        board: Some(layout.board.name.into()),
        layout: choice,
        application_version: Some("1.0.0".into()),
        variant: Some("demo-v1".into()),
        ..Default::default()
    })?;
    println!("== 2/5 build application v2.0.0, signed ==");
    let version_2 = build::run(BuildArguments {
        board: Some(layout.board.name.into()),
        layout: choice,
        application_version: Some("2.0.0".into()),
        variant: Some("demo-v2".into()),
        ..Default::default()
    })?;
    println!("== 3/5 build the slingshot tool (and the twin) ==");
    let mut packages = vec!["-p", "slingshot-cli"];
    if !on_board {
        packages.extend(["-p", "slingshot-twin"]);
    }
    run_checked(
        cargo()
            .current_dir(repository_root())
            .args(["build", "--release"])
            .args(&packages),
    )?;
    let image = version_2.signed_application();
    let image = image.to_str().context("the image path is not UTF-8")?;
    let baud = arguments.baud.to_string();
    let product = layout.board.product;
    let layout = layout.name;
    if on_board {
        println!("== 4/5 program the {product}: bootloader + application v1.0.0 (probe-rs) ==");
        crate::flash::flash_both(&version_1)?;
        println!("== 5/5 update to v2.0.0 over the board's serial port ==");
        slingshot(&["flash", "--baud", &baud, "--layout", layout, image])?;
        println!("== done: the board runs application v2.0.0 ==");
        return Ok(());
    }
    let port = free_port()?;
    let address = format!("tcp:127.0.0.1:{port}");
    println!("== 4/5 power on the {product} twin: bootloader + application v1.0.0 ==");
    let _twin = start_twin(&version_1, port)?;
    slingshot(&["monitor", "--port", &address, "--seconds", "2"])?;
    println!("== 5/5 update to v2.0.0 over the twin's serial port ==");
    slingshot(&[
        "flash",
        "--port",
        &address,
        "--baud",
        &baud,
        "--layout",
        layout,
        "--progress",
        "bar",
        image,
    ])?;
    slingshot(&["monitor", "--port", &address, "--seconds", "3"])?;
    println!("== done: the twin runs application v2.0.0 ==");
    Ok(())
}

/// The demo's layout: `--board` (default nucleo-f429zi) with `--layout`, or the board's
/// dual-slot layout where it has one and its single-slot layout otherwise.
fn demo_layout(arguments: &DemoArguments) -> Result<&'static slingshot_layout::Layout> {
    let request = BuildArguments {
        board: arguments.board.clone(),
        layout: arguments.layout.unwrap_or_default(),
        ..Default::default()
    };
    if arguments.layout.is_some() {
        return request.resolved_layout();
    }
    let board = request.resolved_board()?;
    [
        UpdateMode::DualSlot,
        UpdateMode::Overwrite,
        UpdateMode::SingleSlot,
    ]
    .into_iter()
    .find_map(|mode| layout_for(board, mode))
    .with_context(|| format!("the {} has no layout", board.product))
}
