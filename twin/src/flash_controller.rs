//! The embedded flash interface of the STM32F429 (RM0090 §3.5–3.9, base 0x4002_3C00).
//!
//! A pure model (no emulator inside): it owns the flash content, the registers and the option
//! bytes, and is driven by the board with register accesses, CPU stores to flash and the
//! passage of modelled time. Programming only clears bits; erase sets whole sectors to 0xFF;
//! both take the datasheet's typical time with `SR.BSY` set meanwhile.

use slingshot_layout::FlashGeometry;

use crate::art_cache::ArtDataCache;
pub use crate::flash_registers::*;
use crate::flash_timing::{erase_time_ps, mass_erase_time_ps, PROGRAM_TIME_PS};

/// What the controller is doing for the modelled time it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperationKind {
    /// Programming `length` bytes of `value` (little-endian) at a flash offset.
    Program {
        /// Offset from the start of flash.
        offset: u32,
        /// The bytes to program (only bits going from 1 to 0 take effect).
        value: u64,
        /// How many bytes: 1, 2 or 4.
        length: u32,
    },
    /// Erasing the listed sectors (one for SER, a bank or two for MER/MER1).
    Erase {
        /// Sector numbers (0–23) being erased.
        sectors: Vec<u8>,
    },
    /// Writing the option bytes from `FLASH_OPTCR`/`FLASH_OPTCR1`.
    OptionBytes,
}

/// An operation in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// What is being done.
    pub kind: OperationKind,
    /// Modelled time (picoseconds) the operation started.
    pub started_ps: u64,
    /// Modelled time (picoseconds) it completes.
    pub completes_ps: u64,
    /// 1-based index of this operation since power-on (counts programs, erases, option writes).
    pub index: u64,
}

/// A region of flash whose content changed (offset from the flash base, length in bytes).
pub type DirtyRange = (u32, u32);

/// The flash interface: content, registers and option bytes.
#[derive(Clone, Debug)]
pub struct FlashController {
    /// The part's flash geometry (sector map, SNB numbering, banks).
    pub geometry: FlashGeometry,
    /// The flash content (the part's size), offset 0 = 0x0800_0000.
    pub content: Vec<u8>,
    access_control: u32,
    status: u32,
    control: u32,
    key_step: u8,
    option_key_step: u8,
    /// Set by a wrong KEYR sequence: CR stays locked until the next reset (RM0090 §3.5.1).
    key_sequence_blocked: bool,
    option_control: u32,
    option_control1: u32,
    /// The programmed option bytes (survive power cycles), as OPTCR / OPTCR1 values.
    pub option_bytes: (u32, u32),
    /// The operation in progress, if any.
    pub operation: Option<Operation>,
    /// Flash operations started since power-on.
    pub operations_started: u64,
    /// Messages about sequences the real chip would reject (for the twin's log).
    pub diagnostics: Vec<String>,
    /// The ART accelerator's data cache and the lines a program or erase left stale in it.
    pub data_cache: ArtDataCache,
    /// A FLASH_ACR write changed what data reads of flash return (the board redoes its
    /// translations).
    data_view_changed: bool,
    /// A register write the bus refused (a wrong unlock sequence): the board raises a bus
    /// fault.
    bus_error: bool,
}

impl FlashController {
    /// A controller of `geometry` (the part's sector map) with erased flash and factory option
    /// bytes, as after power-on.
    pub fn new(geometry: FlashGeometry) -> Self {
        let mut controller = Self {
            geometry,
            content: vec![geometry.erased_value; geometry.size as usize],
            access_control: 0,
            status: 0,
            control: control::LOCK,
            key_step: 0,
            option_key_step: 0,
            key_sequence_blocked: false,
            option_control: OPTCR_RESET,
            option_control1: OPTCR1_RESET,
            option_bytes: (OPTCR_RESET, OPTCR1_RESET),
            operation: None,
            operations_started: 0,
            diagnostics: Vec::new(),
            data_cache: ArtDataCache::default(),
            data_view_changed: false,
            bus_error: false,
        };
        controller.reset();
        controller
    }

    /// System reset: registers back to reset values, option registers reloaded from the option
    /// bytes. Flash content and an operation in progress are the caller's business (a reset
    /// during an operation is treated as a power cut by the board).
    pub fn reset(&mut self) {
        self.access_control = 0;
        self.status = 0;
        self.control = control::LOCK;
        self.key_step = 0;
        self.option_key_step = 0;
        self.key_sequence_blocked = false;
        self.option_control = (self.option_bytes.0 & !0b11) | 1;
        self.option_control1 = self.option_bytes.1;
        self.operation = None;
        self.data_cache.reset();
        self.data_view_changed = true;
    }

