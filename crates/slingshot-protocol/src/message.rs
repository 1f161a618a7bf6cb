//! Messages: the requests the host sends and the replies the device sends, with their payloads.
//!
//! Every request gets exactly one reply frame carrying the request's sequence number (data
//! frames get an [`Ack`]; a request the device refuses gets [`Reply::Error`]). All integers are
//! little-endian. `docs/PROTOCOL.md` has the same layouts as tables.

use crate::error::ErrorCode;
use crate::frame::MAX_DATA_PAYLOAD;
use crate::info::{ChipInfo, DeviceInfo};
use crate::wire::{Reader, Writer};

/// Longest image descriptor the start request carries, in bytes.
pub const MAX_DESCRIPTOR: usize = 256;

/// Frame type values. Replies are the request's value with bit 7 set; errors use 0x7F.
pub mod frame_type {
    /// Hello: asks for [`super::Reply::Info`].
    pub const HELLO: u8 = 0x01;
    /// Start an update.
    pub const START_UPDATE: u8 = 0x02;
    /// Image data at an offset.
    pub const DATA: u8 = 0x03;
    /// Checksum of a range already written.
    pub const CHECKSUM: u8 = 0x04;
    /// Continue the transfer at an offset.
    pub const RESUME: u8 = 0x05;
    /// Verify the written image.
    pub const VERIFY: u8 = 0x06;
    /// Install the verified image.
    pub const INSTALL: u8 = 0x07;
    /// Reboot the device.
    pub const REBOOT: u8 = 0x08;
    /// Switch to another baud rate.
    pub const SET_BAUD: u8 = 0x09;
    /// Confirm the new baud rate (sent at the new rate).
    pub const CONFIRM_BAUD: u8 = 0x0A;
    /// Change the chip's protection (option bytes).
    pub const SET_PROTECTION: u8 = 0x0B;
    /// Bit set in every reply's frame type.
    pub const REPLY: u8 = 0x80;
    /// The error reply.
    pub const ERROR: u8 = 0x7F;
}

/// A request from the host, borrowing its variable-length parts from the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// Ask for the device's info.
    Hello,
    /// Announce an image: its size and its signed descriptor, before anything is erased.
    StartUpdate {
        /// Image size in bytes (everything the host will send, trailer included).
        image_size: u32,
        /// The image's descriptor, opaque to the protocol; the bootloader parses it.
        descriptor: &'a [u8],
    },
    /// Image bytes at an offset from the start of the image.
    Data {
        /// Offset of the first byte.
        offset: u32,
        /// The bytes (at most [`MAX_DATA_PAYLOAD`]).
        data: &'a [u8],
    },
    /// Ask for the CRC-32 of `length` written bytes from `offset` (to find a resume point).
    Checksum {
        /// Start offset.
        offset: u32,
        /// Length in bytes.
        length: u32,
    },
    /// Continue the announced transfer at `offset` (the device may choose a lower offset).
    Resume {
        /// Offset the host proposes.
        offset: u32,
    },
    /// Verify the image (hash and signature).
    Verify,
    /// Install the verified image (dual slot: swap; single slot: mark it bootable).
    Install,
    /// Reboot after the reply has been sent.
    Reboot,
    /// Switch both sides to `baud` after the reply; see the baud handshake in the docs.
    SetBaud {
        /// The new baud rate.
        baud: u32,
    },
    /// Sent at the new baud rate to confirm that it works.
    ConfirmBaud,
    /// Change the chip's protection (option bytes) as asked; see [`Protection`].
    SetProtection(Protection),
}

/// A protection change: each field keeps the current setting at its "keep" value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Protection {
    /// Brown-out reset level: 0 keep, 1 off, 2 level 1, 3 level 2, 4 level 3 (about 2.8 V).
    pub brown_out: u8,
    /// 1: write-protect the bootloader's own sectors; 0: keep.
    pub protect_bootloader: u8,
    /// Read protection: 0 keep, 1 level 1, 2 level 2 (permanent; needs `confirmation`).
    pub read_protection: u8,
    /// "PERM" (0x4D52_4550, the ASCII bytes in wire order) with read protection level 2, else 0.
    pub confirmation: u32,
}

/// Flags in an [`Ack`].
pub mod ack_flags {
    /// A frame beyond `contiguous` arrived and was dropped: resend from `contiguous` (NAK).
    pub const GAP: u8 = 0x01;
    /// The device moved `contiguous` backwards (it had to erase a sector again): resend from there.
    pub const REWOUND: u8 = 0x02;
    /// Every byte of the image has been written.
    pub const COMPLETE: u8 = 0x04;
}

