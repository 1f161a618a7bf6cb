//! The peripheral bus decoder (RM0090 §2.3 memory map): routes MMIO reads and writes from
//! the emulator to the board's models, gates them on RCC clock enables and resets as the chip
//! does, feeds CPU stores to flash to the flash controller, and logs every access to a
//! peripheral the twin does not model.

use crate::board::{address, Board, UnmodelledAccess};
use crate::core_exceptions::SystemRequest;
use crate::crc::CrcUnit;
use crate::gpio::GpioPort;
use crate::rcc::ResetCause;

/// FLASH_SR's offset in the flash interface.
const FLASH_STATUS_OFFSET: u32 = 0x0C;
/// FLASH_CR's offset in the flash interface.
const FLASH_CONTROL_OFFSET: u32 = 0x10;
/// RCC_APB1ENR.PWREN: the PWR interface's clock (its registers read 0 and ignore writes
/// without it, like the other gated peripherals here).
const POWER_INTERFACE_CLOCK_BIT: u32 = 28;
/// Modelled time a FLASH_SR read lets pass while an operation runs ([`Board::poll_quantum`]).
pub const BUSY_POLL_QUANTUM_PS: u64 = 10_000_000;

impl Board {
    pub(crate) fn unmodelled_access(&mut self, address: u32, write: bool, value: u32) {
        self.unmodelled.push(UnmodelledAccess {
            address,
            write,
            value,
            instruction: self.instructions,
        });
    }

    /// A read from the peripheral window (offset from 0x4000_0000).
    pub fn peripheral_read(&mut self, offset: u32, size: usize) -> u64 {
        let address = address::PERIPHERALS + (offset & !3);
        let shift = 8 * (offset & 3);
        let value = self.peripheral_read_word(address);
        let mask = if size >= 4 {
            u32::MAX
        } else {
            (1u32 << (8 * size)) - 1
        };
        ((value >> shift) & mask) as u64
    }

    fn peripheral_read_word(&mut self, address: u32) -> u32 {
        let now = self.picoseconds();
        let (serial, serial_bit) = self.serial_window();
        match address {
            a if (serial..serial + 0x1C).contains(&a) => {
                if !self.rcc.apb1_enabled(serial_bit) {
                    return 0;
                }
                self.advance_serial(now);
                self.serial.read(a - serial)
            }
            a if (address::IWDG..address::IWDG + 0x10).contains(&a) => {
                self.iwdg.read(a - address::IWDG, now)
            }
            a if (address::GPIOA..address::GPIOA + 11 * 0x400).contains(&a) => {
                let port = ((a - address::GPIOA) / 0x400) as usize;
                if !self.rcc.ahb1_enabled(port as u32) {
                    return 0;
                }
                self.gpio[port].read((a - address::GPIOA) % 0x400)
            }
            a if (address::CRC..address::CRC + 0x0C).contains(&a) => {
                if self.rcc.ahb1_enabled(12) {
                    self.crc.read(a - address::CRC)
                } else {
                    0
                }
            }
            a if (address::RCC..address::RCC + 0x90).contains(&a) => {
                self.rcc.read(a - address::RCC, now)
            }
            a if (address::PWR..address::PWR + 0x08).contains(&a) => {
                if !self.rcc.apb1_enabled(POWER_INTERFACE_CLOCK_BIT) {
                    return 0;
                }
                let locked = self.rcc.read(0, now) & crate::rcc::control::PLLRDY != 0;
                self.regulator.read(a - address::PWR, locked)
            }
            a if (address::DMA1..address::DMA1 + 0xD0).contains(&a) => {
                self.dma_read(a - address::DMA1)
            }
            a if (address::TIM2..address::TIM2 + 0x54).contains(&a) => {
                if self.rcc.apb1_enabled(0) {
                    self.tim2.read(a - address::TIM2, now)
                } else {
                    0
                }
            }
            a if (address::FLASH_INTERFACE..address::FLASH_INTERFACE + 0x1C).contains(&a) => {
                if a - address::FLASH_INTERFACE == FLASH_STATUS_OFFSET {
                    self.poll_quantum();
                }
                self.advance();
                self.flash.read(a - address::FLASH_INTERFACE)
            }
            a => {
                self.unmodelled_access(a, false, 0);
                0
            }
        }
    }

