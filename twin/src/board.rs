//! The board state the emulator's hooks share: every peripheral model, modelled time, the
//! instruction counter and the power-cut plan, with the peripheral bus decoder that routes
//! MMIO accesses to the models (RM0090 §2.3 memory map) and logs unmodelled ones.

use crate::core_exceptions::{irq, SystemControl};
use crate::crc::CrcUnit;
use crate::dma::{DmaController, DmaMemoryWrite};
use crate::flash_controller::FlashController;
use crate::gpio::GpioPort;
use crate::iwdg::IndependentWatchdog;
use crate::power::PowerCutPlan;
use crate::rcc::{Rcc, ResetCause};
use crate::regulator::VoltageRegulator;
use crate::timer::GeneralPurposeTimer;
use crate::usart::Usart;

/// Peripheral base addresses the twin models.
pub mod address {
    /// Start of the peripheral MMIO window the twin maps (APB1 … AHB1).
    pub const PERIPHERALS: u32 = 0x4000_0000;
    /// Size of that window.
    pub const PERIPHERALS_SIZE: u32 = 0x0008_0000;
    /// IWDG.
    pub const IWDG: u32 = 0x4000_3000;
    /// USART3.
    pub const USART3: u32 = 0x4000_4800;
    /// GPIO port A (ports B–K follow every 0x400).
    pub const GPIOA: u32 = 0x4002_0000;
    /// CRC unit.
    pub const CRC: u32 = 0x4002_3000;
    /// DMA1.
    pub const DMA1: u32 = 0x4002_6000;
    /// TIM2.
    pub const TIM2: u32 = 0x4000_0000;
    /// RCC.
    pub const RCC: u32 = 0x4002_3800;
    /// PWR (its voltage scaling: [`crate::regulator`]).
    pub const PWR: u32 = 0x4000_7000;
    /// Flash interface.
    pub const FLASH_INTERFACE: u32 = 0x4002_3C00;
    /// Private peripheral bus (ITM, DWT, SCS …).
    pub const PRIVATE_PERIPHERALS: u32 = 0xE000_0000;
    /// System control space (SysTick, NVIC, SCB).
    pub const SYSTEM_CONTROL: u32 = 0xE000_E000;
    /// DWT cycle counter.
    pub const DWT_CYCLE_COUNT: u32 = 0xE000_1004;
    /// DBGMCU_IDCODE; DBGMCU_CR, APB1_FZ and APB2_FZ follow (RM0090 §38.16).
    pub const DEBUG_MCU: u32 = 0xE004_2000;
    /// DBGMCU_IDCODE of the twin's STM32F429: DEV_ID 0x419, REV_ID 0x2003 (a revision after the
    /// ES0206 bank-2 read errata, which applies below 0x2001).
    pub const DEBUG_MCU_IDCODE: u32 = 0x2003_6419;
    /// The twin's REV_ID for the other parts (their first revision, 0x1000).
    pub const OTHER_PARTS_REVISION: u32 = 0x1000;
}

pub use crate::board_leds::LedEvent;

/// An access the twin does not model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnmodelledAccess {
    /// Address accessed.
    pub address: u32,
    /// Whether it was a write.
    pub write: bool,
    /// Value written (0 for reads).
    pub value: u32,
    /// Program counter is not known inside the hook; instructions executed instead.
    pub instruction: u64,
}