/// Cumulative acknowledgement with flow-control credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ack {
    /// Every byte below this offset is written to flash.
    pub contiguous: u32,
    /// The host may send bytes below this offset (never beyond): the credit window.
    pub credit_limit: u32,
    /// [`ack_flags`] bits.
    pub flags: u8,
    /// Selective acknowledgement: bit i set = the data chunk at `contiguous + (i + 1) ×
    /// max data` is already written (it arrived after a lost frame); the host resends only
    /// the chunks missing below the highest set bit.
    pub received: u32,
}

/// The device's answer to [`Request::StartUpdate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UpdateAccepted {
    /// Credit window in bytes the device grants beyond `contiguous`.
    pub window: u32,
    /// Largest data payload the device accepts.
    pub max_data: u16,
    /// Flash write size: offsets of data frames must be multiples of it.
    pub write_size: u16,
    /// Candidate resume point: the written prefix the device found in flash.
    pub prefix_end: u32,
    /// CRC-32 of the image bytes `0..prefix_end` as found in flash.
    pub prefix_checksum: u32,
}

/// A refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorReply {
    /// The frame type of the refused request.
    pub request_type: u8,
    /// Why.
    pub code: ErrorCode,
    /// A code-specific detail (a size, an offset, a minimum version), 0 when there is none.
    pub detail: u32,
}

/// A reply from the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Answer to hello.
    Info(DeviceInfo),
    /// Answer to start update.
    UpdateAccepted(UpdateAccepted),
    /// Answer to data and resume.
    Ack(Ack),
    /// Answer to checksum.
    Checksum {
        /// Start offset.
        offset: u32,
        /// Length in bytes.
        length: u32,
        /// CRC-32 of the range as read from flash.
        checksum: u32,
    },
    /// The image verified.
    Verified,
    /// The image is installed.
    Installed,
    /// The device reboots once this reply has been sent.
    Rebooting,
    /// The device switches to `baud` once this reply has been sent.
    BaudAccepted {
        /// The new rate.
        baud: u32,
        /// Milliseconds the device waits for a confirm at the new rate before falling back.
        timeout_milliseconds: u16,
    },
    /// The new baud rate is confirmed and kept.
    BaudConfirmed {
        /// The rate now in use.
        baud: u32,
    },
    /// The option bytes now in force after a protection request.
    ProtectionSet(ChipInfo),
    /// A refusal.
    Error(ErrorReply),
}

