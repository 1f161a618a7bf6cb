//! Bootloader mode's serial update service (feature `serial-update`): the protocol of
//! `docs/PROTOCOL.md` on USART3, received by DMA into a RAM ring so that no byte is lost while
//! bank 1 stalls during an erase or a program.
//!
//! [`serve`] never returns: it answers requests until one of them (Reboot) resets the chip.
//! The state machine is `slingshot_protocol::device::Device` over the portable
//! `slingshot_service::UpdateService` (flash, verification, update engine), which this module
//! wires to the chip ([`handler`]), and the loop below:
//! drain the ring into the device, send each reply, wait until it has left, then let the
//! device do deferred work (erase ahead, baud switch, reboot) with the millisecond clock.
//!
//! With the `an3155` feature the same port also serves ST's serial bootloader protocol
//! (`slingshot_service::an3155`, docs/PROTOCOL.md section 14): a 0x7F received while the
//! Slingshot device is at rest (idle, between frames) engages an AN3155 session, which keeps
//! the port until a second passes without a byte.

mod handler;

use crate::verified::tracked_flash::TrackedFlash;
use crate::verified::verifier::SignedImageVerifier;
use crate::verified::ENGINE_CONFIGURATION;
use slingshot_protocol::device::{
    receive_buffer_size, Device, DeviceConfig, DeviceHandler, DEFAULT_WINDOW,
};
#[cfg(feature = "an3155")]
use slingshot_service::an3155::{An3155Session, HostFraming, RawMemory};
use slingshot_service::UpdateService;
use slingshot_stm32::flash_interface::flash_interface_responds;
use slingshot_stm32::millisecond_timer::MillisecondTimer;
#[cfg(feature = "an3155")]
use slingshot_stm32::usart;
use slingshot_stm32::usart_dma::DmaReceiver;
use slingshot_update::DualSlotEngine;

/// Baud rate after reset; the host may negotiate up to 1 000 000 (SetBaud, ConfirmBaud).
const BAUD: u32 = 115_200;

/// The protocol's default tunables: 16 KB credit window, 1 s baud confirm timeout.
const CONFIG: DeviceConfig = DeviceConfig {
    window: DEFAULT_WINDOW,
    baud_confirm_timeout_milliseconds:
        slingshot_protocol::device::DEFAULT_BAUD_CONFIRM_TIMEOUT_MILLISECONDS,
};

/// Receive ring size: every byte the credit window lets the host have in flight, plus one
/// frame (17 697 bytes for the 16 KB window).
const RING_SIZE: usize = receive_buffer_size(CONFIG.window);

slingshot_stm32::receive_ring!(
    /// The receive ring, written by DMA1 stream 1 (not zeroed at start-up).
    RECEIVE_RING,
    RING_SIZE
);

/// Serves the update protocol for the active layout until a Reboot request resets the chip.
///
/// Checks whether the flash interface responds (it does not in QEMU; every flash request is
/// then refused), verifies the slots once for the info reply (on the PLL at 168 MHz with
/// `fast-verify`, as the boot decision: `crate::at_decision_speed`), and runs [`serve_with`].
pub fn serve() -> ! {
    serve_with(|| {
        let flash_present = flash_interface_responds();
        // The boot flow's flash driver and verifier: one copy of the engine's journal code
        // and of the image verification is linked. The survey verifies both slots (up to
        // 2 × 864 KB: 3.1 s at 16 MHz, 0.3 s at 168 MHz) before reception starts; a Hello sent
        // meanwhile is lost and the host sends it again (every 300 ms, 8 times).
        crate::at_decision_speed(|| {
            UpdateService::new(
                TrackedFlash::for_primary_slot(),
                SignedImageVerifier::without_messages(),
                handler::Stm32,
                // `None` in the single-slot layout.
                ENGINE_CONFIGURATION.map(DualSlotEngine::new),
                flash_present,
            )
        })
    })
}

/// What the serial loop needs of its handler: the Slingshot protocol's requests and, with
/// the `an3155` feature, ST's address-level commands.
#[cfg(feature = "an3155")]
pub trait Handler: DeviceHandler + RawMemory {}
#[cfg(feature = "an3155")]
impl<H: DeviceHandler + RawMemory> Handler for H {}
/// What the serial loop needs of its handler: the Slingshot protocol's requests.
#[cfg(not(feature = "an3155"))]
pub trait Handler: DeviceHandler {}
#[cfg(not(feature = "an3155"))]
impl<H: DeviceHandler> Handler for H {}

/// Serves the update protocol on USART3 (receiving by DMA) forever, over the handler
/// `make_handler` builds first (on the reset clock again when it returns: USART3's baud rate
/// and the millisecond timer are set up for the 16 MHz HSI afterwards).
pub fn serve_with<H: Handler>(make_handler: impl FnOnce() -> H) -> ! {
    let handler = make_handler();
    let clock = MillisecondTimer::start();
    let Some((mut usart, mut receiver)) = DmaReceiver::start(&RECEIVE_RING, BAUD) else {
        // The ring is taken only here, and this function never returns: unreachable.
        loop {
            cortex_m::asm::wfi();
        }
    };
    let mut device = Device::new(handler, CONFIG, BAUD);
    #[cfg(feature = "an3155")]
    let mut session = An3155Session::new();
    // The port runs 8E1 for an AN3155 host that framed its characters so.
    #[cfg(feature = "an3155")]
    let mut even_parity = false;
    loop {
        while let Some(byte) = receiver.pop() {
            #[cfg(feature = "an3155")]
            if session.takes(byte, &device) {
                if !session.engaged() {
                    // A new session: framing errors seen before it say nothing of its host.
                    usart::take_framing_error();
                }
                session.observe_framing(byte, usart::take_framing_error);
                let framing = session.framing();
                if let Some(reply) = session.receive(byte, device.handler_mut()) {
                    // The host waits for this reply: the line is idle, the framing may change.
                    match framing {
                        HostFraming::Unknown => usart.write_bytes_spaced(reply),
                        framing => {
                            let even = framing == HostFraming::EvenParity;
                            if even != even_parity {
                                usart.set_even_parity(even);
                                even_parity = even;
                            }
                            usart.write_bytes_recording_framing_errors(reply);
                        }
                    }
                }
                continue;
            }
            if let Some(reply) = device.receive(byte) {
                usart.write_bytes(reply);
            }
        }
        // The reply is on the wire before a reboot or a baud switch takes effect. (The
        // session learns the host's framing when it pops the deciding byte, microseconds
        // after it arrived; this plain status read could hide its framing error only if the
        // next byte's DMA read came before that pop.)
        usart.flush();
        #[cfg(feature = "an3155")]
        {
            session.poll(clock.milliseconds());
            if session.reboot_pending() {
                device.handler_mut().reboot();
            }
            if even_parity && !session.engaged() {
                // Back to 8N1 for the Slingshot protocol.
                usart.set_even_parity(false);
                even_parity = false;
            }
        }
        device.poll(clock.milliseconds());
        // Bootloader mode may wait for a host indefinitely: with the hardware watchdog option
        // the IWDG runs meanwhile (harmless otherwise).
        slingshot_stm32::watchdog::feed_independent_watchdog();
    }
}
