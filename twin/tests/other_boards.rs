//! Boards other than the Nucleo-F429ZI on twins of their own part (issue 14): the Nucleo-F401RE
//! (Nucleo-64: USART2 on PA2/PA3 with DMA1 stream 5, LD2 on PA5, 96 KB SRAM, 512 KB flash,
//! verification at 84 MHz) and the Nucleo-F412ZG (Nucleo-144: USART3, 256 KB SRAM, a 1 MB
//! single-bank map, a 100 MHz part verifying at 100 MHz in voltage scale 1). Each board's own
//! single-slot build boots, verifies and starts its application on the strict twin; updates over its serial
//! port with the real host library; and survives power cuts during the update (transfer
//! programs, torn programs, torn erases) without being bricked: the next `slingshot flash`
//! completes and v2 runs.
//!
//! Needs `cargo xtask build --board nucleo-f401re --layout single` and
//! `cargo xtask build --board nucleo-f412zg --layout single` (`cargo xtask test` does both).
//! The full matrix — every board of the table booted and updated — is `cargo xtask test boards`
//! (it builds every board first and runs the ignored test below).

mod serial_fixture;

use anyhow::{ensure, Context, Result};
use serial_fixture::cuts::{reference_operations, CutPicker};
use serial_fixture::{
    check_power_on, expect_application, flash_image, observe_boot, options, settle_after_flash,
    signed_bytes, unchecked_image, Build, ImageSpec, TwinLink,
};
use slingshot_cli::flashing::flash;
use slingshot_twin::{PowerCut, Twin};

/// Seeded filler appended to v2 (the image then spans a 64 KB sector beyond v1's).
const V2_FILLER: usize = 24 * 1024;
/// The single-slot layout's state as the application's boot report gives it.
const SINGLE_SLOT_STATE: &str = "unknown (single-slot layout)";

const NUCLEO_F401RE: Build = Build::SingleOn("nucleo-f401re");
const NUCLEO_F412ZG: Build = Build::SingleOn("nucleo-f412zg");

/// The board's build boots on its twin: the bootloader verifies v1 and the application prints
/// its banner and ticks on the board's serial port, with no unmodelled access and no model
/// diagnostic (the twin is strict), and the heartbeat LED blinks.
fn boots(build: Build) -> Result<Twin> {
    let mut twin = build.twin(5)?;
    let boot = observe_boot(&mut twin, 3)?;
    expect_application(&boot, "1.0.0", false)?;
    let board = twin.board();
    let heartbeat = build.board().leds[0];
    ensure!(
        board
            .led_events
            .iter()
            .any(|event| event.pin == (heartbeat.pin.port as char, u32::from(heartbeat.pin.number))),
        "{}: the heartbeat LED {} ({}) never changed; LED events {:?}",
        build.board().name,
        heartbeat.name,
        heartbeat.pin,
        board.led_events
    );
    ensure!(
        board.unmodelled.is_empty(),
        "unmodelled accesses: {:?}",
        board.unmodelled
    );
    // The verification ran at the part's own highest clock (100 MHz on the F412 in voltage
    // scale 1), and the regulator and the PWR clock are back in their reset state.
    let clock = build.board().part.clock;
    ensure!(
        board.highest_core_clock_hz == u64::from(clock.verification_hz),
        "{}: highest HCLK {} Hz, the part verifies at {} Hz",
        build.board().name,
        board.highest_core_clock_hz,
        clock.verification_hz
    );
    let reset_regulator = slingshot_twin::regulator::VoltageRegulator::new(clock);
    ensure!(
        board.regulator.read(0, false) == reset_regulator.read(0, false),
        "PWR_CR 0x{:08x} after the hand-off",
        board.regulator.read(0, false)
    );
    ensure!(!board.rcc.apb1_enabled(28), "RCC_APB1ENR.PWREN left on");
    Ok(twin)
}

