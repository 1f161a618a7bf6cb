//! Framing and message tests: round trips, a golden frame, resynchronization after garbage, and
//! property tests that decoding never panics on any byte stream.

use proptest::prelude::*;
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::frame::{
    encode_frame, encoded_size, DecodeEvent, DiscardReason, EncodeError, FrameDecoder,
    MAX_DATA_PAYLOAD, MAX_PAYLOAD, MAX_WIRE_FRAME,
};
use slingshot_protocol::info::{
    ChipInfo, DeviceInfo, DeviceState, SlotInfo, SlotStatus, UpdateMode, Version,
};
use slingshot_protocol::message::{Ack, ErrorReply, Protection, Reply, Request, UpdateAccepted};

fn encode(frame_type: u8, sequence: u8, payload: &[u8]) -> Vec<u8> {
    let mut wire = vec![0u8; MAX_WIRE_FRAME];
    let length = encode_frame(frame_type, sequence, payload, &mut wire).expect("fits");
    wire.truncate(length);
    wire
}

/// Feeds bytes; returns every valid frame as (type, sequence, payload).
fn decode_all(decoder: &mut FrameDecoder, bytes: &[u8]) -> Vec<(u8, u8, Vec<u8>)> {
    let mut frames = Vec::new();
    for &byte in bytes {
        if decoder.push(byte) == DecodeEvent::FrameReady {
            let frame = decoder.frame().expect("ready frame");
            frames.push((frame.frame_type, frame.sequence, frame.payload.to_vec()));
        }
    }
    frames
}

#[test]
fn golden_hello_frame() {
    // Body 01 01 07 + CRC-32/ISO-HDLC(01 01 07) little-endian, COBS, delimiter.
    let wire = encode(0x01, 0x07, &[]);
    let crc = slingshot_protocol::frame::CRC32
        .checksum(&[1, 1, 7])
        .to_le_bytes();
    assert_eq!(
        wire.len(),
        3 + 4 + 2,
        "one COBS code byte and the delimiter"
    );
    assert_eq!(wire[wire.len() - 1], 0x00);
    assert!(wire[..wire.len() - 1].iter().all(|&byte| byte != 0));
    let mut decoder = FrameDecoder::new();
    assert_eq!(decode_all(&mut decoder, &wire), vec![(0x01, 0x07, vec![])]);
    assert_ne!(crc, [0; 4]);
}

#[test]
fn every_payload_length_round_trips_and_matches_the_size_formula() {
    let mut decoder = FrameDecoder::new();
    for length in [
        0,
        1,
        250,
        251,
        252,
        253,
        254,
        255,
        507,
        508,
        1000,
        MAX_PAYLOAD,
    ] {
        for fill in [0x00u8, 0x01, 0xFF] {
            let payload: Vec<u8> = (0..length)
                .map(|index| if index % 3 == 0 { fill } else { index as u8 })
                .collect();
            let wire = encode(0x03, length as u8, &payload);
            assert!(
                wire.len() <= encoded_size(3 + length + 4),
                "length {length}"
            );
            assert_eq!(
                decode_all(&mut decoder, &wire),
                vec![(0x03, length as u8, payload)]
            );
        }
    }
}

#[test]
fn data_frame_overhead_is_17_bytes() {
    let wire = encode(0x03, 1, &[0x55; MAX_PAYLOAD]);
    assert_eq!(wire.len(), MAX_DATA_PAYLOAD + 17);
    assert_eq!(MAX_WIRE_FRAME, MAX_DATA_PAYLOAD + 17);
}

#[test]
fn oversized_payload_and_small_output_are_refused() {
    let mut wire = [0u8; 8];
    assert_eq!(
        encode_frame(3, 0, &[0; MAX_PAYLOAD + 1], &mut [0u8; 2 * MAX_WIRE_FRAME]),
        Err(EncodeError::PayloadTooLarge {
            length: MAX_PAYLOAD + 1
        })
    );
    assert_eq!(
        encode_frame(3, 0, &[1, 2, 3], &mut wire),
        Err(EncodeError::OutputTooSmall { needed: 12 })
    );
}