    /// A write to the peripheral window (offset from 0x4000_0000).
    pub fn peripheral_write(&mut self, offset: u32, size: usize, value: u64) {
        let address = address::PERIPHERALS + (offset & !3);
        let value = if size >= 4 {
            value as u32
        } else {
            // Narrow writes replicate the byte/halfword over the word, as the AHB-APB bridge does.
            let narrow = value as u32 & ((1u32 << (8 * size)) - 1);
            if size == 1 {
                narrow * 0x0101_0101
            } else {
                narrow * 0x0001_0001
            }
        };
        let now = self.picoseconds();
        let (serial, serial_bit) = self.serial_window();
        match address {
            a if (serial..serial + 0x1C).contains(&a) => {
                if self.rcc.apb1_enabled(serial_bit) && !self.rcc.apb1_in_reset(serial_bit) {
                    self.advance_serial(now);
                    self.serial
                        .write(a - serial, value, now, self.apb1_clock_hz());
                    self.take_waiting_receive();
                } else {
                    self.diagnostics.push(format!(
                        "write 0x{value:08x} to {} at 0x{a:08x} with its clock off",
                        self.hardware.serial.usart.name()
                    ));
                }
            }
            a if (address::IWDG..address::IWDG + 0x10).contains(&a) => {
                self.iwdg.write(a - address::IWDG, value, now)
            }
            a if (address::GPIOA..address::GPIOA + 11 * 0x400).contains(&a) => {
                let port = ((a - address::GPIOA) / 0x400) as usize;
                if self.rcc.ahb1_enabled(port as u32) && !self.rcc.ahb1_in_reset(port as u32) {
                    self.gpio[port].write((a - address::GPIOA) % 0x400, value);
                    self.track_leds();
                }
            }
            a if (address::CRC..address::CRC + 0x0C).contains(&a) => {
                if self.rcc.ahb1_enabled(12) {
                    self.crc.write(a - address::CRC, value);
                }
            }
            a if (address::RCC..address::RCC + 0x90).contains(&a) => {
                self.rcc_write(a - address::RCC, value, now)
            }
            a if (address::PWR..address::PWR + 0x08).contains(&a) => {
                if self.rcc.apb1_enabled(POWER_INTERFACE_CLOCK_BIT) {
                    let pll_on = self.rcc.read(0, now) & crate::rcc::control::PLLON != 0;
                    if let Some(problem) = self.regulator.write(a - address::PWR, value, pll_on) {
                        self.diagnostics.push(problem);
                    }
                }
            }
            a if (address::DMA1..address::DMA1 + 0xD0).contains(&a) => {
                self.dma_write(a - address::DMA1, value)
            }
            a if (address::TIM2..address::TIM2 + 0x54).contains(&a) => {
                if self.rcc.apb1_enabled(0) && !self.rcc.apb1_in_reset(0) {
                    let timer_clock = self.timer_clock_hz();
                    self.tim2.write(a - address::TIM2, value, now, timer_clock);
                }
            }
            a if (address::FLASH_INTERFACE..address::FLASH_INTERFACE + 0x1C).contains(&a) => {
                self.advance();
                let offset = a - address::FLASH_INTERFACE;
                if offset == FLASH_CONTROL_OFFSET {
                    // A write to FLASH_CR while an operation runs waits on the bus until it ends,
                    // then takes effect (RM0090 §3.5: BSY; the controller does not drop it).
                    self.wait_for_flash_operation();
                }
                let now = self.picoseconds();
                let started = self.flash.write(offset, value, now);
                if offset == 0 {
                    self.update_clocks();
                }
                if self.flash.take_data_view_change() {
                    self.translations_stale = true;
                }
                if self.flash.take_bus_error() {
                    self.system.imprecise_bus_error();
                }
                if started {
                    self.flash_operation_started();
                }
                self.take_flash_diagnostics();
                self.request_stop();
            }
            a => self.unmodelled_access(a, true, value),
        }
        // The write may have scheduled an event (a frame on the line, a ready bit): end the
        // chunk no later than that.
        self.stop_at = self.stop_at.min(
            self.instructions
                .saturating_add(self.instructions_to_next_event(u64::MAX)),
        );
    }

