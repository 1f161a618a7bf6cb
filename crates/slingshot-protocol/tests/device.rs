//! Device state machine tests without a link: one request in, one reply out, flash inspected.
//! The device is the bootloader's real update service (single-slot layout) on the simulated
//! flash, which panics on any program over data that is not erased (a NOR rule violation).

mod common;

use common::{descriptor, device_flash, received, signed_image, Flash, Service};
use slingshot_flash_sim::SplitMix64;
use slingshot_protocol::device::{Device, DeviceConfig};
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::frame::{
    encode_frame, DecodeEvent, FrameDecoder, MAX_PAYLOAD, MAX_WIRE_FRAME,
};
use slingshot_protocol::info::DeviceState;
use slingshot_protocol::message::{ack_flags, Ack, ErrorReply, Reply, Request};
use slingshot_service::simulated::F429SingleSlot;

type Layout = F429SingleSlot;

/// A signed image of `length` bytes (security counter 1).
fn image(length: usize, seed: u64) -> Vec<u8> {
    signed_image::<Layout>(length, seed, 1)
}

/// An erased device, or one whose update target holds seeded junk.
fn blank() -> Flash {
    device_flash::<Layout>(None)
}

struct Harness {
    device: Device<Service<Layout>>,
    sequence: u8,
}

impl Harness {
    fn new(flash: Flash) -> Self {
        Self {
            device: Device::new(
                common::service::<Layout>(flash),
                DeviceConfig::default(),
                115_200,
            ),
            sequence: 0,
        }
    }

    fn send_raw(&mut self, version_override: Option<u8>, request: &Request<'_>) -> Option<Reply> {
        self.sequence = self.sequence.wrapping_add(1);
        let mut payload = [0u8; MAX_PAYLOAD];
        let length = request.encode(&mut payload).expect("fits");
        let mut wire = [0u8; MAX_WIRE_FRAME];
        let written = encode_frame(
            request.frame_type(),
            self.sequence,
            &payload[..length],
            &mut wire,
        )
        .expect("fits");
        let mut wire = wire[..written].to_vec();
        if let Some(version) = version_override {
            // Re-encode with another version byte by building the frame by hand.
            let mut body = vec![version, request.frame_type(), self.sequence];
            body.extend_from_slice(&payload[..length]);
            body.extend_from_slice(
                &slingshot_protocol::frame::CRC32
                    .checksum(&body)
                    .to_le_bytes(),
            );
            wire = cobs(&body);
        }
        let mut reply = None;
        for byte in wire {
            if let Some(bytes) = self.device.receive(byte) {
                let mut decoder = FrameDecoder::new();
                for &reply_byte in bytes {
                    if decoder.push(reply_byte) == DecodeEvent::FrameReady {
                        let frame = decoder.frame().expect("frame");
                        assert_eq!(
                            frame.sequence, self.sequence,
                            "the reply echoes the sequence"
                        );
                        reply = Reply::decode(frame.frame_type, frame.payload);
                    }
                }
            }
        }
        reply
    }

    fn send(&mut self, request: &Request<'_>) -> Reply {
        self.send_raw(None, request).expect("a reply")
    }

    fn start(&mut self, image: &[u8]) {
        let descriptor = descriptor(image);
        let request = Request::StartUpdate {
            image_size: image.len() as u32,
            descriptor: &descriptor,
        };
        assert!(matches!(self.send(&request), Reply::UpdateAccepted(_)));
    }

    fn flash(&self) -> &Flash {
        self.device.handler().flash()
    }

    fn erases(&self) -> u64 {
        self.flash().statistics().erases
    }

    fn programmed_bytes(&self) -> u64 {
        self.flash().statistics().bytes_programmed
    }
}

fn cobs(body: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    let mut code_index = 0;
    for &byte in body {
        if byte == 0 || out.len() - code_index == 255 {
            out[code_index] = (out.len() - code_index) as u8;
            code_index = out.len();
            out.push(0);
            if byte == 0 {
                continue;
            }
        }
        out.push(byte);
    }
    out[code_index] = (out.len() - code_index) as u8;
    out.push(0);
    out
}

