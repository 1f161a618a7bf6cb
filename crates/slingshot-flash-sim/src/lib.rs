//! A simulated NOR flash for host tests of Slingshot's update engine.
//!
//! [`SimulatedFlash`] implements `embedded-storage` 0.3 [`ReadNorFlash`] and [`NorFlash`] (and
//! [`MultiwriteNorFlash`] in its `MULTIWRITE` variant) over
//! any [`FlashGeometry`] from `slingshot-layout` — the STM32F429's mixed 16/64/128 KB map or a
//! uniform map ([`uniform_geometry`]) — with the write size as a const parameter and the erased
//! value taken from the geometry. It is deliberately stricter than real silicon:
//!
//! - **NOR rules**: a program must be aligned to the write size, its length a multiple of it,
//!   and every write unit it touches must be fully erased; programming over data panics (that is
//!   an engine bug, never a recoverable condition). Erases take whole sectors of the real,
//!   non-uniform map: `erase(from, to)` fails unless both ends are sector boundaries.
//! - **Random initial content** from a seed, so nothing can rely on "fresh flash is erased".
//! - **Power cuts** ([`PowerCut`]): before the k-th mutating operation, or *inside* it — a torn
//!   program applies a random subset of the intended bit changes, a torn erase leaves the sector
//!   with arbitrary content. After a cut every operation (reads too) fails with
//!   [`SimulatedFlashError::PowerCut`] until [`SimulatedFlash::power_on`]; flash content is kept.
//! - **Accounting** ([`Statistics`]): reads, programs, sector erases (per sector, for wear) and
//!   the modelled time of every operation from [`TimingModel`].
//!
//! Addresses given to the `embedded-storage` traits are offsets from the flash base, as that
//! API requires; the test helpers ([`SimulatedFlash::load`], [`SimulatedFlash::contents`]) take
//! absolute addresses.
#![forbid(unsafe_code)]

mod random;
mod timing;

pub use random::SplitMix64;
pub use timing::TimingModel;

use embedded_storage::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use slingshot_layout::{FlashGeometry, Sector};

/// Every sector size must be a multiple of this; it is what the `ERASE_SIZE` constant reports
/// (the real erase unit is the sector of the map, checked on every erase).
pub const ERASE_ALIGNMENT: usize = 1024;

/// When the simulated power fails. Operations are counted from 0 over the flash's lifetime
/// (power cycles included); only programs and sector erases count (reads change nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerCut {
    /// The operation with this index never starts.
    BeforeOperation(u64),
    /// The operation with this index is torn: part of a program or erase happens.
    InsideOperation(u64),
}

/// Why a simulated flash operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimulatedFlashError {
    /// The power was cut; call [`SimulatedFlash::power_on`].
    #[error("the power is off (cut by the fault injector)")]
    PowerCut,
    /// The access lies (partly) outside flash.
    #[error(
        "access at offset 0x{offset:08x} of {length} bytes lies outside the {size} bytes of flash"
    )]
    OutOfBounds {
        /// Offset from the flash base.
        offset: u32,
        /// Length of the access in bytes.
        length: usize,
        /// Flash size in bytes.
        size: u32,
    },
    /// A program is not aligned to the write size or its length is not a multiple of it.
    #[error("program at offset 0x{offset:08x} of {length} bytes is not aligned to the write size of {write_size} bytes")]
    NotAligned {
        /// Offset from the flash base.
        offset: u32,
        /// Length in bytes.
        length: usize,
        /// Write size in bytes.
        write_size: usize,
    },
    /// An erase range does not start and end on sector boundaries of the map.
    #[error(
        "erase of offsets 0x{from:08x}..0x{to:08x} does not start and end on sector boundaries"
    )]
    NotSectorAligned {
        /// First offset of the range.
        from: u32,
        /// One past the last offset.
        to: u32,
    },
}

impl NorFlashError for SimulatedFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            SimulatedFlashError::PowerCut => NorFlashErrorKind::Other,
            SimulatedFlashError::OutOfBounds { .. } => NorFlashErrorKind::OutOfBounds,
            SimulatedFlashError::NotAligned { .. }
            | SimulatedFlashError::NotSectorAligned { .. } => NorFlashErrorKind::NotAligned,
        }
    }
}

/// What the flash has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statistics {
    /// Read calls.
    pub reads: u64,
    /// Program (write) calls that started.
    pub programs: u64,
    /// Bytes programmed.
    pub bytes_programmed: u64,
    /// Sector erases that started.
    pub erases: u64,
    /// Erases per sector, indexed like the geometry's sector list (wear).
    pub erases_per_sector: Vec<u32>,
    /// Modelled time of every program and erase, in microseconds.
    pub modelled_microseconds: u64,
}

