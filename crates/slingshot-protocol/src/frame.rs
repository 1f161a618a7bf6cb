//! Framing: how a message travels over a byte stream.
//!
//! A frame body is `version (1) | frame type (1) | sequence (1) | payload (0..=MAX_PAYLOAD) |
//! CRC-32 (4, little-endian)`. The CRC is CRC-32/ISO-HDLC over everything before it. The body is
//! COBS-encoded (no 0x00 byte inside) and followed by one 0x00 delimiter, so a receiver that
//! starts in the middle of a frame, or loses or corrupts bytes, throws away at most the frame
//! it is in and is synchronized again at the next 0x00.
//!
//! Both directions are allocation-free: [`encode_frame`] writes into a caller's slice and
//! [`FrameDecoder`] keeps one body-sized buffer.

/// The protocol version carried in every frame.
pub const PROTOCOL_VERSION: u8 = 1;

/// Bytes of image data carried by one data frame at most.
pub const MAX_DATA_PAYLOAD: usize = 1024;

/// Largest frame payload (the data frame: a 4-byte offset plus [`MAX_DATA_PAYLOAD`]).
pub const MAX_PAYLOAD: usize = 4 + MAX_DATA_PAYLOAD;

/// Bytes in the frame header: version, frame type, sequence.
pub const HEADER_SIZE: usize = 3;

/// Bytes of the CRC-32 at the end of every frame body.
pub const CRC_SIZE: usize = 4;

/// Largest frame body (header, payload, CRC) before COBS encoding.
pub const MAX_BODY: usize = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE;

/// Largest frame on the wire: COBS adds one byte per started 254-byte block, plus the delimiter.
pub const MAX_WIRE_FRAME: usize = encoded_size(MAX_BODY);

/// The frame delimiter.
pub const DELIMITER: u8 = 0x00;

/// The checksum used for frames and for the resumption checksums (CRC-32/ISO-HDLC, the
/// project's one checksum: `slingshot_checksum`, bit by bit with the `small-crc` feature).
pub const CRC32: slingshot_checksum::Crc32 = slingshot_checksum::CRC32;

/// Bytes on the wire for a frame body of `body_length` bytes (COBS overhead and delimiter included).
pub const fn encoded_size(body_length: usize) -> usize {
    body_length + body_length / 254 + 1 + 1
}

/// Why a frame could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The payload is longer than [`MAX_PAYLOAD`].
    PayloadTooLarge {
        /// The payload length in bytes.
        length: usize,
    },
    /// The output slice is shorter than the encoded frame.
    OutputTooSmall {
        /// Bytes the encoded frame needs.
        needed: usize,
    },
}

/// A decoded frame: header fields and a payload borrowed from the decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The protocol version the sender speaks.
    pub version: u8,
    /// The frame type (see `message::FrameType`).
    pub frame_type: u8,
    /// The sequence number: chosen by the host, echoed by the device.
    pub sequence: u8,
    /// The payload, without header and CRC.
    pub payload: &'a [u8],
}

/// Encodes a frame (header, payload, CRC, COBS, delimiter) into `output`; returns the bytes written.
pub fn encode_frame(
    frame_type: u8,
    sequence: u8,
    payload: &[u8],
    output: &mut [u8],
) -> Result<usize, EncodeError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(EncodeError::PayloadTooLarge {
            length: payload.len(),
        });
    }
    let body_length = HEADER_SIZE + payload.len() + CRC_SIZE;
    let needed = encoded_size(body_length);
    if output.len() < needed {
        return Err(EncodeError::OutputTooSmall { needed });
    }
    let header = [PROTOCOL_VERSION, frame_type, sequence];
    let mut digest = CRC32.digest();
    digest.update(&header);
    digest.update(payload);
    let crc = digest.finalize().to_le_bytes();
    let mut encoder = CobsEncoder::new(output);
    for &byte in header.iter().chain(payload).chain(crc.iter()) {
        encoder.push(byte);
    }
    Ok(encoder.finish())
}

/// Streaming COBS encoder writing into a slice that is known to be large enough.
struct CobsEncoder<'a> {
    output: &'a mut [u8],
    code_index: usize,
    write_index: usize,
    code: u8,
}

impl<'a> CobsEncoder<'a> {
    fn new(output: &'a mut [u8]) -> Self {
        Self {
            output,
            code_index: 0,
            write_index: 1,
            code: 1,
        }
    }

