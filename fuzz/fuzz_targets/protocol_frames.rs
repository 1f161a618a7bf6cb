//! Fuzz the serial protocol's frame decoder and message parsers with an arbitrary byte
//! stream: never a panic, and every frame it delivers re-encodes to a frame that decodes
//! to the same fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slingshot_protocol::frame::{encode_frame, DecodeEvent, FrameDecoder};
use slingshot_protocol::message::{Reply, Request};

fuzz_target!(|stream: &[u8]| {
    let mut decoder = FrameDecoder::new();
    for &byte in stream {
        if decoder.push(byte) == DecodeEvent::FrameReady {
            let frame = decoder.frame().expect("a ready frame is readable");
            let _ = Request::decode(frame.frame_type, frame.payload);
            let _ = Reply::decode(frame.frame_type, frame.payload);
            let mut encoded = [0u8; 2048];
            if let Ok(length) = encode_frame(
                frame.frame_type,
                frame.sequence,
                frame.payload,
                &mut encoded,
            ) {
                let mut again = FrameDecoder::new();
                let events: Vec<_> = encoded[..length].iter().map(|&b| again.push(b)).collect();
                assert_eq!(events.last(), Some(&DecodeEvent::FrameReady));
                let copy = again.frame().expect("re-encoded frame decodes");
                assert_eq!(
                    (copy.frame_type, copy.sequence, copy.payload),
                    (frame.frame_type, frame.sequence, frame.payload)
                );
            }
        }
    }
});
