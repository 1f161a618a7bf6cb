//! Unit checks of the peripheral models that need no program: CRC vectors from REFERENCE.md §3,
//! the IWDG period, RCC clock arithmetic and the PLL's limits, SysTick counting and the flash
//! controller's unlock sequence and write protection.

use slingshot_twin::core_exceptions::SystemControl;
use slingshot_twin::crc::{crc32_word, CrcUnit};
use slingshot_twin::flash_controller::{control, FlashController, KEY1, KEY2};
use slingshot_twin::iwdg::IndependentWatchdog;
use slingshot_twin::rcc::{Rcc, ResetCause};

#[test]
fn crc_unit_matches_the_reference_vectors() {
    assert_eq!(crc32_word(0xFFFF_FFFF, 0x1234_5678), 0xDF8A_8A2B);
    assert_eq!(crc32_word(0xFFFF_FFFF, 0), 0xC704_DD7B);
    let mut unit = CrcUnit::default();
    unit.write(0, 0x1234_5678);
    assert_eq!(unit.read(0), 0xDF8A_8A2B);
    unit.write(8, 1);
    assert_eq!(unit.read(0), 0xFFFF_FFFF);
}

#[test]
fn watchdog_expires_after_its_period() {
    let mut watchdog = IndependentWatchdog::new();
    watchdog.write(0, 0x5555, 0);
    watchdog.write(4, 3, 0); // divider 32
    watchdog.write(8, 999, 0);
    watchdog.write(0, 0xCCCC, 0);
    // (999 + 1) * 32 / 32 kHz = 1 s.
    assert_eq!(watchdog.expires_ps, Some(1_000_000_000_000));
    watchdog.write(0, 0xAAAA, 500_000_000_000);
    assert_eq!(watchdog.expires_ps, Some(1_500_000_000_000));
}

#[test]
fn pll_at_168_mhz_becomes_the_system_clock_after_locking() {
    let mut rcc = Rcc::new(ResetCause::PowerOn, 0);
    assert_eq!(rcc.system_clock_hz(), 16_000_000);
    // HSE 8 MHz / M 8 * N 336 / P 2 = 168 MHz.
    rcc.write(0x04, (1 << 22) | 8 | (336 << 6), 0);
    rcc.write(0x00, 0x0101_0083, 0);
    rcc.write(0x08, 2 | (0b101 << 10), 0);
    assert_eq!(rcc.system_clock_hz(), 16_000_000, "PLL not locked yet");
    rcc.update(200_000_000);
    assert_eq!(rcc.system_clock_hz(), 168_000_000);
    assert_eq!(rcc.apb1_clock_hz(), 42_000_000);
    assert_ne!(rcc.read(0x74, 0) & (1 << 27), 0, "power-on reset flag");
}

#[test]
fn systick_pends_on_each_wrap() {
    let mut system = SystemControl::new(91);
    system.write(0x014, 99, 0);
    system.write(0x018, 0, 0);
    system.write(0x010, 0b111, 0);
    assert_eq!(system.cycles_to_systick(0), Some(99));
    system.advance_systick(99);
    assert_eq!(system.exception_to_take(false, 0), Some(15));
    assert_eq!(system.exception_to_take(true, 0), None, "PRIMASK masks it");
    system.activate(15);
    system.advance_systick(150);
    assert_eq!(system.read(0x018, 150), Some(49));
}

#[test]
fn nvic_registers_beyond_the_parts_interrupts_read_as_zero() {
    // The F401 implements 85 interrupts (IRQ 0–84): ISER2 holds IRQ 64–84 (21 bits), ISER3 to
    // ISER15 and their priorities read as zero and ignore writes, as on the core.
    let mut system = SystemControl::new(85);
    for word in 0..16 {
        assert!(system.write(0x100 + 4 * word, u32::MAX, 0).is_some());
    }
    assert_eq!(system.read(0x100, 0), Some(u32::MAX));
    assert_eq!(system.read(0x108, 0), Some((1 << 21) - 1));
    for word in 3..16 {
        assert_eq!(system.read(0x100 + 4 * word, 0), Some(0), "ISER{word}");
        assert_eq!(system.read(0x180 + 4 * word, 0), Some(0), "ICER{word}");
        assert_eq!(system.read(0x200 + 4 * word, 0), Some(0), "ISPR{word}");
    }
    system.write(0x400 + 84, 0xFFFF_FFFF, 0);
    assert_eq!(
        system.read(0x400 + 84, 0),
        Some(0xF0),
        "IRQ 84's priority, 85–87 absent"
    );
    system.write(0x400 + 88, 0xFFFF_FFFF, 0);
    assert_eq!(system.read(0x400 + 88, 0), Some(0));
    // The F429's 91: ISER2 has 27 bits.
    let mut system = SystemControl::new(91);
    system.write(0x108, u32::MAX, 0);
    assert_eq!(system.read(0x108, 0), Some((1 << 27) - 1));
}

