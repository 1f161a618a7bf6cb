//! Where the dual-slot engine's partitions are and the geometry arithmetic over them: pairs of
//! primary/secondary sectors, where each sector's copy goes in the scratch area, how many
//! sectors an image extent covers.

use crate::ConfigurationError;
use slingshot_layout::{FlashGeometry, Layout, Region, Sector};

/// The journal writes in 16-byte units, so the flash write size must divide 16.
const JOURNAL_WRITE_UNIT: u32 = 16;

/// The dual-slot engine's view of one flash device. Build it with
/// [`DualSlotConfiguration::from_layout`]; every partition is checked once, here.
#[derive(Clone, Copy, Debug)]
pub struct DualSlotConfiguration {
    /// The flash device (base, sector map, write size, erased value).
    pub geometry: FlashGeometry,
    /// Where the application runs.
    pub primary: Region,
    /// Where a new image is received.
    pub secondary: Region,
    /// Temporary copy of a primary sector during a swap.
    pub scratch: Region,
    /// The update-state journal (two or more sectors used in turn).
    pub state: Region,
    /// Bootloader configuration: start the independent watchdog before a trial boot, so an
    /// image that hangs is reverted too. The engine only reports it
    /// ([`BootAction::Start::start_watchdog`](crate::BootAction::Start)).
    pub watchdog_before_trial: bool,
    /// Comparison mode for benchmarks only: swap every slot sector, erase every destination
    /// and program every chunk, as a naive whole-slot swap does. Never set it in firmware.
    pub whole_slot_swap: bool,
}

impl DualSlotConfiguration {
    /// The engine's configuration for a dual-slot layout.
    pub fn from_layout(layout: &Layout) -> Result<Self, ConfigurationError> {
        let partitions = &layout.partitions;
        match (partitions.secondary, partitions.scratch, partitions.state) {
            (Some(secondary), Some(scratch), Some(state)) => Self::new(
                layout.board.part.flash,
                partitions.primary,
                secondary,
                scratch,
                state,
            ),
            _ => Err(ConfigurationError::NotDualSlot),
        }
    }

    /// A configuration from explicit partitions (e.g. for a uniform test map).
    pub fn new(
        geometry: FlashGeometry,
        primary: Region,
        secondary: Region,
        scratch: Region,
        state: Region,
    ) -> Result<Self, ConfigurationError> {
        let configuration = Self {
            geometry,
            primary,
            secondary,
            scratch,
            state,
            watchdog_before_trial: false,
            whole_slot_swap: false,
        };
        configuration.check()?;
        Ok(configuration)
    }

    fn check(&self) -> Result<(), ConfigurationError> {
        let geometry = &self.geometry;
        let partitions = [self.primary, self.secondary, self.scratch, self.state];
        if partitions
            .iter()
            .any(|region| region.size == 0 || !geometry.is_sector_aligned(*region))
        {
            return Err(ConfigurationError::NotSectorAligned);
        }
        let primary = geometry.sectors_in(self.primary).map(|sector| sector.size);
        if !primary.eq(geometry
            .sectors_in(self.secondary)
            .map(|sector| sector.size))
        {
            return Err(ConfigurationError::SlotGeometryDiffers);
        }
        if geometry
            .sectors_in(self.primary)
            .any(|sector| sector.size > self.scratch.size)
        {
            return Err(ConfigurationError::ScratchTooSmall);
        }
        let state_sectors = geometry.sectors_in(self.state).count();
        let smallest_state = geometry
            .sectors_in(self.state)
            .map(|sector| sector.size)
            .min()
            .unwrap_or(0);
        if state_sectors < 2 || smallest_state < 2 * crate::journal::RECORD_SIZE {
            return Err(ConfigurationError::StateTooSmall);
        }
        if self.slot_sector_count() > usize::from(u8::MAX) {
            return Err(ConfigurationError::TooManySlotSectors);
        }
        if geometry.write_size == 0 || JOURNAL_WRITE_UNIT % geometry.write_size != 0 {
            return Err(ConfigurationError::UnsupportedWriteSize);
        }
        Ok(())
    }

    /// The offset from the flash base of an absolute `address` (what `embedded-storage` takes).
    pub const fn offset(&self, address: u32) -> u32 {
        address - self.geometry.base
    }

    /// Number of sectors in a slot.
    pub fn slot_sector_count(&self) -> usize {
        self.geometry.sectors_in(self.primary).count()
    }

