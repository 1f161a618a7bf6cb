//! The real bootloader on the F429 twin, driven by the real host library
//! (`slingshot_cli::flashing::flash`) over [`TwinLink`]: a `Transport` on the twin's USART3
//! whose clock is the twin's modelled time. Writing queues bytes on the twin's receive line
//! (paced at the device's baud rate by the USART model); reading runs the twin until bytes
//! arrive or the timeout in modelled time has passed. Deterministic and faster than real time.
//!
//! The link is a host UART at its own rate: the twin's USART model garbles every byte whose
//! frame passes while the board's rate differs from it beyond the receiver's tolerance
//! (`Twin::set_line_baud`). [`LinkFaults`] adds seeded corruption and loss in
//! both directions and a cable pull (the transport returns `Disconnected` for a stretch of
//! modelled time, during which the board's output is lost).
//!
//! Images: v2 is built from the signed v1 of the same build (banner patched to the new version,
//! seeded filler appended, signed with the development key or another one), as
//! `install_fixture` does, so each layout's test needs only `cargo xtask build` (dual slot) and
//! `cargo xtask build --layout single` (firmware/target/variants/single).

// Each test binary uses a different part of the fixture.
#![allow(dead_code, unused_imports)]

pub mod an3155_client;
mod boot;
pub mod cuts;
#[path = "../image_fixture/mod.rs"]
mod images;
mod link;

pub use boot::{check_power_on, expect_application, observe_boot, settle_after_flash, Boot};
pub use images::{
    development_seed, patched_application, signed_bytes, unchecked_image, v1_parts, ImageSpec,
    BANNER,
};
pub use link::{FaultCounts, LinkFaults, TwinLink};

use anyhow::{bail, Context, Result};
use slingshot_cli::flashing::{flash, FlashEvent, FlashOptions, FlashReport, RunningVersion};
use slingshot_layout::Layout;
use slingshot_testkit::artifacts::{firmware_file, repository_root, Program};
use slingshot_twin::{Stop, Twin, TwinConfig};
use std::path::PathBuf;
use std::time::Duration;

/// Banner prefix of the example application.
/// Instructions per `run_until` call inside the link (the condition ends it much earlier).
const RUN_BUDGET: u64 = 50_000_000;
/// Picoseconds per second.
const PS_PER_SECOND: u64 = 1_000_000_000_000;

/// Which build of bootloader and application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// `cargo xtask build`: dual-slot layout, install by swap.
    Dual,
    /// `cargo xtask build --layout single`: single-slot layout, overwrite in place.
    Single,
    /// `cargo xtask build --board BOARD --layout single`: another board's single-slot build
    /// (firmware/target/variants/BOARD-single), on a twin of that board.
    SingleOn(&'static str),
    /// `cargo xtask build --board BOARD --layout overwrite`: a single-bank board's overwrite
    /// build (firmware/target/variants/BOARD-overwrite), on a twin of that board.
    OverwriteOn(&'static str),
}

impl Build {
    /// The layout the build uses.
    pub fn layout(self) -> &'static Layout {
        match self {
            Build::Dual => &slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT,
            Build::Single => &slingshot_layout::NUCLEO_F429ZI_SINGLE_SLOT,
            Build::SingleOn(board) => slingshot_layout::layouts::layout_for(
                slingshot_layout::Board::by_name(board).expect("a known board"),
                slingshot_layout::UpdateMode::SingleSlot,
            )
            .expect("every board has a single-slot layout"),
            Build::OverwriteOn(board) => slingshot_layout::layouts::layout_for(
                slingshot_layout::Board::by_name(board).expect("a known board"),
                slingshot_layout::UpdateMode::Overwrite,
            )
            .expect("a single-bank board has an overwrite layout"),
        }
    }

    /// The board the build is for.
    pub fn board(self) -> &'static slingshot_layout::Board {
        slingshot_layout::Board::by_name(self.layout().board.name).expect("a known board")
    }

    /// Path of a firmware file of this build (`name` with extension).
    fn file(self, program: Program, extension: &str) -> Result<PathBuf> {
        match self {
            Build::Dual => firmware_file(program, extension),
            Build::SingleOn(board) => slingshot_testkit::artifacts::board_firmware_file(
                board, "single", program, extension,
            ),
            Build::OverwriteOn(board) => slingshot_testkit::artifacts::board_firmware_file(
                board,
                "overwrite",
                program,
                extension,
            ),
            Build::Single => {
                let base = match program {
                    Program::Bootloader => "slingshot-bootloader",
                    _ => "example-application",
                };
                let path = repository_root()
                    .join("firmware/target/variants/single/thumbv7em-none-eabihf/release")
                    .join(format!("{base}.{extension}"));
                if !path.exists() {
                    bail!(
                        "{} is missing: run `cargo xtask build --layout single`",
                        path.display()
                    );
                }
                Ok(path)
            }
        }
    }

    /// The bootloader file of this build with `extension` (`"bin"`, `"hex"` or `""`).
    pub fn file_path(self, extension: &str) -> Result<PathBuf> {
        self.file(Program::Bootloader, extension)
    }

    /// The signed application v1 of this build.
    pub fn signed_v1(self) -> Result<Vec<u8>> {
        let path = self.file(Program::Application, "signed.bin")?;
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    }

    /// A twin, powered on, with this build's bootloader and signed v1 in the primary slot.
    pub fn twin(self, seed: u64) -> Result<Twin> {
        self.twin_prepared(seed, |_| {})
    }

    /// [`Build::twin`], with `prepare` applied before the power-on (option bytes, the LSI).
    pub fn twin_prepared(self, seed: u64, prepare: impl FnOnce(&mut Twin)) -> Result<Twin> {
        let mut twin = Twin::new(TwinConfig {
            strict: true,
            seed,
            board: self.board(),
        })?;
        let bootloader = self.file(Program::Bootloader, "bin")?;
        twin.load_flash_file(&bootloader, Some(0x0800_0000))?;
        let primary = self.layout().partitions.primary.start;
        twin.load_flash_file(
            &self.file(Program::Application, "signed.bin")?,
            Some(primary),
        )?;
        prepare(&mut twin);
        twin.power_on()?;
        Ok(twin)
    }
}

/// Whether `report` says v2 runs: the application's boot report names the signed image's
/// version 2.0.0+0 (and its banner 2.0.0), in `state` when given.
pub fn runs_v2(report: &FlashReport, state: Option<&str>) -> bool {
    matches!(
        &report.running,
        Some(RunningVersion::Image { banner: Some(banner), version, state: reported })
            if banner == "2.0.0"
                && version == "2.0.0+0"
                && state.is_none_or(|state| state == reported)
    )
}

/// Runs `flash` over a fault-free link; the report and whether a resume was reported.
pub fn flash_image(
    twin: &mut Twin,
    bytes: Vec<u8>,
    options: &FlashOptions,
) -> Result<(FlashReport, Option<u64>)> {
    let image = unchecked_image(bytes)?;
    let mut resumed = None;
    let report = flash(TwinLink::new(twin), &image, options, &mut |event| {
        if let FlashEvent::Resuming { offset } = event {
            resumed = Some(offset);
        }
    })?;
    Ok((report, resumed))
}

/// `flash`'s defaults, but waiting long enough for the banner after a dual-slot install (the
/// swap erases and copies sector pairs before the application starts).
pub fn options() -> FlashOptions {
    FlashOptions {
        banner_timeout: Duration::from_secs(30),
        ..FlashOptions::default()
    }
}
