//! The single source of truth for Slingshot's memory maps.
//!
//! Everything that needs an address or a size — the firmware's `memory.x` files (written by
//! `build.rs`), the bootloader, the application, the host tool, the update engine and the
//! emulators — reads it from here. Nobody types `0x0800_8000` twice.
//!
//! A [`Part`] is a microcontroller ([`parts`]: sector map, SRAM, CCM, identification
//! registers, clock limits); a [`Board`] is a part plus what the board wires to it
//! ([`boards`]: serial port, LEDs, button, the no-init mailbox); a [`Layout`] is a board plus
//! a partition plan ([`Partitions`], [`layouts`]). Every invariant the compiler can see is
//! checked with `const` assertions; the host tests check the rest.
#![no_std]
#![forbid(unsafe_code)]

pub mod boards;
pub mod layouts;
pub mod linker;
pub mod parts;
mod region;

pub use boards::{Board, ALL_BOARDS, BUILD_BOARD};
pub use layouts::{ACTIVE, ALL_LAYOUTS, NUCLEO_F429ZI_DUAL_SLOT, NUCLEO_F429ZI_SINGLE_SLOT};
pub use parts::Part;
pub use region::{FlashGeometry, Region, Sector};

/// How a layout installs new firmware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateMode {
    /// One application slot; a new image is written over it by the bootloader.
    SingleSlot,
    /// A primary slot (where the application runs) and a secondary slot (where a new image is
    /// received); installing swaps them so the previous image is kept for rollback.
    DualSlot,
    /// A primary slot and a secondary slot of any sector shapes (the single-bank parts, whose
    /// maps give the primary slot's 16/16/64 KB sectors no twin): the bootloader copies a
    /// verified new image from the secondary slot over the primary one, resumably after a power
    /// cut at any point, without rollback (`slingshot_update::overwrite`).
    Overwrite,
}

/// Where each program and each piece of update state lives in flash.
#[derive(Clone, Copy, Debug)]
pub struct Partitions {
    /// The bootloader: starts at the reset vector table (the start of flash).
    pub bootloader: Region,
    /// The slot the application runs from; its vector table is at its start.
    pub primary: Region,
    /// Where a new image is received in the dual-slot and overwrite modes.
    pub secondary: Option<Region>,
    /// Sector used to swap primary and secondary sectors in dual-slot mode.
    pub scratch: Option<Region>,
    /// Update-state journal (two or more sectors used in turn) in dual-slot mode.
    pub state: Option<Region>,
    /// Flash left to the application for its own data, never touched by the bootloader.
    pub application_data: Option<Region>,
}

/// A board plus a partition plan: everything needed to link and run both programs.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Short name of the layout, e.g. `"nucleo-f429zi-dual"`.
    pub name: &'static str,
    /// The board this layout is for.
    pub board: Board,
    /// The partition plan.
    pub partitions: Partitions,
    /// How updates are installed.
    pub update_mode: UpdateMode,
}

/// Why a layout is inconsistent. Used by [`Layout::check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// A partition does not start or does not end on a sector boundary.
    NotSectorAligned {
        /// Which partition.
        partition: &'static str,
    },
    /// A partition lies (partly) outside flash.
    OutsideFlash {
        /// Which partition.
        partition: &'static str,
    },
    /// Two partitions overlap.
    Overlap {
        /// The first partition.
        first: &'static str,
        /// The second partition.
        second: &'static str,
    },
    /// The bootloader is not at the start of flash (where the reset vector table is read).
    BootloaderNotAtFlashStart,
    /// The mailbox is not at the very top of SRAM, or is empty.
    MailboxNotAtTopOfRam,
    /// The primary slot start is not aligned as VTOR requires.
    VectorTableMisaligned,
    /// The update mode and the partitions disagree (e.g. dual slot without a secondary slot,
    /// or primary and secondary slots with different sector geometry).
    ModeMismatch,
}

