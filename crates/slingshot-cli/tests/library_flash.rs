//! `slingshot_cli::flashing::flash` as a library call over an in-process transport (as
//! `cargo xtask demo` and the twin's tests use it): the event sequence, the report, and that
//! the host returns to 115200 baud after the reboot so it can read the new application's
//! banner, which the board prints at its reset rate whatever rate the transfer used; the search
//! for a bootloader left at another rate; the message when the link goes silent.

mod common;

use common::application;
use common::board::{BoardFlash, Service};
use slingshot_cli::flashing::{
    flash, FlashError, FlashEvent, FlashOptions, RunningVersion, SignedImage,
};
use slingshot_image::signing::{public_key_from_seed, sign_image, SigningParameters};
use slingshot_image::Version;
use slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT;
use slingshot_protocol::device::Device;
use slingshot_protocol::host::{HostConfig, HostError};
use slingshot_protocol::host::{Transport, TransportError};
use slingshot_service::simulated::F429DualSlot;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

const SEED: [u8; 32] = [5; 32];

/// The simulated bootloader in the same thread: bytes reach it only when both sides use the
/// same baud rate; after a reboot the application prints its banner at 115200 baud (received
/// as garbage at any other host rate).
struct InProcessBoard {
    device: Option<Device<Service<F429DualSlot>>>,
    rebooted: Option<BoardFlash>,
    banner_at: Option<Instant>,
    host_baud: u32,
    to_host: VecDeque<u8>,
    started: Instant,
    /// After this many bytes the link carries nothing more in either direction.
    silent_after_bytes: usize,
}

impl InProcessBoard {
    fn poll(&mut self) {
        let Some(device) = self.device.as_mut() else {
            return;
        };
        device.poll(self.started.elapsed().as_millis() as u32);
        if device.handler().platform().reboot_requested {
            let mut flash = BoardFlash::from_bootloader(self.device.take().expect("device"));
            assert!(flash.boot(), "the new image starts");
            self.rebooted = Some(flash);
            // Reset and boot take a moment before the application prints its banner.
            self.banner_at = Some(Instant::now() + Duration::from_millis(20));
        }
    }
}

impl Transport for InProcessBoard {
    fn write(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        let room = self.silent_after_bytes.min(bytes.len());
        self.silent_after_bytes -= room;
        let bytes = &bytes[..room];
        if let Some(device) = self.device.as_mut() {
            if device.baud() == self.host_baud {
                let to_host = &mut self.to_host;
                device.receive_slice(bytes, |reply| to_host.extend(reply));
            }
        }
        self.poll();
        Ok(())
    }

    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.poll();
        if self.banner_at.is_some_and(|at| Instant::now() >= at) {
            self.banner_at = None;
            if self.host_baud == 115_200 {
                self.to_host
                    .extend(b"\r\nslingshot example application v2.0.0\r\n".iter());
            } else {
                self.to_host.extend([0xF8u8; 24]); // a UART sampling at the wrong rate
            }
        }
        if self.to_host.is_empty() {
            std::thread::sleep(timeout.min(Duration::from_millis(1)));
            return Ok(0);
        }
        let count = buffer.len().min(self.to_host.len());
        for (slot, byte) in buffer.iter_mut().zip(self.to_host.drain(..count)) {
            *slot = byte;
        }
        Ok(count)
    }

    fn flush(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), TransportError> {
        self.host_baud = baud;
        Ok(())
    }

    fn baud(&self) -> u32 {
        self.host_baud
    }

    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

fn signed_image() -> (Vec<u8>, SignedImage) {
    let parameters = SigningParameters {
        load_address: NUCLEO_F429ZI_DUAL_SLOT.partitions.primary.start,
        board_id: NUCLEO_F429ZI_DUAL_SLOT.board.board_id,
        version: Version::parse("2.0.0").expect("version"),
        security_counter: 1,
    };
    let bytes = sign_image(&application(12 * 1024), &parameters, &SEED).expect("signed");
    let image = SignedImage::from_bytes("v2", bytes.clone(), &NUCLEO_F429ZI_DUAL_SLOT)
        .expect("a signed image for the layout");
    (bytes, image)
}

/// A board whose bootloader talks at `device_baud`; the host starts at 115200.
fn board(device_baud: u32) -> InProcessBoard {
    InProcessBoard {
        device: Some(BoardFlash::new(public_key_from_seed(&SEED)).bootloader_at(device_baud)),
        rebooted: None,
        banner_at: None,
        host_baud: 115_200,
        to_host: VecDeque::new(),
        started: Instant::now(),
        silent_after_bytes: usize::MAX,
    }
}

/// Runs `flash` and returns the report and the events (progress only when complete).
fn run(
    board: InProcessBoard,
    image: &SignedImage,
    options: &FlashOptions,
) -> (slingshot_cli::flashing::FlashReport, Vec<String>) {
    let mut events = Vec::new();
    let report = flash(board, image, options, &mut |event| {
        events.push(match event {
            FlashEvent::Connected(_) => "connected".to_string(),
            FlashEvent::Progress { done, total } if done == total => "complete".to_string(),
            FlashEvent::Progress { .. } => return,
            FlashEvent::Installing { typical, longest } => {
                assert!(typical < longest, "{typical:?} {longest:?}");
                "Installing".to_string()
            }
            other => format!("{other:?}"),
        })
    })
    .expect("flash succeeds");
    (report, events)
}

#[test]
fn flash_library_call_switches_baud_and_back_for_the_banner() {
    let (bytes, image) = signed_image();
    let options = FlashOptions {
        baud: Some(1_000_000),
        ..FlashOptions::default()
    };
    let (report, events) = run(board(115_200), &image, &options);
    assert_eq!(
        events,
        [
            "connected",
            "Baud { baud: 1000000, switched: true }",
            "complete",
            "Verifying",
            "Rebooting",
            "Installing",
        ]
    );
    assert_eq!(report.transfer.image_size as usize, bytes.len());
    assert_eq!(report.transfer.resumed_from, 0);
    assert_eq!(
        report.running,
        Some(RunningVersion::Application("2.0.0".into()))
    );
    assert_eq!(report.device.layout_name(), "nucleo-f429zi-dual");
}

#[test]
fn bootloader_left_at_a_higher_rate_is_found() {
    let (_, image) = signed_image();
    let (report, events) = run(board(460_800), &image, &FlashOptions::default());
    assert_eq!(
        events,
        [
            "EnteringBootloader",
            "FoundAtBaud { baud: 460800 }",
            "connected",
            "complete",
            "Verifying",
            "Rebooting",
            "Installing",
        ]
    );
    assert_eq!(
        report.running,
        Some(RunningVersion::Application("2.0.0".into()))
    );
}

#[test]
fn link_errors_beyond_the_retry_budget_say_how_to_resume() {
    let (_, image) = signed_image();
    let mut board = board(115_200);
    board.silent_after_bytes = 6000;
    let options = FlashOptions {
        host: HostConfig {
            stall_allowance: Duration::from_millis(30),
            retry_budget: 2,
            ..HostConfig::default()
        },
        ..FlashOptions::default()
    };
    let error = flash(board, &image, &options, &mut |_| {}).expect_err("the link goes silent");
    assert!(
        matches!(
            error,
            FlashError::Device {
                error: HostError::RetryBudgetExhausted { .. },
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(
            "transferring the image: link errors beyond the retry budget: no progress at offset 0x"
        ),
        "{message}"
    );
    assert!(
        message.ends_with(
            "check the cable and run `slingshot flash` again: it resumes where it stopped"
        ),
        "{message}"
    );
}
