//! The Cortex-M4 system control space the emulator lacks (ARMv7-M ARM B3.2–B3.4): SysTick,
//! the NVIC (as many interrupts as the part implements, from the layout crate's part table: 91
//! on the F429; the registers of interrupts beyond them read as zero and ignore writes, as on
//! the core), and the SCB registers VTOR, ICSR, AIRCR, SHPR and
//! CPACR; plus the exception-priority rules that decide which pending exception is taken.
//! Stack frames are pushed and popped in `exception_frames`.

/// Exception numbers.
pub mod exception {
    /// SVCall.
    pub const SVCALL: u32 = 11;
    /// PendSV.
    pub const PENDSV: u32 = 14;
    /// SysTick.
    pub const SYSTICK: u32 = 15;
    /// First external interrupt.
    pub const EXTERNAL_BASE: u32 = 16;
}

/// Interrupt numbers (position in the vector table minus 16, the same on every F4).
pub mod irq {
    use slingshot_layout::boards::Usart;

    /// USART2 global interrupt.
    pub const USART2: u32 = 38;
    /// Flash global interrupt.
    pub const FLASH: u32 = 4;
    /// USART3 global interrupt.
    pub const USART3: u32 = 39;

    /// The global interrupt of `usart`.
    pub const fn usart(usart: Usart) -> u32 {
        match usart {
            Usart::Usart2 => USART2,
            Usart::Usart3 => USART3,
        }
    }
}

/// Number of external interrupts on the STM32F429 (RM0090 Table 62).
pub const EXTERNAL_INTERRUPTS: u32 = 91;

/// What a write to the system control space asks the board to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemRequest {
    /// Nothing beyond the register change.
    None,
    /// Re-evaluate pending exceptions soon (something became pending or enabled).
    Reevaluate,
    /// `AIRCR.SYSRESETREQ`: reset the system.
    SystemReset,
}

/// SysTick, NVIC and SCB state.
#[derive(Clone, Debug)]
pub struct SystemControl {
    /// `SYST_CSR` (ENABLE, TICKINT, CLKSOURCE; COUNTFLAG kept in `count_flag`).
    pub systick_control: u32,
    /// `SYST_RVR`.
    pub systick_reload: u32,
    systick_value: u32,
    systick_updated_cycle: u64,
    count_flag: bool,
    /// `SCB_VTOR`.
    pub vector_table: u32,
    /// `SCB_CPACR` (stored; the emulator never traps FP instructions).
    pub coprocessor_access: u32,
    priority_grouping: u32,
    priorities: Vec<u8>,
    enabled: Vec<bool>,
    pending: Vec<bool>,
    active: Vec<bool>,
    system_handler_control: u32,
    other: std::collections::HashMap<u32, u32>,
}

impl Default for SystemControl {
    fn default() -> Self {
        Self::new(EXTERNAL_INTERRUPTS as u16)
    }
}

impl SystemControl {
    /// The state after reset of a core whose NVIC implements `interrupts` external interrupts.
    pub fn new(interrupts: u16) -> Self {
        let exceptions = exception::EXTERNAL_BASE as usize + usize::from(interrupts);
        let mut enabled = vec![false; exceptions];
        for number in [
            2,
            3,
            exception::SVCALL,
            exception::PENDSV,
            exception::SYSTICK,
        ] {
            enabled[number as usize] = true;
        }
        Self {
            systick_control: 0,
            systick_reload: 0,
            systick_value: 0,
            systick_updated_cycle: 0,
            count_flag: false,
            vector_table: 0,
            coprocessor_access: 0,
            priority_grouping: 0,
            priorities: vec![0; exceptions],
            enabled,
            pending: vec![false; exceptions],
            active: vec![false; exceptions],
            system_handler_control: 0,
            other: Default::default(),
        }
    }

    fn systick_divider(&self) -> u64 {
        if self.systick_control & 0b100 != 0 {
            1
        } else {
            8
        }
    }

