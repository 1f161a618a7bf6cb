//! A simulated [`Platform`] for host tests and simulated boards (feature `simulation`): the
//! layout comes from a [`LayoutSource`] type, a reboot is recorded instead of performed, and
//! the option bytes live in memory.

use crate::{OptionBytesFailed, Platform};
use slingshot_flash_controller::option_bytes::OptionBytes;
use slingshot_layout::layouts::NUCLEO_F401RE_OVERWRITE;
use slingshot_layout::{Layout, NUCLEO_F429ZI_DUAL_SLOT, NUCLEO_F429ZI_SINGLE_SLOT};
use slingshot_protocol::info::Version;

/// A layout chosen at compile time, for [`SimulatedChip`].
pub trait LayoutSource: 'static {
    /// The layout.
    const LAYOUT: Layout;
}

/// The Nucleo-F429ZI's dual-slot layout.
#[derive(Clone, Copy, Debug, Default)]
pub struct F429DualSlot;

impl LayoutSource for F429DualSlot {
    const LAYOUT: Layout = NUCLEO_F429ZI_DUAL_SLOT;
}

/// The Nucleo-F429ZI's single-slot layout.
#[derive(Clone, Copy, Debug, Default)]
pub struct F429SingleSlot;

impl LayoutSource for F429SingleSlot {
    const LAYOUT: Layout = NUCLEO_F429ZI_SINGLE_SLOT;
}

/// The Nucleo-F401RE's overwrite layout (a single-bank part).
#[derive(Clone, Copy, Debug, Default)]
pub struct F401Overwrite;

impl LayoutSource for F401Overwrite {
    const LAYOUT: Layout = NUCLEO_F401RE_OVERWRITE;
}

/// The baud rates the simulated serial port takes (those of the STM32F4 at 16 MHz).
pub const SIMULATED_BAUD_RATES: [u32; 4] = [115_200, 230_400, 460_800, 1_000_000];

/// What only the chip does, simulated, for the layout of `L`.
#[derive(Clone, Debug)]
pub struct SimulatedChip<L> {
    /// A Reboot request was served (the simulation decides what a reset does).
    pub reboot_requested: bool,
    /// The baud rate the service last switched to.
    pub baud: u32,
    /// The option bytes as loaded.
    pub option_bytes: OptionBytes,
    /// Programming the option bytes fails (a flash error).
    pub fail_option_bytes: bool,
    /// `fn() -> L`: the chip holds no `L`, so it is `Send` whatever `L` is.
    layout: core::marker::PhantomData<fn() -> L>,
}

impl<L> Default for SimulatedChip<L> {
    fn default() -> Self {
        Self {
            reboot_requested: false,
            baud: 115_200,
            option_bytes: OptionBytes::FACTORY,
            fail_option_bytes: false,
            layout: core::marker::PhantomData,
        }
    }
}

impl<L: LayoutSource> Platform for SimulatedChip<L> {
    const LAYOUT: Layout = L::LAYOUT;
    const BOOTLOADER_VERSION: Version = Version {
        major: 1,
        minor: 0,
        patch: 0,
        build: 3,
    };

    fn reboot(&mut self) {
        self.reboot_requested = true;
    }

    fn supports_baud(&self, baud: u32) -> bool {
        SIMULATED_BAUD_RATES.contains(&baud)
    }

    fn set_baud(&mut self, baud: u32) {
        self.baud = baud;
    }

    fn option_bytes(&self) -> OptionBytes {
        self.option_bytes
    }

    fn program_option_bytes(&mut self, values: OptionBytes) -> Result<(), OptionBytesFailed> {
        if self.fail_option_bytes {
            return Err(OptionBytesFailed);
        }
        self.option_bytes = values;
        Ok(())
    }

    /// The part's DEV_ID at revision 0x2003.
    fn id_code(&self) -> u32 {
        (0x2003 << 16) | u32::from(L::LAYOUT.board.part.device_id)
    }
}