/// Everything the hooks share.
pub struct Board {
    /// The board and part the twin models (`slingshot_layout`): memories, sector map, ids,
    /// serial port, LEDs, button.
    pub hardware: &'static slingshot_layout::Board,
    /// Flash interface and content.
    pub flash: FlashController,
    /// RCC.
    pub rcc: Rcc,
    /// PWR's voltage scaling.
    pub regulator: VoltageRegulator,
    /// The highest HCLK since power-on, in Hz (what a test reads to see the clock a
    /// verification ran at).
    pub highest_core_clock_hz: u64,
    /// The board's serial port USART (USART3 on the Nucleo-144 boards, USART2 on the
    /// Nucleo-64 boards and the STM32F4DISCOVERY).
    pub serial: Usart,
    /// GPIO ports A–K.
    pub gpio: Vec<GpioPort>,
    /// IWDG.
    pub iwdg: IndependentWatchdog,
    /// CRC unit.
    pub crc: CrcUnit,
    /// SysTick, NVIC, SCB.
    pub system: SystemControl,
    /// DMA1.
    pub dma: DmaController,
    /// TIM2.
    pub tim2: GeneralPurposeTimer,
    /// Memory writes DMA made that the emulator has not received yet.
    pub dma_memory_writes: Vec<DmaMemoryWrite>,
    /// Core cycles between DMA1 counting a received byte (NDTR) and the byte landing in
    /// memory (0, the default: the same step). An option to find out whether firmware reads a
    /// ring entry before the DMA wrote it (`board_dma`).
    pub dma_write_latency_cycles: u64,
    /// Flash offsets `(start, length)` of the bank(s) an erase or program keeps busy: reads
    /// and instruction fetches there stall (length 0: none).
    pub busy_flash: (u32, u32),
    /// The busy range changed: the run loop drops the emulator's address translations.
    pub translations_stale: bool,
    /// Instructions executed since power-on (counted by the code hook).
    pub instructions: u64,
    /// The code hook stops the emulator before executing instruction number `stop_at`.
    pub stop_at: u64,
    chunk_instructions: u64,
    chunk_cycles: u64,
    chunk_picoseconds: u64,
    /// The Cortex-M4 cycle model is on (`Twin::enable_cycle_model`).
    pub cycle_model: bool,
    /// Extra cycles the cycle model counted since the chunk began.
    pub extra_cycles: u64,
    /// The address the next instruction has when the flow does not change.
    pub next_sequential: u32,
    /// Extra cycles of each instruction address seen (the decode is done once per address).
    pub extra_cycles_by_address: std::collections::HashMap<u32, u8>,
    cycles_per_instruction: u64,
    core_clock_hz: u64,
    apb1_clock_hz: u64,
    /// Accesses to unmodelled peripherals (address, write?, value).
    pub unmodelled: Vec<UnmodelledAccess>,
    /// DBGMCU_CR, DBGMCU_APB1_FZ and DBGMCU_APB2_FZ (RM0090 §38.16): kept across system
    /// resets, cleared at power-on. The twin has no debugger, so the freeze bits only read back.
    pub debug_mcu: [u32; 3],
    /// DBGMCU_IDCODE ([`address::DEBUG_MCU_IDCODE`] unless a test sets an older revision, to
    /// exercise the errata of [`crate::errata`]).
    pub debug_mcu_idcode: u32,
    /// Model diagnostics (sequences the real chip would reject, wrong wait states …).
    pub diagnostics: Vec<String>,
    /// LED changes since power-on.
    pub led_events: Vec<LedEvent>,
    pub(crate) led_state: Vec<bool>,
    /// A system reset was requested (AIRCR or IWDG) during the last chunk.
    pub reset_requested: Option<ResetCause>,
    /// Power is lost (power-cut plan fired) and the machine must stop.
    pub power_lost: bool,
    /// The power-cut plan.
    pub power_plan: PowerCutPlan,
    /// Flash ranges changed since the emulator's copy was last synchronised.
    pub dirty_flash: Vec<(u32, u32)>,
    /// The exception-return value seen by the interrupt hook (handled by the machine).
    pub exception_return: Option<u32>,
    /// A breakpoint instruction stopped the machine.
    pub breakpoint: bool,
    /// An error raised inside an emulator hook, reported by the run loop.
    pub hook_error: Option<String>,
    /// Addresses the code hook saw after it asked the emulator to stop (see the run loop).
    pub hooked_after_stop: Vec<u32>,
}

/// DBGMCU_IDCODE the twin reports for `part`: its DEV_ID with a revision after the F42x's
/// ES0206 bank-2 read errata (0x2003), or the first revision (0x1000) of the other parts.
pub fn default_idcode(part: &slingshot_layout::Part) -> u32 {
    let revision = if part.bank_two_erratum_fixed_revision.is_some() {
        address::DEBUG_MCU_IDCODE >> 16
    } else {
        address::OTHER_PARTS_REVISION
    };
    (revision << 16) | u32::from(part.device_id)
}

impl Board {
    /// Drive the user button's pin to its pressed or released level (the board table's
    /// polarity: a Nucleo-64's B1 is pulled up and reads low while pressed).
    pub fn set_user_button(&mut self, pressed: bool) {
        let button = self.hardware.button;
        let port = &mut self.gpio[button.pin.port_index() as usize];
        let bit = 1 << button.pin.number;
        if pressed == button.high_when_pressed {
            port.external_input |= bit;
        } else {
            port.external_input &= !bit;
        }
    }