    /// Advance SysTick to core cycle `now` (pending the exception on each wrap with TICKINT).
    pub fn advance_systick(&mut self, now: u64) {
        let divider = self.systick_divider();
        if self.systick_control & 1 == 0 {
            self.systick_updated_cycle = now;
            return;
        }
        let ticks = (now - self.systick_updated_cycle) / divider;
        self.systick_updated_cycle += ticks * divider;
        if ticks == 0 {
            return;
        }
        // A counter at zero reloads on the next tick, so it behaves as if at RVR + 1.
        let reload = self.systick_reload as u64;
        let value = if self.systick_value == 0 {
            reload + 1
        } else {
            self.systick_value as u64
        };
        if ticks < value {
            self.systick_value = (value - ticks) as u32;
            return;
        }
        // Reached zero at least once (a reload of 0 stops the counter at zero).
        self.count_flag = true;
        if self.systick_control & 0b10 != 0 && reload != 0 {
            self.pending[exception::SYSTICK as usize] = true;
        }
        let after_zero = ticks - value;
        self.systick_value = if reload == 0 || after_zero == 0 {
            0
        } else {
            (reload - (after_zero - 1) % (reload + 1)) as u32
        };
    }

    /// Core cycles until SysTick next reaches zero, if it is counting.
    pub fn cycles_to_systick(&self, now: u64) -> Option<u64> {
        if self.systick_control & 1 == 0 || (self.systick_value == 0 && self.systick_reload == 0) {
            return None;
        }
        let divider = self.systick_divider();
        let already = now - self.systick_updated_cycle;
        let ticks = if self.systick_value == 0 {
            self.systick_reload as u64 + 1
        } else {
            self.systick_value as u64
        };
        Some((ticks * divider).saturating_sub(already).max(1))
    }

    /// Set an external interrupt's request line (level-sensitive: pends while asserted).
    pub fn request_interrupt(&mut self, irq: u32) {
        let number = (exception::EXTERNAL_BASE + irq) as usize;
        if !self.active[number] {
            self.pending[number] = true;
        }
    }

    fn priority(&self, number: usize) -> i32 {
        match number {
            1 => -3,
            2 => -2,
            3 => -1,
            _ => self.priorities[number] as i32,
        }
    }

    fn group_priority(&self, priority: i32) -> i32 {
        if priority < 0 {
            return priority;
        }
        let subpriority_bits = self.priority_grouping + 1;
        if subpriority_bits >= 8 {
            0
        } else {
            priority >> subpriority_bits << subpriority_bits
        }
    }

    /// The current execution priority given PRIMASK and BASEPRI (lower is more urgent).
    pub fn execution_priority(&self, primask: bool, basepri: u32) -> i32 {
        let mut priority = 256;
        for number in 1..self.pending.len() {
            if self.active[number] {
                priority = priority.min(self.group_priority(self.priority(number)));
            }
        }
        if basepri != 0 {
            priority = priority.min(self.group_priority(basepri as i32));
        }
        if primask {
            priority = priority.min(0);
        }
        priority
    }

    /// Whether an enabled exception is pending (taken now or once unmasked). A pending but
    /// disabled interrupt neither preempts nor wakes the core from WFI.
    pub fn any_pending(&self) -> bool {
        self.pending
            .iter()
            .zip(&self.enabled)
            .any(|(pending, enabled)| *pending && *enabled)
    }

    /// The pending, enabled exception that would preempt now, if any.
    pub fn exception_to_take(&self, primask: bool, basepri: u32) -> Option<u32> {
        let current = self.execution_priority(primask, basepri);
        let mut best: Option<(i32, usize)> = None;
        for number in 1..self.pending.len() {
            if self.pending[number] && self.enabled[number] {
                let priority = self.priority(number);
                if self.group_priority(priority) < current && best.is_none_or(|(p, _)| priority < p)
                {
                    best = Some((priority, number));
                }
            }
        }
        best.map(|(_, number)| number as u32)
    }

