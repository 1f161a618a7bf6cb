//! The device side: a state machine fed received bytes, producing reply frames.
//!
//! The bootloader's main loop is:
//!
//! ```text
//! loop {
//!     while let Some(byte) = receive_ring.pop() {          // DMA ring, see below
//!         if let Some(reply) = device.receive(byte) { uart.write_all(reply); }
//!     }
//!     uart.flush();                                         // the reply is on the wire
//!     device.poll(milliseconds_since_reset);                // erase ahead, reboot, baud switch
//! }
//! ```
//!
//! No byte is lost while bank 1 stalls: the host never has more than the granted credit window
//! in flight, so a receive ring of [`receive_buffer_size`] bytes (filled by DMA, which does not
//! fetch from flash) absorbs everything that arrives during an erase or a program.

mod handler;
mod transfer;

pub use handler::{DeviceHandler, EraseUnit, Refusal};
pub use transfer::program_once;

use crate::error::ErrorCode;
use crate::frame::{
    encode_frame, encoded_size, DecodeEvent, FrameDecoder, CRC_SIZE, HEADER_SIZE, MAX_WIRE_FRAME,
};
use crate::frame::{MAX_DATA_PAYLOAD, PROTOCOL_VERSION};
use crate::info::{DeviceInfo, DeviceState};
use crate::message::{self, ErrorReply, Request};
use crate::wire::Writer;
use transfer::Transfer;

/// Largest reply payload (the info reply is the longest).
pub const MAX_REPLY_PAYLOAD: usize = DeviceInfo::WIRE_SIZE;

/// Largest reply frame on the wire.
pub const MAX_REPLY_WIRE: usize = encoded_size(HEADER_SIZE + MAX_REPLY_PAYLOAD + CRC_SIZE);

/// Default credit window: 16 KB, enough to hide a 128 KB sector erase (1 s typical) at 115200 baud.
pub const DEFAULT_WINDOW: u32 = 16 * 1024;

/// Default time the device waits for a confirm at a new baud rate before falling back.
pub const DEFAULT_BAUD_CONFIRM_TIMEOUT_MILLISECONDS: u16 = 1000;

/// Bytes of receive buffering the bootloader needs so that nothing is lost during a stall:
/// every data frame the window allows, plus one more frame of any kind.
pub const fn receive_buffer_size(window: u32) -> usize {
    (window as usize / MAX_DATA_PAYLOAD + 1) * MAX_WIRE_FRAME
}

/// Tunables of the device state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceConfig {
    /// Credit window in bytes (a multiple of [`MAX_DATA_PAYLOAD`]).
    pub window: u32,
    /// How long to wait for a confirm after a baud switch before reverting.
    pub baud_confirm_timeout_milliseconds: u16,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        Self {
            window: DEFAULT_WINDOW,
            baud_confirm_timeout_milliseconds: DEFAULT_BAUD_CONFIRM_TIMEOUT_MILLISECONDS,
        }
    }
}

/// Work the device does in [`Device::poll`], after the reply that announced it has been sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Nothing,
    Reboot,
    SwitchBaud { baud: u32 },
}

/// A baud switch waiting for its confirm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BaudTrial {
    previous: u32,
    deadline: Option<u32>,
}

/// The device-side protocol state machine over a [`DeviceHandler`].
pub struct Device<H: DeviceHandler> {
    handler: H,
    config: DeviceConfig,
    decoder: FrameDecoder,
    reply: [u8; MAX_REPLY_WIRE],
    state: DeviceState,
    transfer: Option<Transfer>,
    pending: Pending,
    baud: u32,
    baud_trial: Option<BaudTrial>,
    now: u32,
    discarded_frames: u32,
}

