//! The host session: request/reply with retries, and the commands built on it.

use std::time::Duration;

use super::error::HostError;
use super::timing::DeviceTiming;
use super::transport::Transport;
use crate::error::ErrorCode;
use crate::frame::{
    encode_frame, DecodeEvent, FrameDecoder, MAX_PAYLOAD, MAX_WIRE_FRAME, PROTOCOL_VERSION,
};
use crate::info::{ChipInfo, DeviceInfo};
use crate::message::{frame_type, ErrorReply, Protection, Reply, Request, UpdateAccepted};

/// Longest a device may take to program its option bytes: twice DS9405's 16 KB sector erase
/// maximum at x32 (0.5 s), which the STM32F4 takes for an option-byte write.
const OPTION_BYTES_PROGRAM_TIME: Duration = Duration::from_millis(1000);

/// Timeouts and budgets of a host session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostConfig {
    /// Wait for the reply to a quick command (hello, resume, baud), beyond the reply's transmission time.
    pub command_timeout: Duration,
    /// How long start (prefix scan), checksum, verify and install take on the device, from
    /// the bytes they read: their timeouts follow from it.
    pub timing: DeviceTiming,
    /// Allowance for a device stall during the transfer (longest sector erase: 2 s maximum for
    /// 128 KB), on top of the time the bytes in flight take on the wire.
    pub stall_allowance: Duration,
    /// Attempts per command, and timeouts without progress tolerated during a transfer.
    pub retry_budget: u32,
    /// How often the transfer starts over (with resumption) after the device lost its session.
    pub restart_budget: u32,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            command_timeout: Duration::from_millis(300),
            timing: DeviceTiming::default(),
            stall_allowance: Duration::from_millis(2500),
            retry_budget: 8,
            restart_budget: 3,
        }
    }
}

/// What a transfer did, for reports and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransferReport {
    /// Image size in bytes.
    pub image_size: u32,
    /// Offset the transfer resumed from (0 for a fresh transfer).
    pub resumed_from: u32,
    /// Data bytes sent, retransmissions included.
    pub data_bytes_sent: u64,
    /// Timeouts that made the host go back to the last acknowledged offset.
    pub timeouts: u32,
    /// Gap reports (negative acknowledgements) that made the host go back.
    pub gaps: u32,
    /// Retransmissions of the first missing chunk when acknowledgements stopped short.
    pub probes: u32,
    /// Times the transfer started over after the device had lost its session (reset).
    pub restarts: u32,
    /// Requests sent again because their reply did not come in time (start, checksum,
    /// resume, verify, install, reboot …; data frames are counted in `timeouts`).
    pub command_retries: u32,
    /// Time from the start request to the last acknowledgement.
    pub elapsed: Duration,
    /// The shortest data frame payload the transfer shrank to on a noisy line (the device's
    /// chunk, 1024 bytes, when it never had to; 0 before any data was sent).
    pub smallest_frame: u32,
}

/// A conversation with one device over a [`Transport`].
pub struct HostSession<T: Transport> {
    pub(super) transport: T,
    pub(super) config: HostConfig,
    sequence: u8,
    decoder: FrameDecoder,
    pending: std::collections::VecDeque<u8>,
    /// Size announced by the last StartUpdate (what verify and install work on).
    announced_size: u32,
    /// Requests resent so far (see [`TransferReport::command_retries`]).
    command_retries: u32,
}

impl<T: Transport> HostSession<T> {
    /// A session over `transport`.
    pub fn new(transport: T, config: HostConfig) -> Self {
        Self {
            transport,
            config,
            sequence: 0,
            decoder: FrameDecoder::new(),
            pending: Default::default(),
            announced_size: 0,
            command_retries: 0,
        }
    }

