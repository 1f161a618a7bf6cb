//! Goodput in virtual time: the windowed protocol against the ROM bootloader's stop-and-wait
//! pattern (AN3155), on the same simulated link with the same pacing and flash timings.
//!
//! Run with `cargo test -p slingshot-protocol --release --test benchmark -- --nocapture`;
//! `docs/PROTOCOL.md` quotes the printed table.

mod common;

use std::time::Duration;

use common::link::{Link, LinkConfig, ProtocolDevice};
use common::rom::{self, RomBootloader};
use common::{descriptor, device_flash, instant_erase, random_bytes, received, signed_image};
use slingshot_layout::NUCLEO_F429ZI_SINGLE_SLOT;
use slingshot_protocol::device::DeviceConfig;
use slingshot_protocol::host::{HostConfig, HostSession, TransferReport, Transport};
use slingshot_service::simulated::F429SingleSlot;
use slingshot_testkit::line::LineNoise;

const IMAGE_SIZE: usize = 256 * 1024;

struct Measurement {
    transfer: Duration,
    end_to_end: Duration,
    report: TransferReport,
}

fn line_rate(baud: u32) -> f64 {
    f64::from(baud) / 10.0
}

/// The protocol: `old_content` puts an older application in the slot and counts erase time;
/// without it, erases take no time, to measure the link alone.
fn protocol(baud: u32, old_content: bool, latency_nanoseconds: u64) -> Measurement {
    let link = LinkConfig {
        latency_nanoseconds,
        ..LinkConfig::default()
    };
    protocol_over(baud, old_content, link)
}

fn protocol_over(baud: u32, old_content: bool, link: LinkConfig) -> Measurement {
    let image = signed_image::<F429SingleSlot>(IMAGE_SIZE, 42, 1);
    let flash = if old_content {
        device_flash::<F429SingleSlot>(Some(43))
    } else {
        // Link goodput: the sectors are still erased (that is the safe default), in no time.
        instant_erase(device_flash::<F429SingleSlot>(None))
    };
    let device = ProtocolDevice::<F429SingleSlot>::new(flash, DeviceConfig::default());
    let mut session = HostSession::new(Link::new(device, link), HostConfig::default());
    session.hello().expect("hello");
    if baud != 115_200 {
        session.set_baud(baud).expect("baud switch");
    }
    let started = session.transport().elapsed();
    let descriptor = descriptor(&image);
    let report = session
        .update(&image, &descriptor, |_, _| {})
        .expect("update");
    let end_to_end = session.transport().elapsed() - started;
    assert!(received(session.transport().model.service(), IMAGE_SIZE) == image);
    assert_eq!(session.transport().statistics.overruns, 0);
    Measurement {
        transfer: report.elapsed,
        end_to_end,
        report,
    }
}

/// The ROM bootloader pattern: extended erase of the sectors, then 256-byte writes.
fn rom_bootloader(baud: u32, erase: bool, latency_nanoseconds: u64) -> Measurement {
    let image = random_bytes(42, IMAGE_SIZE);
    let sector_sizes: Vec<u32> = NUCLEO_F429ZI_SINGLE_SLOT
        .board
        .part
        .flash
        .sectors
        .iter()
        .map(|sector| sector.size)
        .collect();
    let model = RomBootloader::new(IMAGE_SIZE, sector_sizes, baud);
    let link = LinkConfig {
        baud,
        latency_nanoseconds,
        ..LinkConfig::default()
    };
    let mut transport = Link::new(model, link);
    // 256 KB from 0x08008000: sectors 2, 3, 4, 5 and 6 (16 + 16 + 64 + 128 + 128 KB).
    let sectors: &[u16] = if erase { &[2, 3, 4, 5, 6] } else { &[] };
    let started = transport.elapsed();
    rom::write_image(&mut transport, &image, sectors);
    let end_to_end = transport.elapsed() - started;
    assert!(transport.model.memory == image);
    Measurement {
        transfer: end_to_end,
        end_to_end,
        report: TransferReport::default(),
    }
}

fn kilobytes_per_second(duration: Duration) -> f64 {
    IMAGE_SIZE as f64 / duration.as_secs_f64() / 1024.0
}

