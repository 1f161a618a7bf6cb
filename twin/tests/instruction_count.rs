//! Instruction counting is exact, including inside IT blocks: after `run(n)` (and after a power
//! cut at instruction n) the registers match a reference model that executed as many
//! instructions as the twin reports. A stop requested inside an IT block lands after the block,
//! as Unicorn cannot stop there (REFERENCE.md §7); everywhere else it lands on instruction n.

use slingshot_files::MemoryImage;
use slingshot_twin::{PowerCut, Stop, Twin, TwinConfig};
use unicorn_engine::RegisterARM;

/// ```text
/// reset: movs r0, #0
///        movs r1, #0
/// loop:  adds r0, #1
///        cmp r0, #5
///        itte lt
///        addlt r1, #1
///        addlt r1, #2
///        movge r0, #0
///        b loop
/// ```
const IT_LOOP: [u8; 26] = [
    0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08, 0x00, 0x20, 0x00, 0x21, 0x01, 0x30, 0x05, 0x28,
    0xBA, 0xBF, 0x01, 0x31, 0x02, 0x31, 0x00, 0x20, 0xF8, 0xE7,
];

/// r0 and r1 after `count` instructions of `IT_LOOP`. Instructions in the IT block whose
/// condition fails are skipped without being counted (the emulator never reports them).
fn reference(count: u64) -> (u32, u32) {
    let (mut r0, mut r1) = (0u32, 0u32);
    let mut less = false;
    let mut executed = 0;
    let mut position = 0;
    while executed < count {
        let runs = match position {
            0 | 1 => true,
            2 => {
                r0 += 1;
                true
            }
            3 => {
                less = r0 < 5;
                true
            }
            4 | 8 => true,
            5 | 6 if less => {
                r1 += position - 4;
                true
            }
            7 if !less => {
                r0 = 0;
                true
            }
            _ => false,
        };
        executed += u64::from(runs);
        position = if position == 8 { 2 } else { position + 1 };
    }
    (r0, r1)
}

fn twin() -> Twin {
    let mut twin = Twin::new(TwinConfig::default()).expect("twin");
    twin.load_flash_image(&MemoryImage::from_binary(&IT_LOOP, 0x0800_0000).expect("image"))
        .expect("load");
    twin.power_on().expect("power on");
    twin
}

#[test]
fn runs_of_every_length_stop_exactly() {
    let mut twin = twin();
    let mut executed = 0;
    for step in [1, 2, 3, 1, 1, 1, 5, 7, 11, 13, 1, 2] {
        assert_eq!(twin.run(step).expect("run"), Stop::InstructionLimit);
        // A stop requested inside an IT block lands after the block (at most 3 more).
        let target = executed + step;
        executed = twin.instructions();
        assert!(
            (target..=target + 3).contains(&executed),
            "{executed} for {target}"
        );
        let registers = (
            twin.register(RegisterARM::R0),
            twin.register(RegisterARM::R1),
        );
        assert_eq!(
            registers,
            reference(executed),
            "after {executed} instructions"
        );
    }
}

#[test]
fn power_cuts_land_on_the_instruction() {
    for count in 1..40 {
        let mut twin = twin();
        twin.arm_power_cut(PowerCut::AfterInstructions(count));
        assert_eq!(twin.run(1_000).expect("run"), Stop::PowerLost);
        let executed = twin.instructions();
        assert!(
            (count..=count + 3).contains(&executed),
            "{executed} for {count}"
        );
        let registers = (
            twin.register(RegisterARM::R0),
            twin.register(RegisterARM::R1),
        );
        assert_eq!(
            registers,
            reference(executed),
            "cut after {executed} instructions"
        );
    }
}
