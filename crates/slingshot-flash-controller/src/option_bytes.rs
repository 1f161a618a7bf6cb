//! The user option bytes of the STM32F42x/F43x (RM0090 §3.7.1, FLASH_OPTCR and FLASH_OPTCR1):
//! decoding them (brown-out reset level, read protection, write protection, watchdog mode) and
//! planning the changes `slingshot protect` asks the bootloader for. The firmware only writes
//! the planned values (`firmware/stm32/src/option_bytes.rs`).
//!
//! The plan never lowers read protection (going from level 1 to level 0 mass-erases the whole
//! flash, the bootloader included), sets level 2 only with an explicit confirmation (it is
//! permanent: the debug port and the option bytes are locked for ever), never removes a write
//! protection, and leaves every bit it was not asked to change as it is (the hardware
//! watchdog option, the reset-on-stop/standby bits, the dual-bank bits).

/// The two keys written in turn to FLASH_OPTKEYR to unlock FLASH_OPTCR (RM0090 §3.7.2).
pub const OPTION_KEYS: [u32; 2] = [0x0819_2A3B, 0x4C5D_6E7F];

/// FLASH_OPTCR bits.
pub mod option_control {
    /// OPTLOCK: the register is locked (set at reset; the keys clear it).
    pub const LOCK: u32 = 1 << 0;
    /// OPTSTRT: program the option bytes from OPTCR and OPTCR1.
    pub const START: u32 = 1 << 1;
    /// BOR_LEV, bits 3:2.
    pub const BROWN_OUT_SHIFT: u32 = 2;
    /// WDG_SW: 1 = software watchdog, 0 = the IWDG runs from reset.
    pub const SOFTWARE_WATCHDOG: u32 = 1 << 5;
    /// RDP, bits 15:8.
    pub const READ_PROTECTION_SHIFT: u32 = 8;
    /// nWRP, bits 27:16: bit `16 + i` cleared write-protects sector `i` (0–11; OPTCR1 holds
    /// sectors 12–23 at the same bits).
    pub const WRITE_PROTECTION_SHIFT: u32 = 16;
    /// SPRMOD: with it set, the nWRP bits select proprietary-code read protection (PCROP)
    /// instead of write protection.
    pub const PROPRIETARY_CODE_MODE: u32 = 1 << 31;
    /// The bits OPTCR programs (everything but OPTLOCK, OPTSTRT and the reserved 29:28).
    pub const PROGRAMMABLE: u32 = 0xCFFF_FFFC;
}

/// RDP byte of level 0 (no protection).
const READ_PROTECTION_LEVEL_0: u8 = 0xAA;
/// RDP byte of level 2 (permanent); every other value is level 1.
const READ_PROTECTION_LEVEL_2: u8 = 0xCC;
/// The RDP byte written for level 1 (any value but 0xAA and 0xCC; ST's HAL uses 0x55).
const READ_PROTECTION_LEVEL_1: u8 = 0x55;

/// The brown-out reset threshold (BOR_LEV, DS9405 §6.3.5 table 21: falling edge, typical).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BrownOutLevel {
    /// BOR_LEV 11 (factory value): only the power-on/power-down reset, about 1.8 V.
    Off,
    /// BOR_LEV 10: level 1, about 2.2 V.
    Level1,
    /// BOR_LEV 01: level 2, about 2.5 V.
    Level2,
    /// BOR_LEV 00: level 3, about 2.8 V: the supply x32 programming needs (2.7–3.6 V).
    Level3,
}

impl BrownOutLevel {
    const fn from_bits(bits: u32) -> Self {
        match bits & 0b11 {
            0b11 => Self::Off,
            0b10 => Self::Level1,
            0b01 => Self::Level2,
            _ => Self::Level3,
        }
    }

    const fn bits(self) -> u32 {
        match self {
            Self::Off => 0b11,
            Self::Level1 => 0b10,
            Self::Level2 => 0b01,
            Self::Level3 => 0b00,
        }
    }

    /// Typical falling threshold in millivolts (None when only the power-down reset acts).
    pub const fn threshold_millivolts(self) -> Option<u32> {
        match self {
            Self::Off => None,
            Self::Level1 => Some(2_190),
            Self::Level2 => Some(2_500),
            Self::Level3 => Some(2_830),
        }
    }
}

