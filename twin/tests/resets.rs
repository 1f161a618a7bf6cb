//! Warm resets seen by firmware (`programs/resets.s`): `AIRCR.SYSRESETREQ` and the IWDG
//! timeout reset the core and peripherals, keep RAM, and leave their flags in `RCC_CSR`.

mod common;

use common::{twin_with, word};
use slingshot_twin::Stop;

#[test]
fn software_and_watchdog_resets_keep_ram_and_set_reset_flags() {
    let mut twin = twin_with(include_bytes!("programs/resets.bin"));
    assert_eq!(twin.run(10_000_000).expect("run"), Stop::Breakpoint);
    assert_eq!(
        word(&twin, 0x2000_0000),
        0x5AFE_0003,
        "three boots counted in RAM"
    );
    let flags = twin.board_mut().rcc.read(0x74, 0);
    assert_ne!(flags & (1 << 28), 0, "SFTRSTF");
    assert_ne!(flags & (1 << 29), 0, "IWDGRSTF");
    assert_ne!(
        flags & (1 << 27),
        0,
        "PORRSTF from power-on, not cleared by RMVF"
    );
    // The watchdog waited (10 + 1) * 4 / 32 kHz = 1.375 ms.
    assert!(
        twin.board().picoseconds() >= 1_375_000_000,
        "{} ps",
        twin.board().picoseconds()
    );
}
