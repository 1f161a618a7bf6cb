//! The twin itself: a Unicorn Cortex-M4 with the board's memory map and peripheral models
//! wired in through hooks, and the run loop that advances modelled time, takes exceptions,
//! sleeps through WFI, resets and cuts power.

use std::path::Path;

use slingshot_files::MemoryImage;
use unicorn_engine::{RegisterARM, Unicorn};

use crate::board::Board;
use crate::board_dma::settle;
use crate::emulator::{self, emulator, refresh_translations, sync_flash};
use crate::exception_frames;
use crate::memory::{self, FLASH_BASE};
use crate::power::{PowerCut, PowerCutPlan};
use crate::rcc::ResetCause;
use crate::TwinError;
use slingshot_flash_sim::SplitMix64;

/// Longest stretch of instructions between two looks at the board (keeps `run_until`
/// conditions and host serial input responsive).
const MAX_CHUNK: u64 = 100_000;
/// Chunk length while an exception is pending but masked (PRIMASK/BASEPRI/priority): the
/// twin notices an unmasking instruction within this many instructions.
const MASKED_CHUNK: u64 = 16;
/// Never-reached `until` address (odd: no Thumb PC is odd).
const NO_EXIT: u64 = 0xFFFF_FFFF;

/// Options for a new twin.
#[derive(Clone, Copy, Debug)]
pub struct TwinConfig {
    /// Treat an access to an unmodelled peripheral, and every model diagnostic (a sequence
    /// the chip would reject, wait states too low for the clock, a DMA transfer error …), as
    /// an error that stops the run: what silicon would not forgive fails the test that did it.
    /// A test that provokes diagnostics on purpose says so with [`Twin::expect_diagnostics`]
    /// and asserts on `Board::diagnostics`.
    pub strict: bool,
    /// Seed for power-on RAM content and torn flash operations.
    pub seed: u64,
    /// The board (and part) to model: memories, sector map, ids, serial port, LEDs
    /// (`slingshot_layout::ALL_BOARDS`; the Nucleo-F429ZI by default).
    pub board: &'static slingshot_layout::Board,
}

impl Default for TwinConfig {
    fn default() -> Self {
        Self {
            strict: false,
            seed: 1,
            board: &slingshot_layout::boards::NUCLEO_F429ZI,
        }
    }
}

/// Why a run returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The instruction budget is used up.
    InstructionLimit,
    /// The caller's condition became true.
    Condition,
    /// The armed power cut happened; call [`Twin::power_on`] to continue.
    PowerLost,
    /// A `bkpt` instruction.
    Breakpoint,
    /// The core sleeps in WFI with nothing left that could wake it.
    Asleep,
}

/// The Nucleo-F429ZI twin.
pub struct Twin {
    uc: Unicorn<'static, Board>,
    config: TwinConfig,
    random: SplitMix64,
    powered: bool,
    /// The test provokes model diagnostics on purpose ([`Twin::expect_diagnostics`]).
    diagnostics_expected: bool,
}

impl Twin {
    /// A powered-off twin with erased flash; load flash and call [`Twin::power_on`].
    pub fn new(config: TwinConfig) -> Result<Self, TwinError> {
        let uc = emulator::build(config.board)?;
        Ok(Self {
            uc,
            config,
            random: SplitMix64::new(config.seed),
            powered: false,
            diagnostics_expected: false,
        })
    }

    /// Load a firmware file (ELF by physical address, Intel HEX, or raw BIN at `address`)
    /// into flash. Fails when part of it lies outside flash.
    pub fn load_flash_file(&mut self, path: &Path, address: Option<u32>) -> Result<(), TwinError> {
        let image = MemoryImage::load(path, address).map_err(|error| TwinError::File {
            path: path.display().to_string(),
            message: error.to_string(),
        })?;
        self.load_flash_image(&image)
    }

    /// Copy a memory image into flash (as a programmer would, ignoring the NOR rules).
    pub fn load_flash_image(&mut self, image: &MemoryImage) -> Result<(), TwinError> {
        for (start, bytes) in image.segments() {
            let end = start as u64 + bytes.len() as u64;
            let flash_size = self.board().hardware.part.flash.size;
            if start < FLASH_BASE || end > (FLASH_BASE + flash_size) as u64 {
                return Err(TwinError::OutsideFlash {
                    address: start,
                    size: bytes.len(),
                });
            }
            let offset = (start - FLASH_BASE) as usize;
            self.board_mut().flash.content[offset..offset + bytes.len()].copy_from_slice(bytes);
            self.board_mut()
                .dirty_flash
                .push((offset as u32, bytes.len() as u32));
        }
        sync_flash(&mut self.uc);
        Ok(())
    }