/// The read-out protection level (RDP, RM0090 §3.7.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadProtection {
    /// Level 0: no protection (RDP 0xAA).
    Level0,
    /// Level 1: flash unreadable by the debugger; going back to level 0 mass-erases flash.
    Level1,
    /// Level 2 (RDP 0xCC): debug disabled and the option bytes frozen, for ever.
    Level2,
}

/// FLASH_OPTCR and FLASH_OPTCR1 as the chip loaded them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OptionBytes {
    /// FLASH_OPTCR (OPTLOCK and OPTSTRT are not part of the value).
    pub control: u32,
    /// FLASH_OPTCR1 (nWRP of sectors 12–23 in bits 27:16).
    pub control1: u32,
}

impl OptionBytes {
    /// The factory values (RM0090 §3.9.10: OPTCR 0x0FFF_AAED without OPTLOCK, OPTCR1
    /// 0x0FFF_0000): brown-out reset off, level 0, no write protection, software watchdog.
    pub const FACTORY: Self = Self {
        control: 0x0FFF_AAEC,
        control1: 0x0FFF_0000,
    };

    /// The values read from the registers (OPTLOCK and OPTSTRT dropped).
    pub const fn from_registers(control: u32, control1: u32) -> Self {
        Self {
            control: control & option_control::PROGRAMMABLE,
            control1: control1 & 0x0FFF_0000,
        }
    }

    /// The brown-out reset level.
    pub const fn brown_out_level(&self) -> BrownOutLevel {
        BrownOutLevel::from_bits(self.control >> option_control::BROWN_OUT_SHIFT)
    }

    /// The read-out protection level.
    pub const fn read_protection(&self) -> ReadProtection {
        match (self.control >> option_control::READ_PROTECTION_SHIFT) as u8 {
            READ_PROTECTION_LEVEL_0 => ReadProtection::Level0,
            READ_PROTECTION_LEVEL_2 => ReadProtection::Level2,
            _ => ReadProtection::Level1,
        }
    }

    /// Whether the independent watchdog runs from reset (WDG_SW = 0, the hardware option).
    pub const fn hardware_watchdog(&self) -> bool {
        self.control & option_control::SOFTWARE_WATCHDOG == 0
    }

    /// Whether nWRP selects proprietary-code protection instead of write protection.
    pub const fn proprietary_code_mode(&self) -> bool {
        self.control & option_control::PROPRIETARY_CODE_MODE != 0
    }

    /// Whether sector `number` (0–23) is write-protected.
    pub const fn write_protected(&self, number: u8) -> bool {
        if self.proprietary_code_mode() || number > 23 {
            return false;
        }
        let (register, index) = if number < 12 {
            (self.control, number)
        } else {
            (self.control1, number - 12)
        };
        register & (1 << (option_control::WRITE_PROTECTION_SHIFT + index as u32)) == 0
    }
}

/// What `slingshot protect` asks for; `None`/`false` keeps the current setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProtectionRequest {
    /// The brown-out reset level to set.
    pub brown_out: Option<BrownOutLevel>,
    /// Write-protect the bootloader's sectors.
    pub protect_bootloader: bool,
    /// The read protection to set (level 1 or 2; level 0 is refused).
    pub read_protection: Option<ReadProtection>,
    /// The confirmation level 2 needs ([`PERMANENT_CONFIRMATION`]).
    pub confirmation: u32,
}

/// The value a request for read protection level 2 must carry: "PERM" in ASCII, little-endian.
pub const PERMANENT_CONFIRMATION: u32 = u32::from_le_bytes(*b"PERM");

/// Why a protection request is refused; every refusal leaves the option bytes alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtectionRefusal {
    /// Level 0 was asked for while the chip is at level 1: that mass-erases the whole flash,
    /// the bootloader included (only a debugger should do it).
    LoweringReadProtection,
    /// Level 2 was asked for without [`PERMANENT_CONFIRMATION`].
    PermanentNotConfirmed,
    /// The chip is at level 2: its option bytes can never change again.
    OptionBytesFrozen,
    /// SPRMOD is set: the nWRP bits mean proprietary-code protection, not write protection.
    ProprietaryCodeMode,
}

