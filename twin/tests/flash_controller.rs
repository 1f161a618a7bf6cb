//! The flash controller model seen by firmware: every error bit provoked by a small program
//! (`programs/flash_errors.s`), programming only clearing bits, erase, write protection through
//! the option bytes, and modelled operation times.

mod common;

use common::{twin_expecting_diagnostics, twin_with, word};
use slingshot_twin::flash_controller::status::{BSY, EOP, OPERR, PGAERR, PGPERR, PGSERR, WRPERR};
use slingshot_twin::Stop;

#[test]
fn every_error_bit_is_raised_when_the_chip_would() {
    let mut twin = twin_expecting_diagnostics(include_bytes!("programs/flash_errors.bin"));
    let stop = twin.run(50_000_000).expect("run");
    assert_eq!(stop, Stop::Breakpoint, "pc 0x{:08x}", twin.pc());
    let step = |index: u32| word(&twin, 0x2000_0000 + 4 * index);
    assert_eq!(step(0), PGSERR, "store while locked");
    assert_eq!(step(1), PGPERR, "halfword store with PSIZE x32");
    // The core splits the unaligned word into aligned transfers: the first is misaligned for
    // x32 (PGAERR), the second then meets a stale error flag (PGSERR).
    assert_eq!(step(2), PGAERR | PGSERR, "misaligned word store");
    assert_eq!(step(3), EOP, "word program with EOPIE");
    assert_eq!(step(4), EOP, "second program over the same word");
    assert_eq!(
        word(&twin, 0x2000_0040),
        0x1234_0000,
        "programming only clears bits"
    );
    assert_eq!(step(5), PGPERR | OPERR, "byte store with ERRIE");
    assert_eq!(step(6), PGPERR | PGSERR, "program with a stale error flag");
    assert_eq!(
        word(&twin, 0x2000_0044),
        0xFFFF_FFFF,
        "refused program left flash alone"
    );
    assert_eq!(step(7), EOP, "sector erase");
    assert_eq!(word(&twin, 0x2000_0048), 0xFFFF_FFFF, "sector 12 erased");
    assert_eq!(step(8), WRPERR, "erase of a write-protected sector");
    assert_eq!(step(9), PGSERR, "store with PG clear");
    for index in 0..10 {
        assert_eq!(step(index) & BSY, 0);
    }
    assert!(twin.board().flash.is_write_protected(13));
    assert!(!twin.board().flash.is_write_protected(12));
    // Operations: two programs, one erase, one option-byte write.
    assert_eq!(twin.board().flash.operations_started, 4);
    // A 16 KB erase takes 250 ms at x32: 4 M cycles at 16 MHz, spent polling BSY.
    assert!(twin.cycles() > 4_000_000, "cycles {}", twin.cycles());
}

#[test]
fn a_control_write_while_busy_waits_for_the_operation_and_then_applies() {
    // Strict, expecting no diagnostic: the write is neither dropped nor an error.
    let mut twin = twin_with(include_bytes!("programs/cr_while_busy.bin"));
    let started = twin.board().picoseconds();
    assert_eq!(twin.run(10_000).expect("run"), Stop::Breakpoint);
    // The core waited for the 16 KB erase (250 ms typical at x32) on the bus.
    let waited = twin.board().picoseconds() - started;
    assert!(waited >= 250_000_000_000, "waited {waited} ps");
    assert_eq!(word(&twin, 0x2000_0000) & (1 << 16), 0, "SR.BSY clear");
    assert_ne!(word(&twin, 0x2000_0004) & (1 << 31), 0, "CR.LOCK applied");
    assert!(
        twin.board().diagnostics.is_empty(),
        "{:?}",
        twin.board().diagnostics
    );
}

#[test]
fn a_program_under_the_enabled_data_cache_leaves_a_stale_line_until_the_cache_is_reset() {
    let mut twin = twin_expecting_diagnostics(include_bytes!("programs/art_cache.bin"));
    assert_eq!(twin.run(100_000).expect("run"), Stop::Breakpoint);
    assert_eq!(word(&twin, 0x2000_0000), 0xFFFF_FFFF, "erased before");
    assert_eq!(
        word(&twin, 0x2000_0004),
        0xFFFF_FFFF,
        "the old line, read through the cache that was not reset"
    );
    assert_eq!(
        word(&twin, 0x2000_0008),
        0x1234_5678,
        "the new word after DCEN off, DCRST, DCEN on"
    );
    assert_eq!(
        twin.board().flash.content[0x10_0000..0x10_0004],
        [0x78, 0x56, 0x34, 0x12]
    );
    let diagnostics = &twin.board().diagnostics;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        diagnostics[0].contains("stale ART data cache line (0x08100000)"),
        "{diagnostics:?}"
    );
}

#[test]
fn the_strict_twin_stops_at_a_stale_data_cache_read() {
    let mut twin = twin_with(include_bytes!("programs/art_cache.bin"));
    let error = twin
        .run(100_000)
        .expect_err("a stale read is fatal on the strict twin");
    assert!(
        error.to_string().contains("stale ART data cache line"),
        "{error}"
    );
}

#[test]
fn a_wrong_unlock_key_is_a_bus_fault_and_locks_the_control_register_until_reset() {
    let mut twin = twin_expecting_diagnostics(include_bytes!("programs/wrong_key.bin"));
    assert_eq!(twin.run(10_000).expect("run"), Stop::Breakpoint);
    assert_eq!(
        word(&twin, 0x2000_0000),
        0xFA17,
        "the HardFault handler ran"
    );
    assert_eq!(
        word(&twin, 0x2000_0004),
        1 << 30,
        "HFSR.FORCED: an escalated BusFault"
    );
    assert_eq!(word(&twin, 0x2000_0008), 1 << 10, "CFSR.IMPRECISERR");
    assert_ne!(
        word(&twin, 0x2000_000C) & (1 << 31),
        0,
        "FLASH_CR.LOCK stays set even after the right key"
    );
    let diagnostics = &twin.board().diagnostics;
    assert!(
        diagnostics[0].contains("wrong FLASH_KEYR sequence (0x12345678): bus error"),
        "{diagnostics:?}"
    );
}