    fn rcc_write(&mut self, offset: u32, value: u32, now: u64) {
        let usart_was_in_reset = self
            .rcc
            .apb1_in_reset(self.hardware.serial.usart.apb1_bit());
        let gpio_reset_before: Vec<bool> =
            (0..11).map(|port| self.rcc.ahb1_in_reset(port)).collect();
        if self.rcc.write(offset, value, now) {
            self.update_clocks();
            self.request_stop();
        }
        if !usart_was_in_reset
            && self
                .rcc
                .apb1_in_reset(self.hardware.serial.usart.apb1_bit())
        {
            self.serial.reset_registers();
        }
        for (port, was_in_reset) in gpio_reset_before.into_iter().enumerate() {
            if !was_in_reset && self.rcc.ahb1_in_reset(port as u32) {
                let input = self.gpio[port].external_input;
                self.gpio[port] = GpioPort::new(port);
                self.gpio[port].external_input = input;
                self.track_leds();
            }
        }
        if offset == 0x10 && self.rcc.ahb1_in_reset(12) {
            self.crc = CrcUnit::default();
        }
        if offset == 0x10 && self.rcc.ahb1_in_reset(crate::board_dma::DMA1_CLOCK_BIT) {
            self.dma = crate::dma::DmaController::new();
        }
        if offset == 0x20 && self.rcc.apb1_in_reset(0) {
            self.tim2 = crate::timer::GeneralPurposeTimer::new();
        }
    }

    /// Move the flash controller's messages to the board log.
    pub fn take_flash_diagnostics(&mut self) {
        self.diagnostics.append(&mut self.flash.diagnostics);
    }

    /// A flash operation just started: consult the power-cut plan.
    pub fn flash_operation_started(&mut self) {
        let Some(operation) = &self.flash.operation else {
            return;
        };
        let (index, started, completes) = (
            operation.index,
            operation.started_ps,
            operation.completes_ps,
        );
        if self
            .power_plan
            .flash_operation_started(index, started, completes)
        {
            // Power is cut before the operation changes anything.
            self.flash.operation = None;
            self.power_lost = true;
            self.request_stop();
        }
        self.update_busy_flash();
    }

    /// A read of FLASH_SR while an operation runs: let up to [`BUSY_POLL_QUANTUM_PS`] of it
    /// pass first, as if the polling loop took that long per iteration. Firmware polls BSY in
    /// a tight loop for the whole operation (a 128 KB erase is 1 s: 168 M instructions at
    /// 168 MHz); the quantum keeps that to about 100 000 reads per second of operation. Time
    /// never skips past the next scheduled event, so a loop sees the operation's end, and a
    /// power cut lands, when they are due.
    fn poll_quantum(&mut self) {
        self.advance();
        if self.flash.operation.is_some() {
            // Never past the next scheduled event (the operation's end, a UART frame, a power
            // cut, the watchdog, SysTick): it happens at its own time, as during WFI.
            let quantum = BUSY_POLL_QUANTUM_PS * self.core_clock_hz() / 1_000_000_000_000;
            let until_event = self.next_event_cycles().unwrap_or(quantum);
            self.skip_cycles(quantum.min(until_event));
            self.advance();
            // The run loop must act before the next instruction: copy a completed operation's
            // result into the CPU's view of flash, cut the power, reset.
            let completed = self.flash.operation.is_none() || !self.dirty_flash.is_empty();
            if completed || self.power_lost || self.reset_requested.is_some() {
                self.request_stop();
            }
        }
    }