    /// Write the whole flash content as BIN (or Intel HEX when the path ends in `.hex`).
    pub fn save_flash(&self, path: &Path) -> Result<(), TwinError> {
        let content = &self.board().flash.content;
        let to_error = |message: String| TwinError::File {
            path: path.display().to_string(),
            message,
        };
        let bytes = if path.extension().is_some_and(|extension| extension == "hex") {
            let image = MemoryImage::from_binary(content, FLASH_BASE)
                .map_err(|error| to_error(error.to_string()))?;
            image.to_ihex().into_bytes()
        } else {
            content.clone()
        };
        slingshot_files::write_atomically(path, &bytes).map_err(|error| to_error(error.to_string()))
    }

    /// The board state (peripherals, counters, logs).
    pub fn board(&self) -> &Board {
        self.uc.get_data()
    }

    /// The board state, mutable (e.g. to press the user button).
    pub fn board_mut(&mut self) -> &mut Board {
        self.uc.get_data_mut()
    }

    /// Power on (cold start): RAM gets arbitrary content (from the seed), flash and option
    /// bytes are kept, peripherals and the core start from reset.
    pub fn power_on(&mut self) -> Result<(), TwinError> {
        let part = self.board().hardware.part;
        let ram = part.ram;
        let mut content = vec![0u8; ram.size as usize];
        self.random.fill(&mut content);
        self.uc
            .mem_write(ram.start as u64, &content)
            .map_err(emulator)?;
        if let Some(ccm) = part.ccm {
            let mut content = vec![0u8; ccm.size as usize];
            self.random.fill(&mut content);
            self.uc
                .mem_write(ccm.start as u64, &content)
                .map_err(emulator)?;
        }
        let board = self.board_mut();
        board.flash.operations_started = 0;
        board.power_lost = false;
        board.reset_peripherals(ResetCause::PowerOn);
        self.powered = true;
        self.reset_core()
    }

    /// Warm reset (as `AIRCR.SYSRESETREQ` or the reset button): RAM kept, peripherals and core
    /// reset. A flash operation in progress is torn.
    pub fn reset(&mut self, cause: ResetCause) -> Result<(), TwinError> {
        self.tear_flash_operation();
        self.board_mut().reset_peripherals(cause);
        self.reset_core()
    }

    fn tear_flash_operation(&mut self) {
        let now = self.board().picoseconds();
        let board = self.uc.get_data_mut();
        if let Some(operation) = &board.flash.operation {
            let duration = (operation.completes_ps - operation.started_ps).max(1);
            let fraction = now.saturating_sub(operation.started_ps) as f64 / duration as f64;
            let random = &mut self.random;
            if let Some(range) = board
                .flash
                .tear(fraction.min(1.0), &mut || random.next_u64())
            {
                board.dirty_flash.push(range);
            }
        }
        board.update_busy_flash();
        sync_flash(&mut self.uc);
    }

    fn reset_core(&mut self) -> Result<(), TwinError> {
        let mut words = [0u8; 8];
        self.uc
            .mem_read(FLASH_BASE as u64, &mut words)
            .map_err(emulator)?;
        let stack = u32::from_le_bytes([words[0], words[1], words[2], words[3]]);
        let entry = u32::from_le_bytes([words[4], words[5], words[6], words[7]]);
        let uc = &mut self.uc;
        for (register, value) in [
            (RegisterARM::CONTROL, 0),
            (RegisterARM::XPSR, 1 << 24),
            (RegisterARM::PRIMASK, 0),
            (RegisterARM::BASEPRI, 0),
            (RegisterARM::FAULTMASK, 0),
            (RegisterARM::MSP, stack & !3),
            (RegisterARM::LR, 0xFFFF_FFFF),
            (RegisterARM::APSR_NZCV, 0),
            (RegisterARM::PC, entry | 1),
        ] {
            uc.reg_write(register, value as u64).map_err(emulator)?;
        }
        Ok(())
    }

    /// Arm a power cut. Counts are relative to now: `AfterInstructions(n)` cuts after `n`
    /// more instructions, flash operation indexes count operations from now (1 = the next).
    pub fn arm_power_cut(&mut self, cut: PowerCut) {
        let board = self.board_mut();
        let cut = match cut {
            PowerCut::AfterInstructions(count) => {
                PowerCut::AfterInstructions(board.instructions + count)
            }
            PowerCut::BeforeFlashOperation(index) => {
                PowerCut::BeforeFlashOperation(board.flash.operations_started + index)
            }
            PowerCut::DuringFlashOperation { index, per_mille } => PowerCut::DuringFlashOperation {
                index: board.flash.operations_started + index,
                per_mille,
            },
        };
        board.power_plan = PowerCutPlan::new(cut);
    }

