//! A simulated Nucleo board served over TCP on 127.0.0.1 for the serial-update tests: the
//! protocol's real `Device` state machine over the bootloader's real request handler
//! (`slingshot_service::UpdateService`) on the simulated flash of the Nucleo-F429ZI
//! (`slingshot-flash-sim`: its sector map, NOR rules and timings), driven by a thread. After a
//! reboot the real update engine boots the device (installing a pending image) and the board
//! "runs the application": prints the example application's banner and tick lines, and enters
//! the bootloader again when it receives 'b'. A fault can cut the connection and the power
//! after a given number of received bytes.

use slingshot_flash_sim::SimulatedFlash;
use slingshot_layout::{Board, Layout, Partitions, Region, NUCLEO_F429ZI_DUAL_SLOT};
use slingshot_protocol::device::{Device, DeviceConfig};
use slingshot_protocol::info::Version;
use slingshot_service::simulated::{F429DualSlot, LayoutSource, SimulatedChip};
use slingshot_service::{protocol_version, FlashImageVerifier, Platform, UpdateService};
use slingshot_update::{BootAction, DualSlotConfiguration, DualSlotEngine};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The simulated chip's flash (x32 programming, like the STM32F4 at 3.3 V).
pub type Flash = SimulatedFlash<4>;
/// The verifier of the simulated bootloader: one trusted key.
pub type Verifier = FlashImageVerifier<[[u8; 32]; 1]>;
/// The simulated bootloader's serial update service for the layout of `L`.
pub type Service<L> = UpdateService<Flash, Verifier, SimulatedChip<L>>;

const DUAL: Layout = NUCLEO_F429ZI_DUAL_SLOT;

/// The Nucleo-F429ZI's dual-slot layout, claiming to be another board (id 0x0407_0001).
pub struct OtherBoard;

impl LayoutSource for OtherBoard {
    const LAYOUT: Layout = Layout {
        board: Board {
            board_id: 0x0407_0001,
            ..DUAL.board
        },
        ..DUAL
    };
}

/// The Nucleo-F429ZI's dual-slot layout with a 16 KB secondary slot.
pub struct SmallSlot;

impl LayoutSource for SmallSlot {
    const LAYOUT: Layout = Layout {
        partitions: Partitions {
            secondary: Some(Region::new(0x0810_8000, 16 * 1024)),
            ..DUAL.partitions
        },
        ..DUAL
    };
}

/// The device's memory and identity: what survives a reset.
pub struct BoardFlash<L: LayoutSource = F429DualSlot> {
    pub flash: Flash,
    verifier: Verifier,
    chip: SimulatedChip<L>,
    /// What the application reports after the last boot: its version, security counter and
    /// whether it runs on trial.
    pub running: Option<(Version, u32, bool)>,
}

impl<L: LayoutSource> BoardFlash<L> {
    /// A blank device (every sector erased) trusting `trusted_key`.
    pub fn new(trusted_key: [u8; 32]) -> Self {
        let geometry = DUAL.board.part.flash;
        let mut flash = Flash::new(geometry, 0x5EED);
        flash.load_erased(geometry.base, geometry.size);
        BoardFlash {
            flash,
            verifier: FlashImageVerifier::for_layout(&SimulatedChip::<L>::LAYOUT, [trusted_key]),
            chip: SimulatedChip::default(),
            running: None,
        }
    }

    /// The device with `signed` installed in its primary slot, as a programmer leaves it.
    pub fn with_installed(mut self, signed: &[u8]) -> Self {
        self.flash.load(DUAL.partitions.primary.start, signed);
        self
    }

    /// The first `length` bytes of the slot updates are received into.
    pub fn received(&self, length: usize) -> &[u8] {
        let target = Service::<L>::TARGET;
        self.flash.contents(target.start, length as u32)
    }

    /// The version the application reported after the last boot.
    pub fn installed(&self) -> Option<Version> {
        self.running.map(|(version, ..)| version)
    }

    /// The bootloader's serial service over this device (it surveys the slots first).
    pub fn bootloader(self) -> Device<Service<L>> {
        self.bootloader_at(115_200)
    }

    /// [`BoardFlash::bootloader`] talking at `baud` (a bootloader left at another rate).
    pub fn bootloader_at(self, baud: u32) -> Device<Service<L>> {
        let engine = DualSlotConfiguration::from_layout(&DUAL)
            .ok()
            .map(DualSlotEngine::new);
        let service = UpdateService::new(self.flash, self.verifier, self.chip, engine, true);
        Device::new(service, DeviceConfig::default(), baud)
    }

    /// The device back from its bootloader (RAM state lost).
    pub fn from_bootloader(device: Device<Service<L>>) -> Self {
        let (flash, verifier, mut chip) = device.into_handler().into_parts();
        chip.reboot_requested = false;
        BoardFlash {
            flash,
            verifier,
            chip,
            running: None,
        }
    }