/// VTOR alignment the F4 needs: 107 vectors round up to 128 words = 512 bytes.
pub const VECTOR_TABLE_ALIGNMENT: u32 = 512;

impl Layout {
    /// Every named partition that exists in this layout.
    pub fn named_partitions(&self) -> impl Iterator<Item = (&'static str, Region)> {
        let partitions = self.partitions;
        [
            Some(("bootloader", partitions.bootloader)),
            Some(("primary", partitions.primary)),
            partitions.secondary.map(|region| ("secondary", region)),
            partitions.scratch.map(|region| ("scratch", region)),
            partitions.state.map(|region| ("state", region)),
            partitions
                .application_data
                .map(|region| ("application-data", region)),
        ]
        .into_iter()
        .flatten()
    }

    /// Check every invariant: partitions on sector boundaries, inside flash, not overlapping;
    /// bootloader at the start of flash; mailbox at the top of RAM; VTOR alignment; and the
    /// update mode consistent with the partitions.
    pub fn check(&self) -> Result<(), LayoutError> {
        let flash = &self.board.part.flash;
        for (name, region) in self.named_partitions() {
            if !flash.region().contains_region(region) {
                return Err(LayoutError::OutsideFlash { partition: name });
            }
            if !flash.is_sector_aligned(region) {
                return Err(LayoutError::NotSectorAligned { partition: name });
            }
        }
        for (index, (first, a)) in self.named_partitions().enumerate() {
            for (second, b) in self.named_partitions().skip(index + 1) {
                if a.overlaps(b) {
                    return Err(LayoutError::Overlap { first, second });
                }
            }
        }
        if self.partitions.bootloader.start != flash.base {
            return Err(LayoutError::BootloaderNotAtFlashStart);
        }
        let ram = self.board.part.ram;
        let mailbox = self.board.mailbox;
        if mailbox.size == 0 || mailbox.end() != ram.end() || !ram.contains_region(mailbox) {
            return Err(LayoutError::MailboxNotAtTopOfRam);
        }
        if self.partitions.primary.start % VECTOR_TABLE_ALIGNMENT != 0 {
            return Err(LayoutError::VectorTableMisaligned);
        }
        match (self.update_mode, self.partitions.secondary) {
            (UpdateMode::SingleSlot, None) => Ok(()),
            (UpdateMode::Overwrite, Some(_))
                if self.partitions.scratch.is_none() && self.partitions.state.is_none() =>
            {
                Ok(())
            }
            (UpdateMode::DualSlot, Some(secondary)) => {
                let same_geometry = flash
                    .sectors_in(self.partitions.primary)
                    .map(|sector| sector.size)
                    .eq(flash.sectors_in(secondary).map(|sector| sector.size));
                let state_present = self.partitions.state.is_some();
                if same_geometry && state_present && self.partitions.scratch.is_some() {
                    Ok(())
                } else {
                    Err(LayoutError::ModeMismatch)
                }
            }
            _ => Err(LayoutError::ModeMismatch),
        }
    }

    /// The largest image (image and signature trailer) the layout installs: the primary slot,
    /// or with a secondary slot the smaller of the two (an image must fit where it is received
    /// and where it runs).
    pub const fn largest_image(&self) -> u32 {
        match self.partitions.secondary {
            Some(secondary) if secondary.size < self.partitions.primary.size => secondary.size,
            _ => self.partitions.primary.size,
        }
    }

    /// Find a layout by its name (see [`ALL_LAYOUTS`]).
    pub fn by_name(name: &str) -> Option<&'static Layout> {
        ALL_LAYOUTS
            .iter()
            .copied()
            .find(|layout| layout.name == name)
    }
}

/// Bytes kept free at the end of the primary slot when linking the application, so that
/// `slingshot sign` can always append the signature trailer to an application that filled
/// its linker region.
pub const SIGNATURE_TRAILER_RESERVE: u32 = 1024;