/// A simulated NOR flash with `WRITE_SIZE`-byte program units. See the crate docs.
///
/// With `MULTIWRITE = false` (the default, and what the update engine is tested with) a write
/// unit may be programmed only while fully erased. With `MULTIWRITE = true` the flash also
/// implements [`MultiwriteNorFlash`]: a unit may be programmed again as long as every bit only
/// moves away from the erased value (1→0 when erased is 0xFF, 0→1 when it is 0x00), as on
/// parts without ECC such as the STM32F4.
#[derive(Clone, Debug)]
pub struct SimulatedFlash<const WRITE_SIZE: usize, const MULTIWRITE: bool = false> {
    geometry: FlashGeometry,
    memory: Vec<u8>,
    random: SplitMix64,
    statistics: Statistics,
    operations: u64,
    planned_cut: Option<PowerCut>,
    powered: bool,
    timing: TimingModel,
    /// The last completed program or erase, kept while [`SimulatedFlash::keep_last_operation`]
    /// is on, so a cut found out afterwards can tear it.
    last_operation: Option<LastOperation>,
    keep_last_operation: bool,
}

/// What [`SimulatedFlash::tear_last_operation`] tore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TornOperation {
    /// A program: a random part of its bit changes happened.
    Program,
    /// A sector erase: the sector holds arbitrary content.
    Erase,
}

/// A completed mutating operation: where, what was there before, and what it wrote.
#[derive(Clone, Debug)]
struct LastOperation {
    start: usize,
    before: Vec<u8>,
    /// The bytes programmed; `None` for a sector erase.
    programmed: Option<Vec<u8>>,
}

/// A uniform sector map (for the device matrix): `sector_count` sectors of `sector_size`
/// bytes from `base`. The sector table is leaked to get the `'static` lifetime the layout
/// types use; this is a test helper, called a handful of times per process.
pub fn uniform_geometry(
    base: u32,
    sector_size: u32,
    sector_count: u8,
    write_size: u32,
    erased_value: u8,
) -> FlashGeometry {
    let sectors: Vec<Sector> = (0..sector_count)
        .map(|number| Sector {
            number,
            start: base + u32::from(number) * sector_size,
            size: sector_size,
            control_register_number: number,
        })
        .collect();
    FlashGeometry {
        base,
        size: sector_size * u32::from(sector_count),
        sectors: Box::leak(sectors.into_boxed_slice()),
        write_size,
        erased_value,
        bank_size: None,
    }
}

impl<const WRITE_SIZE: usize, const MULTIWRITE: bool> SimulatedFlash<WRITE_SIZE, MULTIWRITE> {
    /// A flash with `geometry`'s sector map and erased value, filled with random content from
    /// `seed`. Panics if the geometry's write size is not `WRITE_SIZE` or a sector size is not
    /// a multiple of [`ERASE_ALIGNMENT`].
    pub fn new(geometry: FlashGeometry, seed: u64) -> Self {
        assert_eq!(
            geometry.write_size as usize, WRITE_SIZE,
            "geometry write size and WRITE_SIZE differ"
        );
        assert!(
            geometry
                .sectors
                .iter()
                .all(|sector| sector.size as usize % ERASE_ALIGNMENT == 0),
            "every sector size must be a multiple of {ERASE_ALIGNMENT} bytes"
        );
        let mut random = SplitMix64::new(seed);
        let mut memory = vec![0; geometry.size as usize];
        random.fill(&mut memory);
        Self {
            geometry,
            memory,
            random,
            statistics: Statistics {
                erases_per_sector: vec![0; geometry.sectors.len()],
                ..Statistics::default()
            },
            operations: 0,
            planned_cut: None,
            powered: true,
            timing: TimingModel::STM32F4_X32_TYPICAL,
            last_operation: None,
            keep_last_operation: false,
        }
    }

    /// The durations the statistics add up (the datasheet's typical figures by default).
    pub fn set_timing(&mut self, timing: TimingModel) {
        self.timing = timing;
    }

    /// Keep a copy of what each program or erase replaced, so that
    /// [`SimulatedFlash::tear_last_operation`] can tear it afterwards (off by default: it
    /// copies every erased sector).
    pub fn keep_last_operation(&mut self, keep: bool) {
        self.keep_last_operation = keep;
        self.last_operation = None;
    }

