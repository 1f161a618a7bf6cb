//! Host tests of the application library on the simulated F429 flash: streaming an image in
//! odd-sized chunks, verify-before-pending, confirm, boot information, the mailbox requests
//! and the refusal to overwrite the fallback of an unconfirmed trial.

#[path = "../../slingshot-update/tests/common/mod.rs"]
mod common;

use common::{f429, fake_image, program_image, FakeVerifier};
use slingshot_application::{ImageState, Platform, ResetReason, Updater};
use slingshot_boot::{Mailbox, Request};
use slingshot_flash_sim::SimulatedFlash;
use slingshot_update::{BootAction, DualSlotEngine, Refusal, UpdateError};
use std::panic::{catch_unwind, AssertUnwindSafe};

const KIB: u32 = 1024;

/// A platform that records the mailbox and turns the reset into a panic the test catches.
#[derive(Default)]
struct TestPlatform {
    mailbox: Option<[u32; 4]>,
    /// Watchdog reloads so far.
    feeds: u32,
}

impl Platform for TestPlatform {
    fn write_mailbox(&mut self, words: [u32; 4]) {
        self.mailbox = Some(words);
    }
    fn system_reset(&mut self) -> ! {
        panic!("system reset");
    }
    fn reset_reason(&self) -> ResetReason {
        ResetReason::Software
    }
    fn feed_watchdog(&mut self) {
        self.feeds += 1;
    }
}

type TestUpdater = Updater<SimulatedFlash<4>, TestPlatform>;

/// A device running image version 1 (counter 1), as a bootloader would have left it.
fn device() -> TestUpdater {
    let device = f429(4, 0xFF, 0, 0, "F429");
    let mut flash = SimulatedFlash::<4>::new(device.geometry, 21);
    program_image(
        &mut flash,
        device.configuration.primary,
        &fake_image(1, 12 * KIB, 1, 1),
    );
    let outcome = DualSlotEngine::new(device.configuration)
        .boot(&mut flash, &mut FakeVerifier::default())
        .unwrap();
    assert!(matches!(
        outcome.action,
        BootAction::Start { trial: false, .. }
    ));
    Updater::with_config(device.configuration, flash, TestPlatform::default())
}

/// Stream `image` in chunks of varying odd sizes.
fn stream(
    updater: &mut TestUpdater,
    image: &[u8],
) -> Result<slingshot_update::ImageSummary, UpdateError> {
    let mut writer = updater.firmware_writer()?;
    let mut rest = image;
    let mut size = 1;
    while !rest.is_empty() {
        let take = size.min(rest.len());
        writer.write(&rest[..take])?;
        rest = &rest[take..];
        size = size * 7 % 1013 + 1;
    }
    assert_eq!(writer.bytes_written() as usize, image.len());
    writer.finish(&mut FakeVerifier::default())
}

/// Reboot through the bootloader's engine.
fn reboot(updater: &mut TestUpdater) -> BootAction {
    let engine = *updater.engine();
    engine
        .boot(updater.flash(), &mut FakeVerifier::default())
        .unwrap()
        .action
}

#[test]
fn streamed_image_is_verified_marked_installed_and_confirmed() {
    let mut updater = device();
    let image = fake_image(2, 300 * KIB, 4, 2);
    let summary = stream(&mut updater, &image).unwrap();
    assert_eq!((summary.version.major(), summary.security_counter), (2, 4));
    let info = updater.boot_info(&mut FakeVerifier::default()).unwrap();
    assert!(info.update_pending);
    assert_eq!(
        (info.version.map(|version| version.major()), info.state),
        (Some(1), ImageState::Confirmed)
    );
    // The secondary slot holds exactly the streamed bytes.
    let secondary = updater.engine().configuration().secondary.start;
    assert_eq!(
        updater.flash().contents(secondary, image.len() as u32),
        &image[..]
    );

    assert!(matches!(
        reboot(&mut updater),
        BootAction::Start { trial: true, .. }
    ));
    let info = updater.boot_info(&mut FakeVerifier::default()).unwrap();
    assert_eq!(
        (
            info.version.map(|version| version.major()),
            info.state,
            info.reset_reason,
        ),
        (Some(2), ImageState::Trial, ResetReason::Software)
    );
    updater.confirm().unwrap();
    let info = updater.boot_info(&mut FakeVerifier::default()).unwrap();
    assert_eq!(
        (info.state, info.minimum_security_counter),
        (ImageState::Confirmed, 4)
    );
    assert!(matches!(
        reboot(&mut updater),
        BootAction::Start { trial: false, .. }
    ));
}

#[test]
fn an_unconfirmed_image_is_reported_reverted() {
    let mut updater = device();
    stream(&mut updater, &fake_image(2, 20 * KIB, 1, 2)).unwrap();
    reboot(&mut updater);
    // The trial image does not confirm; it must not overwrite its own fallback either.
    assert!(matches!(
        updater.firmware_writer(),
        Err(UpdateError::TrialNotConfirmed)
    ));
    reboot(&mut updater);
    let info = updater.boot_info(&mut FakeVerifier::default()).unwrap();
    assert_eq!(
        (info.version.map(|version| version.major()), info.state),
        (Some(1), ImageState::Reverted)
    );
}

