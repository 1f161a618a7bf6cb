//! `slingshot flash` as a library call: [`flash`] takes any [`Transport`] and a
//! [`SignedImage`] and returns a [`FlashReport`], so `cargo xtask demo` and the twin's tests
//! run the same code in-process as the command does over a serial port.
//!
//! Steps: hello (if a running application answers nothing, send it `b` so it enters the
//! bootloader, then hello again; then look for a bootloader an interrupted session left at a
//! higher baud rate); refuse a board or size mismatch before anything is erased;
//! optionally switch the baud rate; the protocol's resumable transfer (it resumes from what the
//! device already holds); verify; install; reboot; then find the version now running, from the
//! application's banner or, if the device stayed in its bootloader, from a new hello.

mod image;
mod install_time;
mod running;

pub use image::{ImageRefusal, SignedImage};
pub use install_time::{install_time, InstallTime};
pub use running::{read_banner, RunningVersion, BANNER_PREFIX};

use slingshot_protocol::host::{HostConfig, HostError, HostSession, TransferReport, Transport};
use slingshot_protocol::info::{DeviceInfo, SlotStatus, DIGEST_PREFIX};
use std::time::Duration;

/// The byte the example application takes as "enter the bootloader" (at 115200 baud).
pub const ENTER_BOOTLOADER_BYTE: u8 = b'b';

/// Reboot requests sent at most when their replies are lost and the bootloader still answers.
const REBOOT_ATTEMPTS: u32 = 3;

/// How [`flash`] behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlashOptions {
    /// Baud rate for the transfer (negotiated after hello), `None` to stay at the current one.
    pub baud: Option<u32>,
    /// Whether to ask a running application to enter the bootloader when hello gets no answer.
    pub enter_bootloader: bool,
    /// Protocol timeouts and retry budgets.
    pub host: HostConfig,
    /// Attempts of the first hello, before asking the application to enter the bootloader.
    pub probe_attempts: u32,
    /// How long to wait for the application's banner after the reboot.
    pub banner_timeout: Duration,
}

impl Default for FlashOptions {
    fn default() -> Self {
        FlashOptions {
            baud: None,
            enter_bootloader: true,
            host: HostConfig::default(),
            probe_attempts: 3,
            banner_timeout: Duration::from_secs(3),
        }
    }
}

/// What [`flash`] reports as it goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FlashEvent {
    /// Hello got no answer: the application was asked to enter the bootloader.
    EnteringBootloader,
    /// Nothing answered at the reset rate, but a bootloader did at `baud` (an interrupted
    /// session had switched it); the session continues there.
    FoundAtBaud {
        /// The rate that answered.
        baud: u32,
    },
    /// The bootloader answered.
    Connected(DeviceInfo),
    /// The baud rate was switched (or fell back to `baud`).
    Baud {
        /// The rate now in use.
        baud: u32,
        /// Whether this is the requested rate (false: the device did not confirm it).
        switched: bool,
    },
    /// The device already holds the first `offset` bytes: the transfer continues there.
    Resuming {
        /// Bytes already on the device.
        offset: u64,
    },
    /// Transfer progress.
    Progress {
        /// Bytes acknowledged.
        done: u64,
        /// Image size.
        total: u64,
    },
    /// The transfer finished; the device verifies the signature.
    Verifying,
    /// Verify and install passed; the device reboots.
    Rebooting,
    /// The Reboot request got no reply: the device probably reset right after answering (a
    /// lost reply); what runs is found out next either way.
    RebootUnacknowledged,
    /// The primary slot already holds this image, verified and confirmed: nothing is sent,
    /// the board is restarted into it.
    AlreadyInstalled,
    /// The bootloader installs the image at this boot (dual slot): the tool waits for it.
    Installing {
        /// How long the swap takes with typical flash timings.
        typical: Duration,
        /// How long it may take at most (the tool's deadline).
        longest: Duration,
    },
}

