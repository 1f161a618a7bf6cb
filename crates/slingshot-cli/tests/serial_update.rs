//! `slingshot flash`, `info` and `monitor` end to end through the real `HostSession` and the
//! TCP transport, against a simulated board (the protocol's `Device` over the bootloader's real update service
//! and engine on the simulated flash, served on 127.0.0.1 by a thread): a full update with plain progress, entering the
//! bootloader from a running application, resumption after a power cut that drops the
//! connection, refusals before connecting and by the device, `info` and `monitor --lines`.

mod common;

use common::board::{BoardFlash, BoardOptions, OtherBoard, SimulatedBoard, SmallSlot};
use common::{application, Workspace};
use slingshot_image::signing::{public_key_from_seed, sign_image, SigningParameters};
use slingshot_image::Version;
use slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT;
use slingshot_service::simulated::LayoutSource;

const SEED: [u8; 32] = [7; 32];

/// A signed image of `length` application bytes for the dual-slot layout.
fn signed(length: usize, version: &str, board_id: u32) -> Vec<u8> {
    let parameters = SigningParameters {
        load_address: NUCLEO_F429ZI_DUAL_SLOT.partitions.primary.start,
        board_id,
        version: Version::parse(version).expect("version"),
        security_counter: 1,
    };
    sign_image(&application(length), &parameters, &SEED).expect("signed")
}

fn board_id() -> u32 {
    NUCLEO_F429ZI_DUAL_SLOT.board.board_id
}

/// A board running a signed v1.0.0 that trusts the test key.
fn trusted_flash() -> BoardFlash {
    trusted_flash_for(board_id())
}

/// A board of `VARIANT` running v1.0.0 built for `board_id`, trusting the test key.
fn trusted_flash_for<L: LayoutSource>(board_id: u32) -> BoardFlash<L> {
    BoardFlash::new(public_key_from_seed(&SEED)).with_installed(&signed(
        4 * 1024,
        "1.0.0",
        board_id,
    ))
}

/// Runs `slingshot flash` of `image` against `flash`, expects a refusal and returns the
/// report's section for it; the device has installed nothing.
fn refused_by<L: LayoutSource>(
    workspace: &Workspace,
    name: &str,
    flash: BoardFlash<L>,
    image: &str,
) -> String {
    let board = SimulatedBoard::start(flash, BoardOptions::default());
    let spec = board.spec();
    let error = workspace
        .run(&["flash", "--port", &spec, "--progress", "none", image])
        .expect_err("refused");
    board.with_flash(|flash| {
        assert!(flash.installed().is_none(), "{name}: nothing installed");
        assert_eq!(
            flash.slot_erases(),
            0,
            "{name}: no slot sector erased (only the journal may be formatted)"
        );
    });
    format!("{name}:\n{}\n\n", normalize(&error, &board))
}

