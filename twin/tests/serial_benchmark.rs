//! Benchmark of the serial update on the F429 twin (issue 6, Benchmark; ignored by default):
//! the real bootloader, USART3 paced at the real baud rate in modelled time, modelled flash
//! erase and program times. A 256 KB signed image (the example application padded with
//! seeded filler) is sent by `slingshot_cli::flashing::flash` (windowed protocol) at 115200
//! and 1 000 000 baud, and in the same harness and run through the bootloader's AN3155
//! service by `serial_fixture::an3155_client`, which sends what stm32flash sends (256-byte
//! writes, each waiting for its acknowledgements; with and without `-v` read-back; AN3155 runs
//! at 115200 baud only). Prints a Markdown table:
//!
//! `cargo test --release -p slingshot-twin --test serial_benchmark -- --ignored --nocapture`

mod serial_fixture;

use anyhow::{ensure, Result};
use serial_fixture::{
    settle_after_flash, signed_bytes, unchecked_image, Boot, Build, ImageSpec, TwinLink,
};
use slingshot_cli::flashing::{flash, read_banner, FlashOptions};
use slingshot_protocol::host::Transport;
use std::time::Duration;

const IMAGE_SIZE: usize = 256 * 1024;

struct Row {
    method: String,
    baud: u32,
    image: usize,
    transfer: Duration,
    end_to_end: Duration,
    /// Sectors erased while the host talked (transfer and install), and their modelled time.
    erases: usize,
    erase_time: Duration,
}

/// The modelled (DS9405 typical, x32) erase time of the sectors `numbers`.
fn erase_time(build: Build, numbers: &[u8]) -> Duration {
    let flash = &build.layout().board.part.flash;
    numbers
        .iter()
        .map(|number| {
            let sector = flash
                .sectors_in(flash.region())
                .find(|sector| sector.number == *number)
                .expect("a sector of the map");
            Duration::from_millis(match sector.size / 1024 {
                16 => 250,
                64 => 550,
                _ => 1000,
            })
        })
        .sum()
}

impl Row {
    fn line(&self) -> String {
        let seconds = self.transfer.as_secs_f64();
        let goodput = self.image as f64 / seconds;
        let line_rate = f64::from(self.baud) / 10.0;
        format!(
            "| {} | {} | {} | {:.2} | {:.0} | {:.1} % | {:.2} | {} sectors, {:.2} s |",
            self.method,
            self.baud,
            self.image,
            seconds,
            goodput,
            100.0 * goodput / line_rate,
            self.end_to_end.as_secs_f64(),
            self.erases,
            self.erase_time.as_secs_f64()
        )
    }
}

fn image(build: Build) -> Result<Vec<u8>> {
    let v1 = build.signed_v1()?;
    let (application, _) = serial_fixture::v1_parts(&v1)?;
    // The trailer adds its descriptor, key and signature: aim at 256 KB in all.
    let filler = IMAGE_SIZE - application.len() - 224;
    let bytes = signed_bytes(&v1, &ImageSpec::version_2(filler))?;
    Ok(bytes)
}

fn windowed(build: Build, bytes: &[u8], baud: u32) -> Result<Row> {
    let mut twin = build.twin(51)?;
    twin.run_until(2_000_000_000, |twin| {
        String::from_utf8_lossy(twin.serial_output()).contains("tick 1\r\n")
    })?;
    let image = unchecked_image(bytes.to_vec())?;
    let options = FlashOptions {
        baud: (baud != 115_200).then_some(baud),
        banner_timeout: Duration::from_secs(60),
        ..FlashOptions::default()
    };
    let mut link = TwinLink::new(&mut twin);
    link.track_erases = true;
    let report = flash(&mut link, &image, &options, &mut |_| {})?;
    let end_to_end = link.elapsed();
    let erased = link.erased_sectors.clone();
    ensure!(
        serial_fixture::runs_v2(&report, None),
        "{:?}",
        report.running
    );
    ensure!(matches!(
        settle_after_flash(&mut twin)?,
        Boot::Application { .. }
    ));
    Ok(Row {
        method: format!(
            "windowed (`flash`; {} timeouts, {} gaps, {} B sent)",
            report.transfer.timeouts, report.transfer.gaps, report.transfer.data_bytes_sent
        ),
        baud,
        image: bytes.len(),
        transfer: report.transfer.elapsed,
        end_to_end,
        erases: erased.len(),
        erase_time: erase_time(build, &erased),
    })
}

fn an3155(build: Build, bytes: &[u8], read_back: bool) -> Result<Row> {
    let mut twin = build.twin(51)?;
    twin.run_until(2_000_000_000, |twin| {
        String::from_utf8_lossy(twin.serial_output()).contains("tick 1\r\n")
    })?;
    let mut link = TwinLink::new(&mut twin);
    link.track_erases = true;
    // Into the bootloader as a user would before running stm32flash: 'b' to the application,
    // then wait until bootloader mode has surveyed the slots and listens.
    link.write(b"b")?;
    link.flush()?;
    link.idle(Duration::from_millis(1500))?;
    // What the board printed so far: stm32flash discards it when it opens the port.
    let _ = link.received_text();
    let report = serial_fixture::an3155_client::flash(&mut link, build.layout(), bytes, read_back)
        .map_err(anyhow::Error::msg)?;
    let version = read_banner(&mut link, Duration::from_secs(60));
    ensure!(version.as_deref() == Some("2.0.0"), "{version:?}");
    let end_to_end = link.elapsed();
    let erased = link.erased_sectors.clone();
    Ok(Row {
        method: format!(
            "AN3155, stm32flash's exchange{} ({} writes, {} round trips)",
            if read_back {
                " with `-v` (each write read back)"
            } else {
                ""
            },
            report.writes,
            report.round_trips
        ),
        baud: 115_200,
        image: bytes.len(),
        transfer: report.elapsed,
        end_to_end,
        erases: erased.len(),
        erase_time: erase_time(build, &erased),
    })
}

#[test]
#[ignore = "benchmark: about a minute of CPU in release"]
fn serial_update_goodput_slingshot_versus_an3155() -> Result<()> {
    let build = Build::Dual;
    let bytes = image(build)?;
    let rows = [
        windowed(build, &bytes, 115_200)?,
        windowed(build, &bytes, 1_000_000)?,
        an3155(build, &bytes, false)?,
        an3155(build, &bytes, true)?,
    ];
    println!("| method | baud | image (B) | transfer (s) | goodput (B/s) | of line rate (10 bits/B) | end to end (s) | erases (modelled) |");
    println!("|---|---|---|---|---|---|---|---|");
    for row in &rows {
        println!("{}", row.line());
    }
    ensure!(rows[0].transfer < rows[2].transfer, "AN3155 was faster");
    Ok(())
}