#[test]
fn decoder_resynchronizes_after_garbage_and_damage() {
    let first = encode(0x01, 1, b"first");
    let second = encode(0x02, 2, b"second");
    let mut stream = vec![0x13, 0x37, 0xFF, 0x42];
    stream.extend_from_slice(&first[2..]); // lost the start of a frame
    stream.extend_from_slice(&first);
    let mut damaged = second.clone();
    damaged[4] ^= 0x20;
    stream.extend_from_slice(&damaged);
    stream.extend_from_slice(&second);
    let mut decoder = FrameDecoder::new();
    let frames = decode_all(&mut decoder, &stream);
    assert_eq!(
        frames,
        vec![(0x01, 1, b"first".to_vec()), (0x02, 2, b"second".to_vec())]
    );
}

#[test]
fn discard_reasons_are_reported() {
    let mut decoder = FrameDecoder::new();
    let mut bad_crc = encode(0x01, 1, b"abc");
    bad_crc[4] ^= 0x40; // a payload byte: stays non-zero
    let events: Vec<_> = bad_crc.iter().map(|&byte| decoder.push(byte)).collect();
    assert_eq!(
        events.last(),
        Some(&DecodeEvent::FrameDiscarded(DiscardReason::BadChecksum))
    );
    assert_eq!(decoder.push(0x05), DecodeEvent::Pending);
    assert_eq!(
        decoder.push(0x00),
        DecodeEvent::FrameDiscarded(DiscardReason::BadEncoding)
    );
    for byte in [0x03, 0x01, 0x02] {
        decoder.push(byte);
    }
    assert_eq!(
        decoder.push(0x00),
        DecodeEvent::FrameDiscarded(DiscardReason::TooShort)
    );
    for _ in 0..3000 {
        decoder.push(0x7A);
    }
    assert_eq!(
        decoder.push(0x00),
        DecodeEvent::FrameDiscarded(DiscardReason::TooLong)
    );
    assert_eq!(
        decoder.push(0x00),
        DecodeEvent::Pending,
        "an empty frame is idle line, not an error"
    );
}

fn sample_info() -> DeviceInfo {
    let mut info = DeviceInfo {
        board_id: 0x0429_0001,
        bootloader_version: Version {
            major: 1,
            minor: 2,
            patch: 3,
            build: 45,
        },
        layout_name: [0; 32],
        layout_name_length: 0,
        update_mode: UpdateMode::DualSlot,
        max_image_size: 864 * 1024,
        slot_count: 2,
        slots: [
            SlotInfo {
                status: SlotStatus::Valid,
                version: Version {
                    major: 2,
                    minor: 0,
                    patch: 1,
                    build: 9,
                },
                digest: [1, 2, 3, 4, 5, 6, 7, 8],
            },
            SlotInfo {
                status: SlotStatus::Invalid,
                version: Version::default(),
                digest: [0; 8],
            },
        ],
        state: DeviceState::Receiving,
        chip: Some(ChipInfo {
            id_code: 0x2003_6419,
            option_control: 0x0FFC_AAE0,
            option_control1: 0x0FFF_0000,
        }),
    };
    info.set_layout_name("nucleo-f429zi-dual");
    info
}

#[test]
fn every_request_round_trips() {
    let descriptor = [7u8; 200];
    let data = [9u8; MAX_DATA_PAYLOAD];
    let requests = [
        Request::Hello,
        Request::StartUpdate {
            image_size: 262_144,
            descriptor: &descriptor,
        },
        Request::Data {
            offset: 0x400,
            data: &data,
        },
        Request::Checksum {
            offset: 0,
            length: 4096,
        },
        Request::Resume { offset: 8192 },
        Request::Verify,
        Request::Install,
        Request::Reboot,
        Request::SetBaud { baud: 1_000_000 },
        Request::ConfirmBaud,
        Request::SetProtection(Protection {
            brown_out: 4,
            protect_bootloader: 1,
            read_protection: 2,
            confirmation: u32::from_le_bytes(*b"PERM"),
        }),
    ];
    for request in requests {
        let mut payload = [0u8; MAX_PAYLOAD];
        let length = request.encode(&mut payload).expect("fits");
        assert_eq!(
            Request::decode(request.frame_type(), &payload[..length]),
            Ok(request)
        );
        let variable_length = matches!(request, Request::Data { .. });
        if length > 0 && !variable_length {
            assert_eq!(
                Request::decode(request.frame_type(), &payload[..length - 1]),
                Err(ErrorCode::MalformedRequest)
            );
        }
    }
    assert_eq!(Request::decode(0x55, &[]), Err(ErrorCode::UnknownCommand));
    assert_eq!(
        Request::decode(0x01, &[0]),
        Err(ErrorCode::MalformedRequest)
    );
}