    /// Whether the last register write was refused with a bus error (then cleared).
    pub fn take_bus_error(&mut self) -> bool {
        std::mem::take(&mut self.bus_error)
    }

    /// Whether a FLASH_ACR write or a reset changed what data reads of flash return since the
    /// last call.
    pub fn take_data_view_change(&mut self) -> bool {
        std::mem::take(&mut self.data_view_changed)
    }

    /// `FLASH_ACR` (latency and ART accelerator bits).
    pub fn access_control(&self) -> u32 {
        self.access_control
    }

    /// Whether sector `number` is write-protected by the option bytes (nWRP bit = 0, SPRMOD 0).
    pub fn is_write_protected(&self, number: u8) -> bool {
        let (register, bit) = if number < 12 {
            (self.option_bytes.0, 16 + number as u32)
        } else {
            (self.option_bytes.1, 16 + (number as u32 - 12))
        };
        register & (1 << 31) == 0 && register & (1 << bit) == 0
    }

    fn parallelism(&self) -> u32 {
        (self.control >> 8) & 0b11
    }

    fn raise(&mut self, error: u32, why: String) {
        self.status |= error;
        if self.control & control::ERRIE != 0 {
            self.status |= status::OPERR;
        }
        self.diagnostics.push(why);
    }

    fn stale_sequence_error(&self) -> bool {
        self.status & (status::PGAERR | status::PGPERR | status::PGSERR | status::WRPERR) != 0
    }

    /// Read a register at `offset` from 0x4002_3C00.
    pub fn read(&self, offset: u32) -> u32 {
        match offset {
            0x00 => self.access_control,
            0x0C => {
                self.status
                    | if self.operation.is_some() {
                        status::BSY
                    } else {
                        0
                    }
            }
            0x10 => self.control,
            0x14 => self.option_control,
            0x18 => self.option_control1,
            _ => 0,
        }
    }

    /// Whether the register offset exists.
    pub fn has_register(offset: u32) -> bool {
        matches!(offset, 0x00..=0x18)
    }

    /// Write a register. Returns `true` when an operation was started (the board then checks
    /// its power-cut plan and schedules the completion).
    pub fn write(&mut self, offset: u32, value: u32, now_ps: u64) -> bool {
        match offset {
            0x00 => {
                self.access_control = value & 0x1F0F;
                self.data_view_changed |= self.data_cache.access_control_written(value);
            }
            0x04 => self.write_key(value),
            0x08 => self.write_option_key(value),
            0x0C => self.status &= !(value & status::CLEARABLE),
            0x10 => return self.write_control(value, now_ps),
            0x14 => return self.write_option_control(value, now_ps),
            0x18 if self.option_control & 1 == 0 => self.option_control1 = value & 0x0FFF_0000,
            _ => {}
        }
        false
    }

    /// RM0090 §3.5.1: "An incorrect sequence [of KEYR writes] will return a bus error and
    /// lock up the FLASH_CR register until the next reset"; a key written while CR is already
    /// unlocked is such a sequence too.
    fn write_key(&mut self, value: u32) {
        if self.key_sequence_blocked || self.control & control::LOCK == 0 {
            self.key_sequence_blocked = true;
            self.bus_error = true;
            self.diagnostics.push(format!(
                "FLASH_KEYR written with 0x{value:08x} while not expecting a key: bus error, CR locked until reset"
            ));
            return;
        }
        match (self.key_step, value) {
            (0, KEY1) => self.key_step = 1,
            (1, KEY2) => {
                self.key_step = 0;
                self.control &= !control::LOCK;
            }
            _ => {
                self.key_sequence_blocked = true;
                self.bus_error = true;
                self.diagnostics.push(format!(
                    "wrong FLASH_KEYR sequence (0x{value:08x}): bus error, CR locked until reset"
                ));
            }
        }
    }

    fn write_option_key(&mut self, value: u32) {
        match (self.option_key_step, value) {
            (0, OPTION_KEY1) => self.option_key_step = 1,
            (1, OPTION_KEY2) => {
                self.option_key_step = 0;
                self.option_control &= !1;
            }
            _ => {
                self.option_key_step = 0;
                self.diagnostics
                    .push(format!("wrong FLASH_OPTKEYR sequence (0x{value:08x})"));
            }
        }
    }