#[test]
fn a_corrupted_stream_is_not_marked_pending() {
    let mut updater = device();
    let mut image = fake_image(2, 20 * KIB, 1, 2);
    image[4000] ^= 0x80;
    let result = stream(&mut updater, &image);
    assert!(matches!(
        result,
        Err(UpdateError::Refused(Refusal::Rejected(_)))
    ));
    assert!(
        !updater
            .boot_info(&mut FakeVerifier::default())
            .unwrap()
            .update_pending
    );
    assert!(
        matches!(reboot(&mut updater), BootAction::Start { trial: false, image, .. } if image.version.major() == 1)
    );
}

#[test]
fn an_image_larger_than_the_slot_is_refused_while_streaming() {
    let mut updater = device();
    let slot = updater.engine().configuration().secondary.size;
    let mut writer = updater.firmware_writer().unwrap();
    let block = vec![0u8; 64 * KIB as usize];
    let mut result = Ok(());
    for _ in 0..=(slot / (64 * KIB)) {
        result = writer.write(&block);
        if result.is_err() {
            break;
        }
    }
    let offered = (slot / (64 * KIB) + 1) * 64 * KIB;
    assert_eq!(
        result,
        Err(UpdateError::ImageTooLarge {
            offered,
            slot_size: slot
        })
    );
}

#[test]
fn request_update_writes_the_mailbox_and_resets() {
    let mut updater = device();
    let reset = catch_unwind(AssertUnwindSafe(|| updater.request_update()));
    assert!(reset.is_err(), "request_update must reset");
    let words = updater.platform().mailbox.expect("mailbox written");
    assert_eq!(Mailbox::decode(words).request, Request::StayInBootloader);
    let reset = catch_unwind(AssertUnwindSafe(|| updater.restart_to_install()));
    assert!(reset.is_err());
    assert_eq!(
        Mailbox::decode(updater.platform().mailbox.unwrap()).request,
        Request::InstallPending
    );
}

#[test]
fn a_power_cut_while_streaming_leaves_the_running_image_and_a_retry_works() {
    let image = fake_image(2, 100 * KIB, 1, 2);
    for cut in [0u64, 3, 40, 97] {
        let mut updater = device();
        let start = updater.flash().operations();
        let torn = slingshot_flash_sim::PowerCut::InsideOperation(start + cut);
        updater.flash().plan_power_cut(Some(torn));
        assert!(
            stream(&mut updater, &image).is_err(),
            "cut {cut} must interrupt the stream"
        );
        updater.flash().power_on();
        assert!(
            matches!(reboot(&mut updater), BootAction::Start { trial: false, image, .. } if image.version.major() == 1)
        );
        stream(&mut updater, &image).unwrap();
        assert!(
            matches!(reboot(&mut updater), BootAction::Start { trial: true, image, .. } if image.version.major() == 2)
        );
    }
}

#[test]
fn single_slot_layouts_get_the_mailbox_request_but_no_updater() {
    let flash = SimulatedFlash::<4>::new(
        slingshot_layout::NUCLEO_F429ZI_SINGLE_SLOT.board.part.flash,
        5,
    );
    let updater = Updater::new(
        &slingshot_layout::NUCLEO_F429ZI_SINGLE_SLOT,
        flash,
        TestPlatform::default(),
    );
    assert!(matches!(
        updater,
        Err(UpdateError::Configuration(
            slingshot_update::ConfigurationError::NotDualSlot
        ))
    ));
    let mut platform = TestPlatform::default();
    let reset = catch_unwind(AssertUnwindSafe(|| {
        slingshot_application::request_update(&mut platform)
    }));
    assert!(reset.is_err());
    assert_eq!(
        Mailbox::decode(platform.mailbox.unwrap()).request,
        Request::StayInBootloader
    );
}

#[test]
fn the_library_feeds_the_watchdog_before_every_erase_and_before_verifying() {
    let mut updater = device();
    let image = fake_image(2, 100 * KIB, 2, 2);
    let configuration = *updater.engine().configuration();
    let secondary = configuration.secondary;
    let sectors_entered = (0..image.len() as u32)
        .step_by(1024)
        .filter_map(|offset| configuration.geometry.sector_at(secondary.start + offset))
        .map(|sector| sector.start)
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u32;
    assert!(sectors_entered > 1, "the image spans several sectors");
    let feeds_before = updater.platform().feeds;
    stream(&mut updater, &image).expect("streamed");
    let streamed = updater.platform().feeds - feeds_before;
    // One reload per erase, one per program call, one before verification: at least one more
    // than the erases.
    assert!(
        streamed > sectors_entered,
        "{streamed} reloads for {sectors_entered} erased sectors"
    );
    let before_confirm = updater.platform().feeds;
    updater.confirm().expect("confirm");
    assert_eq!(updater.platform().feeds, before_confirm + 1);
}
