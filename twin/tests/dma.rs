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
    assert_eq!(twin.board().serial.overruns, 0);
}

#[test]
fn bytes_arriving_before_the_stream_is_enabled_overrun_as_without_dma() {
    let mut twin = twin_with(include_bytes!("programs/dma_receive.bin"));
    // The bytes reach the line before the program has set anything up: the receiver is
    // still disabled, so they are dropped as on a real line.
    twin.send_serial(b"xy");
    assert_eq!(twin.run(10_000).expect("run"), Stop::Asleep);
    assert_eq!(twin.board().serial.dropped_while_disabled, 2);
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

/// Through the board's bus: DMA1 and USART3 clocked, USART3 at BRR 0x8B with DMAR, stream 1
/// writing to `memory` (offsets from 0x4000_0000).
fn board_receiving_into(memory: u32) -> slingshot_twin::board::Board {
    let mut board = slingshot_twin::board::Board::default();
    for (offset, value) in [
        (0x2_3830, 1 << 21),     // RCC_AHB1ENR.DMA1EN
        (0x2_3840, 1 << 18),     // RCC_APB1ENR.USART3EN
        (0x4808, 0x8B),          // USART3_BRR
        (0x480C, 0x200C),        // USART3_CR1: UE, TE, RE
        (0x2_6030, 0x4000_4804), // S1PAR
        (0x2_6034, memory),      // S1M0AR
        (0x2_602C, 4),           // S1NDTR
        (0x2_6028, 0x0800_0401), // S1CR: CHSEL 4, MINC, EN
        (0x4814, 1 << 6),        // USART3_CR3.DMAR
    ] {
        board.peripheral_write(offset, 4, u64::from(value));
    }
    board
}

#[test]
fn dma_to_ccm_ram_is_a_transfer_error() {
    // CCM RAM sits on the core's data bus only: DMA1 cannot write it (RM0090 §2.3.1).
    let mut board = board_receiving_into(0x1000_0000);
    let now = board.picoseconds();
    board.serial.send_from_host(b"z", now, 16_000_000);
    board.skip_cycles(2 * 1390);
    board.advance();
    assert_eq!(board.dma.interrupt_status[0] & (1 << 9), 1 << 9, "TEIF1");
    assert!(!board.dma.streams[1].enabled(), "stream disabled");
    assert!(board.dma_memory_writes.is_empty());
    assert!(board
        .diagnostics
        .iter()
        .any(|message| message.contains("transfer error at 0x10000000")));
}

#[test]
fn dma_to_sram_queues_the_write_for_the_emulator() {
    let mut board = board_receiving_into(0x2000_0040);
    let now = board.picoseconds();
    board.serial.send_from_host(b"ok", now, 16_000_000);
    board.skip_cycles(3 * 1390);
    board.advance();
    let written: Vec<(u32, u32)> = board
        .dma_memory_writes
        .iter()
        .map(|write| (write.address, write.value))
        .collect();
    assert_eq!(
        written,
        [
            (0x2000_0040, u32::from(b'o')),
            (0x2000_0041, u32::from(b'k'))
        ]
    );
    assert_eq!(board.dma.streams[1].remaining, 2);
    assert_eq!(board.serial.overruns, 0);
}

#[test]
fn with_a_write_latency_ndtr_counts_the_byte_before_it_is_in_memory() {
    let mut twin = twin_with(include_bytes!("programs/dma_receive.bin"));
    twin.board_mut().dma_write_latency_cycles = 10_000;
    assert_eq!(twin.run(10_000).expect("run"), Stop::Asleep);
    // SRAM holds arbitrary bytes after power-on: make the old value known.
    twin.write_memory(0x2000_0100, b"-").expect("write");
    twin.send_serial(b"Z");
    let stop = twin.run_until(100_000, |twin| twin.board().dma.streams[1].remaining == 7);
    assert_eq!(stop.expect("run"), Stop::Condition);
    assert_eq!(
        twin.read_memory(0x2000_0100, 1).expect("ring"),
        b"-",
        "not written yet"
    );
    // The core sleeps on; the write lands 10 000 cycles after the count.
    let counted_at = twin.cycles();
    twin.run_until(100_000, |twin| {
        twin.read_memory(0x2000_0100, 1).expect("ring") == b"Z"
    })
    .expect("run");
    assert!(
        twin.cycles() - counted_at >= 10_000,
        "{} cycles",
        twin.cycles() - counted_at
    );
}