/// The outcome of a successful [`flash`].
#[derive(Clone, Debug, PartialEq)]
pub struct FlashReport {
    /// The device as it answered the first hello.
    pub device: DeviceInfo,
    /// What the transfer did (resume offset, bytes sent, retries, time).
    pub transfer: TransferReport,
    /// What runs after the reboot, if it could be found out.
    pub running: Option<RunningVersion>,
    /// The primary slot already held this very image, verified and confirmed (the same
    /// digest in the bootloader's info reply): nothing was sent or installed, the board was
    /// only restarted into it. A rerun after an update that went through ends here.
    pub already_installed: bool,
}

/// Why [`flash`] failed; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum FlashError {
    /// Nothing answered, even after asking an application to enter the bootloader.
    #[error("no answer from the board: is it in the bootloader? {}Holding the user button B1 while pressing reset forces the bootloader; also check the port and that no other program uses it", if *.asked_application { "A running application was sent 'b' to enter it, and nothing answered afterwards either. " } else { "A running example application enters it when it receives 'b' (`slingshot flash` sends it, `slingshot info --enter-bootloader` too). " })]
    NoAnswer {
        /// Whether the application was asked to enter the bootloader.
        asked_application: bool,
    },
    /// The image is for another board than the one connected (nothing was erased).
    #[error("the image is for board id 0x{image_board:08x}, but the connected board is 0x{device_board:08x}{}: nothing was written", crate::layout::board_name(*.device_board).map(|name| format!(" ({name})")).unwrap_or_default())]
    WrongBoard {
        /// The descriptor's board id.
        image_board: u32,
        /// The device's board id.
        device_board: u32,
    },
    /// The image does not fit the device's update slot (nothing was erased).
    #[error("the image needs {image_size} bytes, but the device's update slot holds {slot_size} bytes (layout {layout}): nothing was written")]
    ImageTooLarge {
        /// Image and trailer, in bytes.
        image_size: u64,
        /// The device's slot size in bytes.
        slot_size: u32,
        /// The device's layout name.
        layout: String,
    },
    /// The device refused a step; the message names its check.
    #[error("{stage}: {}{}", chain(.error), hint(.error))]
    Device {
        /// What was being done.
        stage: &'static str,
        /// The protocol's error (its causes are part of this error's message).
        error: HostError,
    },
}

/// `error: cause: cause`, the whole chain in one line.
fn chain(error: &HostError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What to do after a protocol error, appended to its message.
fn hint(error: &HostError) -> &'static str {
    match error {
        HostError::RetryBudgetExhausted { .. } | HostError::Transport(_) => {
            "; check the cable and run `slingshot flash` again: it resumes where it stopped"
        }
        HostError::NoAnswer { .. } => {
            "; the board stopped answering: run `slingshot flash` again to resume"
        }
        HostError::Rejected { .. }
        | HostError::WrongBoard { .. }
        | HostError::ImageTooLarge { .. } => "; the installed application was not replaced",
        _ => "",
    }
}

fn device_error(stage: &'static str) -> impl FnOnce(HostError) -> FlashError {
    move |error| FlashError::Device { stage, error }
}