    /// Count cycles with the Cortex-M4 model of [`crate::cycle_model`] instead of one per
    /// instruction: modelled time then follows the model (measurements only, see there).
    pub fn enable_cycle_model(&mut self) {
        let board = self.board_mut();
        board.commit_time();
        board.cycle_model = true;
    }

    /// This run provokes model diagnostics on purpose (a program that tests the controller's
    /// error flags): in strict mode they no longer stop it; read them in
    /// `Board::diagnostics`. Unmodelled accesses still do.
    pub fn expect_diagnostics(&mut self) {
        self.diagnostics_expected = true;
    }

    /// Run at most `instructions` instructions.
    pub fn run(&mut self, instructions: u64) -> Result<Stop, TwinError> {
        self.run_until(instructions, |_| false)
    }

    /// Run until `condition` holds (checked between chunks of at most 100 000 instructions and
    /// after every exception, reset and flash operation) or `instructions` have executed.
    pub fn run_until(
        &mut self,
        instructions: u64,
        mut condition: impl FnMut(&Twin) -> bool,
    ) -> Result<Stop, TwinError> {
        if !self.powered {
            return Err(TwinError::PoweredOff);
        }
        let limit = self.board().instructions + instructions;
        loop {
            self.board_mut().advance();
            settle(&mut self.uc);
            if let Some(cause) = self.board_mut().reset_requested.take() {
                self.reset(cause)?;
            }
            if self.board().power_lost {
                self.cut_power();
                return Ok(Stop::PowerLost);
            }
            sync_flash(&mut self.uc);
            refresh_translations(&mut self.uc);
            if self.config.strict {
                if let Some(access) = self.board().unmodelled.first() {
                    return Err(TwinError::Unmodelled {
                        address: access.address,
                        write: access.write,
                    });
                }
                let diagnostic = self
                    .board()
                    .diagnostics
                    .first()
                    .filter(|_| !self.diagnostics_expected);
                if let Some(message) = diagnostic {
                    return Err(TwinError::Diagnostic {
                        message: message.clone(),
                        pc: self.pc(),
                    });
                }
            }
            if let Some(message) = self.board_mut().hook_error.take() {
                return Err(TwinError::Emulator {
                    message,
                    pc: self.pc(),
                });
            }
            if condition(self) {
                return Ok(Stop::Condition);
            }
            if self.board().breakpoint {
                self.board_mut().breakpoint = false;
                return Ok(Stop::Breakpoint);
            }
            let executed = self.board().instructions;
            if executed >= limit {
                return Ok(Stop::InstructionLimit);
            }
            let in_it_block = self.register(RegisterARM::XPSR) & 0x0600_FC00 != 0;
            let primask = self.register(RegisterARM::PRIMASK) & 1 != 0;
            let basepri = self.register(RegisterARM::BASEPRI);
            if !in_it_block {
                if let Some(number) = self.board().system.exception_to_take(primask, basepri) {
                    exception_frames::enter(&mut self.uc, number).map_err(|error| {
                        TwinError::Emulator {
                            message: error.to_string(),
                            pc: self.pc(),
                        }
                    })?;
                }
            }
            if self.board().flash_access_stalls(self.pc()) {
                // The next instruction is fetched from a bank being erased or programmed: the
                // core stalls until the operation ends (events on the way are handled).
                if let Some(cycles) = self.board().next_event_cycles() {
                    self.board_mut().skip_cycles(cycles);
                }
                continue;
            }
            let mut budget = self.board().instructions_to_next_event(limit - executed);
            if self.board().system.any_pending() || in_it_block {
                budget = budget.min(MASKED_CHUNK);
            }
            if let Some(cut) = self.board().power_plan.instruction_limit() {
                budget = budget.min(cut.saturating_sub(executed)).max(1);
            }
            budget = budget.min(MAX_CHUNK);
            let board = self.board_mut();
            board.commit_time();
            board.stop_at = executed + budget;
            let pc = self.pc();
            let result = self.uc.emu_start(pc as u64 | 1, NO_EXIT, 0, 0);
            self.count_instructions_run_after_stop();
            if let Err(error) = result {
                if self.board().power_lost {
                    continue;
                }
                let detail = self.board_mut().hook_error.take();
                return Err(TwinError::Emulator {
                    message: match detail {
                        Some(detail) => format!("{error:?}: {detail}"),
                        None => format!("{error:?}"),
                    },
                    pc: self.pc(),
                });
            }
            let board = self.board();
            // WFI: sleep until the next event, unless an enabled exception is already pending
            // (then WFI does not sleep, even when PRIMASK masks the exception).
            let wake_now = board.system.any_pending();
            if board.instructions < board.stop_at
                && !board.power_lost
                && !wake_now
                && self.sleeping()
            {
                match self.board().next_event_cycles() {
                    Some(cycles) => self.board_mut().skip_cycles(cycles),
                    None => return Ok(Stop::Asleep),
                }
            }
        }
    }

