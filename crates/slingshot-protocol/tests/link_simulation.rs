//! End-to-end tests of `HostSession` against `Device` over the simulated link: clean updates,
//! byte faults, a cable pull, power cuts (with torn flash operations), baud switching,
//! refusals before any erase, and the erase stall absorbed by the credit window.

mod common;

use common::link::{FlashCut, Link, LinkConfig, ProtocolDevice};
use common::{descriptor, Random, SimulatedFlash};
use slingshot_layout::{NUCLEO_F429ZI_DUAL_SLOT, NUCLEO_F429ZI_SINGLE_SLOT};
use slingshot_protocol::device::DeviceConfig;
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::host::{
    HostConfig, HostError, HostSession, TransferReport, Transport as _, TransportError,
};

const BOARD: u32 = 0x0429_0001;

fn image(size: usize, seed: u64) -> Vec<u8> {
    Random::new(seed).bytes(size)
}

fn session(flash: SimulatedFlash, link: LinkConfig) -> HostSession<Link<ProtocolDevice>> {
    let device = ProtocolDevice::new(flash, DeviceConfig::default());
    HostSession::new(Link::new(device, link), HostConfig::default())
}

fn flash_of(session: &HostSession<Link<ProtocolDevice>>) -> &SimulatedFlash {
    session.transport().model.flash()
}

fn assert_written(session: &HostSession<Link<ProtocolDevice>>, image: &[u8]) {
    let flash = flash_of(session);
    assert!(
        flash.memory[..image.len()] == *image,
        "flash holds the image"
    );
    assert_eq!(flash.violations, 0, "no NOR rule was broken");
    assert_eq!(
        session.transport().statistics.overruns,
        0,
        "no byte overran the receive ring"
    );
}

fn update(
    session: &mut HostSession<Link<ProtocolDevice>>,
    image: &[u8],
) -> Result<TransferReport, HostError> {
    let descriptor = descriptor(BOARD, 1, image);
    session.update(image, &descriptor, |_, _| {})
}

#[test]
fn clean_update_single_slot_writes_image_and_installs() {
    let image = image(100 * 1024 + 3, 1);
    let mut session = session(
        SimulatedFlash::for_layout(&NUCLEO_F429ZI_SINGLE_SLOT),
        LinkConfig::default(),
    );
    let info = session.hello().expect("hello");
    assert_eq!(info.board_id, BOARD);
    assert_eq!(info.layout_name(), "nucleo-f429zi-single");
    let mut last = (0, 0);
    let descriptor = descriptor(BOARD, 1, &image);
    let report = session
        .update(&image, &descriptor, |done, total| last = (done, total))
        .expect("update");
    assert_eq!(last, (image.len() as u64, image.len() as u64));
    assert_eq!(
        (report.resumed_from, report.timeouts, report.gaps),
        (0, 0, 0)
    );
    assert_written(&session, &image);
    assert_eq!(flash_of(&session).installs, 1);
    session.reboot().expect("reboot");
    assert_eq!(flash_of(&session).reboots, 1);
}

#[test]
fn dual_slot_update_writes_the_secondary_slot() {
    let image = image(300 * 1024, 2);
    let flash = SimulatedFlash::for_layout(&NUCLEO_F429ZI_DUAL_SLOT);
    assert_eq!(flash.slot.start, 0x0810_8000);
    let mut session = session(flash, LinkConfig::default());
    update(&mut session, &image).expect("update");
    assert_written(&session, &image);
}