/// Output with the board's port number and the transfer's timing replaced.
fn normalize<L: LayoutSource>(text: &str, board: &SimulatedBoard<L>) -> String {
    text.replace(&board.spec(), "tcp:[BOARD]")
        .lines()
        .map(|line| match line.strip_prefix("transferred ") {
            Some(rest) => {
                let bytes = rest.split(" in ").next().unwrap_or("");
                let counters = rest.split("; ").nth(1).unwrap_or("");
                format!("transferred {bytes} in [TIME] s ([RATE] KB/s); {counters}")
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn flash_arguments<'a>(board: &'a str, image: &'a str) -> Vec<&'a str> {
    vec![
        "flash",
        "--port",
        board,
        "--baud",
        "1000000",
        "--progress",
        "plain",
        image,
    ]
}

#[test]
fn full_update_with_plain_progress() {
    let workspace = Workspace::new();
    let image = signed(24 * 1024, "2.0.0+9", board_id());
    let path = workspace.file("app-v2.signed.bin", &image);
    let board = SimulatedBoard::start(trusted_flash(), BoardOptions::default());
    let spec = board.spec();
    let output = workspace
        .run(&flash_arguments(&spec, &path.display().to_string()))
        .expect("flash succeeds");
    insta::assert_snapshot!("flash_full_update", normalize(&output, &board));
    board.with_flash(|flash| {
        assert!(flash.runs(&image), "the primary slot holds the image");
        assert_eq!(flash.installed().map(|version| version.major), Some(2));
    });
}

#[test]
fn hex_image_is_flashed_like_its_binary() {
    let workspace = Workspace::new();
    let image = signed(10 * 1024, "2.1.0", board_id());
    let start = NUCLEO_F429ZI_DUAL_SLOT.partitions.primary.start;
    let hex = slingshot_files::MemoryImage::from_binary(&image, start)
        .expect("memory image")
        .to_ihex();
    let path = workspace.file("app.signed.hex", hex.as_bytes());
    let board = SimulatedBoard::start(trusted_flash(), BoardOptions::default());
    let spec = board.spec();
    let output = workspace
        .run(&flash_arguments(&spec, path.to_str().unwrap()))
        .expect("flash succeeds");
    assert!(output.contains("now running: 2.1.0+0 (trial)"), "{output}");
    board.with_flash(|flash| assert!(flash.runs(&image), "the image was installed"));
}

#[test]
fn running_application_is_asked_to_enter_the_bootloader() {
    let workspace = Workspace::new();
    let image = signed(8 * 1024, "3.1.0", board_id());
    let path = workspace.file("app.signed.bin", &image);
    let options = BoardOptions {
        start_in_application: true,
        tick_interval_milliseconds: 1000,
        ..BoardOptions::default()
    };
    let board = SimulatedBoard::start(trusted_flash(), options);
    let spec = board.spec();
    let output = workspace
        .run(&flash_arguments(&spec, &path.display().to_string()))
        .expect("flash succeeds");
    assert!(
        output.contains("asked the running application to enter it ('b')"),
        "{output}"
    );
    assert!(output.contains("now running: 3.1.0+0 (trial)"), "{output}");
}

#[test]
fn resumes_after_a_power_cut_that_dropped_the_connection() {
    let workspace = Workspace::new();
    let image = signed(40 * 1024, "2.0.0", board_id());
    let path = workspace.file("app.signed.bin", &image);
    let options = BoardOptions {
        cut_after_bytes: Some(20_500),
        ..BoardOptions::default()
    };
    let board = SimulatedBoard::start(trusted_flash(), options);
    let spec = board.spec();
    let arguments = flash_arguments(&spec, path.to_str().expect("UTF-8 path"));
    let first = workspace.run(&arguments).expect_err("the link drops");
    let second = workspace.run(&arguments).expect("the second run completes");
    insta::assert_snapshot!(
        "flash_resume",
        format!(
            "first run:\n{}\n\nsecond run:\n{}",
            normalize(&first, &board),
            normalize(&second, &board)
        )
    );
    let resumed: u64 = second
        .lines()
        .find_map(|line| line.strip_prefix("resuming at "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .expect("a resume line");
    assert!(resumed >= 16 * 1024, "resumed at {resumed}");
    board.with_flash(|flash| {
        assert!(flash.runs(&image), "the image was installed");
    });
}

#[test]
fn refusals_before_connecting() {
    let workspace = Workspace::new();
    let other_board = workspace.file("other.bin", &signed(4096, "1.0.0", 0x0407_0001));
    let too_large = workspace.file("large.bin", &signed(900 * 1024, "1.0.0", board_id()));
    let unsigned = workspace.file("unsigned.bin", &application(4096));
    // Nothing listens on port 1: reaching the port would fail differently.
    let mut report = String::new();
    for path in [&other_board, &too_large, &unsigned] {
        let error = workspace
            .run(&["flash", "--port", "tcp:127.0.0.1:1", path.to_str().unwrap()])
            .expect_err("refused");
        report.push_str(&error);
        report.push('\n');
    }
    insta::assert_snapshot!("flash_refusals_before_connecting", report);
}

#[test]
fn refusals_by_the_device_leave_it_untouched() {
    let workspace = Workspace::new();
    let image = workspace.file("app.signed.bin", &signed(20 * 1024, "2.0.0", board_id()));
    let image = image.to_str().unwrap();
    let mut report = String::new();

    report.push_str(&refused_by(
        &workspace,
        "device of another board",
        trusted_flash_for::<OtherBoard>(0x0407_0001),
        image,
    ));
    report.push_str(&refused_by(
        &workspace,
        "device with a smaller slot",
        trusted_flash_for::<SmallSlot>(board_id()),
        image,
    ));
    let untrusted: BoardFlash = BoardFlash::new(public_key_from_seed(&[9; 32]))
        .with_installed(&signed(4 * 1024, "1.0.0", board_id()));
    report.push_str(&refused_by(
        &workspace,
        "device trusting another key",
        untrusted,
        image,
    ));
    insta::assert_snapshot!("flash_refusals_by_device", report);
}

#[test]
fn info_reports_board_layout_slots_and_state() {
    let workspace = Workspace::new();
    let flash: BoardFlash = BoardFlash::new(public_key_from_seed(&SEED)).with_installed(&signed(
        4 * 1024,
        "1.4.2+17",
        board_id(),
    ));
    let board = SimulatedBoard::start(flash, BoardOptions::default());
    let output = workspace
        .run(&["info", "--port", &board.spec()])
        .expect("info");
    insta::assert_snapshot!("info_output", output);
}

#[test]
fn info_without_bootloader_says_what_to_do() {
    let workspace = Workspace::new();
    let options = BoardOptions {
        start_in_application: true,
        tick_interval_milliseconds: 10_000,
        ..BoardOptions::default()
    };
    let board = SimulatedBoard::start(trusted_flash(), options);
    let error = workspace
        .run(&["info", "--port", &board.spec()])
        .expect_err("no bootloader");
    insta::assert_snapshot!("info_no_answer", normalize(&error, &board));
}

#[test]
fn monitor_prints_lines_until_the_limit() {
    let workspace = Workspace::new();
    let options = BoardOptions {
        start_in_application: true,
        tick_interval_milliseconds: 5,
        ..BoardOptions::default()
    };
    let board = SimulatedBoard::start(trusted_flash(), options);
    let output = workspace
        .run(&["monitor", "--port", &board.spec(), "--lines", "4"])
        .expect("monitor");
    assert_eq!(output, "tick 1\ntick 2\ntick 3\ntick 4\n");
}

#[test]
fn monitor_stops_after_the_given_seconds() {
    let workspace = Workspace::new();
    let options = BoardOptions {
        start_in_application: true,
        tick_interval_milliseconds: 5,
        ..BoardOptions::default()
    };
    let board = SimulatedBoard::start(trusted_flash(), options);
    let output = workspace
        .run(&["monitor", "--port", &board.spec(), "--seconds", "0.2"])
        .expect("monitor");
    for (index, line) in output.lines().enumerate() {
        assert_eq!(line, format!("tick {}", index + 1));
    }
}

#[test]
fn reboot_is_acknowledged_and_the_application_starts() {
    let workspace = Workspace::new();
    let flash = trusted_flash();
    let board = SimulatedBoard::start(flash, BoardOptions::default());
    let output = workspace
        .run(&["reboot", "--port", &board.spec()])
        .expect("reboot");
    assert_eq!(
        normalize(&output, &board),
        "the bootloader on tcp:[BOARD] acknowledged the reboot"
    );
    // The application runs now: the bootloader no longer answers.
    let error = workspace
        .run(&["info", "--port", &board.spec()])
        .expect_err("application running");
    assert!(error.contains("no answer from the board"), "{error}");
}

#[test]
fn image_signed_for_another_address_is_refused_before_connecting() {
    let workspace = Workspace::new();
    let parameters = SigningParameters {
        load_address: 0x0810_8000,
        board_id: board_id(),
        version: Version::parse("1.0.0").expect("version"),
        security_counter: 1,
    };
    let image = sign_image(&application(4096), &parameters, &SEED).expect("signed");
    let path = workspace.file("elsewhere.bin", &image);
    let error = workspace
        .run(&["flash", "--port", "tcp:127.0.0.1:1", path.to_str().unwrap()])
        .expect_err("refused");
    assert_eq!(
        error,
        "error: [DIR]/elsewhere.bin is signed to run at 0x08108000, but the primary slot of \
         layout nucleo-f429zi-dual starts at 0x08008000: sign it for this layout"
    );
}

#[test]
fn missing_port_is_named() {
    let workspace = Workspace::new();
    let image = workspace.file("app.signed.bin", &signed(4096, "1.0.0", board_id()));
    let error = workspace
        .run(&[
            "flash",
            "--port",
            "/dev/slingshot-no-such-port",
            image.to_str().unwrap(),
        ])
        .expect_err("missing port");
    assert!(
        error.contains("serial port /dev/slingshot-no-such-port does not exist"),
        "{error}"
    );
}
