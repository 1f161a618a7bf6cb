//! How long the install at the next boot can take, so that `flash` waits for the new image as
//! long as that and no longer: the sectors the dual-slot swap erases and the bytes it programs
//! (`slingshot_update::DualSlotConfiguration::swap_erase_sizes`, an upper bound of the swap's
//! work), timed with the flash's datasheet figures (`slingshot_flash_sim::TimingModel`,
//! typical and maximum). The overwrite install erases the primary sectors the image covers and
//! the secondary slot's first sector and programs the image once
//! (`slingshot_update::OverwriteConfiguration::install_erase_sizes`). A single-slot install
//! happened in place before the reboot: nothing is left for the next boot but verification.

use slingshot_flash_sim::TimingModel;
use slingshot_layout::{Layout, UpdateMode};
use slingshot_update::{DualSlotConfiguration, OverwriteConfiguration};
use std::time::Duration;

/// The swap's duration at the flash's typical and maximum speeds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstallTime {
    /// With datasheet typical erase and program times.
    pub typical: Duration,
    /// With datasheet maximum times: the longest the board may be busy.
    pub longest: Duration,
}

/// The install of an `image_size`-byte image on `layout` at the next boot.
pub fn install_time(layout: &Layout, image_size: u32) -> InstallTime {
    match layout.update_mode {
        UpdateMode::SingleSlot => InstallTime::default(),
        UpdateMode::DualSlot => swap_time(layout, image_size),
        UpdateMode::Overwrite => overwrite_time(layout, image_size),
    }
}

/// The overwrite install of an `image_size`-byte image.
fn overwrite_time(layout: &Layout, image_size: u32) -> InstallTime {
    let Ok(configuration) = OverwriteConfiguration::from_layout(layout) else {
        return InstallTime::default();
    };
    let time = |model: &TimingModel| {
        let erases: u64 = configuration
            .install_erase_sizes(image_size)
            .map(|size| model.erase_microseconds(size))
            .sum();
        Duration::from_micros(erases + model.program_microseconds(image_size as usize))
    };
    InstallTime {
        typical: time(&TimingModel::STM32F4_X32_TYPICAL),
        longest: time(&TimingModel::STM32F4_X32_MAXIMUM),
    }
}

/// The dual-slot swap of an `image_size`-byte image.
fn swap_time(layout: &Layout, image_size: u32) -> InstallTime {
    let Ok(configuration) = DualSlotConfiguration::from_layout(layout) else {
        return InstallTime::default();
    };
    // A journal record per step; at worst one state sector is erased as the journal turns.
    let state_sector = layout
        .board
        .part
        .flash
        .sectors_in(configuration.state)
        .map(|sector| sector.size)
        .next()
        .unwrap_or(0);
    let time = |model: &TimingModel| {
        let erases: u64 = configuration
            .swap_erase_sizes(image_size)
            .chain([state_sector])
            .map(|size| model.erase_microseconds(size))
            .sum();
        let programs =
            model.program_microseconds(configuration.swap_programmed_bytes(image_size) as usize);
        Duration::from_micros(erases + programs)
    };
    InstallTime {
        typical: time(&TimingModel::STM32F4_X32_TYPICAL),
        longest: time(&TimingModel::STM32F4_X32_MAXIMUM),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slingshot_layout::{NUCLEO_F429ZI_DUAL_SLOT, NUCLEO_F429ZI_SINGLE_SLOT};

    #[test]
    fn the_estimate_covers_the_swap_the_benchmark_measured() {
        // docs/BENCHMARKS.md, install time (simulated flash, typical timings): 64 KB 3.89 s,
        // 256 KB 12.25 s, 864 KB 31.72 s. The estimate is an upper bound of the same work.
        for (kib, measured) in [(64u32, 3.89), (256, 12.25), (864, 31.72)] {
            let estimate = install_time(&NUCLEO_F429ZI_DUAL_SLOT, kib * 1024);
            let typical = estimate.typical.as_secs_f64();
            assert!(
                typical >= measured && typical <= measured * 1.6,
                "{kib} KB: {typical:.2} s typical against {measured} s measured"
            );
            assert!(estimate.longest > estimate.typical * 2);
        }
        assert_eq!(
            install_time(&NUCLEO_F429ZI_SINGLE_SLOT, 64 * 1024),
            InstallTime::default()
        );
    }

    #[test]
    fn the_overwrite_estimate_counts_the_covered_sectors_and_the_secondary_start() {
        // Nucleo-F401RE: a 100 KB image covers sectors 2–4 (16 + 16 + 64 KB) and 4 KB of
        // sector 5 (128 KB); the secondary slot starts with sector 6 (128 KB).
        let layout = slingshot_layout::layouts::NUCLEO_F401RE_OVERWRITE;
        let estimate = install_time(&layout, 100 * 1024);
        let model = TimingModel::STM32F4_X32_TYPICAL;
        let erases: u64 = [16, 16, 64, 128, 128]
            .map(|kib| model.erase_microseconds(kib * 1024))
            .iter()
            .sum();
        let expected = erases + model.program_microseconds(100 * 1024);
        assert_eq!(estimate.typical, Duration::from_micros(expected));
        assert!(estimate.longest > estimate.typical);
    }
}