#[test]
fn refusals_come_before_any_erase() {
    let image = image(64 * 1024, 3);
    let mut session = session(
        SimulatedFlash::for_layout(&NUCLEO_F429ZI_DUAL_SLOT),
        LinkConfig::default(),
    );
    session
        .transport_mut()
        .model
        .device
        .as_mut()
        .expect("device")
        .handler_mut()
        .minimum_security_counter = 5;
    let wrong_board = descriptor(0x1234_5678, 9, &image);
    assert!(matches!(
        session.update(&image, &wrong_board, |_, _| {}),
        Err(HostError::WrongBoard {
            device_board: BOARD
        })
    ));
    let too_large = vec![0u8; 864 * 1024 + 4];
    assert!(matches!(
        session.update(&too_large, &descriptor(BOARD, 9, &too_large), |_, _| {}),
        Err(HostError::ImageTooLarge {
            detail: 884_736,
            ..
        })
    ));
    let too_old = descriptor(BOARD, 4, &image);
    assert!(matches!(
        session.update(&image, &too_old, |_, _| {}),
        Err(HostError::Rejected {
            code: ErrorCode::VersionTooOld,
            detail: 5,
            ..
        })
    ));
    assert!(matches!(
        session.update(&image, &[1, 2], |_, _| {}),
        Err(HostError::Rejected {
            code: ErrorCode::BadDescriptor,
            ..
        })
    ));
    assert_eq!(flash_of(&session).erases, 0, "nothing erased");
    assert_eq!(flash_of(&session).programmed_bytes, 0, "nothing programmed");
}

#[test]
fn corrupted_and_dropped_bytes_at_one_in_ten_thousand() {
    for seed in 1..=3 {
        let image = image(200 * 1024, seed);
        let link = LinkConfig {
            corrupt_one_in: 10_000,
            drop_one_in: 10_000,
            seed,
            ..LinkConfig::default()
        };
        let mut session = session(SimulatedFlash::for_layout(&NUCLEO_F429ZI_SINGLE_SLOT), link);
        let report = update(&mut session, &image).expect("update completes despite faults");
        let statistics = session.transport().statistics;
        assert!(
            statistics.corrupted + statistics.dropped > 20,
            "faults happened: {statistics:?}"
        );
        assert!(
            report.data_bytes_sent > image.len() as u64,
            "and were recovered from by retransmission: {report:?}"
        );
        assert_written(&session, &image);
    }
}

#[test]
fn cable_pull_then_resume_continues_where_it_stopped() {
    let image = image(256 * 1024, 4);
    let mut session = session(
        SimulatedFlash::for_layout(&NUCLEO_F429ZI_SINGLE_SLOT),
        LinkConfig::default(),
    );
    session.transport_mut().cable_pull_at = Some(8_000_000_000); // 8 s: about 90 KB in
    let error = update(&mut session, &image).expect_err("the pull interrupts the update");
    assert!(
        matches!(error, HostError::Transport(TransportError::Disconnected)),
        "{error:?}"
    );
    let written = session.transport().model.device().contiguous();
    assert!(
        written > 64 * 1024,
        "a good part was written before the pull: {written}"
    );
    session.transport_mut().reconnect();
    let report = update(&mut session, &image).expect("second run completes");
    assert!(
        report.resumed_from >= written - 1024 && report.resumed_from <= written,
        "{report:?}, {written}"
    );
    assert_written(&session, &image);
}

#[test]
fn power_cuts_at_fixed_seed_points_then_resume() {
    let mut random = Random::new(0xC0FFEE);
    let mut torn_or_resumed = 0;
    let mut torn = 0;
    for round in 0..16 {
        let image = image(160 * 1024, 100 + round);
        // The slot holds an older application, as in a real single-slot update.
        let mut flash = SimulatedFlash::for_layout(&NUCLEO_F429ZI_SINGLE_SLOT);
        flash.memory = Random::new(round).bytes(flash.memory.len());
        let mut session = session(flash, LinkConfig::default());
        // Cut somewhere in the first 14 s (the whole transfer takes about 15 s).
        let cut = 500_000_000 + random.below(13_500_000_000);
        session.transport_mut().power_cut_at = Some(cut);
        let report = update(&mut session, &image).expect("the update survives the power cut");
        assert_written(&session, &image);
        let model = &session.transport().model;
        assert_eq!(model.power_cycles, 1, "round {round}: the cut happened");
        torn += model.torn_operations;
        if report.restarts > 0 && report.resumed_from > 0 {
            torn_or_resumed += 1;
        }
    }
    assert!(
        torn_or_resumed >= 8,
        "most cuts resumed from a non-zero offset: {torn_or_resumed}"
    );
    println!("16 power cuts: {torn} inside a flash operation, {torn_or_resumed} resumed from a non-zero offset");
    assert!(
        torn >= 1,
        "at least one cut hit a running erase or program: {torn}"
    );
}