impl ProtectionRefusal {
    /// Stable number (the protocol's refusal detail).
    pub const fn code(self) -> u32 {
        match self {
            Self::LoweringReadProtection => 1,
            Self::PermanentNotConfirmed => 2,
            Self::OptionBytesFrozen => 3,
            Self::ProprietaryCodeMode => 4,
        }
    }

    /// The refusal for a stable number.
    pub const fn from_code(code: u32) -> Option<Self> {
        match code {
            1 => Some(Self::LoweringReadProtection),
            2 => Some(Self::PermanentNotConfirmed),
            3 => Some(Self::OptionBytesFrozen),
            4 => Some(Self::ProprietaryCodeMode),
            _ => None,
        }
    }

    /// What went wrong, for the host's message.
    pub const fn message(self) -> &'static str {
        match self {
            Self::LoweringReadProtection => {
                "lowering read protection to level 0 mass-erases the whole flash, the bootloader included: use a debugger (STM32CubeProgrammer) for that"
            }
            Self::PermanentNotConfirmed => {
                "read protection level 2 is permanent (no debugger, option bytes frozen for ever) and was not confirmed"
            }
            Self::OptionBytesFrozen => {
                "the chip is at read protection level 2: its option bytes can never change"
            }
            Self::ProprietaryCodeMode => {
                "SPRMOD is set: the nWRP bits select proprietary-code protection, not write protection"
            }
        }
    }
}