/// A full update over the board's serial port: v2 transferred, verified, written in place and
/// running after the reboot, and again after a power cycle.
fn updates(build: Build) -> Result<()> {
    let mut twin = boots(build)?;
    let v2 = signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(V2_FILLER))?;
    let size = v2.len() as u32;
    let (report, resumed) = flash_image(&mut twin, v2, &options())?;
    ensure!(resumed.is_none(), "a fresh transfer reported a resume");
    ensure!(
        report.transfer.image_size == size,
        "transfer {:?}",
        report.transfer
    );
    ensure!(
        serial_fixture::runs_v2(&report, Some(SINGLE_SLOT_STATE)),
        "running after the reboot: {:?}",
        report.running
    );
    expect_application(&settle_after_flash(&mut twin)?, "2.0.0", false)?;
    twin.power_on()?;
    expect_application(&observe_boot(&mut twin, 5)?, "2.0.0", false)?;
    Ok(())
}

/// Power cuts at flash operations of the update (picked with a fixed seed from a reference
/// run): every power-on after the cut shows v1 or the bootloader waiting, never a crash, and
/// `slingshot flash` again completes with v2 running.
fn power_cuts_never_brick(build: Build) -> Result<()> {
    let bytes = signed_bytes(&build.signed_v1()?, &ImageSpec::version_2(V2_FILLER))?;
    let image = unchecked_image(bytes)?;
    const SEED: u64 = 43;
    let operations = reference_operations(build, &image, SEED)?;
    let (programs, erases) = (&operations.transfer_programs, &operations.transfer_erases);
    let mut picker = CutPicker::new(0x5EED_0014);
    let mut pick = |from: &[u64]| picker.pick(from);
    let cuts = [
        (
            "before a program",
            PowerCut::BeforeFlashOperation(pick(programs)),
        ),
        (
            "torn program",
            PowerCut::DuringFlashOperation {
                index: pick(programs),
                per_mille: 400,
            },
        ),
        (
            "torn erase",
            PowerCut::DuringFlashOperation {
                index: pick(erases),
                per_mille: 500,
            },
        ),
        (
            "the last program",
            PowerCut::DuringFlashOperation {
                index: *programs.last().expect("checked above"),
                per_mille: 600,
            },
        ),
    ];
    for (label, cut) in cuts {
        let mut twin = build.twin(SEED)?;
        expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
        twin.arm_power_cut(cut);
        let outcome = flash(TwinLink::new(&mut twin), &image, &options(), &mut |_| {});
        ensure!(
            !twin.is_powered(),
            "{label}: the cut never happened, flash: {outcome:?}"
        );
        let state = check_power_on(&mut twin, label)?;
        let (report, _) = flash_image(&mut twin, image.bytes.clone(), &options())
            .with_context(|| format!("{label}: flash after the cut ({state})"))?;
        ensure!(
            serial_fixture::runs_v2(&report, Some(SINGLE_SLOT_STATE)),
            "{label}: running {:?}",
            report.running
        );
        expect_application(&settle_after_flash(&mut twin)?, "2.0.0", false)?;
        eprintln!(
            "{} {label} ({cut:?}): power-on showed {state}; v2 runs",
            build.board().name
        );
    }
    Ok(())
}

#[test]
fn nucleo_f401re_boots_its_application() -> Result<()> {
    boots(NUCLEO_F401RE).map(|_| ())
}

#[test]
fn nucleo_f401re_updates_over_usart2() -> Result<()> {
    updates(NUCLEO_F401RE)
}

#[test]
fn nucleo_f401re_power_cuts_during_an_update_never_brick() -> Result<()> {
    power_cuts_never_brick(NUCLEO_F401RE)
}

#[test]
fn nucleo_f412zg_boots_its_application() -> Result<()> {
    boots(NUCLEO_F412ZG).map(|_| ())
}

#[test]
fn nucleo_f412zg_updates_over_usart3() -> Result<()> {
    updates(NUCLEO_F412ZG)
}