    /// `hardware` after power-on.
    pub fn new(hardware: &'static slingshot_layout::Board) -> Self {
        let mut board = Self {
            hardware,
            flash: FlashController::new(hardware.part.flash),
            rcc: Rcc::new(ResetCause::PowerOn, 0),
            regulator: VoltageRegulator::new(hardware.part.clock),
            highest_core_clock_hz: 0,
            serial: Usart::new(),
            gpio: (0..11).map(GpioPort::new).collect(),
            iwdg: IndependentWatchdog::new(),
            crc: CrcUnit::default(),
            system: SystemControl::new(hardware.part.interrupt_count),
            dma: DmaController::new(),
            tim2: GeneralPurposeTimer::new(),
            dma_memory_writes: Vec::new(),
            dma_write_latency_cycles: 0,
            busy_flash: (0, 0),
            translations_stale: false,
            instructions: 0,
            stop_at: 0,
            chunk_instructions: 0,
            chunk_cycles: 0,
            chunk_picoseconds: 0,
            cycle_model: false,
            extra_cycles: 0,
            next_sequential: 0,
            extra_cycles_by_address: std::collections::HashMap::new(),
            cycles_per_instruction: 1,
            core_clock_hz: 16_000_000,
            apb1_clock_hz: 16_000_000,
            unmodelled: Vec::new(),
            debug_mcu: [0; 3],
            debug_mcu_idcode: default_idcode(&hardware.part),
            diagnostics: Vec::new(),
            led_events: Vec::new(),
            led_state: vec![false; hardware.leds.len()],
            reset_requested: None,
            power_lost: false,
            power_plan: PowerCutPlan::default(),
            dirty_flash: Vec::new(),
            exception_return: None,
            breakpoint: false,
            hook_error: None,
            hooked_after_stop: Vec::new(),
        };
        board.update_clocks();
        board.set_user_button(false);
        board
    }

    /// Peripherals back to reset values (system reset). Flash content, option bytes, the
    /// counters and the host-side buffers survive.
    pub fn reset_peripherals(&mut self, cause: ResetCause) {
        if cause == ResetCause::PowerOn {
            self.debug_mcu = [0; 3];
            self.highest_core_clock_hz = 0;
        }
        let flags = self.rcc.reset_flags();
        self.rcc = Rcc::new(cause, flags);
        self.regulator = VoltageRegulator::new(self.hardware.part.clock);
        self.serial.reset_registers();
        let inputs: Vec<u32> = self.gpio.iter().map(|port| port.external_input).collect();
        self.gpio = (0..11).map(GpioPort::new).collect();
        for (port, input) in self.gpio.iter_mut().zip(inputs) {
            port.external_input = input;
        }
        self.iwdg = IndependentWatchdog::with_lsi(self.iwdg.lsi_hz);
        // The hardware watchdog option (FLASH option byte WDG_SW = 0, RM0090 §3.7.1): the IWDG
        // runs from reset with its reset values (LSI ÷ 4, reload 4095: 512 ms at 32 kHz).
        if self.flash.option_bytes.0 & (1 << 5) == 0 {
            let now = self.picoseconds();
            self.iwdg.start(now);
        }
        self.crc = CrcUnit::default();
        self.system = SystemControl::new(self.hardware.part.interrupt_count);
        self.dma = DmaController::new();
        self.tim2 = GeneralPurposeTimer::new();
        self.dma_memory_writes.clear();
        self.flash.reset();
        if self.flash.take_data_view_change() {
            self.translations_stale = true;
        }
        self.update_busy_flash();
        self.commit_time();
        self.update_clocks();
        self.system.advance_systick(self.cycles());
        self.track_leds();
    }

    /// Modelled core cycles since power-on.
    pub fn cycles(&self) -> u64 {
        self.chunk_cycles
            + (self.instructions - self.chunk_instructions) * self.cycles_per_instruction
            + self.extra_cycles
    }

    /// Modelled time since power-on, in picoseconds.
    pub fn picoseconds(&self) -> u64 {
        let cycles = (self.instructions - self.chunk_instructions) * self.cycles_per_instruction
            + self.extra_cycles;
        self.chunk_picoseconds + cycles * 1_000_000_000_000 / self.core_clock_hz
    }

    /// Fold the time elapsed since the last commit into the base values.
    pub fn commit_time(&mut self) {
        self.chunk_picoseconds = self.picoseconds();
        self.chunk_cycles = self.cycles();
        self.chunk_instructions = self.instructions;
        self.extra_cycles = 0;
    }

    /// Advance modelled time without executing instructions (WFI, bus stalls).
    pub fn skip_cycles(&mut self, cycles: u64) {
        self.commit_time();
        self.chunk_cycles += cycles;
        self.chunk_picoseconds += cycles * 1_000_000_000_000 / self.core_clock_hz;
    }

