//! The bootloader serves ST's AN3155 protocol on the same port: a 0x7F received while the
//! device is at rest (idle, between frames) goes to it (docs/PROTOCOL.md, section 14). These
//! tests hold the two promises that rule rests on: no request frame starts with 0x7F, whatever
//! its sequence number and fields; and `Device::at_rest` is false inside a frame and during
//! an update.

use slingshot_protocol::device::{Device, DeviceConfig};
use slingshot_protocol::frame::{encode_frame, encoded_size, MAX_BODY};
use slingshot_protocol::message::{Protection, Request};

mod common;

/// The requests a host may send, with extreme field values.
fn requests(descriptor: &[u8]) -> Vec<Request<'_>> {
    let mut requests = vec![
        Request::Hello,
        Request::Verify,
        Request::Install,
        Request::Reboot,
        Request::ConfirmBaud,
        Request::SetProtection(Protection {
            brown_out: 0xFF,
            protect_bootloader: 0xFF,
            read_protection: 0xFF,
            confirmation: u32::MAX,
        }),
    ];
    for value in [1, 0x7F7F_7F7F, 0x00FF_FFFF, u32::MAX] {
        requests.push(Request::StartUpdate {
            image_size: value & 0x00FF_FFFF,
            descriptor,
        });
        requests.push(Request::SetBaud { baud: value });
        requests.push(Request::Checksum {
            offset: value,
            length: value,
        });
        requests.push(Request::Resume { offset: value });
    }
    requests
}

#[test]
fn no_request_frame_starts_with_the_an3155_synchronization_byte() {
    // The densest descriptor there is: no zero byte at all.
    let descriptor = [0x7F; 128];
    let mut payload = [0u8; MAX_BODY];
    let mut wire = vec![0u8; encoded_size(MAX_BODY)];
    for request in requests(&descriptor) {
        let length = request.encode(&mut payload).expect("encodes");
        for sequence in 0..=u8::MAX {
            let written = encode_frame(
                request.frame_type(),
                sequence,
                &payload[..length],
                &mut wire,
            )
            .expect("frame");
            assert!(written > 0);
            assert_ne!(wire[0], 0x7F, "{request:?}, sequence {sequence}");
        }
    }
}

#[test]
fn the_device_is_at_rest_only_between_frames_and_without_an_update() {
    type Layout = slingshot_service::simulated::F429DualSlot;
    let service = common::service::<Layout>(common::device_flash::<Layout>(None));
    let mut device = Device::new(service, DeviceConfig::default(), 115_200);
    assert!(device.at_rest());
    let mut payload = [0u8; 16];
    let length = Request::Hello.encode(&mut payload).expect("encodes");
    let mut wire = [0u8; 32];
    let written = encode_frame(
        Request::Hello.frame_type(),
        1,
        &payload[..length],
        &mut wire,
    )
    .expect("frame");
    for &byte in &wire[..written - 1] {
        device.receive(byte);
        assert!(!device.at_rest(), "inside a frame");
    }
    assert!(
        device.receive(wire[written - 1]).is_some(),
        "Hello answered"
    );
    assert!(device.at_rest());
}
