//! A simulated Nucleo board served over TCP on 127.0.0.1 for the serial-update tests: the
//! protocol's real `Device` state machine over a Vec-backed flash handler (the dual-slot
//! layout's secondary slot with its sector map, NOR rules enforced), driven by a thread. It
//! verifies images with the real signature check, and after a reboot it "runs the
//! application": prints the example application's banner and tick lines, and enters the
//! bootloader again when it receives 'b'. A fault can cut the connection and the power after
//! a given number of received bytes.

use slingshot_image::{verify_slot, Descriptor, DESCRIPTOR_SIZE};
use slingshot_layout::{Layout, Region, NUCLEO_F429ZI_DUAL_SLOT};
use slingshot_protocol::device::{Device, DeviceConfig, DeviceHandler, EraseUnit, Refusal};
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::info::{
    DeviceInfo, DeviceState, SlotInfo, SlotStatus, UpdateMode, Version, MAX_LAYOUT_NAME,
};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The flash behind the simulated bootloader.
pub struct BoardFlash {
    pub layout: &'static Layout,
    pub slot: Region,
    pub units: Vec<EraseUnit>,
    pub memory: Vec<u8>,
    pub board_id: u32,
    pub max_image_size: u32,
    pub trusted_key: [u8; 32],
    pub installed: Option<Version>,
    /// The installed image's security counter.
    pub installed_security_counter: u32,
    pub violations: u32,
    pub erases: u32,
    pub reboot_requested: bool,
}

impl BoardFlash {
    /// An erased secondary slot of the dual-slot layout, trusting `trusted_key`.
    pub fn new(trusted_key: [u8; 32]) -> BoardFlash {
        let layout = &NUCLEO_F429ZI_DUAL_SLOT;
        let slot = layout.partitions.secondary.expect("dual slot");
        let units = layout
            .board
            .part
            .flash
            .sectors
            .iter()
            .filter(|sector| slot.contains(sector.start))
            .map(|sector| EraseUnit {
                offset: sector.start - slot.start,
                size: sector.size,
            })
            .collect();
        BoardFlash {
            layout,
            slot,
            units,
            memory: vec![0xFF; slot.size as usize],
            board_id: layout.board.board_id,
            max_image_size: slot.size,
            trusted_key,
            installed: None,
            installed_security_counter: 0,
            violations: 0,
            erases: 0,
            reboot_requested: false,
        }
    }
}

fn version(version: slingshot_image::Version) -> Version {
    Version {
        major: version.major.min(255) as u8,
        minor: version.minor.min(255) as u8,
        patch: version.patch.min(255) as u8,
        build: version.build,
    }
}

impl DeviceHandler for BoardFlash {
    fn info(&mut self) -> DeviceInfo {
        let mut slots = [SlotInfo::EMPTY; 2];
        if let Some(installed) = self.installed {
            slots[0] = SlotInfo {
                status: SlotStatus::Valid,
                version: installed,
            };
        }
        let mut info = DeviceInfo {
            board_id: self.board_id,
            bootloader_version: Version {
                major: 1,
                minor: 0,
                patch: 0,
                build: 3,
            },
            layout_name: [0; MAX_LAYOUT_NAME],
            layout_name_length: 0,
            update_mode: UpdateMode::DualSlot,
            max_image_size: self.max_image_size,
            slot_count: 2,
            slots,
            state: DeviceState::Idle,
            chip: None,
        };
        info.set_layout_name(self.layout.name);
        info
    }

    fn check_update(&mut self, image_size: u32, descriptor: &[u8]) -> Result<(), Refusal> {
        let bytes: &[u8; DESCRIPTOR_SIZE] = descriptor
            .get(..DESCRIPTOR_SIZE)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(Refusal::new(ErrorCode::BadDescriptor))?;
        let descriptor = Descriptor::decode(bytes);
        if descriptor.board_id != self.board_id {
            return Err(Refusal::with_detail(ErrorCode::WrongBoard, self.board_id));
        }
        if image_size > self.max_image_size {
            return Err(Refusal::with_detail(
                ErrorCode::ImageTooLarge,
                self.max_image_size,
            ));
        }
        if descriptor.load_address != self.layout.partitions.primary.start {
            return Err(Refusal::new(ErrorCode::WrongLoadAddress));
        }
        Ok(())
    }

    fn erase_unit(&self, offset: u32) -> Option<EraseUnit> {
        self.units
            .iter()
            .copied()
            .find(|unit| unit.offset <= offset && offset < unit.end())
    }

    fn erase(&mut self, unit: EraseUnit) -> Result<(), ErrorCode> {
        self.memory[unit.offset as usize..unit.end() as usize].fill(0xFF);
        self.erases += 1;
        Ok(())
    }

    fn program(&mut self, offset: u32, data: &[u8]) -> Result<(), ErrorCode> {
        let range = offset as usize..offset as usize + data.len();
        if self.memory[range.clone()].iter().any(|&byte| byte != 0xFF) {
            self.violations += 1;
            return Err(ErrorCode::ProgramFailed);
        }
        self.memory[range].copy_from_slice(data);
        Ok(())
    }