#[test]
fn resume_after_power_cut_with_a_new_session() {
    // The host gives up (the device went away), and a second `slingshot flash` resumes.
    let image = image(128 * 1024, 7);
    let mut session = session(
        SimulatedFlash::for_layout(&NUCLEO_F429ZI_DUAL_SLOT),
        LinkConfig::default(),
    );
    session.transport_mut().power_cut_at = Some(6_000_000_000);
    session.transport_mut().power_off_nanoseconds = 60_000_000_000;
    let error = update(&mut session, &image).expect_err("the device stays off");
    assert!(
        matches!(
            error,
            HostError::RetryBudgetExhausted { .. } | HostError::NoAnswer { .. }
        ),
        "{error:?}"
    );
    // The user runs it again once the board has power again (it stays off for a minute; the
    // first run's timeouts, sized to each request, gave up well before that).
    let off_until = 6_000_000_000 + 60_000_000_000;
    let now = session.transport_mut().now;
    if now < off_until {
        let mut nothing = [0u8; 16];
        let wait = std::time::Duration::from_nanos(off_until - now);
        let _ = session.transport_mut().read(&mut nothing, wait);
    }
    let report = update(&mut session, &image).expect("the second run completes");
    assert!(
        report.resumed_from > 32 * 1024,
        "resumed from what flash held: {report:?}"
    );
    assert_written(&session, &image);
}

#[test]
fn resume_with_a_mismatching_prefix_finds_the_longest_good_prefix() {
    // An older image shares the first 40 KB with the new one; the rest differs.
    let new_image = image(96 * 1024, 8);
    let mut flash = SimulatedFlash::for_layout(&NUCLEO_F429ZI_SINGLE_SLOT);
    let mut old_image = new_image.clone();
    old_image[40 * 1024 + 17] ^= 0x5A;
    flash.memory[..old_image.len()].copy_from_slice(&old_image);
    let mut session = session(flash, LinkConfig::default());
    let report = update(&mut session, &new_image).expect("update");
    assert_eq!(
        report.resumed_from,
        40 * 1024,
        "resumes at the last matching 1 KB boundary"
    );
    assert_written(&session, &new_image);
}