    fn write_control(&mut self, value: u32, now_ps: u64) -> bool {
        if self.control & control::LOCK != 0 {
            self.diagnostics.push(format!(
                "FLASH_CR written with 0x{value:08x} while locked: ignored"
            ));
            return false;
        }
        if self.operation.is_some() {
            self.diagnostics.push(format!(
                "FLASH_CR written with 0x{value:08x} while BSY: ignored"
            ));
            return false;
        }
        self.control = (self.control & !control::WRITABLE) | (value & control::WRITABLE);
        if value & control::LOCK != 0 {
            self.control |= control::LOCK;
        }
        if value & control::STRT == 0 {
            return false;
        }
        self.start_erase(now_ps)
    }

    fn start_erase(&mut self, now_ps: u64) -> bool {
        let mode = self.control & (control::PG | control::SER | control::MER | control::MER1);
        if self.stale_sequence_error() {
            self.raise(
                status::PGSERR,
                "erase started with stale error flags in FLASH_SR".into(),
            );
            return false;
        }
        let parallelism = self.parallelism();
        let (numbers, duration): (Vec<u8>, u64) = if mode == control::SER {
            let snb = ((self.control >> 3) & 0x1F) as u8;
            let Some(sector) = self
                .geometry
                .sectors
                .iter()
                .find(|sector| sector.control_register_number == snb)
                .copied()
            else {
                self.raise(status::PGSERR, format!("SNB {snb} names no sector"));
                return false;
            };
            let number = sector.number;
            (vec![number], erase_time_ps(sector.size, parallelism))
        } else if mode & control::PG == 0 && mode & control::SER == 0 && mode != 0 {
            // MER erases bank 1 (all of a single-bank part's flash), MER1 bank 2.
            let mut numbers = Vec::new();
            let bank_size = self.geometry.bank_size.unwrap_or(self.geometry.size);
            for sector in self.geometry.sectors {
                let in_bank_two = sector.start - self.geometry.base >= bank_size;
                if (mode & control::MER != 0 && !in_bank_two)
                    || (mode & control::MER1 != 0 && in_bank_two)
                {
                    numbers.push(sector.number);
                }
            }
            (numbers, mass_erase_time_ps(parallelism))
        } else {
            self.raise(
                status::PGSERR,
                format!("STRT with FLASH_CR mode bits 0x{mode:08x}"),
            );
            return false;
        };
        if let Some(protected) = numbers
            .iter()
            .find(|number| self.is_write_protected(**number))
        {
            self.raise(
                status::WRPERR,
                format!("erase of write-protected sector {protected}"),
            );
            return false;
        }
        self.begin(OperationKind::Erase { sectors: numbers }, now_ps, duration);
        true
    }

    fn write_option_control(&mut self, value: u32, now_ps: u64) -> bool {
        if self.option_control & 1 != 0 {
            if value & 1 == 0 {
                self.diagnostics
                    .push("FLASH_OPTCR written while OPTLOCK is set: ignored".into());
            }
            return false;
        }
        self.option_control = value & !0b10;
        if value & 0b10 != 0 && self.operation.is_none() {
            let duration = erase_time_ps(0x4000, self.parallelism());
            self.begin(OperationKind::OptionBytes, now_ps, duration);
            return true;
        }
        false
    }

    fn begin(&mut self, kind: OperationKind, now_ps: u64, duration: u64) {
        self.operations_started += 1;
        self.operation = Some(Operation {
            kind,
            started_ps: now_ps,
            completes_ps: now_ps + duration,
            index: self.operations_started,
        });
    }

