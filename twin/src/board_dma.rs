//! Wiring of DMA1 to the board's serial USART and to memory, from the layout crate's board
//! table (RM0090 §10.3.3 table 42: USART3_RX = stream 1, USART3_TX = stream 3; USART2_RX =
//! stream 5, USART2_TX = stream 6; all channel 4).
//!
//! The USART model offers each received byte to DMA1 the moment it lands in `DR`, so the
//! transfer happens at the byte's modelled time whatever the CPU is doing (running, sleeping
//! or stalled on flash). The board cannot reach the emulator's memory from inside its
//! models, so memory writes by DMA are queued and [`settle`] copies them into the emulator
//! before the CPU executes another instruction; memory reads for transmit requests are served
//! by [`settle`] too, writing `DR` at the time the request rose.
//!
//! By default a received byte is counted (NDTR) and written to memory in the same step. With
//! `Board::dma_write_latency_cycles` the write lands that many core cycles after the count:
//! firmware that reads the ring entry NDTR says is filled sooner than that reads the old byte,
//! as it could if the DMA's memory write trails its count on silicon (RM0090 §10.3 does not
//! bound the gap; the option measures the firmware's margin).

use unicorn_engine::Unicorn;

use crate::board::{address, Board};
use crate::dma::{interrupt_number, Direction, DmaMemoryWrite};
use crate::memory;

/// `RCC_AHB1ENR`/`RCC_AHB1RSTR` bit of DMA1.
pub const DMA1_CLOCK_BIT: u32 = 21;
/// How the serial USART's requests reach DMA1 on this board.
#[derive(Clone, Copy, Debug)]
pub struct SerialRoute {
    /// The stream serving RX.
    pub receive_stream: usize,
    /// The stream serving TX.
    pub transmit_stream: usize,
    /// The channel (CHSEL) of both.
    pub channel: u32,
    /// Address of the USART's `DR`.
    pub data_register: u32,
}

impl SerialRoute {
    /// The route of `board`'s serial port.
    pub const fn of(board: &slingshot_layout::Board) -> Self {
        let serial = board.serial;
        Self {
            receive_stream: serial.receive_dma_stream as usize,
            transmit_stream: serial.transmit_dma_stream as usize,
            channel: serial.receive_dma_channel as u32,
            data_register: serial.usart.address() + 4,
        }
    }
}

/// Whether DMA1's memory port reaches `address..address + size` of `part` for `write` (SRAM;
/// flash for reads). CCM RAM is on the core's data bus only (RM0090 §2.3.1).
pub fn reachable_by_dma(
    part: &slingshot_layout::Part,
    address: u32,
    size: u32,
    write: bool,
) -> bool {
    let ram = part.ram;
    let end = address as u64 + size as u64;
    let in_ram = address >= ram.start && end <= ram.start as u64 + ram.size as u64;
    let in_flash =
        address >= memory::FLASH_BASE && end <= memory::FLASH_BASE as u64 + part.flash.size as u64;
    in_ram || (!write && in_flash)
}

impl Board {
    /// Core cycles until the earliest DMA memory write still in flight lands, if any.
    pub fn cycles_to_next_dma_memory_write(&self) -> Option<u64> {
        let now = self.cycles();
        self.dma_memory_writes
            .iter()
            .map(|write| write.due_cycles.saturating_sub(now))
            .min()
    }

    fn dma_clock(&self) -> bool {
        self.rcc.ahb1_enabled(DMA1_CLOCK_BIT) && !self.rcc.ahb1_in_reset(DMA1_CLOCK_BIT)
    }

    /// The board's serial DMA route.
    pub fn serial_route(&self) -> SerialRoute {
        SerialRoute::of(self.hardware)
    }

    fn stream_serves(&self, stream: usize, direction: Direction) -> bool {
        self.dma_clock() && self.dma.streams[stream].serves(self.serial_route().channel, direction)
    }

    /// Bring the serial USART up to `now_ps`, letting DMA1 take received bytes as they arrive.
    pub fn advance_serial(&mut self, now_ps: u64) {
        let apb1 = self.apb1_clock_hz();
        let route = self.serial_route();
        let transmit_by_dma =
            self.stream_serves(route.transmit_stream, Direction::MemoryToPeripheral);
        let clock = self.dma_clock();
        let due = self.cycles() + self.dma_write_latency_cycles;
        let part = &self.hardware.part;
        let dma = &mut self.dma;
        let writes = &mut self.dma_memory_writes;
        self.serial
            .advance(now_ps, apb1, transmit_by_dma, &mut |byte| {
                receive_into_memory(part, route, clock, dma, writes, byte, due)
            });
        self.diagnostics.append(&mut self.dma.diagnostics);
    }

    /// After a DMA register or `USARTx_CR3` write: a byte already waiting in `DR` goes to a
    /// stream that now serves it.
    pub fn take_waiting_receive(&mut self) {
        let route = self.serial_route();
        if !self.stream_serves(route.receive_stream, Direction::PeripheralToMemory) {
            return;
        }
        if let Some(byte) = self.serial.take_for_dma() {
            let clock = self.dma_clock();
            let due = self.cycles() + self.dma_write_latency_cycles;
            let part = &self.hardware.part;
            receive_into_memory(
                part,
                route,
                clock,
                &mut self.dma,
                &mut self.dma_memory_writes,
                byte,
                due,
            );
        }
    }

    /// A DMA1 register read (offset from 0x4002_6000).
    pub fn dma_read(&mut self, offset: u32) -> u32 {
        if !self.dma_clock() {
            return 0;
        }
        let now = self.picoseconds();
        self.advance_serial(now);
        self.dma.read(offset)
    }

