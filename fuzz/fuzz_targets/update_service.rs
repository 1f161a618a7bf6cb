//! Fuzz the bootloader's real serial update service, statefully: the protocol's `Device` over
//! `slingshot_service::UpdateService` on the simulated flash of a Nucleo-F429ZI that runs a
//! signed v1 (dual-slot layout, journal formatted). The input is a script of requests — each
//! one a command byte and its fields, encoded into valid frames so the fuzzer reaches deep
//! states — mixed with raw garbage for the frame decoder, polls that let time pass, and
//! option-byte requests. After every step:
//!
//! - the bootloader's sectors and the primary slot hold exactly what they held at the start
//!   (the service writes only the secondary slot; installing happens at the next boot);
//! - the state sectors are unchanged unless an Install request succeeded;
//!
//! and at the end the real update engine boots the device: it must start an application (v1,
//! or the received image on trial), never stay in the bootloader.
//!
//! The script's grammar (fields little-endian, zero where the input ends): a command byte
//! modulo 12 — 0 Hello; 1 StartUpdate (a byte: even = the real size, odd = a fuzzed u32 size;
//! a byte: odd = flip a descriptor byte, then its index and XOR mask); 2 Resume (u32); 3 Data,
//! a slice of the real update (u16 word index, u16 length modulo 1025); 4 the same slice at a
//! fuzzed u32 offset; 5 fuzzed bytes (the fields of 3, a u32 offset, then the bytes);
//! 6 Checksum (u32 offset, u32 length); 7 Verify; 8 Install; 9 raw bytes for the frame
//! decoder (a length byte, then the bytes); 10 poll after u16 milliseconds; 11 SetProtection
//! (three bytes and a u32 confirmation).
//!
//! Command bytes 0xF0 and up speak ST's AN3155 on the same port, every byte routed as the
//! bootloader routes it (`An3155Session::takes`: a 0x7F at rest engages the session):
//! 0xF0 raw bytes (a length byte, then the bytes); 0xF1 Extended Erase (a count byte modulo 5,
//! then one byte per sector number); 0xF2 Write Memory of a 256-byte block of the real update
//! at its primary-slot address (u16 block index); 0xF3 Write Memory of fuzzed bytes (u32
//! address, a length byte, the bytes); 0xF4 Read Memory (u32 address, a count byte); 0xF5 Go
//! (a byte: even = the primary slot's start, odd = a fuzzed u32); 0xF6..0xFF poll as 10. A
//! Go the session acknowledges ends the script: the device resets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slingshot_flash_sim::SimulatedFlash;
use slingshot_image::signing::{public_key_from_seed, sign_image, SigningParameters};
use slingshot_image::{Version, DESCRIPTOR_SIZE};
use slingshot_layout::{Region, NUCLEO_F429ZI_DUAL_SLOT as LAYOUT};
use slingshot_protocol::device::{Device, DeviceConfig};
use slingshot_protocol::frame::{encode_frame, MAX_PAYLOAD, MAX_WIRE_FRAME};
use slingshot_protocol::info::DeviceState;
use slingshot_protocol::message::{Protection, Request};
use slingshot_service::an3155::An3155Session;
use slingshot_service::simulated::{F429DualSlot, SimulatedChip};
use slingshot_service::{FlashImageVerifier, UpdateService};
use slingshot_update::{BootAction, DualSlotConfiguration, DualSlotEngine};
use std::sync::OnceLock;

type Flash = SimulatedFlash<4>;
type Service = UpdateService<Flash, FlashImageVerifier<[[u8; 32]; 1]>, SimulatedChip<F429DualSlot>>;

const SEED: [u8; 32] = [0x2A; 32];

/// What every run starts from.
struct Start {
    flash: Flash,
    /// A signed v2 the scripts may send (its descriptor, or slices of it).
    update: Vec<u8>,
    descriptor: Vec<u8>,
}