    /// A CPU store of `size` bytes at flash `offset`. Returns `true` when a program operation
    /// was started. The caller completes a busy operation first (the bus stalls on hardware).
    pub fn store(&mut self, offset: u32, size: u32, value: u64, now_ps: u64) -> bool {
        let address = self.geometry.base + offset;
        let mode = self.control & (control::PG | control::SER | control::MER | control::MER1);
        if mode != control::PG || self.control & control::LOCK != 0 {
            self.raise(
                status::PGSERR,
                format!(
                    "store of {size} bytes to flash at 0x{address:08x} outside a program operation"
                ),
            );
            return false;
        }
        if self.stale_sequence_error() {
            self.raise(
                status::PGSERR,
                "program started with stale error flags in FLASH_SR".into(),
            );
            return false;
        }
        let expected = 1 << self.parallelism();
        // Alignment is judged against the programming unit PSIZE selects. The Cortex-M4 splits
        // an unaligned store into aligned byte/halfword transfers, so the first one lands here.
        if (offset % 16) + size > 16 || offset % expected != 0 {
            self.raise(
                status::PGAERR,
                format!("misaligned {size}-byte program at 0x{address:08x}"),
            );
            return false;
        }
        if size != expected {
            self.raise(
                status::PGPERR,
                format!("{size}-byte program at 0x{address:08x} with PSIZE for {expected} bytes"),
            );
            return false;
        }
        let sector = self.geometry.sector_at(address).map(|sector| sector.number);
        if let Some(number) = sector.filter(|number| self.is_write_protected(*number)) {
            self.raise(
                status::WRPERR,
                format!("program of write-protected sector {number}"),
            );
            return false;
        }
        self.begin(
            OperationKind::Program {
                offset,
                value,
                length: size,
            },
            now_ps,
            PROGRAM_TIME_PS,
        );
        true
    }

    /// Complete the operation in progress (its time has come). Returns the changed range.
    pub fn complete(&mut self) -> Option<DirtyRange> {
        let operation = self.operation.take()?;
        let program_or_erase = !matches!(operation.kind, OperationKind::OptionBytes);
        if program_or_erase && self.control & control::EOPIE != 0 {
            self.status |= status::EOP;
        }
        match operation.kind {
            OperationKind::Program {
                offset,
                value,
                length,
            } => {
                self.data_cache.before_change(&self.content, offset, length);
                for index in 0..length {
                    self.content[(offset + index) as usize] &= (value >> (8 * index)) as u8;
                }
                Some((offset, length))
            }
            OperationKind::Erase { sectors: numbers } => {
                let range = self.erase_range(&numbers);
                self.data_cache
                    .before_change(&self.content, range.0, range.1);
                self.content[range.0 as usize..(range.0 + range.1) as usize].fill(0xFF);
                Some(range)
            }
            OperationKind::OptionBytes => {
                self.option_bytes = (self.option_control & 0xCFFF_FFFC, self.option_control1);
                if (self.option_bytes.0 >> 8) as u8 == 0xCC {
                    // RM0090 §3.7.3: level 2 is irreversible on the chip.
                    self.diagnostics.push(
                        "option bytes programmed with read protection level 2 (RDP 0xCC): \
                         permanent on the chip (no debug, option bytes frozen)"
                            .into(),
                    );
                }
                None
            }
        }
    }

    fn erase_range(&self, numbers: &[u8]) -> DirtyRange {
        let first = self.geometry.sectors[numbers[0] as usize];
        let last = self.geometry.sectors[*numbers.last().unwrap_or(&numbers[0]) as usize];
        let base = self.geometry.base;
        (first.start - base, last.start + last.size - first.start)
    }

    /// Apply a torn version of the operation in progress (power lost at `fraction` of its
    /// duration, 0.0–1.0), with `random` supplying arbitrary bits. Returns the changed range.
    pub fn tear(&mut self, fraction: f64, random: &mut dyn FnMut() -> u64) -> Option<DirtyRange> {
        let operation = self.operation.take()?;
        match operation.kind {
            OperationKind::Program {
                offset,
                value,
                length,
            } => {
                for index in 0..length {
                    let cell = &mut self.content[(offset + index) as usize];
                    let clearing = *cell & !((value >> (8 * index)) as u8);
                    *cell &= !(clearing & random() as u8);
                }
                Some((offset, length))
            }
            OperationKind::Erase { sectors: numbers } => {
                let range = self.erase_range(&numbers);
                let erased_bytes = (range.1 as f64 * fraction) as u32;
                for position in range.0..range.0 + range.1 {
                    let cell = &mut self.content[position as usize];
                    if position - range.0 < erased_bytes {
                        *cell = 0xFF;
                    } else {
                        *cell |= random() as u8;
                    }
                }
                Some(range)
            }
            OperationKind::OptionBytes => None,
        }
    }

    /// Whether an interrupt request is active (EOP with EOPIE, or OPERR with ERRIE).
    pub fn interrupt_requested(&self) -> bool {
        (self.status & status::EOP != 0 && self.control & control::EOPIE != 0)
            || (self.status & status::OPERR != 0 && self.control & control::ERRIE != 0)
    }
}

impl Default for FlashController {
    /// The Nucleo-F429ZI's flash (the default board).
    fn default() -> Self {
        Self::new(slingshot_layout::boards::NUCLEO_F429ZI.part.flash)
    }
}