    fn push(&mut self, byte: u8) {
        if byte == 0 {
            self.close_block();
            return;
        }
        self.output[self.write_index] = byte;
        self.write_index += 1;
        self.code += 1;
        if self.code == 0xFF {
            self.close_block();
        }
    }

    fn close_block(&mut self) {
        self.output[self.code_index] = self.code;
        self.code_index = self.write_index;
        self.write_index += 1;
        self.code = 1;
    }

    fn finish(self) -> usize {
        self.output[self.code_index] = self.code;
        let length = self.write_index;
        self.output[length] = DELIMITER;
        length + 1
    }
}

/// What the decoder made of one more byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeEvent {
    /// The byte was consumed; no frame is complete yet.
    Pending,
    /// A delimiter completed a valid frame; read it with [`FrameDecoder::frame`].
    FrameReady,
    /// A delimiter ended a frame that was discarded (bad CRC, too short, too long, bad COBS).
    FrameDiscarded(DiscardReason),
}

/// Why the decoder discarded a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscardReason {
    /// The body was shorter than a header plus a CRC.
    TooShort,
    /// The body was longer than [`MAX_BODY`].
    TooLong,
    /// The COBS structure was broken (a block ended early).
    BadEncoding,
    /// The CRC did not match.
    BadChecksum,
}

/// Incremental frame decoder: feed it bytes; it never panics and resynchronizes at each 0x00.
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    buffer: [u8; MAX_BODY],
    length: usize,
    block_remaining: u8,
    zero_pending: bool,
    overflowed: bool,
    ready_length: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder waiting for the first byte of a frame.
    pub const fn new() -> Self {
        Self {
            buffer: [0; MAX_BODY],
            length: 0,
            block_remaining: 0,
            zero_pending: false,
            overflowed: false,
            ready_length: 0,
        }
    }

    /// Whether no part of a frame has been received since the last delimiter (or the start).
    pub fn between_frames(&self) -> bool {
        self.length == 0 && self.block_remaining == 0 && !self.zero_pending && !self.overflowed
    }

    /// Forgets any partial frame.
    pub fn reset(&mut self) {
        self.length = 0;
        self.block_remaining = 0;
        self.zero_pending = false;
        self.overflowed = false;
    }

    /// Feeds one byte.
    pub fn push(&mut self, byte: u8) -> DecodeEvent {
        self.ready_length = 0;
        if byte == DELIMITER {
            let event = self.finish_frame();
            self.reset();
            return event;
        }
        if self.block_remaining == 0 {
            if self.zero_pending {
                self.store(0);
            }
            self.block_remaining = byte - 1;
            self.zero_pending = byte != 0xFF;
        } else {
            self.store(byte);
            self.block_remaining -= 1;
        }
        DecodeEvent::Pending
    }

    fn store(&mut self, byte: u8) {
        if self.length < MAX_BODY {
            self.buffer[self.length] = byte;
            self.length += 1;
        } else {
            self.overflowed = true;
        }
    }

    fn finish_frame(&mut self) -> DecodeEvent {
        self.ready_length = 0;
        if self.length == 0 && !self.zero_pending && !self.overflowed {
            // Two delimiters in a row (idle line or a flush): not a frame at all.
            return DecodeEvent::Pending;
        }
        if self.overflowed {
            return DecodeEvent::FrameDiscarded(DiscardReason::TooLong);
        }
        if self.block_remaining != 0 {
            return DecodeEvent::FrameDiscarded(DiscardReason::BadEncoding);
        }
        if self.length < HEADER_SIZE + CRC_SIZE {
            return DecodeEvent::FrameDiscarded(DiscardReason::TooShort);
        }
        let (content, crc) = self.buffer[..self.length].split_at(self.length - CRC_SIZE);
        let received = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if CRC32.checksum(content) != received {
            return DecodeEvent::FrameDiscarded(DiscardReason::BadChecksum);
        }
        self.ready_length = self.length;
        DecodeEvent::FrameReady
    }

    /// The frame completed by the last [`DecodeEvent::FrameReady`], if any.
    pub fn frame(&self) -> Option<Frame<'_>> {
        if self.ready_length < HEADER_SIZE + CRC_SIZE {
            return None;
        }
        let body = &self.buffer[..self.ready_length];
        Some(Frame {
            version: body[0],
            frame_type: body[1],
            sequence: body[2],
            payload: &body[HEADER_SIZE..self.ready_length - CRC_SIZE],
        })
    }
}
