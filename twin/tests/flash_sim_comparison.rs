//! Erase and program results of the twin's flash controller, driven by firmware
//! (`programs/operations.s`), compared byte for byte with the host simulated flash
//! (`slingshot-flash-sim`) given the same operations, and modelled times compared with its
//! timing model.

mod common;

use common::{twin_with, word};
use embedded_storage::nor_flash::NorFlash;
use slingshot_flash_sim::{SimulatedFlash, SplitMix64, TimingModel};
use slingshot_layout::boards::NUCLEO_F429ZI;
use slingshot_twin::Stop;

/// Sectors used: 12 (16 KB) and 16 (64 KB), both in bank 2.
const SECTORS: [u8; 2] = [12, 16];

#[test]
fn erase_and_program_match_the_simulated_flash() {
    let flash = NUCLEO_F429ZI.part.flash;
    let base = flash.base;
    let mut twin = twin_with(include_bytes!("programs/operations.bin"));
    let mut simulated = SimulatedFlash::<4>::new(flash, 5);
    let mut random = SplitMix64::new(42);
    let mut table: Vec<u32> = Vec::new();
    let mut expected_microseconds = 0;
    let timing = TimingModel::STM32F4_X32_TYPICAL;
    for number in SECTORS {
        let sector = flash.sectors[number as usize];
        table.extend([1, sector.control_register_number as u32, 0]);
        simulated
            .erase(sector.start - base, sector.start - base + sector.size)
            .expect("erase");
        expected_microseconds += timing.erase_microseconds(sector.size);
    }
    let mut used = std::collections::BTreeSet::new();
    for _ in 0..300 {
        let sector = flash.sectors[SECTORS[random.below(2) as usize] as usize];
        let address = sector.start + 4 * random.below(u64::from(sector.size / 4)) as u32;
        if !used.insert(address) {
            continue;
        }
        let value = random.next_u64() as u32;
        table.extend([2, address, value]);
        simulated
            .write(address - base, &value.to_le_bytes())
            .expect("program");
        expected_microseconds += timing.program_microseconds(4);
    }
    table.push(0);
    let bytes: Vec<u8> = table.iter().flat_map(|word| word.to_le_bytes()).collect();
    twin.write_memory(0x2000_0100, &bytes).expect("table");
    twin.write_memory(0x2000_0000, &[0; 4]).expect("status");
    let stop = twin.run(200_000_000).expect("run");
    assert_eq!(stop, Stop::Breakpoint, "pc 0x{:08x}", twin.pc());
    assert_eq!(
        word(&twin, 0x2000_0000) & 0xF2,
        0,
        "no error bit in any operation"
    );
    for number in SECTORS {
        let sector = flash.sectors[number as usize];
        let twin_bytes = twin
            .read_memory(sector.start, sector.size as usize)
            .expect("read");
        assert!(
            twin_bytes == simulated.contents(sector.start, sector.size),
            "sector {number} differs from the simulated flash"
        );
    }
    // The twin's modelled time covers the datasheet time of every operation, plus a little
    // time for the instructions in between.
    let twin_microseconds = twin.cycles() / 16;
    assert!(
        twin_microseconds >= expected_microseconds,
        "{twin_microseconds} < {expected_microseconds}"
    );
    assert!(twin_microseconds < expected_microseconds + expected_microseconds / 100);
}
