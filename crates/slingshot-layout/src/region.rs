//! Address ranges, flash sectors and flash geometry, with the arithmetic the rest of Slingshot
//! needs (containment, overlap, sector lookup) as `const fn`s where the compiler can use them.

/// A range of addresses `[start, start + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    /// First address.
    pub start: u32,
    /// Size in bytes.
    pub size: u32,
}

impl Region {
    /// A region from its start and size.
    pub const fn new(start: u32, size: u32) -> Self {
        Self { start, size }
    }

    /// One past the last address.
    pub const fn end(&self) -> u32 {
        self.start + self.size
    }

    /// Whether `address` lies inside the region.
    pub const fn contains(&self, address: u32) -> bool {
        address >= self.start && address - self.start < self.size
    }

    /// Whether `other` lies wholly inside this region.
    pub const fn contains_region(&self, other: Region) -> bool {
        other.start >= self.start && other.end() <= self.end()
    }

    /// Whether the two regions share at least one address.
    pub const fn overlaps(&self, other: Region) -> bool {
        self.start < other.end() && other.start < self.end()
    }
}

/// One erase sector of flash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sector {
    /// Sector number as the reference manual counts it (0–23 on a 2 MB F4).
    pub number: u8,
    /// First address of the sector.
    pub start: u32,
    /// Size in bytes.
    pub size: u32,
    /// The value FLASH_CR.SNB takes to erase it: the number, except on the two-bank
    /// F42x/F43x, whose bank-2 sectors (12–23) are 16–27 (bit 4 selects the bank; RM0090,
    /// FLASH_CR.SNB).
    pub control_register_number: u8,
}

impl Sector {
    /// The sector as a region.
    pub const fn region(&self) -> Region {
        Region::new(self.start, self.size)
    }
}

/// Flash geometry: where flash is and how it is divided into sectors.
#[derive(Clone, Copy, Debug)]
pub struct FlashGeometry {
    /// First address of flash.
    pub base: u32,
    /// Total size in bytes (the sum of the sector sizes).
    pub size: u32,
    /// Every sector, in address order, contiguous from `base`.
    pub sectors: &'static [Sector],
    /// Smallest programmable unit in bytes (4 with x32 parallelism at 2.7–3.6 V).
    pub write_size: u32,
    /// Value of an erased byte.
    pub erased_value: u8,
    /// Size of a bank when the flash is dual-bank (read-while-write works between banks).
    pub bank_size: Option<u32>,
}

impl FlashGeometry {
    /// All of flash as a region.
    pub const fn region(&self) -> Region {
        Region::new(self.base, self.size)
    }

    /// The sector holding `address`, if any.
    pub fn sector_at(&self, address: u32) -> Option<&'static Sector> {
        self.sectors
            .iter()
            .find(|sector| sector.region().contains(address))
    }

    /// Whether `address` is the first address of a sector (or the end of flash).
    pub fn is_sector_boundary(&self, address: u32) -> bool {
        address == self.region().end() || self.sectors.iter().any(|sector| sector.start == address)
    }

    /// Whether `region` starts and ends on sector boundaries.
    pub fn is_sector_aligned(&self, region: Region) -> bool {
        self.is_sector_boundary(region.start) && self.is_sector_boundary(region.end())
    }

    /// The numbers of the sectors that overlap `region` (`first..last + 1`; empty when none
    /// does). A const fn, so firmware can take them at compile time.
    pub const fn sector_numbers_in(&self, region: Region) -> core::ops::Range<u8> {
        let (mut first, mut end) = (u8::MAX, 0);
        let mut index = 0;
        while index < self.sectors.len() {
            let sector = self.sectors[index];
            if sector.region().overlaps(region) {
                if sector.number < first {
                    first = sector.number;
                }
                end = sector.number + 1;
            }
            index += 1;
        }
        if first > end {
            0..0
        } else {
            first..end
        }
    }

    /// The sectors that overlap `region`, in address order: a run of consecutive sectors
    /// (they are contiguous and in address order), so counting them or taking the n-th is
    /// immediate.
    pub fn sectors_in(&self, region: Region) -> core::slice::Iter<'static, Sector> {
        let sectors = self.sectors;
        let first = sectors
            .iter()
            .position(|sector| sector.region().overlaps(region))
            .unwrap_or(sectors.len());
        let rest = sectors.get(first..).unwrap_or(&[]);
        let count = rest
            .iter()
            .take_while(|sector| sector.region().overlaps(region))
            .count();
        rest.get(..count).unwrap_or(&[]).iter()
    }

    /// The largest sector size.
    pub fn largest_sector(&self) -> u32 {
        self.sectors
            .iter()
            .map(|sector| sector.size)
            .max()
            .unwrap_or(0)
    }

    /// The bank (0 or 1) holding `address`, for dual-bank flash.
    pub fn bank_of(&self, address: u32) -> u32 {
        match self.bank_size {
            Some(bank_size) if address >= self.base => (address - self.base) / bank_size,
            _ => 0,
        }
    }
}