    /// Recompute clock frequencies and the cycles each instruction costs (flash wait states
    /// when the ART accelerator's prefetch and instruction cache are off).
    pub fn update_clocks(&mut self) {
        self.commit_time();
        self.core_clock_hz = self.rcc.core_clock_hz();
        self.highest_core_clock_hz = self.highest_core_clock_hz.max(self.core_clock_hz);
        self.apb1_clock_hz = self.rcc.apb1_clock_hz();
        let access_control = self.flash.access_control();
        let latency = (access_control & 0xF) as u64;
        let accelerated = access_control & (1 << 8) != 0 && access_control & (1 << 9) != 0;
        self.cycles_per_instruction = if accelerated { 1 } else { 1 + latency };
        let needed = self.core_clock_hz.saturating_sub(1) / 30_000_000;
        if latency < needed {
            self.diagnostics.push(format!(
                "FLASH_ACR.LATENCY {latency} is too low for HCLK {} Hz at 2.7-3.6 V (needs {needed})",
                self.core_clock_hz
            ));
        }
        let limits = self.hardware.part.clock;
        let hclk_limit = self.regulator.hclk_limit_hz();
        let mut violations = self.rcc.pll_limit_violations(hclk_limit);
        // Bus limits in the voltage scale in effect without over-drive (the part table: HCLK
        // 168 MHz on the F42x/F43x, F407 and F446, 84 MHz on the F401, 100 MHz on the
        // F411/F412/F413 in scale 1 and 84 MHz in their reset scale 2; APB1 at its maximum,
        // APB2 at twice it).
        for (name, hz, limit) in [
            ("HCLK", self.core_clock_hz, u64::from(hclk_limit)),
            (
                "PCLK1 (APB1)",
                self.apb1_clock_hz,
                u64::from(limits.apb1_maximum_hz),
            ),
            (
                "PCLK2 (APB2)",
                self.rcc.apb2_clock_hz(),
                2 * u64::from(limits.apb1_maximum_hz),
            ),
        ] {
            if hz > limit {
                violations.push(format!("{name} {hz} Hz exceeds its {limit} Hz maximum"));
            }
        }
        self.diagnostics.append(&mut violations);
    }

    /// HCLK in Hz.
    pub fn core_clock_hz(&self) -> u64 {
        self.core_clock_hz
    }

    /// PCLK1 (APB1) in Hz.
    pub fn apb1_clock_hz(&self) -> u64 {
        self.apb1_clock_hz
    }

    /// The APB1 timer clock: PCLK1, doubled when the APB1 prescaler divides (RM0090 §6.2).
    pub fn timer_clock_hz(&self) -> u64 {
        if self.apb1_clock_hz == self.core_clock_hz {
            self.apb1_clock_hz
        } else {
            2 * self.apb1_clock_hz
        }
    }

    /// Recompute [`Board::busy_flash`] from the flash operation in progress (read-while-write
    /// works between banks only, REFERENCE.md §2).
    pub fn update_busy_flash(&mut self) {
        const BANK: u32 = 0x0010_0000;
        let busy = match self
            .flash
            .operation
            .as_ref()
            .map(|operation| &operation.kind)
        {
            None => (0, 0),
            Some(crate::flash_controller::OperationKind::Program { offset, .. }) => {
                (offset & !(BANK - 1), BANK)
            }
            Some(crate::flash_controller::OperationKind::Erase { sectors }) => {
                let first = u32::from(sectors.iter().all(|sector| *sector >= 12));
                let last = u32::from(sectors.iter().any(|sector| *sector >= 12));
                (first * BANK, (last + 1 - first) * BANK)
            }
            Some(crate::flash_controller::OperationKind::OptionBytes) => (0, 2 * BANK),
        };
        if busy != self.busy_flash {
            self.busy_flash = busy;
            self.translations_stale = true;
        }
    }

    /// Whether an access to (virtual) `address` stalls because its flash bank is busy.
    pub fn flash_access_stalls(&self, address: u32) -> bool {
        self.flash_offset(address).wrapping_sub(self.busy_flash.0) < self.busy_flash.1
    }

    /// Whether a data read of (virtual) flash `address` must go through the model (the stall
    /// port) instead of the emulator's copy of flash: its bank is busy, or the ART data cache
    /// may answer with a stale line ([`crate::art_cache`]), or an erratum of the revision makes
    /// the read suspect ([`crate::errata`]).
    pub fn flash_data_read_modelled(&self, address: u32) -> bool {
        let offset = self.flash_offset(address);
        self.flash_access_stalls(address)
            || self.flash.data_cache.page_has_stale_lines(offset)
            || crate::errata::bank_two_read_checked(self, offset)
    }

