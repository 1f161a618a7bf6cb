//! A stop-and-wait client for the benchmark, speaking the Slingshot protocol's frames to the
//! real bootloader but in the pattern of ST's ROM bootloader (AN3155): per write of 256 image
//! bytes, three request/reply round trips, each waiting for the previous reply — the Data
//! frame and its Ack, then two Hello/Info exchanges standing for the ROM protocol's command
//! and address acknowledgements. Nothing is pipelined, so the line idles during every reply
//! and every device turnaround (and during each sector erase, which the Ack waits for).

use slingshot_protocol::frame::{encode_frame, DecodeEvent, FrameDecoder, MAX_WIRE_FRAME};
use slingshot_protocol::host::{HostError, HostSession, Transport};
use slingshot_protocol::message::{Reply, Request};
use std::time::Duration;

/// Image bytes per write, as in the ROM bootloader's Write Memory command.
pub const WRITE_SIZE: usize = 256;

/// What the stop-and-wait transfer did.
#[derive(Clone, Copy, Debug, Default)]
pub struct StopAndWaitReport {
    /// Writes of [`WRITE_SIZE`] bytes (the last may be shorter).
    pub writes: u64,
    /// Request/reply round trips.
    pub round_trips: u64,
    /// Requests sent again after a reply timed out.
    pub resends: u64,
    /// Modelled time from the start request to the last Ack.
    pub elapsed: Duration,
}

/// One request, waiting for the reply with its sequence number (resent after `timeout`).
fn exchange<T: Transport>(
    transport: &mut T,
    sequence: u8,
    request: &Request<'_>,
    timeout: Duration,
    report: &mut StopAndWaitReport,
) -> Result<Reply, String> {
    let mut payload = [0u8; MAX_WIRE_FRAME];
    let length = request.encode(&mut payload).ok_or("request too large")?;
    let mut wire = [0u8; MAX_WIRE_FRAME];
    let wire_length = encode_frame(
        request.frame_type(),
        sequence,
        &payload[..length],
        &mut wire,
    )
    .map_err(|error| format!("{error:?}"))?;
    report.round_trips += 1;
    for attempt in 0..8 {
        if attempt > 0 {
            report.resends += 1;
        }
        transport
            .write(&wire[..wire_length])
            .map_err(|error| error.to_string())?;
        let deadline = transport.elapsed() + timeout;
        let mut decoder = FrameDecoder::new();
        let mut buffer = [0u8; 64];
        while transport.elapsed() < deadline {
            let wait = deadline - transport.elapsed();
            let count = transport
                .read(&mut buffer, wait)
                .map_err(|error| error.to_string())?;
            for &byte in &buffer[..count] {
                if decoder.push(byte) != DecodeEvent::FrameReady {
                    continue;
                }
                let Some(frame) = decoder.frame() else {
                    continue;
                };
                if frame.sequence != sequence {
                    continue;
                }
                return Reply::decode(frame.frame_type, frame.payload)
                    .ok_or_else(|| "undecodable reply".to_string());
            }
        }
    }
    Err(format!("no reply to {request:?}"))
}

/// Start, then every [`WRITE_SIZE`] bytes as Data → Ack, Hello → Info, Hello → Info; then
/// verify and install through `session` (the caller reboots).
pub fn transfer<T: Transport>(
    session: &mut HostSession<T>,
    image: &[u8],
    descriptor: &[u8],
) -> Result<StopAndWaitReport, String> {
    let mut report = StopAndWaitReport::default();
    let started = session.transport().elapsed();
    session
        .start_update(image.len() as u32, descriptor)
        .map_err(|error: HostError| error.to_string())?;
    let transport = session.transport_mut();
    let mut sequence: u8 = 0x40;
    let mut next = || {
        sequence = sequence.wrapping_add(1);
        sequence
    };
    let slow = Duration::from_secs(5);
    match exchange(
        transport,
        next(),
        &Request::Resume { offset: 0 },
        slow,
        &mut report,
    )? {
        Reply::Ack(ack) if ack.contiguous == 0 => {}
        other => return Err(format!("Resume answered {other:?}")),
    }
    for (index, chunk) in image.chunks(WRITE_SIZE).enumerate() {
        let offset = (index * WRITE_SIZE) as u32;
        let data = Request::Data {
            offset,
            data: chunk,
        };
        match exchange(transport, next(), &data, slow, &mut report)? {
            Reply::Ack(ack) if ack.contiguous >= offset + chunk.len() as u32 => {}
            other => return Err(format!("Data at {offset} answered {other:?}")),
        }
        for _ in 0..2 {
            match exchange(transport, next(), &Request::Hello, slow, &mut report)? {
                Reply::Info(_) => {}
                other => return Err(format!("Hello answered {other:?}")),
            }
        }
        report.writes += 1;
    }
    report.elapsed = session.transport().elapsed() - started;
    session.verify().map_err(|error| error.to_string())?;
    session.install().map_err(|error| error.to_string())?;
    Ok(report)
}