/// The option bytes after `request`, given the `current` ones and the bootloader's sectors
/// (`bootloader_sectors`, numbers 0–23). Returns `current` unchanged when nothing changes.
pub fn plan_protection(
    current: OptionBytes,
    request: &ProtectionRequest,
    bootloader_sectors: core::ops::Range<u8>,
) -> Result<OptionBytes, ProtectionRefusal> {
    if current.read_protection() == ReadProtection::Level2 {
        return Err(ProtectionRefusal::OptionBytesFrozen);
    }
    let mut planned = current;
    if let Some(level) = request.brown_out {
        let shift = option_control::BROWN_OUT_SHIFT;
        planned.control = (planned.control & !(0b11 << shift)) | (level.bits() << shift);
    }
    if request.protect_bootloader {
        if current.proprietary_code_mode() {
            return Err(ProtectionRefusal::ProprietaryCodeMode);
        }
        for number in bootloader_sectors {
            let (register, index) = if number < 12 {
                (&mut planned.control, number)
            } else {
                (&mut planned.control1, number - 12)
            };
            *register &= !(1 << (option_control::WRITE_PROTECTION_SHIFT + u32::from(index)));
        }
    }
    let read_protection_byte = match (request.read_protection, current.read_protection()) {
        (None, _) | (Some(ReadProtection::Level1), ReadProtection::Level1) => None,
        (Some(ReadProtection::Level0), ReadProtection::Level0) => None,
        (Some(ReadProtection::Level0), _) => return Err(ProtectionRefusal::LoweringReadProtection),
        (Some(ReadProtection::Level1), _) => Some(READ_PROTECTION_LEVEL_1),
        (Some(ReadProtection::Level2), _) => {
            if request.confirmation != PERMANENT_CONFIRMATION {
                return Err(ProtectionRefusal::PermanentNotConfirmed);
            }
            Some(READ_PROTECTION_LEVEL_2)
        }
    };
    if let Some(byte) = read_protection_byte {
        let shift = option_control::READ_PROTECTION_SHIFT;
        planned.control = (planned.control & !(0xFF << shift)) | (u32::from(byte) << shift);
    }
    Ok(planned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOTLOADER: core::ops::Range<u8> = 0..2;

    #[test]
    fn the_factory_values_decode_as_rm0090_describes_them() {
        let factory = OptionBytes::from_registers(0x0FFF_AAED, 0x0FFF_0000);
        assert_eq!(factory, OptionBytes::FACTORY);
        assert_eq!(factory.brown_out_level(), BrownOutLevel::Off);
        assert_eq!(factory.read_protection(), ReadProtection::Level0);
        assert!(!factory.hardware_watchdog());
        assert!((0..24).all(|sector| !factory.write_protected(sector)));
    }

    #[test]
    fn protect_sets_the_brown_out_level_and_clears_only_the_bootloaders_nwrp_bits() {
        let request = ProtectionRequest {
            brown_out: Some(BrownOutLevel::Level3),
            protect_bootloader: true,
            ..ProtectionRequest::default()
        };
        let planned = plan_protection(OptionBytes::FACTORY, &request, BOOTLOADER).unwrap();
        assert_eq!(planned.control, 0x0FFC_AAE0);
        assert_eq!(planned.control1, 0x0FFF_0000);
        assert_eq!(planned.brown_out_level(), BrownOutLevel::Level3);
        assert!(planned.write_protected(0) && planned.write_protected(1));
        assert!((2..24).all(|sector| !planned.write_protected(sector)));
        assert_eq!(planned.read_protection(), ReadProtection::Level0);
        // Planning again changes nothing.
        assert_eq!(plan_protection(planned, &request, BOOTLOADER), Ok(planned));
    }

    #[test]
    fn other_bits_survive_a_plan() {
        // Hardware watchdog (WDG_SW = 0) and nRST_STOP = 0, sector 12 already protected.
        let current = OptionBytes::from_registers(0x0FFF_AA8D, 0x0FFE_0000);
        let request = ProtectionRequest {
            brown_out: Some(BrownOutLevel::Level2),
            ..ProtectionRequest::default()
        };
        let planned = plan_protection(current, &request, BOOTLOADER).unwrap();
        assert!(planned.hardware_watchdog());
        assert_eq!(planned.control & (1 << 6), 0, "nRST_STOP kept");
        assert!(planned.write_protected(12));
        assert_eq!(
            planned.control & !(0b11 << 2),
            current.control & !(0b11 << 2)
        );
    }

    #[test]
    fn read_protection_rises_only_and_level_2_needs_the_confirmation() {
        let level1 = ProtectionRequest {
            read_protection: Some(ReadProtection::Level1),
            ..ProtectionRequest::default()
        };
        let planned = plan_protection(OptionBytes::FACTORY, &level1, BOOTLOADER).unwrap();
        assert_eq!(planned.read_protection(), ReadProtection::Level1);
        assert_eq!((planned.control >> 8) as u8, 0x55);
        let level0 = ProtectionRequest {
            read_protection: Some(ReadProtection::Level0),
            ..ProtectionRequest::default()
        };
        assert_eq!(
            plan_protection(planned, &level0, BOOTLOADER),
            Err(ProtectionRefusal::LoweringReadProtection)
        );
        let mut level2 = ProtectionRequest {
            read_protection: Some(ReadProtection::Level2),
            ..ProtectionRequest::default()
        };
        assert_eq!(
            plan_protection(planned, &level2, BOOTLOADER),
            Err(ProtectionRefusal::PermanentNotConfirmed)
        );
        level2.confirmation = PERMANENT_CONFIRMATION;
        let permanent = plan_protection(planned, &level2, BOOTLOADER).unwrap();
        assert_eq!(permanent.read_protection(), ReadProtection::Level2);
        assert_eq!(
            plan_protection(permanent, &ProtectionRequest::default(), BOOTLOADER),
            Err(ProtectionRefusal::OptionBytesFrozen)
        );
    }

    #[test]
    fn write_protection_is_refused_in_proprietary_code_mode() {
        let current = OptionBytes::from_registers(0x8FFF_AAED, 0x0FFF_0000);
        let request = ProtectionRequest {
            protect_bootloader: true,
            ..ProtectionRequest::default()
        };
        assert_eq!(
            plan_protection(current, &request, BOOTLOADER),
            Err(ProtectionRefusal::ProprietaryCodeMode)
        );
        for code in 1..=4 {
            let refusal = ProtectionRefusal::from_code(code).unwrap();
            assert_eq!(refusal.code(), code);
            assert!(!refusal.message().is_empty());
        }
        assert_eq!(ProtectionRefusal::from_code(5), None);
    }
}