impl Request<'_> {
    /// The frame type for this request.
    pub const fn frame_type(&self) -> u8 {
        match self {
            Self::Hello => frame_type::HELLO,
            Self::StartUpdate { .. } => frame_type::START_UPDATE,
            Self::Data { .. } => frame_type::DATA,
            Self::Checksum { .. } => frame_type::CHECKSUM,
            Self::Resume { .. } => frame_type::RESUME,
            Self::Verify => frame_type::VERIFY,
            Self::Install => frame_type::INSTALL,
            Self::Reboot => frame_type::REBOOT,
            Self::SetBaud { .. } => frame_type::SET_BAUD,
            Self::ConfirmBaud => frame_type::CONFIRM_BAUD,
            Self::SetProtection(_) => frame_type::SET_PROTECTION,
        }
    }

    /// Writes the payload; returns its length, or `None` if `output` is too small or a field too long.
    pub fn encode(&self, output: &mut [u8]) -> Option<usize> {
        let mut writer = Writer::new(output);
        match *self {
            Self::Hello | Self::Verify | Self::Install | Self::Reboot | Self::ConfirmBaud => {}
            Self::StartUpdate {
                image_size,
                descriptor,
            } => {
                if descriptor.len() > MAX_DESCRIPTOR {
                    return None;
                }
                writer.u32(image_size);
                writer.u16(descriptor.len() as u16);
                writer.bytes(descriptor);
            }
            Self::Data { offset, data } => {
                if data.len() > MAX_DATA_PAYLOAD {
                    return None;
                }
                writer.u32(offset);
                writer.bytes(data);
            }
            Self::Checksum { offset, length } => {
                writer.u32(offset);
                writer.u32(length);
            }
            Self::Resume { offset } => writer.u32(offset),
            Self::SetBaud { baud } => writer.u32(baud),
            Self::SetProtection(protection) => {
                writer.u8(protection.brown_out);
                writer.u8(protection.protect_bootloader);
                writer.u8(protection.read_protection);
                writer.u32(protection.confirmation);
            }
        }
        writer.finish()
    }

    /// Parses a request payload; `Err` carries the code to send back.
    pub fn decode(frame_type: u8, payload: &[u8]) -> Result<Request<'_>, ErrorCode> {
        let mut reader = Reader::new(payload);
        let request = match frame_type {
            frame_type::HELLO => Request::Hello,
            frame_type::VERIFY => Request::Verify,
            frame_type::INSTALL => Request::Install,
            frame_type::REBOOT => Request::Reboot,
            frame_type::CONFIRM_BAUD => Request::ConfirmBaud,
            frame_type::START_UPDATE => {
                let image_size = reader.u32().ok_or(ErrorCode::MalformedRequest)?;
                let length = reader.u16().ok_or(ErrorCode::MalformedRequest)?;
                if usize::from(length) > MAX_DESCRIPTOR {
                    return Err(ErrorCode::MalformedRequest);
                }
                let descriptor = reader
                    .bytes(usize::from(length))
                    .ok_or(ErrorCode::MalformedRequest)?;
                Request::StartUpdate {
                    image_size,
                    descriptor,
                }
            }
            frame_type::DATA => {
                let offset = reader.u32().ok_or(ErrorCode::MalformedRequest)?;
                let data = reader.rest();
                if data.is_empty() || data.len() > MAX_DATA_PAYLOAD {
                    return Err(ErrorCode::MalformedRequest);
                }
                Request::Data { offset, data }
            }
            frame_type::CHECKSUM => Request::Checksum {
                offset: reader.u32().ok_or(ErrorCode::MalformedRequest)?,
                length: reader.u32().ok_or(ErrorCode::MalformedRequest)?,
            },
            frame_type::RESUME => Request::Resume {
                offset: reader.u32().ok_or(ErrorCode::MalformedRequest)?,
            },
            frame_type::SET_BAUD => Request::SetBaud {
                baud: reader.u32().ok_or(ErrorCode::MalformedRequest)?,
            },
            frame_type::SET_PROTECTION => {
                let fields = reader.bytes(7).ok_or(ErrorCode::MalformedRequest)?;
                let protection = Protection {
                    brown_out: fields[0],
                    protect_bootloader: fields[1],
                    read_protection: fields[2],
                    confirmation: u32::from_le_bytes([fields[3], fields[4], fields[5], fields[6]]),
                };
                if protection.brown_out > 4
                    || protection.protect_bootloader > 1
                    || protection.read_protection > 2
                {
                    return Err(ErrorCode::MalformedRequest);
                }
                Request::SetProtection(protection)
            }
            _ => return Err(ErrorCode::UnknownCommand),
        };
        reader.end().ok_or(ErrorCode::MalformedRequest)?;
        Ok(request)
    }
}

impl Reply {
    /// The frame type for this reply.
    pub const fn frame_type(&self) -> u8 {
        let request = match self {
            Self::Info(_) => frame_type::HELLO,
            Self::UpdateAccepted(_) => frame_type::START_UPDATE,
            Self::Ack(_) => frame_type::DATA,
            Self::Checksum { .. } => frame_type::CHECKSUM,
            Self::Verified => frame_type::VERIFY,
            Self::Installed => frame_type::INSTALL,
            Self::Rebooting => frame_type::REBOOT,
            Self::BaudAccepted { .. } => frame_type::SET_BAUD,
            Self::BaudConfirmed { .. } => frame_type::CONFIRM_BAUD,
            Self::ProtectionSet(_) => frame_type::SET_PROTECTION,
            Self::Error(_) => return frame_type::ERROR,
        };
        request | frame_type::REPLY
    }

    /// Writes the payload; returns its length, or `None` if `output` is too small.
    pub fn encode(&self, output: &mut [u8]) -> Option<usize> {
        let mut writer = Writer::new(output);
        self.write(&mut writer);
        writer.finish()
    }

    /// Writes the payload's fields (the device writes the same fields straight from its
    /// results, through the per-reply functions this one calls).
    pub(crate) fn write(&self, writer: &mut Writer<'_>) {
        match *self {
            Self::Info(info) => info.write(writer),
            Self::UpdateAccepted(accepted) => accepted.write(writer),
            Self::Ack(ack) => ack.write(writer),
            Self::Checksum {
                offset,
                length,
                checksum,
            } => write_checksum(writer, offset, length, checksum),
            Self::Verified | Self::Installed | Self::Rebooting => {}
            Self::BaudAccepted {
                baud,
                timeout_milliseconds,
            } => write_baud_accepted(writer, baud, timeout_milliseconds),
            Self::BaudConfirmed { baud } => writer.u32(baud),
            Self::ProtectionSet(chip) => chip.write(writer),
            Self::Error(error) => error.write(writer),
        }
    }

