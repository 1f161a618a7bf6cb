//! Power-cut sweep on the real bootloader binary during a dual-slot install (issue 5,
//! Validation): v1 runs, v2 waits in the secondary slot marked pending
//! (`install_fixture`). Power is cut before flash operations, inside them (torn program or
//! erase) and after fixed-seed samples of instruction counts, from power-on until the
//! application that comes up has printed `tick 4` (v2 confirms itself at tick 3). After each
//! cut the twin powers on and runs until the device is stable; the application that then runs
//! must be exactly v1 or v2 (banner and signed descriptor agree), never anything else and
//! never nothing.
//!
//! Cuts at operation boundaries and inside operations are taken from one forward run of the
//! real bootloader: power lost keeps nothing but flash, so the flash content at the cut (with
//! the operation in progress torn by the controller model's own `tear`) is the whole state,
//! and each one is powered on in a fresh twin; for the earliest such cut the test checks that
//! the twin's own `arm_power_cut` leaves the same flash. Cuts at instruction counts use
//! `arm_power_cut` directly.
//!
//! Default: every erase, before and torn; fixed-seed samples of the application's operations
//! (its confirmation of the trial image; all of them in release) and of the bootloader's
//! programs, before and torn, and of instruction counts — sized to stay under ~3 minutes of
//! CPU, larger in a release build, which runs ~5x faster. `SLINGSHOT_SWEEP_SAMPLE=N` samples
//! N programs and N/2 instruction counts. `SLINGSHOT_FULL_SWEEP=1` cuts before and inside
//! every operation and at 1 000 instruction counts, on every core (hours; in release:
//! `cargo test --release -p slingshot-twin --test install_power_cuts -- --nocapture`).

mod install_fixture;

use anyhow::{bail, ensure, Context, Result};
use install_fixture::{pending_update_flash, stable_version};
use slingshot_files::MemoryImage;
use slingshot_flash_sim::SplitMix64;
use slingshot_twin::flash_controller::OperationKind;
use slingshot_twin::{PowerCut, Stop, Twin, TwinConfig};

/// Instruction budget to reach a stable device (the install boot is ~10^8 instructions).
const BUDGET: u64 = 2_000_000_000;
const FLASH_BASE: u32 = 0x0800_0000;

/// A flash operation of the reference run.
#[derive(Clone, Debug)]
struct Operation {
    /// 1-based index since power-on.
    index: u64,
    /// Whether it was an erase.
    erase: bool,
    /// Whether the application had started (its confirmation of the trial image).
    by_application: bool,
}

/// A twin powered on with `flash`.
fn twin_with(flash: &[u8], seed: u64) -> Result<Twin> {
    let mut twin = Twin::new(TwinConfig {
        strict: true,
        seed,
        ..TwinConfig::default()
    })?;
    twin.load_flash_image(&MemoryImage::from_binary(flash, FLASH_BASE)?)?;
    twin.power_on()?;
    Ok(twin)
}

/// Run until the application that comes up has printed `tick 4`; its version.
fn run_until_stable(twin: &mut Twin) -> Result<String> {
    let start = twin.serial_output().len();
    let stop = twin.run_until(BUDGET, |twin| {
        stable_version(&twin.serial_output()[start..]).is_some()
    })?;
    let output = String::from_utf8_lossy(&twin.serial_output()[start..]).into_owned();
    if stop != Stop::Condition {
        bail!("no application became stable ({stop:?}); output:\n{output}");
    }
    stable_version(output.as_bytes()).context("version")
}

/// The reference run without a cut: every flash operation and the instructions to stable.
fn reference(flash: &[u8]) -> Result<(Vec<Operation>, u64, String)> {
    let mut twin = twin_with(flash, 1)?;
    let mut operations = Vec::new();
    loop {
        let seen = twin.board().flash.operations_started;
        let stop = twin.run_until(BUDGET, |twin| {
            twin.board().flash.operations_started != seen
                || stable_version(twin.serial_output()).is_some()
        })?;
        ensure!(stop == Stop::Condition, "reference run stopped: {stop:?}");
        let board = twin.board();
        if board.flash.operations_started == seen {
            break;
        }
        let erase = matches!(
            board
                .flash
                .operation
                .as_ref()
                .map(|operation| &operation.kind),
            Some(OperationKind::Erase { .. })
        );
        let by_application =
            String::from_utf8_lossy(twin.serial_output()).contains(install_fixture::BANNER);
        operations.push(Operation {
            index: board.flash.operations_started,
            erase,
            by_application,
        });
    }
    let version = stable_version(twin.serial_output()).context("version")?;
    Ok((operations, twin.instructions(), version))
}