#[test]
fn nucleo_f412zg_power_cuts_during_an_update_never_brick() -> Result<()> {
    power_cuts_never_brick(NUCLEO_F412ZG)
}

/// A twin of `board` with `build`'s bootloader and application, its DBGMCU_IDCODE replaced
/// by `idcode` when given, powered on; the serial output after `instructions`.
fn foreign_chip(
    build: Build,
    board: &'static slingshot_layout::Board,
    idcode: Option<u32>,
) -> Result<(Twin, String)> {
    let mut twin = Twin::new(slingshot_twin::TwinConfig {
        strict: true,
        seed: 9,
        board,
    })?;
    twin.load_flash_file(&build.file_path("bin")?, Some(0x0800_0000))?;
    twin.load_flash_image(&slingshot_files::MemoryImage::from_binary(
        &build.signed_v1()?,
        0x0800_8000,
    )?)?;
    if let Some(idcode) = idcode {
        twin.board_mut().debug_mcu_idcode = idcode;
    }
    twin.set_line_baud(Some(115_200));
    twin.power_on()?;
    twin.run(60_000_000)?;
    let text = String::from_utf8_lossy(twin.serial_output()).into_owned();
    Ok((twin, text))
}

#[test]
fn a_build_for_another_part_says_so_and_changes_nothing() -> Result<()> {
    // The Nucleo-F401RE build (DEV_ID 0x433) on a Nucleo-F411RE (DEV_ID 0x431: same pins, same
    // 512 KB map, more RAM): the bootloader reads IDCODE and stops.
    let (twin, text) = foreign_chip(
        NUCLEO_F401RE,
        &slingshot_layout::boards::NUCLEO_F411RE,
        None,
    )?;
    ensure!(
        text.contains(
            "slingshot: wrong part: built for DEV_ID 0x433, the chip reads IDCODE 0x10000431 and \
             F_SIZE 0x0000 (KB; 0: not read); changing nothing\r\n"
        ),
        "output: {text:?}"
    );
    ensure!(
        !text.contains(serial_fixture::BANNER),
        "the application ran: {text:?}"
    );
    ensure!(
        twin.board().flash.operations_started == 0,
        "{} flash operations",
        twin.board().flash.operations_started
    );
    Ok(())
}

#[test]
fn where_the_device_id_reads_zero_the_flash_size_decides() -> Result<()> {
    // ES0182: an F40x's IDCODE reads 0 without a debugger. The Nucleo-F412ZG build (1024 KB)
    // on a Nucleo-F413ZH (F_SIZE 1536) whose IDCODE reads 0: refused by the flash size.
    let (twin, text) = foreign_chip(
        NUCLEO_F412ZG,
        &slingshot_layout::boards::NUCLEO_F413ZH,
        Some(0),
    )?;
    ensure!(
        text.contains("the chip reads IDCODE 0x00000000 and F_SIZE 0x0600 (KB"),
        "output: {text:?}"
    );
    ensure!(twin.board().flash.operations_started == 0);
    // On its own part with IDCODE reading 0, the flash size matches: it boots.
    let (_, text) = foreign_chip(
        NUCLEO_F412ZG,
        &slingshot_layout::boards::NUCLEO_F412ZG,
        Some(0),
    )?;
    ensure!(text.contains(serial_fixture::BANNER), "output: {text:?}");
    Ok(())
}

#[test]
#[ignore = "full board matrix: run `cargo xtask test boards`, which builds every board first"]
fn every_board_boots_and_updates_over_its_serial_port() -> Result<()> {
    for board in slingshot_layout::ALL_BOARDS {
        // The default board's single-slot build is `cargo xtask build --layout single`.
        let build = if board.name == slingshot_layout::BUILD_BOARD.name {
            Build::Single
        } else {
            Build::SingleOn(board.name)
        };
        updates(build).with_context(|| format!("{} ({})", board.product, board.part.name))?;
        eprintln!(
            "{}: boots v1, updates to v2 over {}",
            board.product,
            board.serial.usart.name()
        );
    }
    Ok(())
}