    /// Let the bus stall until the flash operation in progress (if any) is over (RM0090
    /// §3.5.2), handling the events on the way.
    fn wait_for_flash_operation(&mut self) {
        if let Some(operation) = &self.flash.operation {
            let wait = operation.completes_ps.saturating_sub(self.picoseconds());
            self.skip_cycles(wait * self.core_clock_hz() / 1_000_000_000_000 + 1);
            self.advance();
        }
    }

    /// A CPU store to flash at `offset` from 0x0800_0000 (through the write port).
    pub fn flash_store(&mut self, offset: u32, size: usize, value: u64) {
        self.advance();
        self.wait_for_flash_operation();
        if self.power_lost {
            return;
        }
        if self
            .flash
            .store(offset, size as u32, value, self.picoseconds())
        {
            self.flash_operation_started();
        }
        self.take_flash_diagnostics();
        self.request_stop();
    }

    /// A read from the private peripheral bus (offset from 0xE000_0000).
    pub fn private_read(&mut self, offset: u32, size: usize) -> u64 {
        let shift = 8 * (offset & 3);
        let mask = if size >= 4 {
            u32::MAX
        } else {
            (1u32 << (8 * size)) - 1
        };
        ((self.private_read_word(offset & !3) >> shift) & mask) as u64
    }

    fn private_read_word(&mut self, offset: u32) -> u32 {
        let address = address::PRIVATE_PERIPHERALS + offset;
        if address == address::DWT_CYCLE_COUNT {
            return self.cycles() as u32;
        }
        if address == address::DEBUG_MCU {
            return self.debug_mcu_idcode;
        }
        if (address::DEBUG_MCU + 4..address::DEBUG_MCU + 0x10).contains(&address) {
            return self.debug_mcu[((address - address::DEBUG_MCU) / 4 - 1) as usize];
        }
        if (address::SYSTEM_CONTROL..address::SYSTEM_CONTROL + 0x1000).contains(&address) {
            if let Some(value) = self
                .system
                .read(address - address::SYSTEM_CONTROL, self.cycles())
            {
                return value;
            }
        }
        self.unmodelled_access(address, false, 0);
        0
    }

    /// A write to the private peripheral bus (offset from 0xE000_0000).
    pub fn private_write(&mut self, offset: u32, size: usize, value: u64) {
        let aligned = offset & !3;
        let shift = 8 * (offset & 3);
        let value = if size >= 4 {
            value as u32
        } else {
            // Byte and half-word writes: the priority registers (NVIC_IPR, SCB_SHPR) are byte
            // addressable, so merge into the current word; elsewhere the other lanes are 0.
            let mask = ((1u32 << (8 * size)) - 1) << shift;
            let lane = ((value as u32) << shift) & mask;
            let address = address::PRIVATE_PERIPHERALS + aligned;
            let byte_addressable = (0xE000_E400..0xE000_E4F0).contains(&address)
                || (0xE000_ED18..0xE000_ED24).contains(&address);
            if byte_addressable {
                (self.private_read_word(aligned) & !mask) | lane
            } else {
                lane
            }
        };
        let address = address::PRIVATE_PERIPHERALS + aligned;
        if (address::DEBUG_MCU + 4..address::DEBUG_MCU + 0x10).contains(&address) {
            self.debug_mcu[((address - address::DEBUG_MCU) / 4 - 1) as usize] = value;
            return;
        }
        if (address::SYSTEM_CONTROL..address::SYSTEM_CONTROL + 0x1000).contains(&address) {
            match self
                .system
                .write(address - address::SYSTEM_CONTROL, value, self.cycles())
            {
                Some(SystemRequest::SystemReset) => {
                    self.reset_requested = Some(ResetCause::Software);
                    self.request_stop();
                }
                Some(_) => self.request_stop(),
                None => self.unmodelled_access(address, true, value),
            }
            return;
        }
        if address == 0xE000_1000 {
            return; // DWT_CTRL: the cycle counter always runs in the twin.
        }
        self.unmodelled_access(address, true, value);
    }
}

impl Board {
    /// The serial USART's register window start and its RCC_APB1ENR bit.
    fn serial_window(&self) -> (u32, u32) {
        let usart = self.hardware.serial.usart;
        (usart.address(), usart.apb1_bit())
    }
}