    fn read(&mut self, offset: u32, buffer: &mut [u8]) -> Result<(), ErrorCode> {
        let start = offset as usize;
        let source = self
            .memory
            .get(start..start + buffer.len())
            .ok_or(ErrorCode::ReadFailed)?;
        buffer.copy_from_slice(source);
        Ok(())
    }

    fn verify(&mut self, _image_size: u32) -> Result<(), Refusal> {
        let load_address = self.layout.partitions.primary.start;
        match verify_slot(
            &self.memory,
            load_address,
            self.board_id,
            &[self.trusted_key],
        ) {
            Ok(_) => Ok(()),
            Err(slingshot_image::ImageError::BadSignature) => {
                Err(Refusal::new(ErrorCode::BadSignature))
            }
            Err(slingshot_image::ImageError::NoTrustedKey) => {
                Err(Refusal::new(ErrorCode::NoTrustedKey))
            }
            Err(_) => Err(Refusal::new(ErrorCode::HashMismatch)),
        }
    }

    fn install(&mut self, _image_size: u32) -> Result<(), Refusal> {
        let trailer = slingshot_image::parse_trailer(&self.memory)
            .map_err(|_| Refusal::new(ErrorCode::InstallFailed))?;
        self.installed = Some(version(trailer.descriptor.version));
        self.installed_security_counter = trailer.descriptor.security_counter;
        Ok(())
    }

    fn reboot(&mut self) {
        self.reboot_requested = true;
    }

    fn supports_baud(&self, baud: u32) -> bool {
        matches!(baud, 115_200 | 230_400 | 460_800 | 1_000_000)
    }

    fn set_baud(&mut self, _baud: u32) {}
}

/// What runs on the simulated board.
enum Mode {
    Bootloader(Box<Device<BoardFlash>>),
    Application { flash: BoardFlash, ticks: u32 },
}

impl Mode {
    fn flash(&self) -> &BoardFlash {
        match self {
            Mode::Bootloader(device) => device.handler(),
            Mode::Application { flash, .. } => flash,
        }
    }
}

fn bootloader(flash: BoardFlash) -> Mode {
    Mode::Bootloader(Box::new(Device::new(
        flash,
        DeviceConfig::default(),
        115_200,
    )))
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
pub struct SimulatedBoard {
    pub port: u16,
    stop: Arc<AtomicBool>,
    mode: Arc<Mutex<Option<Mode>>>,
    thread: Option<JoinHandle<()>>,
}

impl SimulatedBoard {
    pub fn start(flash: BoardFlash, options: BoardOptions) -> SimulatedBoard {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let initial = if options.start_in_application {
            Mode::Application { flash, ticks: 0 }
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

    /// Runs `check` on the board's flash.
    pub fn with_flash<R>(&self, check: impl FnOnce(&BoardFlash) -> R) -> R {
        let guard = self.mode.lock().expect("board lock");
        check(guard.as_ref().expect("board present").flash())
    }
}

impl Drop for SimulatedBoard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    mode: Arc<Mutex<Option<Mode>>>,
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

fn connection(
    mut stream: TcpStream,
    stop: &AtomicBool,
    mode: &Mutex<Option<Mode>>,
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
        let next = if cut {
            // Power cut: RAM state lost, flash kept; back in the bootloader.
            match next {
                Mode::Bootloader(device) => bootloader(device.into_handler()),
                Mode::Application { flash, .. } => bootloader(flash),
            }
        } else {
            next
        };
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

/// Feeds `bytes` to what runs on the board and lets time pass; replies go to `output`, what
/// the board prints after a reset to `later`.
fn step(
    mode: Mode,
    bytes: &[u8],
    started: Instant,
    (next_tick, tick): (&mut Instant, Duration),
    output: &mut Vec<u8>,
    later: &mut Vec<u8>,
) -> Mode {
    match mode {
        Mode::Bootloader(mut device) => {
            device.receive_slice(bytes, |reply| output.extend_from_slice(reply));
            device.poll(started.elapsed().as_millis() as u32);
            if device.handler().reboot_requested {
                let mut flash = device.into_handler();
                flash.reboot_requested = false;
                let Some(installed) = flash.installed else {
                    return bootloader(flash);
                };
                // The example application's first lines: banner, VTOR, boot report.
                later.extend_from_slice(
                    format!(
                        "\r\nslingshot example application v{}.{}.{}\r\nVTOR=0x08008000\r\n\
                         image: version {}.{}.{}+{}, security counter {}\r\n\
                         boot: slot primary, state trial, reset reason software, anti-rollback minimum 0\r\n\
                         send 'b' to enter the bootloader\r\n",
                        installed.major,
                        installed.minor,
                        installed.patch,
                        installed.major,
                        installed.minor,
                        installed.patch,
                        installed.build,
                        flash.installed_security_counter
                    )
                    .as_bytes(),
                );
                *next_tick = Instant::now() + tick;
                return Mode::Application { flash, ticks: 0 };
            }
            Mode::Bootloader(device)
        }
        Mode::Application { flash, mut ticks } => {
            if bytes.contains(&b'b') {
                output.extend_from_slice(b"requesting the bootloader\r\n");
                return bootloader(flash);
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
