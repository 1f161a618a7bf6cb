//! End-to-end tests of `HostSession` against `Device` over the simulated link: clean updates,
//! byte faults, a cable pull, power cuts (with torn flash operations), baud switching,
//! refusals before any erase, and the erase stall absorbed by the credit window. The device
//! is the bootloader's real update service on the simulated flash.

mod common;

use common::link::{FlashCut, Link, LinkConfig, ProtocolDevice};
use common::{descriptor, device_flash, received, signed_image, signed_image_for, Flash, Service};
use slingshot_flash_sim::SplitMix64;
use slingshot_layout::NUCLEO_F429ZI_SINGLE_SLOT;
use slingshot_protocol::device::DeviceConfig;
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::host::{
    HostConfig, HostError, HostSession, TransferReport, Transport as _, TransportError,
};
use slingshot_protocol::info::DeviceState;
use slingshot_service::simulated::{F429DualSlot, F429SingleSlot, LayoutSource};
use slingshot_testkit::line::LineNoise;

type Single = F429SingleSlot;
type Dual = F429DualSlot;
type Session<L> = HostSession<Link<ProtocolDevice<L>>>;

const BOARD: u32 = 0x0429_0001;

/// A signed image of `size` bytes for `L` (security counter 1).
fn image<L: LayoutSource>(size: usize, seed: u64) -> Vec<u8> {
    signed_image::<L>(size, seed, 1)
}

fn session<L: LayoutSource>(flash: Flash, link: LinkConfig) -> Session<L> {
    let device = ProtocolDevice::<L>::new(flash, DeviceConfig::default());
    HostSession::new(Link::new(device, link), HostConfig::default())
}

fn service_of<L: LayoutSource>(session: &Session<L>) -> &Service<L> {
    session.transport().model.service()
}

fn erases<L: LayoutSource>(session: &Session<L>) -> u64 {
    service_of(session).flash().statistics().erases
}

fn assert_written<L: LayoutSource>(session: &Session<L>, image: &[u8]) {
    assert!(
        received(service_of(session), image.len()) == image,
        "flash holds the image"
    );
    assert_eq!(
        session.transport().statistics.overruns,
        0,
        "no byte overran the receive ring"
    );
}

fn update<L: LayoutSource>(
    session: &mut Session<L>,
    image: &[u8],
) -> Result<TransferReport, HostError> {
    let descriptor = descriptor(image);
    session.update(image, &descriptor, |_, _| {})
}

#[test]
fn clean_update_single_slot_writes_image_and_installs() {
    let image = image::<Single>(100 * 1024 + 3, 1);
    let mut session = session::<Single>(device_flash::<Single>(None), LinkConfig::default());
    let info = session.hello().expect("hello");
    assert_eq!(info.board_id, BOARD);
    assert_eq!(info.layout_name(), "nucleo-f429zi-single");
    let mut last = (0, 0);
    let descriptor = descriptor(&image);
    let report = session
        .update(&image, &descriptor, |done, total| last = (done, total))
        .expect("update");
    assert_eq!(last, (image.len() as u64, image.len() as u64));
    assert_eq!(
        (report.resumed_from, report.timeouts, report.gaps),
        (0, 0, 0)
    );
    assert_written(&session, &image);
    assert_eq!(
        session.transport().model.device().state(),
        DeviceState::Installed
    );
    session.reboot().expect("reboot");
    assert!(service_of(&session).platform().reboot_requested);
}

#[test]
fn dual_slot_update_writes_the_secondary_slot() {
    let image = image::<Dual>(300 * 1024, 2);
    assert_eq!(common::target::<Dual>().start, 0x0810_8000);
    let mut session = session::<Dual>(device_flash::<Dual>(None), LinkConfig::default());
    update(&mut session, &image).expect("update");
    assert_written(&session, &image);
}

#[test]
fn refusals_come_before_any_erase() {
    // A device running an image with security counter 5: the single-slot minimum.
    let layout = NUCLEO_F429ZI_SINGLE_SLOT;
    let mut flash = device_flash::<Single>(None);
    flash.load(
        layout.partitions.primary.start,
        &signed_image::<Single>(8 * 1024, 30, 5),
    );
    let mut session = session::<Single>(flash, LinkConfig::default());
    let image = signed_image::<Single>(64 * 1024, 3, 9);
    let wrong_board = descriptor(&signed_image_for(&layout, 0x1234_5678, 64 * 1024, 3, 9));
    assert!(matches!(
        session.update(&image, &wrong_board, |_, _| {}),
        Err(HostError::WrongBoard {
            device_board: BOARD
        })
    ));
    let too_large = signed_image::<Single>(2016 * 1024 + 4, 31, 9);
    assert!(matches!(
        session.update(&too_large, &descriptor(&too_large), |_, _| {}),
        Err(HostError::ImageTooLarge {
            detail: 2_064_384,
            ..
        })
    ));
    let too_old = descriptor(&signed_image::<Single>(64 * 1024, 3, 4));
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
    let statistics = service_of(&session).flash().statistics();
    assert_eq!(statistics.erases, 0, "nothing erased");
    assert_eq!(statistics.bytes_programmed, 0, "nothing programmed");
}