    /// Parses a reply payload; `None` if the type is unknown or the payload malformed.
    pub fn decode(reply_type: u8, payload: &[u8]) -> Option<Reply> {
        let mut reader = Reader::new(payload);
        let reply = match reply_type {
            frame_type::ERROR => Reply::Error(ErrorReply {
                request_type: reader.u8()?,
                code: ErrorCode::from_code(reader.u16()?),
                detail: reader.u32()?,
            }),
            _ if reply_type & frame_type::REPLY == 0 => return None,
            _ => match reply_type & !frame_type::REPLY {
                frame_type::HELLO => {
                    let info = DeviceInfo::read(&mut reader)?;
                    // Info grows by appending fields: bytes after the last field this host
                    // knows are a newer bootloader's, and ignored (docs/PROTOCOL.md).
                    let _ = reader.rest();
                    Reply::Info(info)
                }
                frame_type::START_UPDATE => Reply::UpdateAccepted(UpdateAccepted {
                    window: reader.u32()?,
                    max_data: reader.u16()?,
                    write_size: reader.u16()?,
                    prefix_end: reader.u32()?,
                    prefix_checksum: reader.u32()?,
                }),
                frame_type::DATA => Reply::Ack(Ack {
                    contiguous: reader.u32()?,
                    credit_limit: reader.u32()?,
                    flags: reader.u8()?,
                    received: reader.u32()?,
                }),
                frame_type::CHECKSUM => Reply::Checksum {
                    offset: reader.u32()?,
                    length: reader.u32()?,
                    checksum: reader.u32()?,
                },
                frame_type::VERIFY => Reply::Verified,
                frame_type::INSTALL => Reply::Installed,
                frame_type::REBOOT => Reply::Rebooting,
                frame_type::SET_BAUD => Reply::BaudAccepted {
                    baud: reader.u32()?,
                    timeout_milliseconds: reader.u16()?,
                },
                frame_type::CONFIRM_BAUD => Reply::BaudConfirmed {
                    baud: reader.u32()?,
                },
                frame_type::SET_PROTECTION => Reply::ProtectionSet(ChipInfo::read(&mut reader)?),
                _ => return None,
            },
        };
        reader.end()?;
        Some(reply)
    }
}

impl Ack {
    /// The Ack reply's payload.
    pub(crate) fn write(&self, writer: &mut Writer<'_>) {
        // One write of the 13 bytes: one bounds check (this runs in the bootloader).
        let mut bytes = [self.flags; 13];
        bytes[..4].copy_from_slice(&self.contiguous.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.credit_limit.to_le_bytes());
        bytes[9..].copy_from_slice(&self.received.to_le_bytes());
        writer.bytes(&bytes);
    }
}

impl UpdateAccepted {
    /// The UpdateAccepted reply's payload.
    pub(crate) fn write(&self, writer: &mut Writer<'_>) {
        // One write of the 16 bytes (one bounds check).
        let mut bytes = [0u8; 16];
        bytes[..4].copy_from_slice(&self.window.to_le_bytes());
        bytes[4..6].copy_from_slice(&self.max_data.to_le_bytes());
        bytes[6..8].copy_from_slice(&self.write_size.to_le_bytes());
        bytes[8..12].copy_from_slice(&self.prefix_end.to_le_bytes());
        bytes[12..].copy_from_slice(&self.prefix_checksum.to_le_bytes());
        writer.bytes(&bytes);
    }
}

impl ErrorReply {
    /// The Error reply's payload.
    pub(crate) fn write(&self, writer: &mut Writer<'_>) {
        // One write of the 7 bytes (one bounds check).
        let mut bytes = [self.request_type; 7];
        bytes[1..3].copy_from_slice(&self.code.code().to_le_bytes());
        bytes[3..].copy_from_slice(&self.detail.to_le_bytes());
        writer.bytes(&bytes);
    }
}

/// The Checksum reply's payload.
pub(crate) fn write_checksum(writer: &mut Writer<'_>, offset: u32, length: u32, checksum: u32) {
    // One write of the 12 bytes (one bounds check).
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&offset.to_le_bytes());
    bytes[4..8].copy_from_slice(&length.to_le_bytes());
    bytes[8..].copy_from_slice(&checksum.to_le_bytes());
    writer.bytes(&bytes);
}

/// The BaudAccepted reply's payload.
pub(crate) fn write_baud_accepted(writer: &mut Writer<'_>, baud: u32, timeout_milliseconds: u16) {
    // One write of the 6 bytes (one bounds check).
    let mut bytes = [0u8; 6];
    bytes[..4].copy_from_slice(&baud.to_le_bytes());
    bytes[4..].copy_from_slice(&timeout_milliseconds.to_le_bytes());
    writer.bytes(&bytes);
}