    /// Requests resent so far because their reply did not come in time.
    pub fn command_retries(&self) -> u32 {
        self.command_retries
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Asks for the device's info.
    pub fn hello(&mut self) -> Result<DeviceInfo, HostError> {
        match self.request(&Request::Hello, self.config.command_timeout)? {
            Reply::Info(info) => Ok(info),
            other => Err(unexpected(frame_type::HELLO, &other)),
        }
    }

    /// Announces an image; the device checks the descriptor before erasing anything.
    pub fn start_update(
        &mut self,
        image_size: u32,
        descriptor: &[u8],
    ) -> Result<UpdateAccepted, HostError> {
        let request = Request::StartUpdate {
            image_size,
            descriptor,
        };
        self.announced_size = image_size;
        match self.request(&request, self.config.timing.start_update(image_size))? {
            Reply::UpdateAccepted(accepted) => Ok(accepted),
            Reply::Error(error) => Err(refusal(error, image_size)),
            other => Err(unexpected(frame_type::START_UPDATE, &other)),
        }
    }

    /// Asks the device to verify the complete image.
    pub fn verify(&mut self) -> Result<(), HostError> {
        self.expect(
            &Request::Verify,
            self.config.timing.verify(self.announced_size),
            Reply::Verified,
        )
    }

    /// Asks the device to install the verified image.
    pub fn install(&mut self) -> Result<(), HostError> {
        self.expect(
            &Request::Install,
            self.config.timing.install(self.announced_size),
            Reply::Installed,
        )
    }

    /// Asks the device to change the chip's protection (option bytes); returns the option
    /// bytes now in force. Programming them stalls the device for up to a 16 KB sector erase
    /// (0.5 s at x32, DS9405), so the reply may take that much longer than other commands. A
    /// retried request is harmless: the same request plans the same values.
    pub fn set_protection(&mut self, protection: Protection) -> Result<ChipInfo, HostError> {
        let timeout = self.config.command_timeout + OPTION_BYTES_PROGRAM_TIME;
        match self.request(&Request::SetProtection(protection), timeout)? {
            Reply::ProtectionSet(chip) => Ok(chip),
            other => Err(unexpected(frame_type::SET_PROTECTION, &other)),
        }
    }

    /// Asks the device to reboot.
    pub fn reboot(&mut self) -> Result<(), HostError> {
        self.expect(
            &Request::Reboot,
            self.config.command_timeout,
            Reply::Rebooting,
        )?;
        self.transport.flush()?;
        Ok(())
    }

    /// Asks the device to reboot, once: no resend when the reply does not come
    /// ([`HostError::NoAnswer`]). The device resets right after its reply, so a lost reply
    /// leaves a rebooting device whose new output (an application's boot report) resends
    /// would only swallow; the caller looks at what comes next instead.
    pub fn reboot_once(&mut self) -> Result<(), HostError> {
        let sequence = self.send(&Request::Reboot)?;
        match self.read_reply(sequence, self.config.command_timeout)? {
            Some(Reply::Rebooting) => {
                self.transport.flush()?;
                Ok(())
            }
            Some(other) => Err(unexpected(frame_type::REBOOT, &other)),
            None => Err(HostError::NoAnswer { attempts: 1 }),
        }
    }

    /// Switches both sides to `baud` with the confirm handshake. If the confirm does not get
    /// through, both sides fall back to the current rate and [`HostError::BaudFallback`] is returned.
    pub fn set_baud(&mut self, baud: u32) -> Result<(), HostError> {
        let previous = self.transport.baud();
        let device_timeout =
            match self.request(&Request::SetBaud { baud }, self.config.command_timeout)? {
                Reply::BaudAccepted {
                    timeout_milliseconds,
                    ..
                } => Duration::from_millis(timeout_milliseconds.into()),
                Reply::Error(error) => return Err(refusal(error, 0)),
                other => return Err(unexpected(frame_type::SET_BAUD, &other)),
            };
        self.transport.flush()?;
        let switched_at = self.transport.elapsed();
        self.transport.set_baud(baud)?;
        self.decoder.reset();
        self.pending.clear();
        // Confirm attempts use at most half the device's timeout, so the fallback is unambiguous.
        let attempt_timeout = device_timeout / 8;
        while self.transport.elapsed() < switched_at + device_timeout / 2 {
            self.wait(Duration::from_millis(2))?;
            let sequence = self.send(&Request::ConfirmBaud)?;
            if let Some(Reply::BaudConfirmed { .. }) = self.read_reply(sequence, attempt_timeout)? {
                return Ok(());
            }
        }
        self.transport.set_baud(previous)?;
        let fallback_done = switched_at + device_timeout + Duration::from_millis(50);
        let now = self.transport.elapsed();
        if fallback_done > now {
            self.wait(fallback_done - now)?;
        }
        self.decoder.reset();
        self.pending.clear();
        if let Err(error) = self.hello() {
            // The device may have confirmed while its BaudConfirmed reply was lost: it then
            // kept the new rate. Look for it there before giving up.
            self.transport.set_baud(baud)?;
            self.decoder.reset();
            self.pending.clear();
            return match self.hello() {
                Ok(_) => Ok(()),
                Err(_) => Err(error),
            };
        }
        Err(HostError::BaudFallback {
            baud,
            fallback: previous,
        })
    }

    /// Waits `duration`, discarding whatever arrives.
    fn wait(&mut self, duration: Duration) -> Result<(), HostError> {
        let end = self.transport.elapsed() + duration;
        let mut buffer = [0u8; 256];
        loop {
            let now = self.transport.elapsed();
            if now >= end {
                return Ok(());
            }
            self.transport.read(&mut buffer, end - now)?;
        }
    }

    fn expect(
        &mut self,
        request: &Request<'_>,
        timeout: Duration,
        wanted: Reply,
    ) -> Result<(), HostError> {
        match self.request(request, timeout)? {
            reply if reply == wanted => Ok(()),
            Reply::Error(error) => Err(refusal(error, 0)),
            other => Err(unexpected(request.frame_type(), &other)),
        }
    }

    /// Sends `request` and waits for its reply, resending up to the retry budget.
    pub(super) fn request(
        &mut self,
        request: &Request<'_>,
        timeout: Duration,
    ) -> Result<Reply, HostError> {
        for attempt in 0..self.config.retry_budget {
            if attempt > 0 {
                self.command_retries += 1;
            }
            let sequence = self.send(request)?;
            if let Some(reply) = self.read_reply(sequence, timeout)? {
                return Ok(reply);
            }
        }
        Err(HostError::NoAnswer {
            attempts: self.config.retry_budget,
        })
    }

    /// Encodes and writes a request; returns its sequence number.
    pub(super) fn send(&mut self, request: &Request<'_>) -> Result<u8, HostError> {
        self.sequence = self.sequence.wrapping_add(1);
        let mut payload = [0u8; MAX_PAYLOAD];
        let length = request
            .encode(&mut payload)
            .ok_or(HostError::ImageSize { size: MAX_PAYLOAD })?;
        let mut wire = [0u8; MAX_WIRE_FRAME];
        let written = encode_frame(
            request.frame_type(),
            self.sequence,
            &payload[..length],
            &mut wire,
        )
        .map_err(|_| HostError::ImageSize { size: length })?;
        self.transport.write(&wire[..written])?;
        Ok(self.sequence)
    }

    /// Waits up to `timeout` (plus the time a reply takes on the wire) for the reply with `sequence`.
    fn read_reply(&mut self, sequence: u8, timeout: Duration) -> Result<Option<Reply>, HostError> {
        let deadline = self.transport.elapsed() + timeout + self.wire_time(MAX_WIRE_FRAME as u64);
        while let Some((reply_sequence, reply)) = self.next_reply(deadline)? {
            if reply_sequence == sequence {
                return Ok(Some(reply));
            }
        }
        Ok(None)
    }

    /// The next valid reply frame before `deadline`, or `None` at the deadline.
    pub(super) fn next_reply(
        &mut self,
        deadline: Duration,
    ) -> Result<Option<(u8, Reply)>, HostError> {
        loop {
            while let Some(byte) = self.pending.pop_front() {
                if self.decoder.push(byte) != DecodeEvent::FrameReady {
                    continue;
                }
                let Some(frame) = self.decoder.frame() else {
                    continue;
                };
                if frame.version != PROTOCOL_VERSION {
                    continue;
                }
                if let Some(reply) = Reply::decode(frame.frame_type, frame.payload) {
                    return Ok(Some((frame.sequence, reply)));
                }
            }
            let now = self.transport.elapsed();
            if now >= deadline {
                return Ok(None);
            }
            let mut buffer = [0u8; 512];
            let count = self.transport.read(&mut buffer, deadline - now)?;
            self.pending.extend(&buffer[..count]);
        }
    }

    /// Time `bytes` take on the wire at the current baud rate (10 bits per byte, 8N1).
    pub(super) fn wire_time(&self, bytes: u64) -> Duration {
        let baud = u64::from(self.transport.baud().max(1));
        Duration::from_nanos(bytes * 10 * 1_000_000_000 / baud)
    }
}

/// Maps a device refusal to the most specific host error.
pub(super) fn refusal(error: ErrorReply, image_size: u32) -> HostError {
    match error.code {
        ErrorCode::WrongBoard => HostError::WrongBoard {
            device_board: error.detail,
        },
        ErrorCode::ImageTooLarge => HostError::ImageTooLarge {
            image_size,
            detail: error.detail,
        },
        code => HostError::Rejected {
            request_type: error.request_type,
            code,
            detail: error.detail,
        },
    }
}

pub(super) fn unexpected(request_type: u8, reply: &Reply) -> HostError {
    match reply {
        Reply::Error(error) => refusal(*error, 0),
        other => HostError::UnexpectedReply {
            request_type,
            reply_type: other.frame_type(),
        },
    }
}