#[test]
fn corrupted_and_dropped_bytes_at_one_in_ten_thousand() {
    for seed in 1..=3 {
        let image = image::<Single>(200 * 1024, seed);
        let link = LinkConfig {
            noise: LineNoise::one_in(10_000, 10_000),
            seed,
            ..LinkConfig::default()
        };
        let mut session = session::<Single>(device_flash::<Single>(None), link);
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
    let image = image::<Single>(256 * 1024, 4);
    let mut session = session::<Single>(device_flash::<Single>(None), LinkConfig::default());
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
    let mut random = SplitMix64::new(0xC0FFEE);
    let mut torn_or_resumed = 0;
    let mut torn = 0;
    for round in 0..16 {
        let image = image::<Single>(160 * 1024, 100 + round);
        // The slot holds an older application, as in a real single-slot update.
        let flash = device_flash::<Single>(Some(round));
        let mut session = session::<Single>(flash, LinkConfig::default());
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
    let image = image::<Dual>(128 * 1024, 7);
    let mut session = session::<Dual>(device_flash::<Dual>(None), LinkConfig::default());
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
    let new_image = image::<Single>(96 * 1024, 8);
    let mut flash = device_flash::<Single>(None);
    let mut old_image = new_image.clone();
    old_image[40 * 1024 + 17] ^= 0x5A;
    flash.load(common::target::<Single>().start, &old_image);
    let mut session = session::<Single>(flash, LinkConfig::default());
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
    let image = image::<Single>(64 * 1024, 9);
    let mut session = session::<Single>(device_flash::<Single>(None), LinkConfig::default());
    assert!(matches!(
        session.set_baud(921_600),
        Err(HostError::Rejected {
            code: ErrorCode::BaudUnsupported,
            detail: 921_600,
            ..
        })
    ));
    session.set_baud(1_000_000).expect("switch");
    assert_eq!(service_of(&session).platform().baud, 1_000_000);
    update(&mut session, &image).expect("update at 1 Mbaud");
    assert_written(&session, &image);

    // A host whose port cannot follow: the device falls back after its timeout.
    let mut session = self::session::<Single>(device_flash::<Single>(None), LinkConfig::default());
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
        service_of(&session).platform().baud,
        115_200,
        "the device fell back"
    );
    session.hello().expect("still talking at the old rate");
}

#[test]
fn erase_stalls_are_absorbed_by_the_credit_window() {
    // With the documented ring size nothing overruns; with a ring far smaller than the window,
    // bytes arriving during a stall are lost (and the protocol still recovers).
    let image = image::<Single>(200 * 1024, 10);
    let with_old_image = || device_flash::<Single>(Some(77));
    let mut session = session::<Single>(with_old_image(), LinkConfig::default());
    update(&mut session, &image).expect("update");
    assert_eq!(
        erases(&session),
        4,
        "sectors 2 to 5 (16 + 16 + 64 + 128 KB), no more"
    );
    assert_written(&session, &image);

    let small_ring = LinkConfig {
        ring_capacity: 2048,
        ..LinkConfig::default()
    };
    let mut session = self::session::<Single>(with_old_image(), small_ring);
    update(&mut session, &image).expect("update still completes");
    assert!(
        session.transport().statistics.overruns > 0,
        "a too-small ring overruns during erases"
    );
    assert!(received(service_of(&session), image.len()) == image);
}

#[test]
fn baud_confirm_whose_reply_is_lost_ends_at_the_new_rate() {
    // The device confirms 460800 but every BaudConfirmed is lost: the host falls back, finds no
    // answer at 115200, and finds the device at 460800.
    let image = image::<Single>(32 * 1024, 11);
    let mut session = session::<Single>(device_flash::<Single>(None), LinkConfig::default());
    session.transport_mut().drop_to_host_at_baud = Some((460_800, 100));
    session
        .set_baud(460_800)
        .expect("the host finds the device at the new rate");
    assert_eq!(service_of(&session).platform().baud, 460_800);
    update(&mut session, &image).expect("update at the new rate");
    assert_written(&session, &image);
}

#[test]
fn power_cuts_inside_erases_and_programs_then_resume() {
    // Every cut lands inside a flash operation (a torn program or a partially erased sector),
    // at a fixed-seed random time and depth; the update then completes by resumption.
    let mut random = SplitMix64::new(0x7EA2);
    let (mut torn, mut torn_erases) = (0, 0);
    for round in 0..12 {
        let image = image::<Single>(160 * 1024, 200 + round);
        let flash = device_flash::<Single>(Some(50 + round));
        let mut session = session::<Single>(flash, LinkConfig::default());
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