#[test]
fn every_reply_round_trips() {
    let replies = [
        Reply::Info(sample_info()),
        Reply::UpdateAccepted(UpdateAccepted {
            window: 16384,
            max_data: 1024,
            write_size: 4,
            prefix_end: 3072,
            prefix_checksum: 0xDEAD_BEEF,
        }),
        Reply::Ack(Ack {
            contiguous: 1024,
            credit_limit: 17408,
            flags: 1,
            received: 0b101,
        }),
        Reply::Checksum {
            offset: 0,
            length: 4096,
            checksum: 0x1234_5678,
        },
        Reply::Verified,
        Reply::Installed,
        Reply::Rebooting,
        Reply::BaudAccepted {
            baud: 1_000_000,
            timeout_milliseconds: 1000,
        },
        Reply::BaudConfirmed { baud: 1_000_000 },
        Reply::ProtectionSet(ChipInfo {
            id_code: 0x1003_6419,
            option_control: 0x0FFF_55EC,
            option_control1: 0x0FFE_0000,
        }),
        Reply::Error(ErrorReply {
            request_type: 0x02,
            code: ErrorCode::WrongBoard,
            detail: 0x0429_0001,
        }),
        Reply::Error(ErrorReply {
            request_type: 0x02,
            code: ErrorCode::Unknown(0x7777),
            detail: 0,
        }),
    ];
    for reply in replies {
        let mut payload = [0u8; 128];
        let length = reply.encode(&mut payload).expect("fits");
        assert_eq!(
            Reply::decode(reply.frame_type(), &payload[..length]),
            Some(reply)
        );
    }
    let info = sample_info();
    assert_eq!(info.layout_name(), "nucleo-f429zi-dual");
    assert_eq!(info.slots().len(), 2);
}