fn signed(version: &str, length: usize, security_counter: u32) -> Vec<u8> {
    let mut application = vec![0u8; length];
    for (index, byte) in application.iter_mut().enumerate() {
        *byte = (index * 31 + length) as u8;
    }
    application[0..4].copy_from_slice(&0x2002_FFE0u32.to_le_bytes());
    application[4..8].copy_from_slice(&0x0800_8101u32.to_le_bytes());
    application[28..32].fill(0);
    let parameters = SigningParameters {
        load_address: LAYOUT.partitions.primary.start,
        board_id: LAYOUT.board.board_id,
        version: Version::parse(version).expect("version"),
        security_counter,
    };
    sign_image(&application, &parameters, &SEED).expect("signed")
}

fn engine() -> DualSlotEngine {
    DualSlotEngine::new(DualSlotConfiguration::from_layout(&LAYOUT).expect("dual slot"))
}

fn verifier() -> FlashImageVerifier<[[u8; 32]; 1]> {
    FlashImageVerifier::for_layout(&LAYOUT, [public_key_from_seed(&SEED)])
}

fn start() -> &'static Start {
    static START: OnceLock<Start> = OnceLock::new();
    START.get_or_init(|| {
        let geometry = LAYOUT.board.part.flash;
        let mut flash = Flash::new(geometry, 1);
        flash.load_erased(geometry.base, geometry.size);
        // A recognisable bootloader and the running v1.
        let bootloader = LAYOUT.partitions.bootloader;
        let pattern: Vec<u8> = (0..bootloader.size)
            .map(|index| (index * 7) as u8)
            .collect();
        flash.load(bootloader.start, &pattern);
        flash.load(
            LAYOUT.partitions.primary.start,
            &signed("1.0.0", 6 * 1024, 1),
        );
        let outcome = engine().boot(&mut flash, &mut verifier()).expect("boots");
        assert!(matches!(outcome.action, BootAction::Start { .. }));
        flash.reset_statistics();
        let update = signed("2.0.0", 20 * 1024, 2);
        let trailer = slingshot_image::parse_trailer(&update).expect("trailer");
        let offset = trailer.descriptor.image_size as usize;
        let descriptor = update[offset..offset + DESCRIPTOR_SIZE].to_vec();
        Start {
            flash,
            update,
            descriptor,
        }
    })
}

/// Reads the script: little-endian fields, zero when the input runs out.
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn u16(&mut self) -> u16 {
        u16::from(self.byte().unwrap_or(0)) | (u16::from(self.byte().unwrap_or(0)) << 8)
    }

    fn u32(&mut self) -> u32 {
        u32::from(self.u16()) | (u32::from(self.u16()) << 16)
    }

    fn bytes(&mut self, count: usize) -> &[u8] {
        let count = count.min(self.0.len());
        let (taken, rest) = self.0.split_at(count);
        self.0 = rest;
        taken
    }
}

fn contents(flash: &Flash, region: Region) -> Vec<u8> {
    flash.contents(region.start, region.size).to_vec()
}

/// Boots the device with the real engine: it must start an application.
fn boots(flash: &Flash) {
    let mut copy = flash.clone();
    let outcome = engine()
        .boot(&mut copy, &mut verifier())
        .expect("no power cut planned");
    assert!(
        matches!(outcome.action, BootAction::Start { .. }),
        "the device stays in its bootloader after the session: {outcome:?}"
    );
}

fn send(
    device: &mut Device<Service>,
    session: &mut An3155Session,
    sequence: &mut u8,
    request: &Request<'_>,
) -> bool {
    let mut payload = [0u8; MAX_PAYLOAD];
    let Some(length) = request.encode(&mut payload) else {
        return false;
    };
    *sequence = sequence.wrapping_add(1);
    let mut wire = [0u8; MAX_WIRE_FRAME];
    let Ok(written) = encode_frame(
        request.frame_type(),
        *sequence,
        &payload[..length],
        &mut wire,
    ) else {
        return false;
    };
    port(device, session, &wire[..written]);
    true
}

/// Bytes into the port, each to the protocol the bootloader would give it.
fn port(device: &mut Device<Service>, session: &mut An3155Session, bytes: &[u8]) {
    for &byte in bytes {
        if session.takes(byte, device) {
            let _ = session.receive(byte, device.handler_mut());
        } else {
            let _ = device.receive(byte);
        }
    }
}