    /// The `index`-th primary sector and its secondary twin.
    pub(crate) fn sector_pair(&self, index: usize) -> (Region, Region) {
        // `check` proved both slots have the same sector sizes in the same order, so the twin
        // lies as far into the secondary slot as the sector into the primary one; callers stay
        // below the sector count.
        let none = Region::new(0, 0);
        self.geometry
            .sectors_in(self.primary)
            .nth(index)
            .map_or((none, none), |sector| {
                let twin_start = self.secondary.start + (sector.start - self.primary.start);
                (sector.region(), Region::new(twin_start, sector.size))
            })
    }

    /// Where the copy of the `index`-th primary sector goes in the scratch area. Consecutive
    /// sectors are packed one after another, wrapping to the start when the next one does not
    /// fit, so the F4's 16 + 16 + 64 KB sectors share one 128 KB scratch erase.
    pub(crate) fn scratch_region(&self, index: usize) -> Region {
        let mut offset = 0;
        let mut size = 0;
        for position in 0..=index {
            let sector_size = self.sector_pair(position).0.size;
            offset = if self.whole_slot_swap || offset + size + sector_size > self.scratch.size {
                0
            } else {
                offset + size
            };
            size = sector_size;
        }
        Region::new(self.scratch.start + offset, size)
    }

    /// How many slot sectors (from the slot start) hold the first `extent` bytes.
    pub fn sectors_covering(&self, extent: u32) -> usize {
        if self.whole_slot_swap {
            return self.slot_sector_count();
        }
        self.geometry
            .sectors_in(self.primary)
            .take_while(|sector| sector.start - self.primary.start < extent)
            .count()
    }

    /// The sizes of the sectors an install (or revert) of the first `extent` bytes may erase,
    /// an upper bound: per slot sector, the scratch sectors when its copy starts a new pass
    /// through the scratch area (counted as erased even when they still read erased), the
    /// primary sector and the secondary sector (`swap.rs`). With the flash's erase times this
    /// tells a host how long the swap at the next boot can take.
    pub fn swap_erase_sizes(&self, extent: u32) -> impl Iterator<Item = u32> + '_ {
        (0..self.sectors_covering(extent)).flat_map(move |index| {
            let (primary, secondary) = self.sector_pair(index);
            let scratch = self.scratch_region(index);
            let new_pass = scratch.start == self.scratch.start;
            self.geometry
                .sectors_in(scratch)
                .filter(move |_| new_pass)
                .map(|sector| sector.size)
                .chain([primary.size, secondary.size])
        })
    }

    /// Bytes an install (or revert) of the first `extent` bytes programs at most: each
    /// covered sector three times (to scratch, to primary, to secondary).
    pub fn swap_programmed_bytes(&self, extent: u32) -> u32 {
        (0..self.sectors_covering(extent))
            .map(|index| 3 * self.sector_pair(index).0.size)
            .sum()
    }

    /// The `index`-th state sector.
    pub(crate) fn state_sector(&self, index: usize) -> Region {
        self.geometry
            .sectors_in(self.state)
            .nth(index)
            .map(Sector::region)
            .unwrap_or(Region::new(0, 0))
    }

    /// Number of state sectors.
    pub(crate) fn state_sector_count(&self) -> usize {
        self.geometry.sectors_in(self.state).count()
    }
}

#[cfg(test)]
mod tests {
    use super::DualSlotConfiguration;
    use slingshot_layout::{Region, ALL_LAYOUTS};

    /// `sector_pair` finds the twin by its offset into the secondary slot: for every dual-slot
    /// layout it must be the secondary slot's sector with the same index, and past the last
    /// sector both are empty.
    #[test]
    fn every_sector_pair_is_the_same_sector_of_both_slots() {
        let mut dual_slot_layouts = 0;
        for layout in ALL_LAYOUTS {
            let Ok(configuration) = DualSlotConfiguration::from_layout(layout) else {
                continue;
            };
            dual_slot_layouts += 1;
            let geometry = configuration.geometry;
            let pairs = geometry
                .sectors_in(configuration.primary)
                .zip(geometry.sectors_in(configuration.secondary));
            let mut count = 0;
            for (index, (primary, secondary)) in pairs.enumerate() {
                assert_eq!(
                    configuration.sector_pair(index),
                    (primary.region(), secondary.region()),
                    "{} sector {index}",
                    layout.name
                );
                count += 1;
            }
            assert_eq!(count, configuration.slot_sector_count(), "{}", layout.name);
            let none = Region::new(0, 0);
            assert_eq!(configuration.sector_pair(count), (none, none));
        }
        assert!(dual_slot_layouts > 0);
    }
}
