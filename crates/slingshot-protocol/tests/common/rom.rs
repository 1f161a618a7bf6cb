//! A model of the stop-and-wait pattern of ST's ROM bootloader (AN3155): extended erase, then
//! "write memory" of 256 bytes with three acknowledgement round trips per write.
//!
//! Same link, same pacing (8N1 here; the real ROM bootloader uses 8E1, 10 % slower still), same
//! flash timings as the protocol's simulated device.

use std::time::Duration;

use slingshot_protocol::host::Transport;

use super::link::DeviceModel;
use slingshot_flash_sim::TimingModel;

/// The same datasheet timings as the simulated flash under the protocol's device.
const TIMING: TimingModel = TimingModel::STM32F4_X32_TYPICAL;

const ACK: u8 = 0x79;

/// The device side: counts command bytes and answers ACK after each phase.
pub struct RomBootloader {
    pub memory: Vec<u8>,
    pub sector_sizes: Vec<u32>,
    baud: u32,
    buffer: Vec<u8>,
    phase: Phase,
    address: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Command,
    Address,
    Data,
    EraseList,
}

impl RomBootloader {
    pub fn new(size: usize, sector_sizes: Vec<u32>, baud: u32) -> Self {
        Self {
            memory: vec![0xFF; size],
            sector_sizes,
            baud,
            buffer: Vec::new(),
            phase: Phase::Command,
            address: 0,
        }
    }
}

impl DeviceModel for RomBootloader {
    fn receive(&mut self, byte: u8, reply: &mut Vec<u8>) -> u64 {
        self.buffer.push(byte);
        match self.phase {
            Phase::Command if self.buffer.len() == 2 => {
                self.phase = if self.buffer[0] == 0x44 {
                    Phase::EraseList
                } else {
                    Phase::Address
                };
                self.buffer.clear();
                reply.push(ACK);
                0
            }
            Phase::Address if self.buffer.len() == 5 => {
                self.address =
                    u32::from_be_bytes(self.buffer[..4].try_into().expect("4 bytes")) as usize;
                self.phase = Phase::Data;
                self.buffer.clear();
                reply.push(ACK);
                0
            }
            Phase::Data
                if self.buffer.len() >= 2
                    && self.buffer.len() == usize::from(self.buffer[0]) + 3 =>
            {
                let data = &self.buffer[1..self.buffer.len() - 1];
                self.memory[self.address..self.address + data.len()].copy_from_slice(data);
                let busy = TIMING.program_microseconds(data.len()) * 1000;
                self.phase = Phase::Command;
                self.buffer.clear();
                reply.push(ACK);
                busy
            }
            Phase::EraseList if self.buffer.len() >= 2 => {
                let count = usize::from(u16::from_be_bytes([self.buffer[0], self.buffer[1]])) + 1;
                if self.buffer.len() < 2 + 2 * count + 1 {
                    return 0;
                }
                let busy = (0..count)
                    .map(|index| {
                        let sector = u16::from_be_bytes([
                            self.buffer[2 + 2 * index],
                            self.buffer[3 + 2 * index],
                        ]);
                        TIMING.erase_microseconds(self.sector_sizes[usize::from(sector)]) * 1000
                    })
                    .sum();
                self.phase = Phase::Command;
                self.buffer.clear();
                reply.push(ACK);
                busy
            }
            _ => 0,
        }
    }

    fn poll(&mut self, _now_nanoseconds: u64) -> u64 {
        0
    }

    fn baud(&self) -> u32 {
        self.baud
    }

    fn power_cycle(&mut self, _torn: bool) {}
}

fn wait_ack(transport: &mut impl Transport) {
    let mut byte = [0u8; 1];
    let count = transport
        .read(&mut byte, Duration::from_secs(30))
        .expect("link up");
    assert_eq!(
        (count, byte[0]),
        (1, ACK),
        "the ROM model acknowledges every phase"
    );
}

/// The host side: erases `sectors` (extended erase), then writes `image` in 256-byte writes.
pub fn write_image(transport: &mut impl Transport, image: &[u8], sectors: &[u16]) {
    if !sectors.is_empty() {
        transport.write(&[0x44, 0xBB]).expect("link up");
        wait_ack(transport);
        let mut list = ((sectors.len() - 1) as u16).to_be_bytes().to_vec();
        for sector in sectors {
            list.extend_from_slice(&sector.to_be_bytes());
        }
        list.push(list.iter().fold(0, |checksum, byte| checksum ^ byte));
        transport.write(&list).expect("link up");
        wait_ack(transport);
    }
    for (index, chunk) in image.chunks(256).enumerate() {
        transport.write(&[0x31, 0xCE]).expect("link up");
        wait_ack(transport);
        let mut address = ((index * 256) as u32).to_be_bytes().to_vec();
        address.push(address.iter().fold(0, |checksum, byte| checksum ^ byte));
        transport.write(&address).expect("link up");
        wait_ack(transport);
        let mut data = vec![(chunk.len() - 1) as u8];
        data.extend_from_slice(chunk);
        data.push(data.iter().fold(0, |checksum, byte| checksum ^ byte));
        transport.write(&data).expect("link up");
        wait_ack(transport);
    }
}