    /// Tears the last completed program or erase as a power cut inside it would have (for
    /// simulations that learn of the cut only after the operation ran, such as a serial link
    /// simulated in virtual time): what it replaced comes back, then a random part of it is
    /// applied, as a planned [`PowerCut::InsideOperation`] does. Returns what was torn, if
    /// there was an operation to tear (needs [`SimulatedFlash::keep_last_operation`]).
    pub fn tear_last_operation(&mut self) -> Option<TornOperation> {
        let operation = self.last_operation.take()?;
        let range = operation.start..operation.start + operation.before.len();
        self.memory[range].copy_from_slice(&operation.before);
        match operation.programmed {
            Some(bytes) => {
                self.tear_program(operation.start, &bytes);
                Some(TornOperation::Program)
            }
            None => {
                self.tear_erase(operation.start, operation.before.len());
                Some(TornOperation::Erase)
            }
        }
    }

    /// Remembers what `[start, start + length)` holds before an operation changes it.
    fn remember(&mut self, start: usize, length: usize, programmed: Option<&[u8]>) {
        if self.keep_last_operation {
            self.last_operation = Some(LastOperation {
                start,
                before: self.memory[start..start + length].to_vec(),
                programmed: programmed.map(<[u8]>::to_vec),
            });
        }
    }

    /// A torn erase of `[start, start + length)`: arbitrary content, in one of three shapes
    /// real chips show.
    fn tear_erase(&mut self, start: usize, length: usize) {
        let erased = self.geometry.erased_value;
        let range = start..start + length;
        match self.random.below(3) {
            0 => self.random.fill(&mut self.memory[range]),
            1 => {
                let erased_prefix = self.random.below(length as u64 + 1) as usize;
                self.memory[start..start + erased_prefix].fill(erased);
            }
            _ => {
                for byte in &mut self.memory[range] {
                    match self.random.below(3) {
                        0 => *byte = erased,
                        1 => *byte = self.random.next_u64() as u8,
                        _ => {}
                    }
                }
            }
        }
    }

    /// A torn program of `bytes` at `start`: each bit that should change changes or not, at
    /// random.
    fn tear_program(&mut self, start: usize, bytes: &[u8]) {
        for (byte, target) in self.memory[start..start + bytes.len()]
            .iter_mut()
            .zip(bytes)
        {
            let changing = *byte ^ *target;
            let applied = changing & self.random.next_u64() as u8;
            *byte ^= applied;
        }
    }

    /// The geometry this flash was built from.
    pub fn geometry(&self) -> &FlashGeometry {
        &self.geometry
    }

    /// Plan a power cut (replacing any planned one); `None` cancels it.
    pub fn plan_power_cut(&mut self, cut: Option<PowerCut>) {
        self.planned_cut = cut;
    }

    /// Whether the power is on.
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Turn the power back on after a cut (flash content is kept, the planned cut is spent).
    pub fn power_on(&mut self) {
        self.powered = true;
    }

    /// Mutating operations (programs and sector erases) started so far.
    pub fn operations(&self) -> u64 {
        self.operations
    }

    /// What the flash has done so far.
    pub fn statistics(&self) -> &Statistics {
        &self.statistics
    }

    /// Forget the statistics (operation indices for power cuts keep counting).
    pub fn reset_statistics(&mut self) {
        self.statistics = Statistics {
            erases_per_sector: vec![0; self.geometry.sectors.len()],
            ..Statistics::default()
        };
    }

    /// Write `bytes` at absolute `address` bypassing every rule and counter, the way a debug
    /// probe or a factory programmer would (test setup only).
    pub fn load(&mut self, address: u32, bytes: &[u8]) {
        let offset = (address - self.geometry.base) as usize;
        self.memory[offset..offset + bytes.len()].copy_from_slice(bytes);
    }

    /// Erase `[address, address + size)` bypassing every rule and counter (test setup only).
    pub fn load_erased(&mut self, address: u32, size: u32) {
        let offset = (address - self.geometry.base) as usize;
        self.memory[offset..offset + size as usize].fill(self.geometry.erased_value);
    }

    /// The content at absolute `address` (test inspection only; works without power).
    pub fn contents(&self, address: u32, length: u32) -> &[u8] {
        let offset = (address - self.geometry.base) as usize;
        &self.memory[offset..offset + length as usize]
    }

    fn check_bounds(&self, offset: u32, length: usize) -> Result<(), SimulatedFlashError> {
        if offset as usize + length > self.memory.len() {
            return Err(SimulatedFlashError::OutOfBounds {
                offset,
                length,
                size: self.geometry.size,
            });
        }
        Ok(())
    }

