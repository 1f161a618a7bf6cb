//! Where to cut power during an update: a reference run of the update logs every flash
//! operation, and tests pick cut points from it with a fixed seed.

use super::{expect_application, observe_boot, options, Build, TwinLink};
use anyhow::{ensure, Result};
use slingshot_cli::flashing::{flash, SignedImage};
use slingshot_flash_sim::SplitMix64;
use slingshot_twin::{PowerCut, Stop, Twin};

/// The flash operations of one update, counted from the moment a cut would be armed (after v1
/// booted): those up to the host's last request (the transfer), and those after it (the
/// install at the next boot, dual slot only).
pub struct UpdateOperations {
    /// Programs during the transfer.
    pub transfer_programs: Vec<u64>,
    /// Erases during the transfer.
    pub transfer_erases: Vec<u64>,
    /// Operations after the host's last request: (index, is an erase).
    pub install: Vec<(u64, bool)>,
}

/// Update `build`'s v1 to `image` once without a cut and log its flash operations.
pub fn reference_operations(
    build: Build,
    image: &SignedImage,
    seed: u64,
) -> Result<UpdateOperations> {
    let mut twin = build.twin(seed)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    let armed_at = twin.board().flash.operations_started;
    let mut link = TwinLink::new(&mut twin);
    link.track_erases = true;
    flash(&mut link, image, &options(), &mut |_| {})?;
    let last_request = link.operations_at_last_write - armed_at;
    let log: Vec<(u64, bool)> = link
        .operation_log
        .iter()
        .map(|&(index, erase)| (index - armed_at, erase))
        .collect();
    let transfer = |want_erase: bool| -> Vec<u64> {
        log.iter()
            .filter(|&&(index, erase)| erase == want_erase && index <= last_request)
            .map(|&(index, _)| index)
            .collect()
    };
    let operations = UpdateOperations {
        transfer_programs: transfer(false),
        transfer_erases: transfer(true),
        install: log
            .iter()
            .copied()
            .filter(|&(index, _)| index > last_request)
            .collect(),
    };
    ensure!(
        !operations.transfer_programs.is_empty() && !operations.transfer_erases.is_empty(),
        "reference run: {} transfer programs, {} transfer erases",
        operations.transfer_programs.len(),
        operations.transfer_erases.len()
    );
    Ok(operations)
}

/// Picks operation indices with a fixed seed.
pub struct CutPicker(SplitMix64);

impl CutPicker {
    /// A picker seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(SplitMix64::new(seed))
    }

    /// One of `from` (not empty).
    pub fn pick(&mut self, from: &[u64]) -> u64 {
        from[(self.0.next_u64() % from.len() as u64) as usize]
    }
}

/// Boots `build`'s v1 on a twin seeded with `seed`, arms `cut` and runs `slingshot flash` of
/// `image`; when the cut falls after `flash` returned (in the install at the next boot) runs
/// on until it happens. Returns the twin with its power cut.
pub fn update_cut_by(
    build: Build,
    seed: u64,
    image: &SignedImage,
    cut: PowerCut,
    label: &str,
) -> Result<Twin> {
    let mut twin = build.twin(seed)?;
    expect_application(&observe_boot(&mut twin, 3)?, "1.0.0", false)?;
    twin.arm_power_cut(cut);
    let outcome = flash(TwinLink::new(&mut twin), image, &options(), &mut |_| {});
    if twin.is_powered() {
        let stop = twin.run(4_000_000_000)?;
        ensure!(
            stop == Stop::PowerLost,
            "{label}: the cut never happened ({stop:?}), flash: {outcome:?}"
        );
    }
    Ok(twin)
}