impl<H: DeviceHandler> Device<H> {
    /// A device in the idle state, talking at `baud`.
    pub fn new(handler: H, config: DeviceConfig, baud: u32) -> Self {
        Self {
            handler,
            config,
            decoder: FrameDecoder::new(),
            reply: [0; MAX_REPLY_WIRE],
            state: DeviceState::Idle,
            transfer: None,
            pending: Pending::Nothing,
            baud,
            baud_trial: None,
            now: 0,
            discarded_frames: 0,
        }
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The handler, mutably.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// Gives the handler back.
    pub fn into_handler(self) -> H {
        self.handler
    }

    /// The protocol state.
    pub fn state(&self) -> DeviceState {
        self.state
    }

    /// The current baud rate.
    pub fn baud(&self) -> u32 {
        self.baud
    }

    /// Frames discarded so far (bad CRC, bad encoding, wrong length): a link-quality count.
    pub fn discarded_frames(&self) -> u32 {
        self.discarded_frames
    }

    /// Bytes of the image written so far (0 without a transfer).
    pub fn contiguous(&self) -> u32 {
        self.transfer
            .as_ref()
            .map_or(0, |transfer| transfer.contiguous)
    }

    /// Whether the device is idle (no update started) and between frames: where a bootloader
    /// that also serves another protocol on the port may hand the next byte to it (ST's
    /// AN3155 starts with 0x7F, which no request frame sent from here starts with:
    /// docs/PROTOCOL.md, section 14).
    pub fn at_rest(&self) -> bool {
        self.state == DeviceState::Idle && self.transfer.is_none() && self.decoder.between_frames()
    }

    /// Feeds one received byte; returns a reply frame to send when the byte completed a request.
    // Out of line (76 B less bootloader flash, 2026-12-06): its one caller, the serial loop,
    // then keeps fewer values live across it.
    #[inline(never)]
    pub fn receive(&mut self, byte: u8) -> Option<&[u8]> {
        match self.decoder.push(byte) {
            DecodeEvent::Pending => None,
            DecodeEvent::FrameDiscarded(_) => {
                self.discarded_frames = self.discarded_frames.saturating_add(1);
                None
            }
            DecodeEvent::FrameReady => {
                let frame = self.decoder.frame()?;
                let (version, frame_type, sequence) =
                    (frame.version, frame.frame_type, frame.sequence);
                let mut request_payload = [0u8; crate::frame::MAX_PAYLOAD];
                let length = frame.payload.len();
                request_payload[..length].copy_from_slice(frame.payload);
                // The reply's fields are written straight from the results (no `Reply`
                // value is built: this runs in the bootloader, where every byte counts).
                let mut payload = [0u8; MAX_REPLY_PAYLOAD];
                let mut writer = Writer::new(&mut payload);
                let outcome = if version != PROTOCOL_VERSION {
                    Err(Refusal::with_detail(
                        ErrorCode::UnsupportedVersion,
                        u32::from(PROTOCOL_VERSION),
                    ))
                } else {
                    Request::decode(frame_type, &request_payload[..length])
                        .map_err(Refusal::new)
                        .and_then(|request| self.dispatch(request, &mut writer))
                };
                let reply_type = match outcome {
                    // Resume is answered with an Ack, like Data; every other reply carries
                    // its request's type.
                    Ok(()) if frame_type == message::frame_type::RESUME => {
                        message::frame_type::DATA | message::frame_type::REPLY
                    }
                    Ok(()) => frame_type | message::frame_type::REPLY,
                    Err(refusal) => {
                        writer.clear();
                        ErrorReply {
                            request_type: frame_type,
                            code: refusal.code,
                            detail: refusal.detail,
                        }
                        .write(&mut writer);
                        message::frame_type::ERROR
                    }
                };
                let written = writer.finish()?;
                let length =
                    encode_frame(reply_type, sequence, &payload[..written], &mut self.reply)
                        .ok()?;
                Some(&self.reply[..length])
            }
        }
    }

    /// Feeds several bytes, handing every reply to `send`.
    pub fn receive_slice(&mut self, bytes: &[u8], mut send: impl FnMut(&[u8])) {
        for &byte in bytes {
            if let Some(reply) = self.receive(byte) {
                send(reply);
            }
        }
    }

    /// Does deferred work: the action a reply announced (reboot, baud switch), the baud
    /// fallback, or erasing one unit ahead of the data. Call it once the last reply has been
    /// transmitted and no received byte is waiting; `now_milliseconds` is a free-running clock.
    // Out of line (24 B less bootloader flash, 2026-12-06): the serial loop calls it once per
    // pass, and the loop's registers no longer hold its state machine.
    #[inline(never)]
    pub fn poll(&mut self, now_milliseconds: u32) {
        self.now = now_milliseconds;
        match core::mem::replace(&mut self.pending, Pending::Nothing) {
            Pending::Reboot => {
                self.handler.reboot();
                return;
            }
            Pending::SwitchBaud { baud } => {
                let previous = self.baud;
                self.handler.set_baud(baud);
                self.baud = baud;
                let deadline = now_milliseconds
                    .wrapping_add(u32::from(self.config.baud_confirm_timeout_milliseconds));
                self.baud_trial = Some(BaudTrial {
                    previous,
                    deadline: Some(deadline),
                });
                return;
            }
            Pending::Nothing => {}
        }
        if let Some(BaudTrial {
            previous,
            deadline: Some(deadline),
        }) = self.baud_trial
        {
            if now_milliseconds.wrapping_sub(deadline) < u32::MAX / 2 {
                self.handler.set_baud(previous);
                self.baud = previous;
                self.baud_trial = None;
            }
        }
        if let Some(transfer) = self.transfer.as_mut() {
            if self.state == DeviceState::Receiving {
                // An erase error here is reported when the data for that unit arrives.
                let _ = transfer.erase_ahead(&mut self.handler, self.config.window);
            }
        }
    }

    /// Carries out `request`, writing its reply's payload into `reply`.
    fn dispatch(&mut self, request: Request<'_>, reply: &mut Writer<'_>) -> Result<(), Refusal> {
        match request {
            Request::Hello => {
                let mut info = self.handler.info();
                info.state = self.state;
                info.write(reply);
            }
            Request::StartUpdate {
                image_size,
                descriptor,
            } => {
                self.transfer = None;
                self.state = DeviceState::Idle;
                if image_size == 0 {
                    return Err(Refusal::new(ErrorCode::MalformedRequest));
                }
                self.handler.check_update(image_size, descriptor)?;
                let (transfer, accepted) =
                    Transfer::start(&mut self.handler, image_size, self.config.window)?;
                self.transfer = Some(transfer);
                self.state = DeviceState::Receiving;
                accepted.write(reply);
            }
            Request::Checksum { offset, length } => {
                let transfer = self
                    .transfer
                    .as_ref()
                    .ok_or(Refusal::new(ErrorCode::WrongState))?;
                // A range past 2^32 reports its end saturated at 0xFFFF_FFFF (docs/PROTOCOL.md).
                let end = offset.saturating_add(length);
                if end > transfer.image_size || offset.checked_add(length).is_none() {
                    return Err(Refusal::with_detail(ErrorCode::OffsetOutOfRange, end));
                }
                let checksum = self.handler.checksum(offset, length)?;
                message::write_checksum(reply, offset, length, checksum);
            }
            Request::Resume { offset } => {
                let transfer = Self::receiving_transfer(self.state, self.transfer.as_mut())?;
                transfer.resume(&mut self.handler, offset)?.write(reply);
            }
            Request::Data { offset, data } => {
                let transfer = Self::receiving_transfer(self.state, self.transfer.as_mut())?;
                let ack = transfer.data(&mut self.handler, offset, data)?;
                if transfer.is_complete() {
                    self.state = DeviceState::Received;
                }
                ack.write(reply);
            }
            Request::Verify => {
                let transfer = self
                    .transfer
                    .as_ref()
                    .ok_or(Refusal::new(ErrorCode::WrongState))?;
                if !transfer.is_complete() {
                    return Err(Refusal::with_detail(
                        ErrorCode::ImageIncomplete,
                        transfer.contiguous,
                    ));
                }
                let image_size = transfer.image_size;
                self.handler.verify(image_size)?;
                self.state = DeviceState::Verified;
            }
            Request::Install => {
                if self.state == DeviceState::Installed {
                    return Ok(()); // a retried install: already done
                }
                if self.state != DeviceState::Verified {
                    return Err(Refusal::new(ErrorCode::NotVerified));
                }
                let image_size = self
                    .transfer
                    .as_ref()
                    .map_or(0, |transfer| transfer.image_size);
                self.handler.install(image_size)?;
                self.state = DeviceState::Installed;
            }
            Request::Reboot => {
                self.pending = Pending::Reboot;
            }
            Request::SetBaud { baud } => {
                if !self.handler.supports_baud(baud) {
                    return Err(Refusal::with_detail(ErrorCode::BaudUnsupported, baud));
                }
                self.pending = Pending::SwitchBaud { baud };
                message::write_baud_accepted(
                    reply,
                    baud,
                    self.config.baud_confirm_timeout_milliseconds,
                );
            }
            Request::ConfirmBaud => {
                self.baud_trial = None;
                reply.u32(self.baud);
            }
            Request::SetProtection(protection) => {
                // Not in the middle of an update: the option bytes stall both banks for the
                // time of a sector erase.
                if !matches!(self.state, DeviceState::Idle | DeviceState::Installed) {
                    return Err(Refusal::new(ErrorCode::WrongState));
                }
                self.handler.set_protection(protection)?.write(reply);
            }
        }
        Ok(())
    }

    fn receiving_transfer(
        state: DeviceState,
        transfer: Option<&mut Transfer>,
    ) -> Result<&mut Transfer, Refusal> {
        match (state, transfer) {
            (DeviceState::Receiving | DeviceState::Received, Some(transfer)) => Ok(transfer),
            _ => Err(Refusal::new(ErrorCode::WrongState)),
        }
    }
}