    fn flash_offset(&self, address: u32) -> u32 {
        if address < self.hardware.part.flash.size {
            address
        } else {
            address.wrapping_sub(crate::memory::FLASH_BASE)
        }
    }

    /// Let modelled time pass until the flash operation in progress ends (a read from its
    /// bank stalls on the bus), handling every event on the way; stops early when power is
    /// lost or a reset is requested.
    pub fn stall_until_flash_idle(&mut self) {
        while self.flash.operation.is_some() && !self.power_lost && self.reset_requested.is_none() {
            match self.next_event_cycles() {
                Some(cycles) => self.skip_cycles(cycles),
                None => break,
            }
            self.advance();
        }
    }

    /// Cycles per instruction currently modelled.
    pub fn cycles_per_instruction(&self) -> u64 {
        self.cycles_per_instruction
    }

    /// Ask the code hook to stop before the next instruction (to take an exception, a reset or
    /// a power cut).
    pub fn request_stop(&mut self) {
        self.stop_at = self.stop_at.min(self.instructions);
    }

    /// Bring every timed model up to now and raise interrupt requests.
    pub fn advance(&mut self) {
        let now = self.picoseconds();
        self.system.advance_systick(self.cycles());
        self.advance_serial(now);
        self.rcc.update(now);
        if let Some(operation) = &self.flash.operation {
            if operation.completes_ps <= now {
                if let Some(range) = self.flash.complete() {
                    self.dirty_flash.push(range);
                }
                self.update_busy_flash();
            }
        }
        self.raise_dma_interrupts();
        if self.iwdg.expires_ps.is_some_and(|expires| expires <= now) {
            self.iwdg.expires_ps = None;
            self.reset_requested = Some(ResetCause::IndependentWatchdog);
        }
        if self.serial.interrupt_requested() {
            self.system
                .request_interrupt(irq::usart(self.hardware.serial.usart));
        }
        if self.flash.interrupt_requested() {
            self.system.request_interrupt(irq::FLASH);
        }
        self.power_plan_check_time(now);
    }

    fn power_plan_check_time(&mut self, now: u64) {
        if self.power_plan.cut_due(self.instructions, now) {
            self.power_lost = true;
        }
    }

    /// Instructions until the next modelled event (at least 1), at most `limit`.
    pub fn instructions_to_next_event(&self, limit: u64) -> u64 {
        let now = self.picoseconds();
        let picoseconds_per_instruction =
            (self.cycles_per_instruction * 1_000_000_000_000 / self.core_clock_hz).max(1);
        let mut events = self
            .pending_event_times()
            .map(|time| {
                time.saturating_sub(now)
                    .div_ceil(picoseconds_per_instruction)
            })
            .min()
            .unwrap_or(limit);
        if let Some(cycles) = self.system.cycles_to_systick(self.cycles()) {
            events = events.min(cycles.div_ceil(self.cycles_per_instruction));
        }
        if let Some(cycles) = self.cycles_to_next_dma_memory_write() {
            events = events.min(cycles.div_ceil(self.cycles_per_instruction));
        }
        events.clamp(1, limit.max(1))
    }

    /// Modelled times (picoseconds) of the events that are scheduled: the next UART frame, a
    /// clock becoming ready, the end of a flash operation, the watchdog expiring, a power cut.
    fn pending_event_times(&self) -> impl Iterator<Item = u64> {
        [
            self.serial.next_event_ps(),
            self.rcc.next_event_ps(),
            self.flash
                .operation
                .as_ref()
                .map(|operation| operation.completes_ps),
            self.iwdg.expires_ps,
            self.power_plan.next_time_ps(),
        ]
        .into_iter()
        .flatten()
    }

    /// The next event's time in picoseconds, for WFI (None: nothing will ever wake the core).
    pub fn next_event_cycles(&self) -> Option<u64> {
        let now = self.picoseconds();
        let to_cycles =
            |time: u64| time.saturating_sub(now) * self.core_clock_hz / 1_000_000_000_000 + 1;
        self.pending_event_times()
            .map(to_cycles)
            .chain(self.system.cycles_to_systick(self.cycles()))
            .chain(self.cycles_to_next_dma_memory_write())
            .min()
    }
}

impl Default for Board {
    /// The Nucleo-F429ZI (the default board).
    fn default() -> Self {
        Self::new(&slingshot_layout::boards::NUCLEO_F429ZI)
    }
}
