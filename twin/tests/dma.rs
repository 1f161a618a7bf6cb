//! DMA1 seen by firmware: USART3 reception by stream 1 into a circular ring while the CPU
//! sleeps (`programs/dma_receive.s`), and transmission by stream 3 from flash
//! (`programs/dma_transmit.s`).

mod common;

use common::{twin_with, word};
use slingshot_twin::Stop;

/// `LISR` flags of stream 1 (`HTIF1`, `TCIF1`) and stream 3 (`TCIF3`).
const HTIF1: u32 = 1 << 10;
const TCIF1: u32 = 1 << 11;
const TCIF3: u32 = 1 << 27;
/// Modelled time of one 10-bit frame at BRR 0x8B from 16 MHz, in picoseconds.
const FRAME_PS: u64 = 10 * 139 * 62_500;

#[test]
fn received_bytes_land_in_a_circular_ring_while_the_core_sleeps() {
    let mut twin = twin_with(include_bytes!("programs/dma_receive.bin"));
    assert_eq!(twin.run(10_000).expect("run"), Stop::Asleep);
    let instructions = twin.instructions();
    let started = twin.board().picoseconds();
    twin.send_serial(b"0123456789AB");
    assert_eq!(twin.run(10_000).expect("run"), Stop::Asleep);
    // The core slept through all twelve frames (the WFI loop ran a couple of times at most).
    assert!(twin.instructions() - instructions < 30);
    assert!(twin.board().picoseconds() - started >= 12 * FRAME_PS);
    // Twelve bytes in an eight-byte ring: the last four overwrote the first four.
    assert_eq!(twin.read_memory(0x2000_0100, 8).expect("ring"), b"89AB4567");
    let stream = &twin.board().dma.streams[1];
    assert_eq!(stream.remaining, 4, "NDTR counts down and reloads");
    assert!(stream.enabled(), "circular mode keeps the stream enabled");
    let flags = twin.board().dma.interrupt_status[0];
    assert_eq!(flags & (HTIF1 | TCIF1), HTIF1 | TCIF1, "LISR 0x{flags:08x}");
    assert_eq!(twin.board().usart3.overruns, 0);
}

#[test]
fn bytes_arriving_before_the_stream_is_enabled_overrun_as_without_dma() {
    let mut twin = twin_with(include_bytes!("programs/dma_receive.bin"));
    // The bytes reach the line before the program has set anything up: the receiver is
    // still disabled, so they are dropped as on a real line.
    twin.send_serial(b"xy");
    assert_eq!(twin.run(10_000).expect("run"), Stop::Asleep);
    assert_eq!(twin.board().usart3.dropped_while_disabled, 2);
    assert_eq!(twin.board().dma.streams[1].remaining, 8);
}

#[test]
fn a_message_in_flash_is_transmitted_by_dma_at_line_rate() {
    let mut twin = twin_with(include_bytes!("programs/dma_transmit.bin"));
    twin.write_memory(0x2000_0000, &[0; 4]).expect("clear");
    let stop = twin.run_until(1_000_000, |twin| word(twin, 0x2000_0000) != 0);
    assert_eq!(stop.expect("run"), Stop::Condition);
    let flags = word(&twin, 0x2000_0000);
    assert_eq!(flags & TCIF3, TCIF3, "LISR 0x{flags:08x}");
    assert_eq!(word(&twin, 0x2000_0004), 0, "S3NDTR");
    assert!(!twin.board().dma.streams[3].enabled(), "normal mode ends");
    // TCIF3 rises when the last byte is written to DR, before it is on the line (the run
    // loop looks at RAM at the next event, a frame later: 12 or 13 bytes are out).
    assert!(twin.serial_output().len() < 14);
    twin.run_until(100_000, |twin| twin.serial_output().len() == 14)
        .expect("run");
    assert_eq!(twin.serial_output(), b"HELLO FROM DMA");
    // Back to back frames: the data register is refilled as soon as it empties, so the 14
    // bytes take 14 frame times from the first write.
    let picoseconds = twin.board().picoseconds();
    assert!(
        (14 * FRAME_PS..14 * FRAME_PS + 200 * 62_500).contains(&picoseconds),
        "{picoseconds} ps"
    );
}
