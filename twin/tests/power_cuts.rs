//! Power cuts: after N instructions, before the k-th flash operation, and in the middle of a
//! program or an erase (torn results); then power on with flash kept and RAM lost. Also the
//! warm reset that keeps RAM. Uses `programs/flash_errors.s` (operation 1 programs 0x1234_5678
//! at 0x0810_0000, operation 3 erases sector 12), which provokes the controller's error flags on
//! purpose: the twins here expect model diagnostics.

mod common;

use common::{twin_expecting_diagnostics, word};
use slingshot_files::MemoryImage;
use slingshot_twin::{PowerCut, ResetCause, Stop, Twin, TwinConfig};

const PROGRAM: &[u8] = include_bytes!("programs/flash_errors.bin");

fn flash_word(twin: &Twin, address: u32) -> u32 {
    word(twin, address)
}

#[test]
fn cut_after_a_number_of_instructions_stops_exactly_there() {
    let mut twin = twin_expecting_diagnostics(PROGRAM);
    twin.arm_power_cut(PowerCut::AfterInstructions(123));
    assert_eq!(twin.run(1_000_000).expect("run"), Stop::PowerLost);
    assert_eq!(twin.instructions(), 123);
    assert!(!twin.is_powered());
    assert!(twin.run(10).is_err(), "a powered-off twin does not run");
}

#[test]
fn cut_before_a_flash_operation_leaves_flash_untouched_and_power_on_restarts() {
    let mut twin = twin_expecting_diagnostics(PROGRAM);
    twin.arm_power_cut(PowerCut::BeforeFlashOperation(1));
    assert_eq!(twin.run(50_000_000).expect("run"), Stop::PowerLost);
    assert_eq!(flash_word(&twin, 0x0810_0000), 0xFFFF_FFFF);
    assert_eq!(twin.board().flash.operations_started, 1);
    twin.write_memory(0x2000_0100, &[0x55; 4]).expect("write");
    twin.power_on().expect("power on");
    assert_ne!(
        word(&twin, 0x2000_0100),
        0x5555_5555,
        "RAM content is lost at power-on"
    );
    assert_eq!(twin.run(50_000_000).expect("run"), Stop::Breakpoint);
    assert_eq!(
        flash_word(&twin, 0x0810_0000),
        0xFFFF_FFFF,
        "sector 12 erased by the program"
    );
    assert_eq!(
        word(&twin, 0x2000_0040),
        0x1234_0000,
        "the rerun programmed normally"
    );
}

#[test]
fn cut_during_a_program_tears_the_word() {
    let mut twin = twin_expecting_diagnostics(PROGRAM);
    twin.arm_power_cut(PowerCut::DuringFlashOperation {
        index: 1,
        per_mille: 500,
    });
    assert_eq!(twin.run(50_000_000).expect("run"), Stop::PowerLost);
    let torn = flash_word(&twin, 0x0810_0000);
    assert_eq!(
        torn & 0x1234_5678,
        0x1234_5678,
        "only bits being cleared may be cleared: 0x{torn:08x}"
    );
    assert_ne!(torn, 0xFFFF_FFFF, "with this seed some bits were cleared");
    assert_ne!(
        torn, 0x1234_5678,
        "with this seed some bits were not cleared"
    );
}

#[test]
fn cut_during_an_erase_leaves_a_partly_erased_sector() {
    let mut twin = Twin::new(TwinConfig {
        strict: true,
        seed: 3,
        ..TwinConfig::default()
    })
    .expect("twin");
    twin.load_flash_image(&MemoryImage::from_binary(PROGRAM, 0x0800_0000).expect("image"))
        .expect("load");
    let zeros = MemoryImage::from_binary(&[0u8; 0x4000], 0x0810_0000).expect("image");
    twin.load_flash_image(&zeros).expect("load");
    twin.expect_diagnostics();
    twin.power_on().expect("power on");
    twin.arm_power_cut(PowerCut::DuringFlashOperation {
        index: 3,
        per_mille: 500,
    });
    assert_eq!(twin.run(50_000_000).expect("run"), Stop::PowerLost);
    let sector = twin.read_memory(0x0810_0000, 0x4000).expect("read");
    assert!(
        sector[..0x2000].iter().all(|byte| *byte == 0xFF),
        "first half erased"
    );
    let second = &sector[0x2000..];
    assert!(second.iter().any(|byte| *byte != 0xFF) && second.iter().any(|byte| *byte != 0));
    // Sector 13 was never touched.
    assert!(twin
        .read_memory(0x0810_4000, 16)
        .expect("read")
        .iter()
        .all(|byte| *byte == 0xFF));
}

#[test]
fn warm_reset_keeps_ram_and_restarts_the_core() {
    let mut twin = twin_expecting_diagnostics(PROGRAM);
    twin.run(1_000).expect("run");
    twin.write_memory(0x2002_FFE0, b"mailbox!").expect("write");
    twin.reset(ResetCause::Software).expect("reset");
    assert_eq!(twin.read_memory(0x2002_FFE0, 8).expect("read"), b"mailbox!");
    assert_eq!(twin.pc() & !1, 0x0800_0008);
    assert_eq!(twin.run(50_000_000).expect("run"), Stop::Breakpoint);
}
