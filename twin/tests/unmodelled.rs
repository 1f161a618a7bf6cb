//! Accesses to peripherals the twin does not model: logged by default, an error in strict mode.

use slingshot_files::MemoryImage;
use slingshot_twin::{Stop, Twin, TwinConfig, TwinError};

/// Reads TIM3_CNT, which the twin does not model:
/// ```text
/// 0x08000000: .word 0x20001000, reset + 1
/// 0x08000008: ldr r0, [pc, #4]   @ 0x4000_0424
///             ldr r1, [r0]
///             bkpt #0
///             (padding), .word 0x40000424
/// ```
const READS_TIM3: [u8; 20] = [
    0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08, 0x01, 0x48, 0x01, 0x68, 0x00, 0xBE, 0x00, 0x00,
    0x24, 0x04, 0x00, 0x40,
];

fn twin(strict: bool) -> Twin {
    twin_running(strict, &READS_TIM3)
}

fn twin_running(strict: bool, program: &[u8]) -> Twin {
    let mut twin = Twin::new(TwinConfig {
        strict,
        seed: 1,
        ..TwinConfig::default()
    })
    .expect("twin");
    twin.load_flash_image(&MemoryImage::from_binary(program, 0x0800_0000).expect("image"))
        .expect("load");
    twin.power_on().expect("power on");
    twin
}

#[test]
fn unmodelled_access_is_logged() {
    let mut twin = twin(false);
    assert_eq!(twin.run(100).expect("run"), Stop::Breakpoint);
    let access = &twin.board().unmodelled[0];
    assert_eq!((access.address, access.write), (0x4000_0424, false));
}

#[test]
fn strict_mode_makes_it_an_error() {
    let mut twin = twin(true);
    match twin.run(100) {
        Err(TwinError::Unmodelled {
            address: 0x4000_0424,
            write: false,
        }) => {}
        other => panic!("expected an unmodelled-access error, got {other:?}"),
    }
}

#[test]
fn access_where_nothing_is_mapped_names_the_address() {
    // The same program with the literal changed to 0x6000_0000 (FMC bank 1: not modelled).
    let mut program = READS_TIM3;
    program[16..20].copy_from_slice(&0x6000_0000u32.to_le_bytes());
    let mut twin = twin_running(false, &program);
    match twin.run(100) {
        Err(TwinError::Emulator { message, pc }) => {
            assert!(message.contains("at 0x60000000"), "{message}");
            assert_eq!(pc, 0x0800_000A);
        }
        other => panic!("expected an emulator error, got {other:?}"),
    }
}