#[test]
fn wrong_key_locks_the_control_register_until_reset() {
    let mut flash = FlashController::default();
    flash.write(0x04, KEY1, 0);
    flash.write(0x04, 0x1111_1111, 0);
    flash.write(0x04, KEY1, 0);
    flash.write(0x04, KEY2, 0);
    assert_ne!(flash.read(0x10) & control::LOCK, 0);
    flash.reset();
    flash.write(0x04, KEY1, 0);
    flash.write(0x04, KEY2, 0);
    assert_eq!(flash.read(0x10) & control::LOCK, 0);
}

#[test]
fn byte_writes_to_priority_registers_change_one_priority() {
    let mut board = slingshot_twin::board::Board::default();
    // NVIC_IPR for IRQ 39 (USART3) is the byte at 0xE000_E427; SHPR3 byte 3 is SysTick.
    board.private_write(0xE427, 1, 0x50);
    board.private_write(0xE424, 1, 0x20);
    board.private_write(0xED23, 1, 0xF0);
    assert_eq!(board.private_read(0xE424, 4), 0x5000_0020);
    assert_eq!(board.private_read(0xE427, 1), 0x50);
    assert_eq!(board.private_read(0xED20, 4), 0xF000_0000);
    assert!(board.unmodelled.is_empty());
}

#[test]
fn pll_configurations_outside_the_reference_manual_limits_are_diagnosed() {
    // (PLLCFGR, expected violation fragment); the PLL is switched on after each write.
    let cases: [(u32, Option<&str>); 6] = [
        // Slingshot's 168 MHz from the HSI: M 8 (2 MHz), N 168 (336 MHz), P 2, Q 7 (48 MHz).
        (8 | (168 << 6) | (7 << 24) | (1 << 29), None),
        // M 16: 1 MHz VCO input, allowed.
        (16 | (336 << 6) | (7 << 24), None),
        // M 4: 4 MHz VCO input.
        (4 | (84 << 6) | (7 << 24), Some("VCO input 4000000 Hz")),
        // N 40 with a 2 MHz input: an 80 MHz VCO.
        (8 | (40 << 6) | (2 << 24), Some("VCO output 80000000 Hz")),
        // N 216, P 2: 216 MHz out.
        (8 | (216 << 6) | (9 << 24), Some("PLL output 216000000 Hz")),
        // Q 0: the 48 MHz domain undivided.
        (8 | (168 << 6), Some("PLL48CK")),
    ];
    for (configuration, expected) in cases {
        let mut rcc = Rcc::new(ResetCause::PowerOn, 0);
        rcc.write(0x04, configuration, 0);
        rcc.write(0x00, 0x83 | (1 << 24), 0);
        let violations = rcc.pll_limit_violations(168_000_000).join("; ");
        match expected {
            None => assert!(violations.is_empty(), "0x{configuration:08x}: {violations}"),
            Some(fragment) => assert!(
                violations.contains(fragment),
                "0x{configuration:08x}: expected {fragment:?} in {violations:?}"
            ),
        }
    }
    // Written while the PLL is off, nothing is checked yet.
    let mut rcc = Rcc::new(ResetCause::PowerOn, 0);
    rcc.write(0x04, 4 | (84 << 6), 0);
    assert!(rcc.pll_limit_violations(168_000_000).is_empty());
}

#[test]
fn watchdog_updates_are_busy_for_five_lsi_cycles_and_the_lsi_sets_the_period() {
    for lsi_hz in [17_000u64, 32_000, 47_000] {
        let mut watchdog = IndependentWatchdog::with_lsi(lsi_hz);
        watchdog.write(0, 0x5555, 0);
        watchdog.write(4, 6, 0); // divider 256
        watchdog.write(8, 0xFFF, 0);
        let busy_ps = 5 * 1_000_000_000_000 / lsi_hz;
        assert_eq!(
            watchdog.read(0x0C, busy_ps - 1),
            0b11,
            "PVU and RVU busy at {lsi_hz} Hz"
        );
        assert_eq!(
            watchdog.read(0x0C, busy_ps),
            0,
            "PVU and RVU clear at {lsi_hz} Hz"
        );
        watchdog.write(0, 0xCCCC, 0);
        // 4096 × 256 LSI cycles: 61.7 s at 17 kHz, 32.8 s at 32 kHz, 22.3 s at 47 kHz.
        assert_eq!(
            watchdog.expires_ps,
            Some(4096 * 256 * 1_000_000_000_000 / lsi_hz)
        );
    }
}
