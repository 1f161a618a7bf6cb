//! The serial transport (`serialport` on a device path) end to end: a pseudo-terminal pair
//! stands in for the ST-LINK's virtual COM port, with the simulated bootloader on the
//! controller side; `slingshot info` and `slingshot flash` open the terminal by its path.

mod common;

use common::board::{BoardFlash, Service};
use common::{application, Workspace};
use nix::fcntl::OFlag;
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt, PtyMaster};
use slingshot_image::signing::{public_key_from_seed, sign_image, SigningParameters};
use slingshot_image::Version;
use slingshot_layout::NUCLEO_F429ZI_DUAL_SLOT;
use slingshot_protocol::device::Device;
use slingshot_service::simulated::F429DualSlot;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A pseudo-terminal whose controller side runs the simulated bootloader in a thread.
struct TerminalBoard {
    path: String,
    stop: Arc<AtomicBool>,
    device: Arc<Mutex<Option<Device<Service<F429DualSlot>>>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TerminalBoard {
    fn start(flash: BoardFlash) -> TerminalBoard {
        let controller = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY).expect("openpt");
        grantpt(&controller).expect("grantpt");
        unlockpt(&controller).expect("unlockpt");
        let path = ptsname_r(&controller).expect("ptsname");
        let stop = Arc::new(AtomicBool::new(false));
        let device = Arc::new(Mutex::new(Some(flash.bootloader())));
        let thread = {
            let (stop, device) = (stop.clone(), device.clone());
            std::thread::spawn(move || serve(controller, &stop, &device))
        };
        TerminalBoard {
            path,
            stop,
            device,
            thread: Some(thread),
        }
    }
}

impl Drop for TerminalBoard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Opening and closing the terminal wakes a read blocked on the controller.
        let _ = std::fs::File::open(&self.path);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    mut controller: PtyMaster,
    stop: &AtomicBool,
    device: &Mutex<Option<Device<Service<F429DualSlot>>>>,
) {
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let count = match controller.read(&mut buffer) {
            Ok(count) => count,
            // EIO while no one has the terminal open.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            }
        };
        let mut output = Vec::new();
        let mut guard = device.lock().expect("device lock");
        let device = guard.as_mut().expect("device present");
        device.receive_slice(&buffer[..count], |reply| output.extend_from_slice(reply));
        device.poll(started.elapsed().as_millis() as u32);
        drop(guard);
        if controller.write_all(&output).is_err() {
            continue;
        }
    }
}

const SEED: [u8; 32] = [3; 32];

#[test]
fn info_and_flash_over_a_pseudo_terminal() {
    let board = TerminalBoard::start(BoardFlash::new(public_key_from_seed(&SEED)));
    let workspace = Workspace::new();
    let info = workspace
        .run(&["info", "--port", &board.path])
        .expect("info over the terminal");
    assert!(
        info.contains("board: nucleo-f429zi (board id 0x04290001)"),
        "{info}"
    );
    assert!(info.contains("state: idle"), "{info}");

    let parameters = SigningParameters {
        load_address: NUCLEO_F429ZI_DUAL_SLOT.partitions.primary.start,
        board_id: NUCLEO_F429ZI_DUAL_SLOT.board.board_id,
        version: Version::parse("1.1.0").expect("version"),
        security_counter: 1,
    };
    let image = sign_image(&application(6 * 1024), &parameters, &SEED).expect("signed");
    let path = workspace.file("app.signed.bin", &image);
    let output = workspace
        .run(&[
            "flash",
            "--port",
            &board.path,
            "--baud",
            "1000000",
            path.to_str().unwrap(),
        ])
        .expect("flash over the terminal");
    assert!(output.contains("switched to 1000000 baud"), "{output}");
    assert!(output.contains("verified, installed, rebooted"), "{output}");
    let device = board.device.lock().unwrap().take().unwrap();
    let target = Service::<F429DualSlot>::TARGET;
    let received = device
        .handler()
        .flash()
        .contents(target.start, image.len() as u32);
    assert_eq!(received, &image[..]);
    let mut flash = BoardFlash::from_bootloader(device);
    assert!(flash.boot(), "the new image starts");
    assert_eq!(flash.installed().map(|version| version.minor), Some(1));
}

#[test]
fn a_terminal_held_open_elsewhere_is_reported_busy() {
    let board = TerminalBoard::start(BoardFlash::new(public_key_from_seed(&SEED)));
    let first = slingshot_cli::port::open_port(
        &slingshot_cli::port::PortSpec::Serial(board.path.clone()),
        115_200,
    );
    assert!(first.is_ok(), "first open succeeds");
    let second = slingshot_cli::port::open_port(
        &slingshot_cli::port::PortSpec::Serial(board.path.clone()),
        115_200,
    );
    let message = second.err().expect("second open refused").to_string();
    assert_eq!(
        message,
        format!(
            "serial port {} is busy: close the terminal program or other tool using it",
            board.path
        )
    );
}