    /// A reset: the real update engine boots (installing a pending image, reverting an
    /// unconfirmed trial); true when it starts the application.
    pub fn boot(&mut self) -> bool {
        let engine = DualSlotEngine::new(
            DualSlotConfiguration::from_layout(&DUAL).expect("the dual-slot layout"),
        );
        let outcome = engine.boot(&mut self.flash, &mut self.verifier);
        self.running = match outcome.map(|outcome| outcome.action) {
            Ok(BootAction::Start { image, trial, .. }) => Some((
                protocol_version(image.version),
                image.security_counter,
                trial,
            )),
            _ => None,
        };
        self.running.is_some()
    }
}

/// What runs on the simulated board.
enum Mode<L: LayoutSource> {
    Bootloader(Box<Device<Service<L>>>),
    Application {
        flash: Box<BoardFlash<L>>,
        ticks: u32,
    },
}

impl<L: LayoutSource> Mode<L> {
    /// The device after a power cut: RAM state lost, flash kept, back in the bootloader.
    fn power_cut(self) -> Self {
        match self {
            Mode::Bootloader(device) => bootloader(BoardFlash::from_bootloader(*device)),
            Mode::Application { flash, .. } => bootloader(*flash),
        }
    }
}

fn bootloader<L: LayoutSource>(flash: BoardFlash<L>) -> Mode<L> {
    Mode::Bootloader(Box::new(flash.bootloader()))
}

/// Faults and behaviour of the simulated board.
#[derive(Clone, Copy, Debug, Default)]
pub struct BoardOptions {
    /// Start in the application (it needs 'b' to enter the bootloader).
    pub start_in_application: bool,
    /// On the first connection, cut the connection and the power after this many received
    /// bytes (the device restarts in its bootloader, losing its RAM state).
    pub cut_after_bytes: Option<usize>,
    /// Time between the application's tick lines.
    pub tick_interval_milliseconds: u64,
}

/// A simulated board listening on 127.0.0.1.
pub struct SimulatedBoard<L: LayoutSource = F429DualSlot> {
    pub port: u16,
    stop: Arc<AtomicBool>,
    mode: Arc<Mutex<Option<Mode<L>>>>,
    thread: Option<JoinHandle<()>>,
}

impl<L: LayoutSource> SimulatedBoard<L> {
    pub fn start(mut flash: BoardFlash<L>, options: BoardOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let initial = if options.start_in_application && flash.boot() {
            Mode::Application {
                flash: Box::new(flash),
                ticks: 0,
            }
        } else {
            bootloader(flash)
        };
        let mode = Arc::new(Mutex::new(Some(initial)));
        let thread = {
            let (stop, mode) = (stop.clone(), mode.clone());
            std::thread::spawn(move || serve(listener, stop, mode, options))
        };
        SimulatedBoard {
            port,
            stop,
            mode,
            thread: Some(thread),
        }
    }

    /// `tcp:127.0.0.1:PORT`.
    pub fn spec(&self) -> String {
        format!("tcp:127.0.0.1:{}", self.port)
    }

    /// Runs `check` on what the board's flash holds and what its application reported.
    pub fn with_flash<R>(&self, check: impl FnOnce(&BoardView) -> R) -> R {
        let guard = self.mode.lock().expect("board lock");
        let view = match guard.as_ref().expect("board present") {
            Mode::Bootloader(device) => BoardView {
                flash: device.handler().flash(),
                running: None,
                target: Service::<L>::TARGET,
            },
            Mode::Application { flash, .. } => BoardView {
                flash: &flash.flash,
                running: flash.running,
                target: Service::<L>::TARGET,
            },
        };
        check(&view)
    }
}

/// A look at a simulated board: its flash and what its application reported.
pub struct BoardView<'a> {
    pub flash: &'a Flash,
    /// What the application reported at its start (None in the bootloader).
    pub running: Option<(Version, u32, bool)>,
    target: Region,
}

impl BoardView<'_> {
    /// The first `length` bytes of the slot updates are received into.
    pub fn received(&self, length: usize) -> &[u8] {
        self.flash.contents(self.target.start, length as u32)
    }

    /// Whether the primary slot starts with `image` (after an install, the new image).
    pub fn runs(&self, image: &[u8]) -> bool {
        self.flash
            .contents(DUAL.partitions.primary.start, image.len() as u32)
            == image
    }

    /// Sector erases in the primary and the secondary slot so far.
    pub fn slot_erases(&self) -> u32 {
        let partitions = DUAL.partitions;
        let slots = [Some(partitions.primary), partitions.secondary];
        DUAL.board
            .part
            .flash
            .sectors
            .iter()
            .zip(&self.flash.statistics().erases_per_sector)
            .filter(|(sector, _)| {
                slots
                    .iter()
                    .flatten()
                    .any(|slot| slot.contains(sector.start))
            })
            .map(|(_, erases)| erases)
            .sum()
    }

    /// The version the running application reported.
    pub fn installed(&self) -> Option<Version> {
        self.running.map(|(version, ..)| version)
    }
}