/// Updates the device behind `transport` with `image` (see the module documentation).
/// `events` sees each step and the progress.
///
/// ```no_run
/// use slingshot_cli::flashing::{flash, FlashOptions, SignedImage};
/// use slingshot_cli::port::{open_port, PortSpec, DEFAULT_BAUD};
///
/// let layout = slingshot_layout::Layout::by_name("nucleo-f429zi-dual").unwrap();
/// let image = SignedImage::load("app-v2.signed.bin".as_ref(), layout)?;
/// let port = open_port(&PortSpec::parse("tcp:127.0.0.1:4000"), DEFAULT_BAUD)?;
/// let report = flash(port, &image, &FlashOptions::default(), &mut |_event| {})?;
/// println!("now running: {:?}", report.running);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn flash<T: Transport>(
    transport: T,
    image: &SignedImage,
    options: &FlashOptions,
    events: &mut dyn FnMut(FlashEvent),
) -> Result<FlashReport, FlashError> {
    // The rate after a reset: the bootloader and the application start at it.
    let reset_baud = transport.baud();
    let (mut session, device) = connect(transport, options, events)?;
    check_device(&device, image)?;
    if already_installed(&device, image) {
        events(FlashEvent::AlreadyInstalled);
        let running = reboot_and_find_running(
            &mut session,
            InstallTime::default(),
            image,
            options,
            reset_baud,
            events,
        )?;
        let size = image.bytes.len() as u32;
        return Ok(FlashReport {
            device,
            transfer: TransferReport {
                image_size: size,
                resumed_from: size,
                command_retries: session.command_retries(),
                ..TransferReport::default()
            },
            running,
            already_installed: true,
        });
    }
    if let Some(baud) = options
        .baud
        .filter(|&baud| baud != session.transport().baud())
    {
        match session.set_baud(baud) {
            Ok(()) => events(FlashEvent::Baud {
                baud,
                switched: true,
            }),
            Err(HostError::BaudFallback { fallback, .. }) => events(FlashEvent::Baud {
                baud: fallback,
                switched: false,
            }),
            Err(error) => return Err(device_error("switching the baud rate")(error)),
        }
    }
    let mut first = true;
    let mut progress = |done: u64, total: u64| {
        if first && done > 0 {
            events(FlashEvent::Resuming { offset: done });
        }
        first = false;
        events(FlashEvent::Progress { done, total });
    };
    // A device that was reset mid-transfer lost its session and answers WrongState: the
    // session starts over, resuming from what its flash holds.
    let mut transfer = session
        .transfer_resuming(
            &image.bytes,
            &image.descriptor_bytes,
            &mut progress,
            &mut || {},
        )
        .map_err(device_error("transferring the image"))?;
    events(FlashEvent::Verifying);
    session
        .verify()
        .map_err(device_error("verifying the image on the device"))?;
    session
        .install()
        .map_err(device_error("installing the image"))?;
    events(FlashEvent::Rebooting);
    let install = slingshot_layout::Layout::by_name(device.layout_name())
        .map(|layout| install_time(layout, image.bytes.len() as u32))
        .unwrap_or_default();
    let running =
        reboot_and_find_running(&mut session, install, image, options, reset_baud, events)?;
    transfer.command_retries = session.command_retries();
    Ok(FlashReport {
        device,
        transfer,
        running,
        already_installed: false,
    })
}

/// Whether the primary slot holds `image` already, verified and confirmed: its digest (from a
/// bootloader that reports digests) equals the image's. Not on trial: the trial image's next
/// boot after a stay in the bootloader reverts it, so only installing again keeps it.
fn already_installed(device: &DeviceInfo, image: &SignedImage) -> bool {
    device.slots().first().is_some_and(|primary| {
        primary.status == SlotStatus::Valid
            && primary.digest != [0; DIGEST_PREFIX]
            && primary.digest == image.digest_prefix()
    })
}

/// Reboots the device (again if the request itself was lost) and finds out what runs: the
/// application's boot report within the longest the boot can take with `install`, else the
/// bootloader's hello.
fn reboot_and_find_running<T: Transport>(
    session: &mut HostSession<T>,
    install: InstallTime,
    image: &SignedImage,
    options: &FlashOptions,
    reset_baud: u32,
    events: &mut dyn FnMut(FlashEvent),
) -> Result<Option<RunningVersion>, FlashError> {
    // The boot verifies the image before and after the swap; then the application reports.
    let verification = options.host.timing.verify(image.bytes.len() as u32);
    let wait = options.banner_timeout + install.longest + 2 * verification;
    let mut running = None;
    for attempt in 1..=REBOOT_ATTEMPTS {
        // The device resets right after its reply. A lost reply is not an error: what runs is
        // established from what the board says next. Only a bootloader that still answers
        // hello after an unanswered Reboot means the request itself was lost: ask again.
        let acknowledged = match session.reboot_once() {
            Ok(()) => true,
            Err(HostError::NoAnswer { .. }) => {
                events(FlashEvent::RebootUnacknowledged);
                false
            }
            Err(error) => return Err(device_error("rebooting the device")(error)),
        };
        if session.transport().baud() != reset_baud {
            session
                .transport_mut()
                .set_baud(reset_baud)
                .map_err(|error| device_error("returning to the reset baud rate")(error.into()))?;
        }
        if install.longest > Duration::ZERO {
            events(FlashEvent::Installing {
                typical: install.typical,
                longest: install.longest,
            });
        }
        running = running::find_running_version(session, wait);
        let stayed = matches!(running, Some(RunningVersion::Bootloader(_)));
        if acknowledged || !stayed || attempt == REBOOT_ATTEMPTS {
            break;
        }
    }
    Ok(running)
}