/// Where and how a cut happens.
#[derive(Clone, Copy, Debug)]
enum Cut {
    /// The `index`-th operation never starts.
    Before { index: u64 },
    /// Power fails at `per_mille` of the `index`-th operation.
    Torn { index: u64, per_mille: u32 },
    /// After this many instructions from power-on.
    Instructions(u64),
}

fn full_sweep() -> bool {
    std::env::var("SLINGSHOT_FULL_SWEEP").is_ok_and(|value| value == "1")
}

/// Pick `count` distinct items of `items` with a fixed seed (all when `count` is larger).
fn sample<T: Clone>(items: &[T], count: usize, random: &mut SplitMix64) -> Vec<T> {
    let mut pool = items.to_vec();
    let mut picked = Vec::new();
    while !pool.is_empty() && picked.len() < count {
        let index = (random.next_u64() % pool.len() as u64) as usize;
        picked.push(pool.swap_remove(index));
    }
    picked
}

/// The cuts of this run, operation cuts in ascending order.
fn plan(operations: &[Operation], instructions: u64) -> (Vec<Cut>, Vec<Cut>) {
    let mut random = SplitMix64::new(0x5EED);
    // (application operations, bootloader programs, instruction counts) to cut at.
    let (by_application, programs, instruction_cuts) = match (full_sweep(), cfg!(debug_assertions))
    {
        (true, _) => (usize::MAX, usize::MAX, 1_000),
        (false, true) => (4, 3, 3),
        (false, false) => (usize::MAX, 40, 20),
    };
    // SLINGSHOT_SWEEP_SAMPLE=N: N sampled programs and N/2 instruction counts instead.
    let (programs, instruction_cuts) = match std::env::var("SLINGSHOT_SWEEP_SAMPLE")
        .ok()
        .and_then(|text| text.parse::<usize>().ok())
    {
        Some(count) => (count, count / 2),
        None => (programs, instruction_cuts),
    };
    // Every erase always; samples of the application's operations (confirming the trial) and
    // of the bootloader's programs.
    let indexes = |keep: &dyn Fn(&Operation) -> bool| -> Vec<u64> {
        operations
            .iter()
            .filter(|operation| keep(operation))
            .map(|operation| operation.index)
            .collect()
    };
    let mut chosen = indexes(&|operation| operation.erase);
    let application = indexes(&|operation| !operation.erase && operation.by_application);
    chosen.extend(sample(&application, by_application, &mut random));
    let others = indexes(&|operation| !operation.erase && !operation.by_application);
    chosen.extend(sample(&others, programs, &mut random));
    chosen.sort_unstable();
    let mut operation_cuts = Vec::new();
    for index in chosen {
        let per_mille = 1 + (random.next_u64() % 999) as u32;
        operation_cuts.push(Cut::Before { index });
        operation_cuts.push(Cut::Torn { index, per_mille });
    }
    let counts: Vec<u64> = (0..instruction_cuts)
        .map(|_| 1 + random.next_u64() % instructions)
        .collect();
    (
        operation_cuts,
        counts.into_iter().map(Cut::Instructions).collect(),
    )
}

/// Flash content after `cut`, from one forward run (see the module documentation): call with
/// operation cuts in ascending order.
struct ForwardRun {
    twin: Twin,
    random: SplitMix64,
}

impl ForwardRun {
    fn new(flash: &[u8]) -> Result<Self> {
        Ok(Self {
            twin: twin_with(flash, 1)?,
            random: SplitMix64::new(0x7EA2),
        })
    }

    fn flash_at(&mut self, cut: Cut) -> Result<Vec<u8>> {
        let (Cut::Before { index } | Cut::Torn { index, .. }) = cut else {
            bail!("instruction cuts use the twin's own power cut");
        };
        let stop = self.twin.run_until(BUDGET, |twin| {
            twin.board().flash.operations_started >= index
        })?;
        ensure!(stop == Stop::Condition, "operation {index} never started");
        let mut controller = self.twin.board().flash.clone();
        ensure!(controller.operations_started == index && controller.operation.is_some());
        if let Cut::Torn { per_mille, .. } = cut {
            let random = &mut self.random;
            controller.tear(f64::from(per_mille) / 1000.0, &mut || random.next_u64());
        }
        Ok(controller.content)
    }
}

/// Power on `flash` after a cut and check the device comes up with v1 or v2.
fn check_recovery(flash: &[u8], seed: u64, cut: Cut) -> Result<String> {
    let mut twin = twin_with(flash, seed)?;
    let version = run_until_stable(&mut twin).with_context(|| format!("after {cut:?}"))?;
    check_version(&twin, &version).with_context(|| format!("after {cut:?}"))?;
    Ok(version)
}