impl<L: LayoutSource> Drop for SimulatedBoard<L> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve<L: LayoutSource>(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    mode: Arc<Mutex<Option<Mode<L>>>>,
    options: BoardOptions,
) {
    let mut connections = 0;
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                connections += 1;
                let cut = if connections == 1 {
                    options.cut_after_bytes
                } else {
                    None
                };
                connection(stream, &stop, &mode, options, cut);
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(error) => panic!("accept failed: {error}"),
        }
    }
}

fn connection<L: LayoutSource>(
    mut stream: TcpStream,
    stop: &AtomicBool,
    mode: &Mutex<Option<Mode<L>>>,
    options: BoardOptions,
    cut_after_bytes: Option<usize>,
) {
    stream.set_nodelay(true).expect("nodelay");
    stream
        .set_read_timeout(Some(Duration::from_millis(1)))
        .expect("timeout");
    let started = Instant::now();
    let tick = Duration::from_millis(options.tick_interval_milliseconds.max(1));
    let mut next_tick = started + tick;
    let mut received = 0usize;
    let mut buffer = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let count = match stream.read(&mut buffer) {
            Ok(0) => return,
            Ok(count) => count,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => 0,
            Err(_) => return,
        };
        let mut bytes = &buffer[..count];
        let mut cut = false;
        if let Some(limit) = cut_after_bytes {
            if received + bytes.len() >= limit {
                bytes = &bytes[..limit - received];
                cut = true;
            }
        }
        received += bytes.len();
        let mut guard = mode.lock().expect("board lock");
        let current = guard.take().expect("board present");
        let (mut output, mut later) = (Vec::new(), Vec::new());
        let next = step(
            current,
            bytes,
            started,
            (&mut next_tick, tick),
            &mut output,
            &mut later,
        );
        let next = if cut { next.power_cut() } else { next };
        *guard = Some(next);
        drop(guard);
        if cut {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        if !output.is_empty() && stream.write_all(&output).is_err() {
            return;
        }
        if !later.is_empty() {
            // The reset takes a moment; then the new application prints its banner.
            std::thread::sleep(Duration::from_millis(20));
            if stream.write_all(&later).is_err() {
                return;
            }
        }
    }
}

/// The example application's first lines: banner, VTOR, boot report.
pub fn application_banner(version: Version, security_counter: u32, trial: bool) -> String {
    let state = if trial { "trial" } else { "confirmed" };
    format!(
        "\r\nslingshot example application v{}.{}.{}\r\nVTOR=0x08008000\r\n\
         image: version {}.{}.{}+{}, security counter {}\r\n\
         boot: slot primary, state {state}, reset reason software, anti-rollback minimum 0\r\n\
         send 'b' to enter the bootloader\r\n",
        version.major,
        version.minor,
        version.patch,
        version.major,
        version.minor,
        version.patch,
        version.build,
        security_counter
    )
}

/// Feeds `bytes` to what runs on the board and lets time pass; replies go to `output`, what
/// the board prints after a reset to `later`.
fn step<L: LayoutSource>(
    mode: Mode<L>,
    bytes: &[u8],
    started: Instant,
    (next_tick, tick): (&mut Instant, Duration),
    output: &mut Vec<u8>,
    later: &mut Vec<u8>,
) -> Mode<L> {
    match mode {
        Mode::Bootloader(mut device) => {
            device.receive_slice(bytes, |reply| output.extend_from_slice(reply));
            device.poll(started.elapsed().as_millis() as u32);
            if !device.handler().platform().reboot_requested {
                return Mode::Bootloader(device);
            }
            let mut flash = BoardFlash::from_bootloader(*device);
            if !flash.boot() {
                return bootloader(flash);
            }
            if let Some((version, security_counter, trial)) = flash.running {
                later.extend_from_slice(
                    application_banner(version, security_counter, trial).as_bytes(),
                );
            }
            *next_tick = Instant::now() + tick;
            Mode::Application {
                flash: Box::new(flash),
                ticks: 0,
            }
        }
        Mode::Application { flash, mut ticks } => {
            if bytes.contains(&b'b') {
                output.extend_from_slice(b"requesting the bootloader\r\n");
                return bootloader(*flash);
            }
            if Instant::now() >= *next_tick {
                ticks += 1;
                output.extend_from_slice(format!("tick {ticks}\r\n").as_bytes());
                *next_tick += tick;
            }
            Mode::Application { flash, ticks }
        }
    }
}