#[test]
fn baud_switch_to_one_megabaud_and_fallback() {
    let image = image(64 * 1024, 9);
    let mut session = session(
        SimulatedFlash::for_layout(&NUCLEO_F429ZI_SINGLE_SLOT),
        LinkConfig::default(),
    );
    assert!(matches!(
        session.set_baud(921_600),
        Err(HostError::Rejected {
            code: ErrorCode::BaudUnsupported,
            detail: 921_600,
            ..
        })
    ));
    session.set_baud(1_000_000).expect("switch");
    assert_eq!(flash_of(&session).uart_baud, 1_000_000);
    update(&mut session, &image).expect("update at 1 Mbaud");
    assert_written(&session, &image);

    // A host whose port cannot follow: the device falls back after its timeout.
    let mut session = self::session(
        SimulatedFlash::for_layout(&NUCLEO_F429ZI_SINGLE_SLOT),
        LinkConfig::default(),
    );
    session.transport_mut().refuse_baud = Some(460_800);
    let error = session
        .set_baud(460_800)
        .expect_err("no confirm gets through");
    assert!(
        matches!(
            error,
            HostError::BaudFallback {
                baud: 460_800,
                fallback: 115_200
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        flash_of(&session).uart_baud,
        115_200,
        "the device fell back"
    );
    session.hello().expect("still talking at the old rate");
}

#[test]
fn erase_stalls_are_absorbed_by_the_credit_window() {
    // With the documented ring size nothing overruns; with a ring far smaller than the window,
    // bytes arriving during a stall are lost (and the protocol still recovers).
    let image = image(200 * 1024, 10);
    let with_old_image = || {
        let mut flash = SimulatedFlash::for_layout(&NUCLEO_F429ZI_SINGLE_SLOT);
        flash.memory = Random::new(77).bytes(flash.memory.len());
        flash
    };
    let mut session = session(with_old_image(), LinkConfig::default());
    update(&mut session, &image).expect("update");
    assert_eq!(
        flash_of(&session).erases,
        4,
        "sectors 2 to 5 (16 + 16 + 64 + 128 KB), no more"
    );
    assert_written(&session, &image);

    let small_ring = LinkConfig {
        ring_capacity: 2048,
        ..LinkConfig::default()
    };
    let mut session = self::session(with_old_image(), small_ring);
    update(&mut session, &image).expect("update still completes");
    assert!(
        session.transport().statistics.overruns > 0,
        "a too-small ring overruns during erases"
    );
    assert!(flash_of(&session).memory[..image.len()] == *image);
}

#[test]
fn baud_confirm_whose_reply_is_lost_ends_at_the_new_rate() {
    // The device confirms 460800 but every BaudConfirmed is lost: the host falls back, finds no
    // answer at 115200, and finds the device at 460800.
    let image = image(32 * 1024, 11);
    let mut session = session(
        SimulatedFlash::for_layout(&NUCLEO_F429ZI_SINGLE_SLOT),
        LinkConfig::default(),
    );
    session.transport_mut().drop_to_host_at_baud = Some((460_800, 100));
    session
        .set_baud(460_800)
        .expect("the host finds the device at the new rate");
    assert_eq!(flash_of(&session).uart_baud, 460_800);
    update(&mut session, &image).expect("update at the new rate");
    assert_written(&session, &image);
}

#[test]
fn power_cuts_inside_erases_and_programs_then_resume() {
    // Every cut lands inside a flash operation (a torn program or a partially erased sector),
    // at a fixed-seed random time and depth; the update then completes by resumption.
    let mut random = Random::new(0x7EA2);
    let (mut torn, mut torn_erases) = (0, 0);
    for round in 0..12 {
        let image = image(160 * 1024, 200 + round);
        let mut flash = SimulatedFlash::for_layout(&NUCLEO_F429ZI_SINGLE_SLOT);
        flash.memory = Random::new(50 + round).bytes(flash.memory.len());
        let mut session = session(flash, LinkConfig::default());
        // Even rounds cut inside an erase (operations of 100 ms or more; the last of the
        // four erases starts about 6 s in), odd rounds inside any operation.
        let window = if round % 2 == 0 {
            5_000_000_000
        } else {
            12_000_000_000
        };
        let cut = FlashCut {
            after: random.below(window),
            minimum: if round % 2 == 0 { 100_000_000 } else { 0 },
            per_mille: 1 + random.below(998),
        };
        session.transport_mut().power_cut_in_flash_operation = Some(cut);
        update(&mut session, &image).expect("the update survives a cut inside a flash operation");
        assert_written(&session, &image);
        let model = &session.transport().model;
        torn += model.torn_operations;
        torn_erases += model.torn_erases;
    }
    println!("12 power cuts inside flash operations: {torn} torn, {torn_erases} of them erases");
    assert_eq!(torn, 12, "every cut hit a running operation");
    assert!(
        torn_erases >= 6,
        "the even rounds hit erases: {torn_erases}"
    );
}