#[test]
fn the_info_reply_is_95_bytes_with_chip_and_digests_79_or_67_from_older_bootloaders() {
    let mut payload = [0u8; 128];
    let length = Reply::Info(sample_info())
        .encode(&mut payload)
        .expect("fits");
    assert_eq!(length, DeviceInfo::WIRE_SIZE);
    assert_eq!(length, 95);
    // id code, OPTCR, OPTCR1 after the state byte at offset 66 (docs/PROTOCOL.md).
    assert_eq!(payload[67..71], 0x2003_6419u32.to_le_bytes());
    assert_eq!(payload[71..75], 0x0FFC_AAE0u32.to_le_bytes());
    assert_eq!(payload[75..79], 0x0FFF_0000u32.to_le_bytes());
    // Then each slot's digest prefix, primary first.
    assert_eq!(payload[79..87], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(payload[87..95], [0; 8]);
    let chip = sample_info().chip.expect("chip");
    assert_eq!((chip.device_id(), chip.revision()), (0x419, 0x2003));
    // An older bootloader's reply ends after the state byte: no chip block.
    let old = Reply::decode(0x81, &payload[..DeviceInfo::BASE_WIRE_SIZE]).expect("67 bytes");
    let Reply::Info(old) = old else {
        panic!("{old:?}")
    };
    assert_eq!(old.chip, None);
    assert_eq!(old.board_id, 0x0429_0001);
    // One that ends after the chip block sends no digests: they read as zero.
    let Some(Reply::Info(without_digests)) = Reply::decode(0x81, &payload[..79]) else {
        panic!("79 bytes")
    };
    assert_eq!(without_digests.chip, sample_info().chip);
    assert_eq!(without_digests.slots[0].digest, [0; 8]);
    // A truncated chip block is malformed.
    assert_eq!(Reply::decode(0x81, &payload[..75]), None);
    // Bytes a newer bootloader appends after the digests are ignored.
    let mut longer = payload[..95].to_vec();
    longer.extend_from_slice(&[0xA5; 16]);
    assert_eq!(
        Reply::decode(0x81, &longer),
        Some(Reply::Info(sample_info()))
    );
}

#[test]
fn protection_requests_outside_their_ranges_are_malformed() {
    let valid = [4u8, 1, 2, 0x50, 0x45, 0x52, 0x4D];
    assert!(Request::decode(0x0B, &valid).is_ok());
    for (index, bad) in [(0, 5u8), (1, 2), (2, 3)] {
        let mut payload = valid;
        payload[index] = bad;
        assert_eq!(
            Request::decode(0x0B, &payload),
            Err(ErrorCode::MalformedRequest),
            "field {index} = {bad}"
        );
    }
    assert_eq!(
        Request::decode(0x0B, &valid[..6]),
        Err(ErrorCode::MalformedRequest)
    );
}

#[test]
fn error_codes_are_stable() {
    let codes = [
        (ErrorCode::UnknownCommand, 0x0001),
        (ErrorCode::WrongState, 0x0004),
        (ErrorCode::ImageTooLarge, 0x0010),
        (ErrorCode::WrongBoard, 0x0011),
        (ErrorCode::VersionTooOld, 0x0012),
        (ErrorCode::NotErased, 0x0033),
        (ErrorCode::BadSignature, 0x0043),
        (ErrorCode::BaudUnsupported, 0x0060),
        (ErrorCode::ProtectionRefused, 0x0070),
        (ErrorCode::OptionBytesFailed, 0x0071),
    ];
    for (code, value) in codes {
        assert_eq!(code.code(), value);
        assert_eq!(ErrorCode::from_code(value), code);
    }
    // 0xFFFF is `Unknown`'s discriminant: received, it is still carried through.
    for value in (0..=0x00FF).chain([0x1234, 0xFFFE, 0xFFFF]) {
        assert_eq!(
            ErrorCode::from_code(value).code(),
            value,
            "from_code and code are inverse"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, rng_seed: proptest::test_runner::RngSeed::Fixed(0x5115), ..ProptestConfig::default() })]

    #[test]
    fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4000)) {
        let mut decoder = FrameDecoder::new();
        for byte in bytes {
            if decoder.push(byte) == DecodeEvent::FrameReady {
                let frame = decoder.frame().expect("ready");
                let _ = Request::decode(frame.frame_type, frame.payload);
                let _ = Reply::decode(frame.frame_type, frame.payload);
            }
        }
    }

    #[test]
    fn frames_survive_surrounding_garbage(
        prefix in proptest::collection::vec(any::<u8>(), 0..600),
        payload in proptest::collection::vec(any::<u8>(), 0..MAX_PAYLOAD),
        frame_type in any::<u8>(),
        sequence in any::<u8>(),
    ) {
        let mut stream = prefix;
        stream.push(0);
        stream.extend_from_slice(&encode(frame_type, sequence, &payload));
        let mut decoder = FrameDecoder::new();
        let frames = decode_all(&mut decoder, &stream);
        prop_assert_eq!(frames.last(), Some(&(frame_type, sequence, payload)));
    }

    #[test]
    fn a_corrupted_byte_never_yields_a_wrong_frame(
        payload in proptest::collection::vec(any::<u8>(), 1..300),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let mut wire = encode(0x03, 9, &payload);
        let index = position.index(wire.len());
        wire[index] ^= flip;
        let mut decoder = FrameDecoder::new();
        for (frame_type, sequence, decoded) in decode_all(&mut decoder, &wire) {
            prop_assert_eq!((frame_type, sequence, &decoded), (0x03, 9, &payload));
        }
    }
}