/// Rates a bootloader may still be using when it answers nothing at the reset rate: an
/// earlier session switched it and was interrupted before the board was reset.
pub const OTHER_BOOTLOADER_RATES: [u32; 3] = [1_000_000, 460_800, 230_400];

/// Hello at the current rate; if nothing answers, ask a running application to enter the
/// bootloader (`b`) and try again; then look for a bootloader left at a higher rate by an
/// interrupted session ([`OTHER_BOOTLOADER_RATES`]). The session is at the rate that answered.
pub fn connect<T: Transport>(
    transport: T,
    options: &FlashOptions,
    events: &mut dyn FnMut(FlashEvent),
) -> Result<(HostSession<T>, DeviceInfo), FlashError> {
    let probe = HostConfig {
        retry_budget: options.probe_attempts.max(1),
        ..options.host
    };
    let mut session = HostSession::new(transport, probe);
    let answered = |session: HostSession<T>, info, events: &mut dyn FnMut(FlashEvent)| {
        events(FlashEvent::Connected(info));
        Ok((
            HostSession::new(session.into_transport(), options.host),
            info,
        ))
    };
    match session.hello() {
        Ok(info) => return answered(session, info, events),
        Err(HostError::NoAnswer { .. }) => {}
        Err(error) => return Err(device_error("connecting")(error)),
    }
    if options.enter_bootloader {
        events(FlashEvent::EnteringBootloader);
        let mut transport = session.into_transport();
        transport
            .write(&[ENTER_BOOTLOADER_BYTE])
            .and_then(|()| transport.flush())
            .map_err(|error| {
                device_error("asking the application to enter the bootloader")(error.into())
            })?;
        session = HostSession::new(transport, options.host);
        match session.hello() {
            Ok(info) => return answered(session, info, events),
            Err(HostError::NoAnswer { .. }) => {}
            Err(error) => return Err(device_error("connecting")(error)),
        }
        session = HostSession::new(session.into_transport(), probe);
    }
    let reset_baud = session.transport().baud();
    for baud in OTHER_BOOTLOADER_RATES {
        if baud == reset_baud || session.transport_mut().set_baud(baud).is_err() {
            continue;
        }
        if let Ok(info) = session.hello() {
            events(FlashEvent::FoundAtBaud { baud });
            return answered(session, info, events);
        }
    }
    // Leave the port as it was found.
    let _ = session.transport_mut().set_baud(reset_baud);
    Err(FlashError::NoAnswer {
        asked_application: options.enter_bootloader,
    })
}

/// Refuses, before anything is erased, an image for another board or larger than the slot.
fn check_device(device: &DeviceInfo, image: &SignedImage) -> Result<(), FlashError> {
    if device.board_id != image.descriptor.board_id {
        return Err(FlashError::WrongBoard {
            image_board: image.descriptor.board_id,
            device_board: device.board_id,
        });
    }
    if image.bytes.len() as u64 > u64::from(device.max_image_size) {
        return Err(FlashError::ImageTooLarge {
            image_size: image.bytes.len() as u64,
            slot_size: device.max_image_size,
            layout: device.layout_name().to_string(),
        });
    }
    Ok(())
}
