//! The sector swap: exchanges the first `n` primary and secondary sectors through the scratch
//! area, one journaled step at a time, so a power cut at any point resumes correctly.
//!
//! Sector `i` takes three steps; the journal records each one after it completes:
//!
//! | step | copies | destination erased first when | its source stays intact until |
//! |------|--------|-------------------------------|-------------------------------|
//! | 3i   | primary `i` → scratch | scratch area not erased | step 3i+1 starts (recorded after 3i) |
//! | 3i+1 | secondary `i` → primary `i` | primary sector not erased | step 3i+2 starts |
//! | 3i+2 | scratch → secondary `i` | secondary sector not erased | step 3(i+1) starts |
//!
//! A step that was interrupted is redone from its intact source, and the first step after a
//! reboot always erases its destination (an interrupted erase may leave a sector that reads as
//! erased but is not reliably so). The swap is symmetric: a revert is the same swap again.
//! Chunks that are entirely erased are not programmed: after an erase they already match.

use crate::{DualSlotConfiguration, FlashFailure, Journal, UpdateState};
use embedded_storage::nor_flash::NorFlash;
use slingshot_layout::{FlashGeometry, Region};

/// Bytes copied per program operation.
pub const COPY_CHUNK: usize = 1024;

/// Run the remaining steps of the swap `state` describes, journaling each one.
/// `resumed` says the swap was found in progress at boot (its next step may be half done).
pub(crate) fn run<F: NorFlash>(
    flash: &mut F,
    configuration: &DualSlotConfiguration,
    journal: &mut Journal,
    state: &mut UpdateState,
    mut resumed: bool,
) -> Result<(), FlashFailure> {
    let total = 3 * u16::from(state.sector_count);
    while state.completed_steps < total {
        step(flash, configuration, state.completed_steps, resumed)?;
        resumed = false;
        state.completed_steps += 1;
        journal.append(flash, configuration, *state)?;
    }
    Ok(())
}

fn step<F: NorFlash>(
    flash: &mut F,
    configuration: &DualSlotConfiguration,
    step: u16,
    resumed: bool,
) -> Result<(), FlashFailure> {
    let index = usize::from(step / 3);
    let (primary, secondary) = configuration.sector_pair(index);
    let scratch = configuration.scratch_region(index);
    let (source, destination) = match step % 3 {
        0 => (primary, scratch),
        1 => (secondary, primary),
        _ => (scratch, secondary),
    };
    let geometry = &configuration.geometry;
    let must_erase =
        resumed || configuration.whole_slot_swap || !is_erased(flash, geometry, destination)?;
    if must_erase {
        erase_covering(flash, geometry, destination)?;
    }
    copy(
        flash,
        geometry,
        source,
        destination,
        configuration.whole_slot_swap,
    )
}

/// Whether every byte of `region` reads as erased.
pub(crate) fn is_erased<F: NorFlash>(
    flash: &mut F,
    geometry: &FlashGeometry,
    region: Region,
) -> Result<bool, FlashFailure> {
    let mut buffer = [0u8; COPY_CHUNK];
    let mut offset = 0;
    while offset < region.size {
        let length = (region.size - offset).min(COPY_CHUNK as u32) as usize;
        flash.read(region.start + offset - geometry.base, &mut buffer[..length])?;
        if buffer[..length]
            .iter()
            .any(|byte| *byte != geometry.erased_value)
        {
            return Ok(false);
        }
        offset += length as u32;
    }
    Ok(true)
}

/// Erase every sector overlapping `region`.
pub(crate) fn erase_covering<F: NorFlash>(
    flash: &mut F,
    geometry: &FlashGeometry,
    region: Region,
) -> Result<(), FlashFailure> {
    let mut sectors = geometry.sectors_in(region);
    if let Some(first) = sectors.next() {
        let end = sectors.last().unwrap_or(first).region().end();
        flash.erase(first.start - geometry.base, end - geometry.base)?;
    }
    Ok(())
}

/// Copy `source` to the start of the erased `destination` in chunks, skipping chunks that read
/// erased unless `program_erased_chunks` (the naive comparison mode).
pub(crate) fn copy<F: NorFlash>(
    flash: &mut F,
    geometry: &FlashGeometry,
    source: Region,
    destination: Region,
    program_erased_chunks: bool,
) -> Result<(), FlashFailure> {
    let mut buffer = [0u8; COPY_CHUNK];
    let mut offset = 0;
    while offset < source.size {
        let length = (source.size - offset).min(COPY_CHUNK as u32) as usize;
        flash.read(source.start + offset - geometry.base, &mut buffer[..length])?;
        let erased = buffer[..length]
            .iter()
            .all(|byte| *byte == geometry.erased_value);
        if !erased || program_erased_chunks {
            flash.write(
                destination.start + offset - geometry.base,
                &buffer[..length],
            )?;
        }
        offset += length as u32;
    }
    Ok(())
}