    /// Count a mutating operation and decide whether the power fails before it, inside it,
    /// or not at all.
    fn start_operation(&mut self) -> Result<bool, SimulatedFlashError> {
        if !self.powered {
            return Err(SimulatedFlashError::PowerCut);
        }
        let index = self.operations;
        self.operations += 1;
        match self.planned_cut {
            Some(PowerCut::BeforeOperation(cut)) if cut == index => {
                self.planned_cut = None;
                self.powered = false;
                Err(SimulatedFlashError::PowerCut)
            }
            Some(PowerCut::InsideOperation(cut)) if cut == index => {
                self.planned_cut = None;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn sector_index_starting_at(&self, offset: u32) -> Option<usize> {
        let address = self.geometry.base + offset;
        self.geometry
            .sectors
            .iter()
            .position(|sector| sector.start == address)
    }

    fn erase_sector(&mut self, index: usize) -> Result<(), SimulatedFlashError> {
        let sector = self.geometry.sectors[index];
        let torn = self.start_operation()?;
        self.statistics.erases += 1;
        self.statistics.erases_per_sector[index] += 1;
        self.statistics.modelled_microseconds += self.timing.erase_microseconds(sector.size);
        let start = (sector.start - self.geometry.base) as usize;
        let range = start..start + sector.size as usize;
        let erased = self.geometry.erased_value;
        if !torn {
            self.remember(start, range.len(), None);
            self.memory[range].fill(erased);
            return Ok(());
        }
        self.tear_erase(start, range.len());
        self.powered = false;
        Err(SimulatedFlashError::PowerCut)
    }
}

impl<const WRITE_SIZE: usize, const MULTIWRITE: bool> ErrorType
    for SimulatedFlash<WRITE_SIZE, MULTIWRITE>
{
    type Error = SimulatedFlashError;
}

impl<const WRITE_SIZE: usize, const MULTIWRITE: bool> ReadNorFlash
    for SimulatedFlash<WRITE_SIZE, MULTIWRITE>
{
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        if !self.powered {
            return Err(SimulatedFlashError::PowerCut);
        }
        self.check_bounds(offset, bytes.len())?;
        self.statistics.reads += 1;
        bytes.copy_from_slice(&self.memory[offset as usize..offset as usize + bytes.len()]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.memory.len()
    }
}

impl<const WRITE_SIZE: usize, const MULTIWRITE: bool> NorFlash
    for SimulatedFlash<WRITE_SIZE, MULTIWRITE>
{
    const WRITE_SIZE: usize = WRITE_SIZE;
    const ERASE_SIZE: usize = ERASE_ALIGNMENT;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        if !self.powered {
            return Err(SimulatedFlashError::PowerCut);
        }
        if from > to {
            return Err(SimulatedFlashError::NotSectorAligned { from, to });
        }
        self.check_bounds(from, (to - from) as usize)?;
        let end_is_boundary =
            to == self.geometry.size || self.sector_index_starting_at(to).is_some();
        let Some(mut index) = self
            .sector_index_starting_at(from)
            .filter(|_| end_is_boundary)
        else {
            return Err(SimulatedFlashError::NotSectorAligned { from, to });
        };
        while index < self.geometry.sectors.len()
            && self.geometry.sectors[index].start - self.geometry.base < to
        {
            self.erase_sector(index)?;
            index += 1;
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        if !self.powered {
            return Err(SimulatedFlashError::PowerCut);
        }
        self.check_bounds(offset, bytes.len())?;
        if offset as usize % WRITE_SIZE != 0 || bytes.len() % WRITE_SIZE != 0 {
            return Err(SimulatedFlashError::NotAligned {
                offset,
                length: bytes.len(),
                write_size: WRITE_SIZE,
            });
        }
        let start = offset as usize;
        let erased = self.geometry.erased_value;
        for (unit, target) in self.memory[start..start + bytes.len()]
            .chunks(WRITE_SIZE)
            .zip(bytes.chunks(WRITE_SIZE))
        {
            let allowed = if MULTIWRITE {
                // Every bit either stays or moves away from the erased value.
                unit.iter().zip(target).all(|(current, wanted)| {
                    if erased == 0xFF {
                        wanted & !current == 0
                    } else {
                        current & !wanted == 0
                    }
                })
            } else {
                unit.iter().all(|byte| *byte == erased)
            };
            assert!(
                allowed,
                "NOR rule violated: programming a write unit that is not erased at offset 0x{:08x}",
                self.geometry.base as usize + start
            );
        }
        let torn = self.start_operation()?;
        self.statistics.programs += 1;
        self.statistics.bytes_programmed += bytes.len() as u64;
        self.statistics.modelled_microseconds += self.timing.program_microseconds(bytes.len());
        if !torn {
            self.remember(start, bytes.len(), Some(bytes));
            self.memory[start..start + bytes.len()].copy_from_slice(bytes);
            return Ok(());
        }
        self.tear_program(start, bytes);
        self.powered = false;
        Err(SimulatedFlashError::PowerCut)
    }
}

/// Only the multiwrite variant promises that programmed units can be programmed again.
impl<const WRITE_SIZE: usize> MultiwriteNorFlash for SimulatedFlash<WRITE_SIZE, true> {}