/// The banner's version is v1 or v2 and the running image's signed descriptor agrees.
fn check_version(twin: &Twin, version: &str) -> Result<()> {
    ensure!(
        version == "1.0.0" || version == "2.0.0",
        "the device runs v{version}, neither v1 nor v2"
    );
    let output = String::from_utf8_lossy(twin.serial_output());
    let last = &output[output.rfind(install_fixture::BANNER).context("banner")?..];
    ensure!(
        last.contains(&format!("image: version {version}+0,")),
        "banner and descriptor disagree:\n{last}"
    );
    Ok(())
}

/// Cut with the twin's own `arm_power_cut`, power on, check.
fn check_twin_cut(flash: &[u8], cut: PowerCut, seed: u64) -> Result<(Vec<u8>, String)> {
    let mut twin = twin_with(flash, seed)?;
    twin.arm_power_cut(cut);
    ensure!(
        twin.run(BUDGET)? == Stop::PowerLost,
        "{cut:?} never happened"
    );
    let after_cut = twin.board().flash.content.clone();
    twin.power_on()?;
    let version = run_until_stable(&mut twin).with_context(|| format!("after {cut:?}"))?;
    check_version(&twin, &version).with_context(|| format!("after {cut:?}"))?;
    Ok((after_cut, version))
}

#[test]
fn power_cuts_during_a_dual_slot_install_always_leave_v1_or_v2() -> Result<()> {
    let flash = pending_update_flash()?;
    let (operations, instructions, version) = reference(&flash)?;
    assert_eq!(version, "2.0.0", "without a cut the install completes");
    let erases = operations
        .iter()
        .filter(|operation| operation.erase)
        .count();
    let (operation_cuts, instruction_cuts) = plan(&operations, instructions);
    let (sender, receiver) = std::sync::mpsc::sync_channel::<(Cut, Vec<u8>)>(2);
    let receiver = std::sync::Mutex::new(receiver);
    let workers = if full_sweep() {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        1
    };
    let results = std::thread::scope(|scope| -> Result<Vec<(Cut, String)>> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> Result<Vec<(Cut, String)>> {
                    let mut done = Vec::new();
                    loop {
                        let next = receiver.lock().expect("lock").recv();
                        let Ok((cut, content)) = next else {
                            return Ok(done);
                        };
                        let seed = 100 + done.len() as u64;
                        done.push((cut, check_recovery(&content, seed, cut)?));
                    }
                })
            })
            .collect();
        let mut forward = ForwardRun::new(&flash)?;
        for cut in &operation_cuts {
            if sender.send((*cut, forward.flash_at(*cut)?)).is_err() {
                break; // a worker failed: its error is reported below
            }
        }
        drop(sender);
        let mut results = Vec::new();
        for handle in handles {
            results.extend(handle.join().expect("worker")?);
        }
        Ok(results)
    })?;
    // The snapshot method agrees with the twin's own cut (earliest operation cut).
    if let Some(Cut::Before { index }) = operation_cuts.first() {
        let mut forward = ForwardRun::new(&flash)?;
        let snapshot = forward.flash_at(Cut::Before { index: *index })?;
        let (twin_cut, _) = check_twin_cut(&flash, PowerCut::BeforeFlashOperation(*index), 9)?;
        ensure!(
            snapshot == twin_cut,
            "flash differs before operation {index}"
        );
    }
    let mut versions = results
        .iter()
        .map(|(_, version)| version.clone())
        .collect::<Vec<_>>();
    for (number, cut) in instruction_cuts.iter().enumerate() {
        let Cut::Instructions(count) = cut else {
            continue;
        };
        let (_, version) =
            check_twin_cut(&flash, PowerCut::AfterInstructions(*count), number as u64)?;
        versions.push(version);
    }
    let new = versions
        .iter()
        .filter(|version| *version == "2.0.0")
        .count();
    let by_application = operations.iter().filter(|o| o.by_application).count();
    eprintln!(
        "install power-cut sweep ({by_application} operations by the application): {} cuts ({} at operation boundaries, {} inside operations, {} at \
         instruction counts) of {} operations ({erases} erases) and {instructions} instructions; \
         v2 after {new}, v1 after {}",
        versions.len(),
        operation_cuts.len() / 2,
        operation_cuts.len() / 2,
        instruction_cuts.len(),
        operations.len(),
        versions.len() - new
    );
    assert_eq!(
        versions.len(),
        operation_cuts.len() + instruction_cuts.len()
    );
    Ok(())
}