/// An AN3155 address and its checksum.
fn address_bytes(address: u32) -> [u8; 5] {
    let [a, b, c, d] = address.to_be_bytes();
    [a, b, c, d, a ^ b ^ c ^ d]
}

/// An AN3155 command: its code, its complement, then `rest`.
fn an3155_command(
    device: &mut Device<Service>,
    session: &mut An3155Session,
    code: u8,
    rest: &[u8],
) {
    port(device, session, &[code, !code]);
    port(device, session, rest);
}

/// Write Memory of `data` at `address` (padded to a multiple of 4 as stm32flash does).
fn an3155_write(
    device: &mut Device<Service>,
    session: &mut An3155Session,
    address: u32,
    data: &[u8],
) {
    if data.is_empty() {
        return;
    }
    let mut block = data[..data.len().min(256)].to_vec();
    while block.len() % 4 != 0 {
        block.push(0xFF);
    }
    let count = (block.len() - 1) as u8;
    let mut bytes = address_bytes(address).to_vec();
    bytes.push(count);
    bytes.extend_from_slice(&block);
    bytes.push(block.iter().fold(count, |sum, byte| sum ^ byte));
    an3155_command(device, session, 0x31, &bytes);
}

fuzz_target!(|input: &[u8]| {
    let start = start();
    let partitions = LAYOUT.partitions;
    let state = partitions.state.expect("state partition");
    let bootloader = contents(&start.flash, partitions.bootloader);
    let primary = contents(&start.flash, partitions.primary);
    let journal = contents(&start.flash, state);
    let service = UpdateService::new(
        start.flash.clone(),
        verifier(),
        SimulatedChip::default(),
        Some(engine()),
        true,
    );
    let mut device = Device::new(service, DeviceConfig::default(), 115_200);
    let mut session = An3155Session::new();
    let mut script = Script(input);
    let (mut sequence, mut now, mut installed) = (0u8, 0u32, false);
    let update = &start.update[..];
    while let Some(command) = script.byte() {
        if command >= 0xF0 {
            match command {
                0xF0 => {
                    let length = usize::from(script.byte().unwrap_or(0));
                    let bytes = script.bytes(length).to_vec();
                    port(&mut device, &mut session, &bytes);
                }
                0xF1 => {
                    let count = usize::from(script.byte().unwrap_or(0) % 5).max(1);
                    let mut bytes = ((count - 1) as u16).to_be_bytes().to_vec();
                    for _ in 0..count {
                        bytes.extend_from_slice(
                            &u16::from(script.byte().unwrap_or(0)).to_be_bytes(),
                        );
                    }
                    bytes.push(bytes.iter().fold(0, |sum, byte| sum ^ byte));
                    an3155_command(&mut device, &mut session, 0x44, &bytes);
                }
                0xF2 => {
                    let from = (usize::from(script.u16()) * 256).min(update.len());
                    let block = &update[from..(from + 256).min(update.len())];
                    let address = LAYOUT.partitions.primary.start + from as u32;
                    an3155_write(&mut device, &mut session, address, block);
                }
                0xF3 => {
                    let address = script.u32();
                    let length = usize::from(script.byte().unwrap_or(0)) + 1;
                    let bytes = script.bytes(length).to_vec();
                    an3155_write(&mut device, &mut session, address, &bytes);
                }
                0xF4 => {
                    let address = script.u32();
                    let count = script.byte().unwrap_or(0);
                    let mut bytes = address_bytes(address).to_vec();
                    bytes.extend_from_slice(&[count, !count]);
                    an3155_command(&mut device, &mut session, 0x11, &bytes);
                }
                0xF5 => {
                    let address = if script.byte().unwrap_or(0) & 1 == 0 {
                        LAYOUT.partitions.primary.start
                    } else {
                        script.u32()
                    };
                    an3155_command(&mut device, &mut session, 0x21, &address_bytes(address));
                }
                _ => {
                    now = now.wrapping_add(u32::from(script.u16()));
                    session.poll(now);
                    device.poll(now);
                }
            }
            // An acknowledged Go installed the image (dual slot: marked it pending) and resets.
            let restarting = session.reboot_pending();
            installed |= restarting;
            let flash = device.handler().flash();
            assert!(
                contents(flash, partitions.bootloader) == bootloader,
                "AN3155 changed the bootloader's sectors"
            );
            assert!(
                contents(flash, partitions.primary) == primary,
                "AN3155 changed the primary slot"
            );
            assert!(
                installed || contents(flash, state) == journal,
                "AN3155 changed the journal without an acknowledged Go"
            );
            if restarting {
                break;
            }
            continue;
        }
        match command % 12 {
            0 => {
                send(&mut device, &mut session, &mut sequence, &Request::Hello);
            }
            1 => {
                // The real announcement, or one with fuzzed fields.
                let size = if script.byte().unwrap_or(0) & 1 == 0 {
                    update.len() as u32
                } else {
                    script.u32()
                };
                let mut descriptor = start.descriptor.clone();
                if script.byte().unwrap_or(0) & 1 == 1 {
                    let at = usize::from(script.byte().unwrap_or(0)) % descriptor.len();
                    descriptor[at] ^= script.byte().unwrap_or(1).max(1);
                }
                send(
                    &mut device,
                    &mut session,
                    &mut sequence,
                    &Request::StartUpdate {
                        image_size: size,
                        descriptor: &descriptor,
                    },
                );
            }
            2 => {
                send(
                    &mut device,
                    &mut session,
                    &mut sequence,
                    &Request::Resume {
                        offset: script.u32(),
                    },
                );
            }
            3..=5 => {
                // Data: 3 a slice of the real update at its own offset (word index, length),
                // 4 the same slice sent to a fuzzed offset, 5 fuzzed bytes at a fuzzed offset.
                let from = (usize::from(script.u16()) * 4).min(update.len());
                let length = usize::from(script.u16()) % 1025;
                let genuine = &update[from..(from + length).min(update.len())];
                let (offset, data) = match command % 12 {
                    3 => (from as u32, genuine.to_vec()),
                    4 => (script.u32(), genuine.to_vec()),
                    _ => (script.u32(), script.bytes(length).to_vec()),
                };
                send(
                    &mut device,
                    &mut session,
                    &mut sequence,
                    &Request::Data {
                        offset,
                        data: &data,
                    },
                );
            }
            6 => {
                let (offset, length) = (script.u32(), script.u32());
                send(
                    &mut device,
                    &mut session,
                    &mut sequence,
                    &Request::Checksum { offset, length },
                );
            }
            7 => {
                send(&mut device, &mut session, &mut sequence, &Request::Verify);
            }
            8 => {
                send(&mut device, &mut session, &mut sequence, &Request::Install);
            }
            9 => {
                let length = usize::from(script.byte().unwrap_or(0));
                let bytes = script.bytes(length).to_vec();
                port(&mut device, &mut session, &bytes);
            }
            10 => {
                now = now.wrapping_add(u32::from(script.u16()));
                session.poll(now);
                device.poll(now);
            }
            _ => {
                let protection = Protection {
                    brown_out: script.byte().unwrap_or(0) % 6,
                    protect_bootloader: script.byte().unwrap_or(0) % 3,
                    read_protection: script.byte().unwrap_or(0) % 4,
                    confirmation: script.u32(),
                };
                send(
                    &mut device,
                    &mut session,
                    &mut sequence,
                    &Request::SetProtection(protection),
                );
            }
        }
        installed |= device.state() == DeviceState::Installed;
        let flash = device.handler().flash();
        assert!(
            contents(flash, partitions.bootloader) == bootloader,
            "the bootloader's sectors changed"
        );
        assert!(
            contents(flash, partitions.primary) == primary,
            "the primary slot changed before any boot"
        );
        assert!(
            installed || contents(flash, state) == journal,
            "the journal changed without an install"
        );
    }
    if std::env::var_os("UPDATE_SERVICE_TRACE").is_some() {
        // For checking what a seed reaches: `UPDATE_SERVICE_TRACE=1 update_service SEED`.
        eprintln!(
            "update_service: final state {:?}, installed {installed}, AN3155 engaged {}, last NACK {:?}",
            device.state(),
            session.engaged(),
            session.last_refusal()
        );
    }
    boots(device.handler().flash());
});