    /// Mark `number` active and no longer pending (exception entry).
    pub fn activate(&mut self, number: u32) {
        self.pending[number as usize] = false;
        self.active[number as usize] = true;
    }

    /// Mark `number` inactive (exception return). Returns `false` if it was not active.
    pub fn deactivate(&mut self, number: u32) -> bool {
        let was_active = self.active.get(number as usize).copied().unwrap_or(false);
        if let Some(active) = self.active.get_mut(number as usize) {
            *active = false;
        }
        was_active
    }

    /// Pend an exception directly (SVCall from the `svc` instruction).
    pub fn pend(&mut self, number: u32) {
        self.pending[number as usize] = true;
    }

    /// An imprecise bus error (a buffered store the bus refused, ARMv7-M ARM B1.5.14): a
    /// BusFault with CFSR.IMPRECISERR (bit 10) when SHCSR.BUSFAULTENA (bit 17) is set, else
    /// escalated to HardFault with HFSR.FORCED (bit 30), as after reset.
    pub fn imprecise_bus_error(&mut self) {
        const CONFIGURABLE_FAULT_STATUS: u32 = 0xD28;
        const HARD_FAULT_STATUS: u32 = 0xD2C;
        const BUS_FAULT: u32 = 5;
        const HARD_FAULT: u32 = 3;
        *self.other.entry(CONFIGURABLE_FAULT_STATUS).or_insert(0) |= 1 << 10;
        if self.system_handler_control & (1 << 17) != 0 {
            self.enabled[BUS_FAULT as usize] = true;
            self.pend(BUS_FAULT);
        } else {
            *self.other.entry(HARD_FAULT_STATUS).or_insert(0) |= 1 << 30;
            self.pend(HARD_FAULT);
        }
    }

    fn read_bits(flags: &[bool], base: usize) -> u32 {
        (0..32).fold(0, |word, bit| {
            word | ((flags.get(base + bit).copied().unwrap_or(false) as u32) << bit)
        })
    }

    /// Read a register at `offset` from 0xE000_E000, with SysTick advanced to `now` first.
    pub fn read(&mut self, offset: u32, now: u64) -> Option<u32> {
        self.advance_systick(now);
        let external = exception::EXTERNAL_BASE as usize;
        Some(match offset {
            0x010 => {
                let flag = std::mem::take(&mut self.count_flag);
                self.systick_control | ((flag as u32) << 16)
            }
            0x014 => self.systick_reload,
            0x018 => self.systick_value,
            0x01C => 0x4000_0000 | 18_750, // CALIB: no reference clock, 1 ms at 18.75 MHz/8... as ST
            0x100..=0x13C => {
                Self::read_bits(&self.enabled, external + 8 * (offset as usize - 0x100))
            }
            0x180..=0x1BC => {
                Self::read_bits(&self.enabled, external + 8 * (offset as usize - 0x180))
            }
            0x200..=0x23C => {
                Self::read_bits(&self.pending, external + 8 * (offset as usize - 0x200))
            }
            0x280..=0x2BC => {
                Self::read_bits(&self.pending, external + 8 * (offset as usize - 0x280))
            }
            0x300..=0x33C => {
                Self::read_bits(&self.active, external + 8 * (offset as usize - 0x300))
            }
            0x400..=0x5EF => {
                let first = external + (offset as usize - 0x400);
                (0..4).fold(0, |word, index| {
                    word | ((self.priorities.get(first + index).copied().unwrap_or(0) as u32)
                        << (8 * index))
                })
            }
            0xD00 => 0x410F_C241, // CPUID: Cortex-M4 r0p1
            0xD04 => {
                let active = (1..self.pending.len())
                    .find(|number| self.active[*number])
                    .unwrap_or(0) as u32;
                let pending = (1..self.pending.len())
                    .find(|number| self.pending[*number])
                    .unwrap_or(0) as u32;
                active
                    | (pending << 12)
                    | ((self.pending[exception::PENDSV as usize] as u32) << 28)
                    | ((self.pending[exception::SYSTICK as usize] as u32) << 26)
            }
            0xD08 => self.vector_table,
            0xD0C => 0xFA05_0000 | (self.priority_grouping << 8),
            0xD18..=0xD20 => {
                let first = 4 + (offset as usize - 0xD18);
                (0..4).fold(0, |word, index| {
                    word | ((self.priorities[first + index] as u32) << (8 * index))
                })
            }
            0xD24 => self.system_handler_control,
            0xD88 => self.coprocessor_access,
            _ => {
                return self.other.get(&offset).copied().or(if offset < 0xD00 {
                    None
                } else {
                    Some(0)
                })
            }
        })
    }