#[test]
fn goodput_protocol_versus_stop_and_wait() {
    println!("256 KB image, 8N1 (10 bits per byte), F429 typical flash timings, 1 KB = 1024 bytes");
    println!("| baud | latency each way | exchange | transfer (erase time excluded) | goodput | of line rate | end-to-end over an older image (erases included) |");
    println!("|---|---|---|---|---|---|---|");
    for latency_milliseconds in [1, 4] {
        let latency = latency_milliseconds * 1_000_000;
        let mut fractions = Vec::new();
        for baud in [115_200, 1_000_000] {
            let clean = protocol(baud, false, latency);
            let with_erase = protocol(baud, true, latency);
            let rom_clean = rom_bootloader(baud, false, latency);
            let rom_erase = rom_bootloader(baud, true, latency);
            for (name, measurement, erase) in [
                ("slingshot: 16 KB window, 1 KB frames", &clean, &with_erase),
                (
                    "stop-and-wait: 256 B, 3 ACKs (AN3155)",
                    &rom_clean,
                    &rom_erase,
                ),
            ] {
                let goodput = kilobytes_per_second(measurement.transfer);
                let fraction = goodput * 1024.0 / line_rate(baud);
                println!(
                    "| {baud} | {latency_milliseconds} ms | {name} | {:.2} s | {goodput:.2} KB/s | {:.1} % | {:.2} s |",
                    measurement.transfer.as_secs_f64(),
                    fraction * 100.0,
                    erase.end_to_end.as_secs_f64()
                );
                fractions.push(fraction);
            }
        }
        // A clean line keeps 97 % (issue 13): the frames stay at 1 KB without a loss.
        assert!(
            fractions[0] >= 0.97,
            "goodput at 115200 is {:.1} % of line rate",
            fractions[0] * 100.0
        );
        assert!(
            fractions[2] >= 0.97,
            "goodput at 1 Mbaud is {:.1} % of line rate",
            fractions[2] * 100.0
        );
        assert!(
            fractions[1] < fractions[0] && fractions[3] < fractions[2],
            "stop-and-wait is slower"
        );
    }
}

#[test]
fn goodput_with_byte_faults() {
    // 1 in 10,000 is a poor cable; 1 in 2,000 each is issue 13's noisy line, where 1 KB frames
    // mostly carry an error (about 35 % of them arrive intact): the frames shrink after losses
    // (to 64–256 bytes there) and the transfer keeps at least 40 % of line rate.
    for (one_in, text) in [(10_000u64, "10,000"), (2_000, "2,000")] {
        println!("256 KB image, 1 ms latency, corrupted and dropped bytes at 1 in {text} each, erase time excluded");
        println!("| baud | seed | transfer | goodput | of line rate | data sent | gaps | probes | timeouts | smallest frame |");
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for baud in [115_200, 1_000_000] {
            let mut fractions = Vec::new();
            for seed in 1..=3 {
                let link = LinkConfig {
                    noise: LineNoise::one_in(one_in, one_in),
                    seed,
                    ..LinkConfig::default()
                };
                let measurement = protocol_over(baud, false, link);
                let goodput = kilobytes_per_second(measurement.transfer);
                let fraction = goodput * 1024.0 / line_rate(baud);
                println!(
                    "| {baud} | {seed} | {:.2} s | {goodput:.2} KB/s | {:.1} % | {:.1} % | {} | {} | {} | {} B |",
                    measurement.transfer.as_secs_f64(),
                    fraction * 100.0,
                    measurement.report.data_bytes_sent as f64 * 100.0 / IMAGE_SIZE as f64,
                    measurement.report.gaps,
                    measurement.report.probes,
                    measurement.report.timeouts,
                    measurement.report.smallest_frame
                );
                fractions.push(fraction);
            }
            // A frame lost at the tail of a window costs a timeout (at 1 Mbaud, seed 2: one
            // timeout, 45 % of line rate); on average the faults cost retransmissions, not
            // the link.
            let mean = fractions.iter().sum::<f64>() / fractions.len() as f64;
            let floor = if one_in == 10_000 { 0.5 } else { 0.4 };
            assert!(
                mean > floor,
                "faults cost retransmissions, not the link: {fractions:?}"
            );
        }
        println!();
    }
}
