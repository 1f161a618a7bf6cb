//! An optional cycle model closer to the Cortex-M4's than one cycle per instruction
//! (`Twin::enable_cycle_model`): extra cycles by instruction class, from the Cortex-M4
//! Technical Reference Manual's instruction timings (ARM DDI 0439, §3.3), and a pipeline refill
//! for every change of flow.
//!
//! | instruction | cycles | extra over 1 |
//! |---|---|---|
//! | load (`LDR`, `LDRB`, `LDRH`, `LDRSB`, `LDRSH`, literal, register, immediate) | 2 | 1 |
//! | `LDRD` / `STRD` | 3 | 2 |
//! | `LDM`, `STM`, `PUSH`, `POP` of N registers | 1 + N | N |
//! | `SDIV`, `UDIV` | 2–12 | 6 |
//! | taken branch, or any other change of flow (exception entry and return) | 2–4 | 2 |
//! | everything else (ALU, stores, `MUL`, `UMULL`, `UMLAL`, …) | 1 | 0 |
//!
//! Not modelled: back-to-back loads that pipeline to one cycle each, the store buffer, flash
//! wait states the ART accelerator misses, the FPU. Events (UART frames, flash operations) are
//! scheduled assuming one cycle per instruction, so with this model on they may be noticed up
//! to one run chunk late: it is for measurements, not for the power-cut and timing tests.

/// Extra cycles (beyond one) the instruction starting with halfwords `first`, `second` takes.
pub fn extra_cycles(first: u16, second: u16) -> u32 {
    if is_wide(first) {
        extra_cycles_wide(first, second)
    } else {
        extra_cycles_narrow(first)
    }
}

/// Whether a Thumb instruction whose first halfword is `first` is 32 bits wide.
pub fn is_wide(first: u16) -> bool {
    matches!(first >> 11, 0b11101..=0b11111)
}

fn extra_cycles_narrow(instruction: u16) -> u32 {
    let registers = |mask: u16| (instruction & mask).count_ones();
    match instruction >> 12 {
        // LDR (literal).
        0b0100 if instruction & 0x0800 != 0 => 1,
        // Load/store register offset: loads have bit 11 set, or opB = 011 (LDRSB).
        0b0101 => u32::from(instruction & 0x0800 != 0 || (instruction >> 9) & 0b111 == 0b011),
        // LDR/STR (immediate, word and byte), LDRH/STRH (immediate), SP-relative: L = bit 11.
        0b0110..=0b1001 => u32::from(instruction & 0x0800 != 0),
        // PUSH (bit 8: LR) and POP (bit 8: PC).
        0b1011 if instruction & 0x0600 == 0x0400 => registers(0x01FF),
        // LDM/STM (T1).
        0b1100 => registers(0x00FF),
        _ => 0,
    }
}

fn extra_cycles_wide(first: u16, second: u16) -> u32 {
    // LDM/STM (T2): 1110 100x x0W? with register list in the second halfword.
    if first & 0xFE40 == 0xE800 && first & 0x0180 != 0 && first & 0x0180 != 0x0180 {
        return second.count_ones();
    }
    // LDRD/STRD (immediate): 1110 100P U1W? (P, bit 8, outside the mask).
    if first & 0xFE40 == 0xE840 {
        return 2;
    }
    // Load/store single (T3/T4): 1111 100x; loads have bit 4 set.
    if first & 0xFE00 == 0xF800 {
        return u32::from(first & 0x0010 != 0);
    }
    // SDIV (0xFB9x) and UDIV (0xFBBx).
    if first & 0xFFF0 == 0xFB90 || first & 0xFFF0 == 0xFBB0 {
        return 6;
    }
    0
}

/// Cycles a change of flow costs beyond the instruction's own (pipeline refill).
pub const REFILL_CYCLES: u32 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_classes_cost_their_extra_cycles() {
        assert_eq!(extra_cycles(0x4800, 0), 1, "ldr r0, [pc, #0]");
        assert_eq!(extra_cycles(0x6808, 0), 1, "ldr r0, [r1]");
        assert_eq!(extra_cycles(0x6008, 0), 0, "str r0, [r1]");
        assert_eq!(extra_cycles(0x5c08, 0), 1, "ldrb r0, [r1, r0]");
        assert_eq!(extra_cycles(0xb5f0, 0), 5, "push r4-r7, lr");
        assert_eq!(extra_cycles(0xbdf0, 0), 5, "pop r4-r7, pc");
        assert_eq!(extra_cycles(0xc90f, 0), 4, "ldmia r1!, r0-r3");
        assert_eq!(extra_cycles(0xe8bd, 0x4ff0), 9, "pop.w r4-r11, lr");
        assert_eq!(extra_cycles(0xe9d0, 0x2300), 2, "ldrd r2, r3, [r0]");
        assert_eq!(extra_cycles(0xf8d0, 0x1004), 1, "ldr.w r1, [r0, #4]");
        assert_eq!(extra_cycles(0xf8c0, 0x1004), 0, "str.w r1, [r0, #4]");
        assert_eq!(extra_cycles(0xfbb0, 0xf0f1), 6, "udiv r0, r0, r1");
        assert_eq!(extra_cycles(0xfba0, 0x0101), 0, "umull r0, r1, r0, r1");
        assert_eq!(extra_cycles(0x1840, 0), 0, "adds r0, r0, r1");
        assert!(is_wide(0xf8d0) && !is_wide(0x4800));
    }
}