fn error_code(reply: Reply) -> ErrorCode {
    match reply {
        Reply::Error(ErrorReply { code, .. }) => code,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn ack(reply: Reply) -> Ack {
    match reply {
        Reply::Ack(ack) => ack,
        other => panic!("expected an ack, got {other:?}"),
    }
}

#[test]
fn requests_out_of_order_are_refused_with_wrong_state() {
    let mut harness = Harness::new(blank());
    assert_eq!(
        error_code(harness.send(&Request::Data {
            offset: 0,
            data: &[1; 4]
        })),
        ErrorCode::WrongState
    );
    assert_eq!(
        error_code(harness.send(&Request::Verify)),
        ErrorCode::WrongState
    );
    assert_eq!(
        error_code(harness.send(&Request::Install)),
        ErrorCode::NotVerified
    );
    let image = image(4096, 1);
    harness.start(&image);
    assert_eq!(
        error_code(harness.send(&Request::Data {
            offset: 0,
            data: &image[..1024]
        })),
        ErrorCode::WrongState,
        "data before resume"
    );
    harness.send(&Request::Resume { offset: 0 });
    assert_eq!(
        error_code(harness.send(&Request::Verify)),
        ErrorCode::ImageIncomplete
    );
    assert_eq!(
        error_code(harness.send(&Request::Data {
            offset: 2,
            data: &[0; 4]
        })),
        ErrorCode::Misaligned
    );
    assert_eq!(
        error_code(harness.send(&Request::Data {
            offset: 4092,
            data: &[0; 8]
        })),
        ErrorCode::OffsetOutOfRange
    );
    assert_eq!(
        error_code(harness.send(&Request::Checksum {
            offset: 0,
            length: 8192
        })),
        ErrorCode::OffsetOutOfRange
    );
    // A range that wraps past 2^32 names its end, saturated, as the detail.
    match harness.send(&Request::Checksum {
        offset: 16,
        length: u32::MAX,
    }) {
        Reply::Error(ErrorReply { code, detail, .. }) => {
            assert_eq!(code, ErrorCode::OffsetOutOfRange);
            assert_eq!(detail, u32::MAX, "the offending end, saturated");
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn unsupported_version_is_answered_with_the_device_version() {
    let mut harness = Harness::new(blank());
    let reply = harness.send_raw(Some(9), &Request::Hello).expect("reply");
    assert_eq!(
        reply,
        Reply::Error(ErrorReply {
            request_type: 0x01,
            code: ErrorCode::UnsupportedVersion,
            detail: 1
        })
    );
    assert!(
        matches!(harness.send(&Request::Hello), Reply::Info(info) if info.state == DeviceState::Idle)
    );
}

#[test]
fn cumulative_acks_gap_reported_once_and_duplicates_ignored() {
    let mut harness = Harness::new(blank());
    let image = image(8 * 1024, 2);
    harness.start(&image);
    let first = ack(harness.send(&Request::Resume { offset: 0 }));
    assert_eq!(
        (first.contiguous, first.credit_limit),
        (0, 8 * 1024),
        "credit capped at the image end"
    );
    let chunk = |index: usize| Request::Data {
        offset: (index * 1024) as u32,
        data: &image[index * 1024..][..1024],
    };
    assert_eq!(ack(harness.send(&chunk(0))).contiguous, 1024);
    // Chunk 1 is lost: chunks 2 and 3 arrive out of order and are written right away.
    let gap = ack(harness.send(&chunk(2)));
    assert_eq!(
        (gap.contiguous, gap.flags, gap.received),
        (1024, ack_flags::GAP, 0b01)
    );
    let again = ack(harness.send(&chunk(3)));
    assert_eq!(
        (again.contiguous, again.flags, again.received),
        (1024, 0, 0b11),
        "the gap is reported once; the selective bitmap grows"
    );
    assert_eq!(
        ack(harness.send(&chunk(3))).received,
        0b11,
        "a duplicate out of order"
    );
    let filled = ack(harness.send(&chunk(1)));
    assert_eq!(
        (filled.contiguous, filled.received),
        (4096, 0),
        "filling the hole acknowledges the chunks behind it"
    );
    assert_eq!(
        ack(harness.send(&chunk(0))).contiguous,
        4096,
        "a duplicate changes nothing"
    );
    // A frame off the 1 KB grid beyond `contiguous` is dropped (go-back-N for it).
    let off_grid = ack(harness.send(&Request::Data {
        offset: 5 * 1024 + 512,
        data: &image[5 * 1024 + 512..6 * 1024],
    }));
    assert_eq!(
        (off_grid.contiguous, off_grid.flags, off_grid.received),
        (4096, ack_flags::GAP, 0)
    );
    let programmed = harness.programmed_bytes();
    assert_eq!(programmed, 4096, "each chunk programmed once");
    for index in 4..8 {
        harness.send(&chunk(index));
    }
    assert_eq!(harness.device.state(), DeviceState::Received);
    assert_eq!(harness.send(&Request::Verify), Reply::Verified);
    assert_eq!(harness.send(&Request::Install), Reply::Installed);
    assert_eq!(
        harness.send(&Request::Install),
        Reply::Installed,
        "a retried install is idempotent"
    );
    assert_eq!(harness.device.state(), DeviceState::Installed);
    assert_eq!(received(harness.device.handler(), image.len()), &image[..]);
}

#[test]
fn resume_into_a_torn_chunk_rewinds_to_the_sector_start() {
    // Flash holds the first 5 KB of the image, then a torn word at 5 KB (a power cut mid-program).
    let image = image(20 * 1024, 3);
    let mut flash = blank();
    let start = common::target::<Layout>().start;
    flash.load(start, &image[..5 * 1024]);
    // A torn word: neither erased nor right.
    flash.load(start + 5 * 1024, &[image[5 * 1024] & 0x0F]);
    let mut harness = Harness::new(flash);
    let descriptor = descriptor(&image);
    let request = Request::StartUpdate {
        image_size: image.len() as u32,
        descriptor: &descriptor,
    };
    let Reply::UpdateAccepted(accepted) = harness.send(&request) else {
        panic!("accepted")
    };
    assert_eq!(
        accepted.prefix_end,
        6 * 1024,
        "the scan stops at the first blank 1 KB chunk"
    );
    // The host found (by checksum) that 5 KB are good and resumes there.
    assert_eq!(
        ack(harness.send(&Request::Resume { offset: 5 * 1024 })).contiguous,
        5 * 1024
    );
    let reply = ack(harness.send(&Request::Data {
        offset: 5 * 1024,
        data: &image[5 * 1024..6 * 1024],
    }));
    assert_eq!(
        (reply.contiguous, reply.flags),
        (0, ack_flags::REWOUND),
        "sector 2 was erased again"
    );
    assert_eq!(harness.erases(), 1);
    for index in 0..20 {
        let data = &image[index * 1024..(index + 1) * 1024];
        harness.send(&Request::Data {
            offset: (index * 1024) as u32,
            data,
        });
    }
    assert_eq!(harness.send(&Request::Verify), Reply::Verified);
}

#[test]
fn words_already_right_are_skipped_not_reprogrammed() {
    // Resuming below what flash holds re-sends bytes that are already there: no NOR violation.
    let image = image(8 * 1024, 4);
    let mut flash = blank();
    flash.load(common::target::<Layout>().start, &image[..3 * 1024]);
    let mut harness = Harness::new(flash);
    harness.start(&image);
    harness.send(&Request::Resume { offset: 1024 });
    for index in 1..8 {
        let data = &image[index * 1024..(index + 1) * 1024];
        harness.send(&Request::Data {
            offset: (index * 1024) as u32,
            data,
        });
    }
    assert_eq!(
        harness.programmed_bytes(),
        5 * 1024,
        "only the missing 5 KB were programmed"
    );
    assert_eq!(harness.send(&Request::Verify), Reply::Verified);
}

#[test]
fn odd_sized_image_is_padded_to_the_write_size() {
    let image = image(1027, 5);
    let mut harness = Harness::new(blank());
    harness.start(&image);
    harness.send(&Request::Resume { offset: 0 });
    harness.send(&Request::Data {
        offset: 0,
        data: &image[..1024],
    });
    let last = ack(harness.send(&Request::Data {
        offset: 1024,
        data: &image[1024..],
    }));
    assert_eq!((last.contiguous, last.flags), (1027, ack_flags::COMPLETE));
    assert_eq!(
        received(harness.device.handler(), 1028)[1027],
        0xFF,
        "padding keeps the erased value"
    );
    assert_eq!(harness.send(&Request::Verify), Reply::Verified);
}

#[test]
fn poll_erases_ahead_of_the_data_one_unit_at_a_time() {
    let mut harness = Harness::new(device_flash::<Layout>(Some(0x00)));
    let image = image(200 * 1024, 6);
    harness.start(&image);
    harness.send(&Request::Resume { offset: 0 });
    harness.device.poll(0);
    assert_eq!(harness.erases(), 1, "one sector per poll");
    harness.device.poll(1);
    harness.device.poll(2);
    assert_eq!(
        harness.erases(),
        2,
        "horizon is two windows (32 KB): sectors 2 and 3 only"
    );
    for index in 0..70 {
        let data = &image[index * 1024..(index + 1) * 1024];
        harness.send(&Request::Data {
            offset: (index * 1024) as u32,
            data,
        });
    }
    assert_eq!(
        harness.erases(),
        3,
        "data reaching sector 4 erased it on demand"
    );
    for now in 3..10 {
        harness.device.poll(now);
    }
    assert_eq!(
        harness.erases(),
        4,
        "sector 5 erased ahead (70 KB + 32 KB > 96 KB, its start)"
    );
}

#[test]
fn random_request_sequences_never_panic_or_break_nor_rules() {
    // Fixed-seed fuzz: random requests with random fields, garbage bytes and polls, in any
    // order, over flash that starts with an older image. The device must answer without
    // panicking and must never program a byte that is not erased.
    let mut random = SplitMix64::new(0xF022);
    let mut harness = Harness::new(device_flash::<Layout>(Some(9)));
    let image = image(96 * 1024, 10);
    let mut replies = 0;
    for step in 0..4000u32 {
        let offset = match random.below(3) {
            0 => (random.below(100) * 1024) as u32,
            1 => (random.below(100 * 1024 / 4) * 4) as u32,
            _ => random.next_u64() as u32,
        };
        let length = match random.below(3) {
            0 => 1024,
            1 => 1 + random.below(1024) as usize,
            _ => 4,
        };
        let start = (offset as usize).min(image.len() - length);
        let data = &image[start..start + length];
        let size =
            [image.len() as u32, 1 + random.below(300 * 1024) as u32, 0][random.below(3) as usize];
        let descriptor = descriptor(&image);
        let request = match random.below(12) {
            0 => Request::StartUpdate {
                image_size: size,
                descriptor: &descriptor,
            },
            1 => Request::Resume { offset },
            2..=6 => Request::Data { offset, data },
            7 => Request::Checksum {
                offset,
                length: length as u32,
            },
            8 => Request::Verify,
            9 => Request::Install,
            10 => Request::SetBaud {
                baud: [115_200, 1_000_000, 12][random.below(3) as usize],
            },
            _ => Request::Hello,
        };
        if harness.send_raw(None, &request).is_some() {
            replies += 1;
        }
        if random.below(10) == 0 {
            for byte in common::random_bytes(u64::from(step), 1 + random.below(64) as usize) {
                let _ = harness.device.receive(byte);
            }
            let _ = harness.device.receive(0); // end the garbage frame
        }
        if random.below(4) == 0 {
            harness.device.poll(step);
        }
    }
    assert_eq!(
        replies, 4000,
        "every well-formed request got exactly one reply"
    );
    // The simulated flash panics on a program over data that is not erased: reaching this
    // line means the device never did.
    assert!(harness.programmed_bytes() > 0, "the sequences did write");
}

/// Writes both directions of a whole real update (Hello, StartUpdate, Resume, every Data
/// frame, Checksum, Verify, Install) as seeds of the `protocol_frames` fuzz target. Run it to
/// refresh the committed seeds:
/// `cargo test -p slingshot-protocol --test device -- --ignored record_fuzz_seeds`.
#[test]
#[ignore = "writes fuzz/seeds/protocol_frames (run by hand to refresh the seeds)"]
fn record_fuzz_seeds() {
    let image = image(6 * 1024, 11);
    let descriptor = descriptor(&image);
    let mut device = Device::new(
        common::service::<Layout>(blank()),
        DeviceConfig::default(),
        115_200,
    );
    let mut requests = vec![
        Request::Hello,
        Request::StartUpdate {
            image_size: image.len() as u32,
            descriptor: &descriptor,
        },
        Request::Resume { offset: 0 },
    ];
    for (index, chunk) in image.chunks(1024).enumerate() {
        requests.push(Request::Data {
            offset: (index * 1024) as u32,
            data: chunk,
        });
    }
    requests.extend([
        Request::Checksum {
            offset: 0,
            length: 1024,
        },
        Request::Verify,
        Request::Install,
    ]);
    let (mut to_device, mut to_host) = (Vec::new(), Vec::new());
    for (sequence, request) in requests.iter().enumerate() {
        let mut payload = [0u8; MAX_PAYLOAD];
        let length = request.encode(&mut payload).expect("fits");
        let mut wire = [0u8; MAX_WIRE_FRAME];
        let written = encode_frame(
            request.frame_type(),
            sequence as u8,
            &payload[..length],
            &mut wire,
        )
        .expect("fits");
        to_device.extend_from_slice(&wire[..written]);
        for &byte in &wire[..written] {
            if let Some(reply) = device.receive(byte) {
                to_host.extend_from_slice(reply);
            }
        }
    }
    assert_eq!(device.state(), DeviceState::Installed);
    let directory =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/protocol_frames");
    std::fs::create_dir_all(&directory).unwrap();
    std::fs::write(directory.join("update_host_to_device"), &to_device).unwrap();
    std::fs::write(directory.join("update_device_to_host"), &to_host).unwrap();
}