    fn write_bits(flags: &mut [bool], base: usize, value: u32, set: bool) {
        for bit in 0..32 {
            if value & (1 << bit) != 0 {
                if let Some(flag) = flags.get_mut(base + bit) {
                    *flag = set;
                }
            }
        }
    }

    /// Write a register at `offset` from 0xE000_E000. Returns `None` for an unmodelled
    /// register (the value is stored so it reads back).
    pub fn write(&mut self, offset: u32, value: u32, now: u64) -> Option<SystemRequest> {
        self.advance_systick(now);
        let external = exception::EXTERNAL_BASE as usize;
        let index = |base: u32| external + 32 * ((offset - base) as usize / 4);
        match offset {
            0x010 => {
                let starting = self.systick_control & 1 == 0 && value & 1 != 0;
                self.systick_control = value & 0b111;
                self.systick_updated_cycle = now;
                if starting && self.systick_value == 0 {
                    self.systick_value = self.systick_reload;
                }
            }
            0x014 => self.systick_reload = value & 0x00FF_FFFF,
            0x018 => {
                self.systick_value = 0;
                self.count_flag = false;
                self.systick_updated_cycle = now;
                if self.systick_control & 1 != 0 {
                    self.systick_value = self.systick_reload;
                }
            }
            0x100..=0x13C => Self::write_bits(&mut self.enabled, index(0x100), value, true),
            0x180..=0x1BC => Self::write_bits(&mut self.enabled, index(0x180), value, false),
            0x200..=0x23C => Self::write_bits(&mut self.pending, index(0x200), value, true),
            0x280..=0x2BC => Self::write_bits(&mut self.pending, index(0x280), value, false),
            0x400..=0x5EF => {
                for byte in 0..4 {
                    if let Some(priority) = self
                        .priorities
                        .get_mut(external + (offset as usize - 0x400) + byte)
                    {
                        *priority = (value >> (8 * byte)) as u8 & 0xF0;
                    }
                }
            }
            0xD04 => {
                if value & (1 << 28) != 0 {
                    self.pending[exception::PENDSV as usize] = true;
                }
                if value & (1 << 27) != 0 {
                    self.pending[exception::PENDSV as usize] = false;
                }
                if value & (1 << 26) != 0 {
                    self.pending[exception::SYSTICK as usize] = true;
                }
                if value & (1 << 25) != 0 {
                    self.pending[exception::SYSTICK as usize] = false;
                }
            }
            0xD08 => self.vector_table = value & 0xFFFF_FF80,
            0xD0C => {
                if value >> 16 != 0x05FA {
                    return Some(SystemRequest::None);
                }
                self.priority_grouping = (value >> 8) & 0b111;
                if value & 0b100 != 0 {
                    return Some(SystemRequest::SystemReset);
                }
            }
            0xD18..=0xD20 => {
                for byte in 0..4 {
                    self.priorities[4 + (offset as usize - 0xD18) + byte] =
                        (value >> (8 * byte)) as u8 & 0xF0;
                }
            }
            0xD24 => self.system_handler_control = value,
            0xD88 => self.coprocessor_access = value & 0x00F0_0000,
            _ => {
                self.other.insert(offset, value);
                return None;
            }
        }
        Some(SystemRequest::Reevaluate)
    }
}
