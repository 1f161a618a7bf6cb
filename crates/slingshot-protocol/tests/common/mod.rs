//! Shared test support: a simulated flash handler over the F429 sector map, a fixed-seed random
//! generator, the in-memory link simulator and a model of ST's ROM bootloader for comparison.
#![allow(dead_code)]

pub mod link;
pub mod rom;

use slingshot_layout::{Layout, Region};
use slingshot_protocol::device::{DeviceHandler, EraseUnit, Refusal};
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::frame::CRC32;
use slingshot_protocol::info::{
    DeviceInfo, DeviceState, SlotInfo, UpdateMode, Version, MAX_LAYOUT_NAME,
};

/// xorshift64*: a small deterministic generator for fixed-seed tests.
#[derive(Clone, Debug)]
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..bound` (bound > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    pub fn bytes(&mut self, count: usize) -> Vec<u8> {
        (0..count).map(|_| self.next_u64() as u8).collect()
    }
}

/// Typical F429 flash timings at x32 (REFERENCE.md section 2), in nanoseconds.
pub const WORD_PROGRAM_NANOSECONDS: u64 = 16_000;

/// Typical erase time for a sector of `size` bytes, in nanoseconds.
pub fn erase_nanoseconds(size: u32) -> u64 {
    match size {
        0..=16384 => 250_000_000,
        16385..=65536 => 550_000_000,
        _ => 1_000_000_000,
    }
}

/// The last flash operation, kept so a power cut inside it can be applied as a torn operation.
#[derive(Clone, Debug)]
pub struct LastOperation {
    pub offset: usize,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
    pub is_erase: bool,
}

/// Test stand-in for the signed image's descriptor: board id, security counter, image CRC.
pub fn descriptor(board_id: u32, security_counter: u32, image: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&board_id.to_le_bytes());
    bytes.extend_from_slice(&security_counter.to_le_bytes());
    bytes.extend_from_slice(&CRC32.checksum(image).to_le_bytes());
    bytes
}

/// A Vec-backed update target with the F429 sector map, enforcing NOR rules and adding up
/// the time each operation would take on the chip.
pub struct SimulatedFlash {
    pub slot: Region,
    pub units: Vec<EraseUnit>,
    pub memory: Vec<u8>,
    pub board_id: u32,
    pub minimum_security_counter: u32,
    pub expected_checksum: Option<u32>,
    pub busy_nanoseconds: u64,
    pub erase_time_scale: u64,
    pub erases: u32,
    pub programmed_bytes: u64,
    pub violations: u32,
    pub installs: u32,
    pub reboots: u32,
    pub uart_baud: u32,
    pub last_operation: Option<LastOperation>,
}

impl SimulatedFlash {
    /// The update target of `layout` (secondary slot if any, else the primary), erased.
    pub fn for_layout(layout: &Layout) -> Self {
        let slot = layout
            .partitions
            .secondary
            .unwrap_or(layout.partitions.primary);
        let units = layout
            .board
            .part
            .flash
            .sectors
            .iter()
            .filter(|sector| slot.contains(sector.start))
            .map(|sector| EraseUnit {
                offset: sector.start - slot.start,
                size: sector.size,
            })
            .collect();
        Self {
            slot,
            units,
            memory: vec![0xFF; slot.size as usize],
            board_id: layout.board.board_id,
            minimum_security_counter: 0,
            expected_checksum: None,
            busy_nanoseconds: 0,
            erase_time_scale: 1,
            erases: 0,
            programmed_bytes: 0,
            violations: 0,
            installs: 0,
            reboots: 0,
            uart_baud: 115_200,
            last_operation: None,
        }
    }

    /// Applies a power cut `fraction_per_mille` of the way through the last operation: a prefix
    /// of the words programmed plus one torn word, or a partially erased unit.
    pub fn tear_last_operation(&mut self, fraction_per_mille: u64, random: &mut Random) {
        let Some(operation) = self.last_operation.take() else {
            return;
        };
        let words = operation.after.len() / 4;
        let done = (words as u64 * fraction_per_mille / 1000) as usize;
        for word in 0..words {
            let range = word * 4..word * 4 + 4;
            let target =
                &mut self.memory[operation.offset + range.start..operation.offset + range.end];
            let applied = if operation.is_erase {
                random.below(2) == 0
            } else {
                word < done
            };
            if applied {
                target.copy_from_slice(&operation.after[range.clone()]);
            } else if !operation.is_erase && word == done {
                for (index, byte) in target.iter_mut().enumerate() {
                    let mask = random.next_u64() as u8; // a random subset of the bit changes
                    *byte = operation.before[range.start + index]
                        & (operation.after[range.start + index] | mask);
                }
            } else {
                target.copy_from_slice(&operation.before[range.clone()]);
            }
        }
    }
}

impl DeviceHandler for SimulatedFlash {
    fn info(&mut self) -> DeviceInfo {
        let mut info = DeviceInfo {
            board_id: self.board_id,
            bootloader_version: Version {
                major: 0,
                minor: 1,
                patch: 0,
                build: 7,
            },
            layout_name: [0; MAX_LAYOUT_NAME],
            layout_name_length: 0,
            update_mode: UpdateMode::SingleSlot,
            max_image_size: self.slot.size,
            slot_count: 1,
            slots: [SlotInfo::EMPTY; 2],
            state: DeviceState::Idle,
            chip: None,
        };
        info.set_layout_name("nucleo-f429zi-single");
        info
    }

    fn check_update(&mut self, image_size: u32, descriptor: &[u8]) -> Result<(), Refusal> {
        let field = |index: usize| -> Option<u32> {
            Some(u32::from_le_bytes(
                descriptor.get(index * 4..index * 4 + 4)?.try_into().ok()?,
            ))
        };
        let (Some(board), Some(counter), Some(checksum)) = (field(0), field(1), field(2)) else {
            return Err(Refusal::new(ErrorCode::BadDescriptor));
        };
        if board != self.board_id {
            return Err(Refusal::with_detail(ErrorCode::WrongBoard, self.board_id));
        }
        if image_size > self.slot.size {
            return Err(Refusal::with_detail(
                ErrorCode::ImageTooLarge,
                self.slot.size,
            ));
        }
        if counter < self.minimum_security_counter {
            return Err(Refusal::with_detail(
                ErrorCode::VersionTooOld,
                self.minimum_security_counter,
            ));
        }
        self.expected_checksum = Some(checksum);
        Ok(())
    }

    fn erase_unit(&self, offset: u32) -> Option<EraseUnit> {
        self.units
            .iter()
            .copied()
            .find(|unit| unit.offset <= offset && offset < unit.end())
    }

    fn erase(&mut self, unit: EraseUnit) -> Result<(), ErrorCode> {
        let range = unit.offset as usize..unit.end() as usize;
        let before = self.memory[range.clone()].to_vec();
        self.memory[range.clone()].fill(0xFF);
        self.erases += 1;
        self.busy_nanoseconds += erase_nanoseconds(unit.size) * self.erase_time_scale;
        let after = self.memory[range].to_vec();
        self.last_operation = Some(LastOperation {
            offset: unit.offset as usize,
            before,
            after,
            is_erase: true,
        });
        Ok(())
    }

    fn program(&mut self, offset: u32, data: &[u8]) -> Result<(), ErrorCode> {
        let range = offset as usize..offset as usize + data.len();
        if offset % 4 != 0 || data.len() % 4 != 0 || range.end > self.memory.len() {
            self.violations += 1;
            return Err(ErrorCode::ProgramFailed);
        }
        if self.memory[range.clone()].iter().any(|&byte| byte != 0xFF) {
            self.violations += 1;
            return Err(ErrorCode::ProgramFailed);
        }
        let before = self.memory[range.clone()].to_vec();
        self.memory[range].copy_from_slice(data);
        self.programmed_bytes += data.len() as u64;
        self.busy_nanoseconds += WORD_PROGRAM_NANOSECONDS * (data.len() as u64 / 4);
        self.last_operation = Some(LastOperation {
            offset: offset as usize,
            before,
            after: data.to_vec(),
            is_erase: false,
        });
        Ok(())
    }

    fn read(&mut self, offset: u32, buffer: &mut [u8]) -> Result<(), ErrorCode> {
        let start = offset as usize;
        let source = self
            .memory
            .get(start..start + buffer.len())
            .ok_or(ErrorCode::ReadFailed)?;
        buffer.copy_from_slice(source);
        Ok(())
    }

    fn verify(&mut self, image_size: u32) -> Result<(), Refusal> {
        let actual = CRC32.checksum(&self.memory[..image_size as usize]);
        match self.expected_checksum {
            Some(expected) if expected == actual => Ok(()),
            _ => Err(Refusal::with_detail(ErrorCode::HashMismatch, actual)),
        }
    }

    fn install(&mut self, _image_size: u32) -> Result<(), Refusal> {
        self.installs += 1;
        Ok(())
    }

    fn reboot(&mut self) {
        self.reboots += 1;
    }

    fn supports_baud(&self, baud: u32) -> bool {
        matches!(baud, 115_200 | 230_400 | 460_800 | 1_000_000)
    }

    fn set_baud(&mut self, baud: u32) {
        self.uart_baud = baud;
    }
}