    /// A DMA1 register write (offset from 0x4002_6000).
    pub fn dma_write(&mut self, offset: u32, value: u32) {
        if !self.dma_clock() {
            self.diagnostics.push(format!(
                "write 0x{value:08x} to DMA1 at 0x{:08x} with its clock off",
                address::DMA1 + offset
            ));
            return;
        }
        let now = self.picoseconds();
        self.advance_serial(now);
        self.dma.write(offset, value, now);
        let route = self.serial_route();
        for (index, direction) in [
            (route.receive_stream, Direction::PeripheralToMemory),
            (route.transmit_stream, Direction::MemoryToPeripheral),
        ] {
            let stream = &self.dma.streams[index];
            if stream.serves(route.channel, direction)
                && stream.peripheral_address != route.data_register
            {
                // The twin models no other peripheral on these request lines.
                let address = stream.peripheral_address;
                self.dma.transfer_error(index, address);
            }
        }
        self.diagnostics.append(&mut self.dma.diagnostics);
        self.take_waiting_receive();
        self.request_stop();
    }

    /// Raise the NVIC requests of DMA1 streams whose flags and enables say so.
    pub fn raise_dma_interrupts(&mut self) {
        for stream in 0..crate::dma::STREAMS {
            if self.dma.interrupt_requested(stream) {
                self.system.request_interrupt(interrupt_number(stream));
            }
        }
    }

    /// The transmit stream's next memory read, when the USART requests one: (address, size).
    fn transmit_memory_read(&self) -> Option<(u32, u32)> {
        let stream_index = self.serial_route().transmit_stream;
        if !self.stream_serves(stream_index, Direction::MemoryToPeripheral) {
            return None;
        }
        self.serial.transmit_request_ps()?;
        let stream = &self.dma.streams[stream_index];
        Some((stream.next_memory_address(), stream.item_size()))
    }

    /// Serve the USART's transmit request with `value` read from memory (`None`: the address
    /// is not reachable), at the time the request rose, then bring the line up to now.
    fn transmit_from_memory(&mut self, address: u32, value: Option<u32>) {
        let stream_index = self.serial_route().transmit_stream;
        let Some(value) = value else {
            self.dma.transfer_error(stream_index, address);
            self.diagnostics.append(&mut self.dma.diagnostics);
            return;
        };
        let since = self.serial.transmit_request_ps().unwrap_or(0);
        let at = since.max(self.dma.streams[stream_index].enabled_ps);
        let apb1 = self.apb1_clock_hz();
        self.serial.write(0x04, value, at, apb1);
        self.dma.item_transferred(stream_index);
        let now = self.picoseconds();
        self.advance_serial(now);
    }
}

/// The receive stream takes a received byte (when it serves the USART's RX request) and
/// queues the memory write, visible from core cycle `due_cycles`.
fn receive_into_memory(
    part: &slingshot_layout::Part,
    route: SerialRoute,
    clock: bool,
    dma: &mut crate::dma::DmaController,
    writes: &mut Vec<DmaMemoryWrite>,
    byte: u8,
    due_cycles: u64,
) -> bool {
    let index = route.receive_stream;
    let stream = &dma.streams[index];
    if !clock || !stream.serves(route.channel, Direction::PeripheralToMemory) {
        return false;
    }
    let (address, size) = (stream.next_memory_address(), stream.item_size());
    if !reachable_by_dma(part, address, size, true) {
        dma.transfer_error(index, address);
        // The DMA read DR before the write failed.
        return true;
    }
    writes.push(DmaMemoryWrite {
        address,
        value: u32::from(byte),
        size,
        due_cycles,
    });
    dma.item_transferred(index);
    true
}

/// Complete DMA work that needs the emulator's memory: copy queued writes in and serve
/// transmit requests, until nothing is left. Called by the run loop and after every MMIO
/// access, so the CPU never sees memory behind the DMA.
pub(crate) fn settle(uc: &mut Unicorn<'_, Board>) {
    loop {
        let now = uc.get_data().cycles();
        let (due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut uc.get_data_mut().dma_memory_writes)
                .into_iter()
                .partition(|write| write.due_cycles <= now);
        uc.get_data_mut().dma_memory_writes = later;
        for write in due {
            let bytes = write.value.to_le_bytes();
            let _ = uc.mem_write(write.address as u64, &bytes[..write.size as usize]);
        }
        let Some((address, size)) = uc.get_data().transmit_memory_read() else {
            return;
        };
        let part = uc.get_data().hardware.part;
        let value = if reachable_by_dma(&part, address, size, false) {
            let mut bytes = [0u8; 4];
            uc.mem_read(
                memory::physical(&part, address) as u64,
                &mut bytes[..size as usize],
            )
            .ok()
            .map(|()| u32::from_le_bytes(bytes))
        } else {
            None
        };
        uc.get_data_mut().transmit_from_memory(address, value);
    }
}

/// Bring the serial USART and DMA1 up to the current modelled time and [`settle`] (before an MMIO
/// access, so the access sees what DMA did meanwhile). Cheap when no stream is enabled.
pub(crate) fn settle_to_now(uc: &mut Unicorn<'_, Board>) {
    let board = uc.get_data_mut();
    let active = board.dma.any_enabled() && board.dma_clock();
    if active {
        let now = board.picoseconds();
        board.advance_serial(now);
    }
    if active || !board.dma_memory_writes.is_empty() {
        settle(uc);
    }
}