    /// The code hook asked for a stop at the first address it recorded; inside an IT block the
    /// emulator runs on to the end of the block, calling the hook for each instruction that
    /// executes. Every recorded instruction but the one the emulator finally stopped on ran.
    fn count_instructions_run_after_stop(&mut self) {
        let pc = self.pc() & !1;
        let board = self.board_mut();
        let recorded = std::mem::take(&mut board.hooked_after_stop);
        let stopped_on_last = recorded.last() == Some(&pc);
        board.instructions +=
            recorded.len() as u64 - u64::from(stopped_on_last && !recorded.is_empty());
    }

    fn sleeping(&self) -> bool {
        let pc = self.pc();
        let mut bytes = [0u8; 4];
        let narrow = self
            .uc
            .mem_read(
                memory::physical(&self.board().hardware.part, pc.wrapping_sub(2)) as u64,
                &mut bytes[..2],
            )
            .is_ok()
            && u16::from_le_bytes([bytes[0], bytes[1]]) == 0xBF30;
        let wide = self
            .uc
            .mem_read(
                memory::physical(&self.board().hardware.part, pc.wrapping_sub(4)) as u64,
                &mut bytes,
            )
            .is_ok()
            && bytes == [0xAF, 0xF3, 0x03, 0x80];
        narrow || wide
    }

    fn cut_power(&mut self) {
        self.tear_flash_operation();
        let board = self.board_mut();
        board.power_plan = PowerCutPlan::default();
        board.power_lost = false;
        self.powered = false;
    }

    /// Whether the twin is powered (false after a power cut until [`Twin::power_on`]).
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// The program counter.
    pub fn pc(&self) -> u32 {
        self.register(RegisterARM::PC)
    }

    /// A core register.
    pub fn register(&self, register: RegisterARM) -> u32 {
        self.uc.reg_read(register).unwrap_or(0) as u32
    }

    /// Read memory by CPU address (the boot alias and flash read the flash content).
    pub fn read_memory(&self, address: u32, length: usize) -> Result<Vec<u8>, TwinError> {
        self.uc
            .mem_read_as_vec(
                memory::physical(&self.board().hardware.part, address) as u64,
                length,
            )
            .map_err(|_| TwinError::OutsideMemory {
                address,
                size: length,
            })
    }

    /// Write RAM by CPU address (for test set-up).
    pub fn write_memory(&mut self, address: u32, bytes: &[u8]) -> Result<(), TwinError> {
        self.uc
            .mem_write(address as u64, bytes)
            .map_err(|_| TwinError::OutsideMemory {
                address,
                size: bytes.len(),
            })
    }

    /// Bytes USART3 has transmitted since the twin was created.
    pub fn serial_output(&self) -> &[u8] {
        &self.board().serial.output
    }

    /// Take (and clear) USART3's transmitted bytes.
    pub fn take_serial_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.board_mut().serial.output)
    }

    /// Send bytes to USART3's receiver; they arrive one frame time apart at the configured
    /// baud rate (and are lost while the receiver is disabled).
    pub fn send_serial(&mut self, bytes: &[u8]) {
        let board = self.board_mut();
        let now = board.picoseconds();
        let apb1 = board.rcc.apb1_clock_hz();
        board.serial.send_from_host(bytes, now, apb1);
    }

    /// Give the host side of USART3's line a rate of its own (`None`: it follows the USART,
    /// the default). Bytes whose frame passes while the USART's rate differs from it beyond
    /// the receiver's tolerance arrive garbled in both directions (`usart`).
    pub fn set_line_baud(&mut self, baud: Option<u32>) {
        self.board_mut().serial.line_baud = baud;
    }

    /// Frame the host's characters as `framing` (8N1 by default; 8E1 as ST's ROM bootloader
    /// does): `crate::line_framing` has what each side then makes of the other's characters.
    pub fn set_line_framing(&mut self, framing: crate::line_framing::HostFraming) {
        self.board_mut().serial.host_framing = framing;
    }

    /// Press (true) or release the user button (B1 on PC13: high while pressed on a
    /// Nucleo-144, low on a Nucleo-64; PA0, high while pressed, on the STM32F4DISCOVERY).
    pub fn set_user_button(&mut self, pressed: bool) {
        self.board_mut().set_user_button(pressed);
    }

    /// Instructions executed since the twin was created.
    pub fn instructions(&self) -> u64 {
        self.board().instructions
    }

    /// Modelled core cycles since the twin was created.
    pub fn cycles(&self) -> u64 {
        self.board().cycles()
    }
}
