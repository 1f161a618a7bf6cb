//! Read-while-write (REFERENCE.md §2): instruction fetches and data reads from a flash bank
//! being erased stall until the erase ends; the other bank stays readable. Bytes arriving on
//! USART3 meanwhile overrun when polled and land in RAM when received by DMA
//! (`programs/flash_stall.s`).

mod common;

use common::{twin_with, word};
use slingshot_twin::{Stop, Twin};

/// `FLASH_CR` for a sector erase at x32: SER | PSIZE 10 | SNB.
fn erase_command(sector_number_field: u32) -> u32 {
    (1 << 1) | (0b10 << 8) | (sector_number_field << 3)
}
/// Sector 5 (bank 1, 128 KB, 1 s) and sector 12 (bank 2, 16 KB, 250 ms; SNB 16).
const BANK1_SECTOR5: u32 = 5;
const BANK2_SECTOR12: u32 = 16;
const MESSAGE: &[u8] = b"twenty bytes arrive.";

/// Run `programs/flash_stall.s` with an erase of `sector_field`, DMA on or off and a read of
/// `read_address` right after the erase starts; the host sends [`MESSAGE`] just then.
fn run_stall_program(sector_field: u32, dma: bool, read_address: u32) -> Twin {
    let mut twin = twin_with(include_bytes!("programs/flash_stall.bin"));
    let mut config = Vec::new();
    for value in [erase_command(sector_field), u32::from(dma), read_address] {
        config.extend_from_slice(&value.to_le_bytes());
    }
    twin.write_memory(0x2000_0000, &config).expect("config");
    let stop = twin.run_until(1_000, |twin| twin.board().flash.operation.is_some());
    assert_eq!(stop.expect("run"), Stop::Condition);
    twin.send_serial(MESSAGE);
    assert_eq!(twin.run(10_000_000).expect("run"), Stop::Breakpoint);
    twin
}

#[test]
fn polling_from_the_bank_being_erased_loses_bytes_to_overrun() {
    let twin = run_stall_program(BANK1_SECTOR5, false, 0x0800_0000);
    // The core stalled for the whole erase: one byte waited in DR, the others overran.
    assert_eq!(word(&twin, 0x2000_0010), 1, "bytes polled");
    assert_eq!(twin.read_memory(0x2000_0100, 1).expect("byte"), b"t");
    let status = word(&twin, 0x2000_0014);
    assert_eq!(status & 0x28, 0x28, "SR 0x{status:08x}: RXNE and ORE");
    assert_eq!(twin.board().serial.overruns, MESSAGE.len() as u64 - 1);
    // The erase took its modelled second while the program barely ran.
    assert!(twin.board().picoseconds() >= 1_000_000_000_000);
    assert!(twin.instructions() < 200);
}

#[test]
fn dma_reception_keeps_every_byte_while_the_core_stalls() {
    let twin = run_stall_program(BANK1_SECTOR5, true, 0x0800_0000);
    assert_eq!(word(&twin, 0x2000_0010), 0, "nothing left for polling");
    assert_eq!(
        twin.read_memory(0x2000_0200, MESSAGE.len()).expect("ring"),
        MESSAGE
    );
    assert_eq!(
        word(&twin, 0x2000_0018),
        32 - MESSAGE.len() as u32,
        "S1NDTR"
    );
    assert_eq!(twin.board().serial.overruns, 0);
    assert!(twin.instructions() < 200, "the core stalled meanwhile");
}

#[test]
fn code_in_bank_1_keeps_polling_while_bank_2_is_erased() {
    let twin = run_stall_program(BANK2_SECTOR12, false, 0x0800_0000);
    assert_eq!(
        word(&twin, 0x2000_0010),
        MESSAGE.len() as u32,
        "bytes polled"
    );
    assert_eq!(
        twin.read_memory(0x2000_0100, MESSAGE.len()).expect("bytes"),
        MESSAGE
    );
    assert_eq!(twin.board().serial.overruns, 0);
    // The read of bank 1 did not wait: a few cycles.
    assert!(word(&twin, 0x2000_001C) < 10);
    // The core ran the polling loop for the 250 ms erase.
    assert!(twin.instructions() > 100_000);
}

#[test]
fn a_data_read_from_the_bank_being_erased_waits_for_the_erase() {
    let twin = run_stall_program(BANK2_SECTOR12, false, 0x0810_0000);
    // 250 ms at 16 MHz = 4 000 000 cycles spent in one load.
    let cycles = word(&twin, 0x2000_001C);
    assert!((4_000_000..4_000_100).contains(&cycles), "{cycles} cycles");
    // Polling started after the erase: the bytes sent meanwhile overran.
    assert_eq!(twin.board().serial.overruns, MESSAGE.len() as u64 - 1);
}
