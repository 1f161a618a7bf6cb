//! Boot firmware in `qemu-system-arm -M netduinoplus2` (an STM32F405 model with the F429's
//! SRAM and USART3 addresses) and talk to it over USART3.
//!
//! QEMU facts this relies on (see shared REFERENCE.md §6): flash is read-only and starts as
//! zeros; `-kernel` loads the bootloader ELF and `-device loader,…,force-raw=on` puts raw
//! images at their addresses; USART3 is the third `-serial`; `-icount shift=0,sleep=off`
//! makes runs identical, one instruction per virtual nanosecond.

use anyhow::{bail, Context, Result};
use slingshot_layout::boards::Usart;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The QEMU executable.
pub const QEMU: &str = "qemu-system-arm";

/// How a session is clocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// `-icount shift=0,sleep=off`: deterministic; time jumps over sleeps.
    Deterministic,
    /// Real time: SysTick ticks at wall-clock pace (for humans watching `cargo xtask run`).
    RealTime,
}

/// What to boot: the bootloader ELF plus raw images at addresses.
#[derive(Clone, Debug)]
pub struct Machine {
    bootloader: PathBuf,
    raw_images: Vec<(PathBuf, u32)>,
    clock: Clock,
    trace_file: Option<PathBuf>,
    gdb_port: Option<u16>,
    host_serial: Usart,
}

impl Machine {
    /// A machine that boots `bootloader` (an ELF, loaded at its addresses; the core starts
    /// from its vector table through the boot alias at 0).
    pub fn new(bootloader: &Path) -> Self {
        Self {
            bootloader: bootloader.to_path_buf(),
            raw_images: Vec::new(),
            clock: Clock::Deterministic,
            trace_file: None,
            gdb_port: None,
            host_serial: Usart::Usart3,
        }
    }

    /// Connect the session to `usart` instead of USART3 (USART2 for the boards that use it:
    /// the STM32F4DISCOVERY build on this F405 machine).
    pub fn with_host_serial(mut self, usart: Usart) -> Self {
        self.host_serial = usart;
        self
    }

    /// Put the raw binary `file` into flash at `address`.
    pub fn with_raw_image(mut self, file: &Path, address: u32) -> Self {
        self.raw_images.push((file.to_path_buf(), address));
        self
    }

    /// Choose the clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Log every executed instruction (one per translation block) to `file`.
    pub fn with_instruction_trace(mut self, file: &Path) -> Self {
        self.trace_file = Some(file.to_path_buf());
        self
    }

    /// Wait for a debugger on `port` before running the first instruction.
    pub fn with_gdb_server(mut self, port: u16) -> Self {
        self.gdb_port = Some(port);
        self
    }

    /// The QEMU command line for this machine.
    pub fn command(&self) -> Command {
        let mut command = Command::new(QEMU);
        command.args([
            "-M",
            "netduinoplus2",
            "-display",
            "none",
            "-monitor",
            "none",
        ]);
        // The `-serial` options go to USART1, USART2, USART3 in order: the host serial port
        // (USART3, the Nucleo-144's ST-LINK VCP, unless chosen otherwise) is stdio, the
        // others go nowhere.
        match self.host_serial {
            Usart::Usart2 => command.args(["-serial", "null", "-serial", "stdio"]),
            Usart::Usart3 => {
                command.args(["-serial", "null", "-serial", "null", "-serial", "stdio"])
            }
        };
        if self.clock == Clock::Deterministic {
            command.args(["-icount", "shift=0,sleep=off"]);
        }
        if let Some(trace_file) = &self.trace_file {
            command
                .args(["-singlestep", "-d", "exec,nochain", "-D"])
                .arg(trace_file);
        }
        if let Some(port) = self.gdb_port {
            command.args(["-gdb", &format!("tcp::{port}"), "-S"]);
        }
        command.arg("-kernel").arg(&self.bootloader);
        for (file, address) in &self.raw_images {
            command.arg("-device").arg(format!(
                "loader,file={},addr=0x{address:08x},force-raw=on",
                file.display()
            ));
        }
        command
    }

    /// Start QEMU with USART3 connected to the returned session.
    pub fn spawn(&self) -> Result<Session> {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| {
                format!("cannot start {QEMU}: install it (`apt-get install qemu-system-arm`)")
            })?;
        let output = Arc::new(Shared::default());
        let errors = Arc::new(Shared::default());
        spawn_reader(child.stdout.take().expect("piped"), Arc::clone(&output));
        spawn_reader(child.stderr.take().expect("piped"), Arc::clone(&errors));
        let input = child.stdin.take();
        Ok(Session {
            child,
            input,
            output,
            errors,
            cursor: 0,
        })
    }
}

/// Bytes collected from a pipe by a reader thread.
#[derive(Default)]
struct Shared {
    bytes: Mutex<Vec<u8>>,
    arrived: Condvar,
}

fn spawn_reader(mut pipe: impl Read + Send + 'static, shared: Arc<Shared>) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(count) = pipe.read(&mut buffer) {
            if count == 0 {
                break;
            }
            shared
                .bytes
                .lock()
                .expect("no panics while locked")
                .extend_from_slice(&buffer[..count]);
            shared.arrived.notify_all();
        }
    });
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// QEMU was still running (the firmware neither locked up nor exited) and was stopped.
    StoppedWhileRunning,
    /// QEMU had exited by itself with this status (a lock-up, a crash, or a semihosting exit).
    ExitedByItself(Option<i32>),
}

/// A running QEMU with USART3 on its standard input and output.
pub struct Session {
    child: Child,
    input: Option<ChildStdin>,
    output: Arc<Shared>,
    errors: Arc<Shared>,
    cursor: usize,
}

impl Session {
    /// Everything USART3 sent so far, as text.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.bytes.lock().expect("no poisoning")).into_owned()
    }

    /// What QEMU printed on its standard error so far.
    pub fn diagnostics(&self) -> String {
        String::from_utf8_lossy(&self.errors.bytes.lock().expect("no poisoning")).into_owned()
    }

    /// Wait until `pattern` appears in USART3 output after the previous match, and move past
    /// it. `limit` is a safety net against hangs; on failure the error shows the output.
    pub fn wait_for(&mut self, pattern: &str, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        let mut bytes = self.output.bytes.lock().expect("no poisoning");
        loop {
            let text = String::from_utf8_lossy(&bytes[self.cursor.min(bytes.len())..]).into_owned();
            if let Some(position) = text.find(pattern) {
                self.cursor += position + pattern.len();
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                drop(bytes);
                bail!(
                    "USART3 never printed {pattern:?} within {limit:?}.\n--- USART3 output ---\n{}\n--- QEMU ---\n{}",
                    self.output(),
                    self.diagnostics()
                );
            }
            bytes = self
                .output
                .arrived
                .wait_timeout(bytes, deadline - now)
                .expect("no poisoning")
                .0;
        }
    }

    /// Whether `pattern` appears anywhere in the output so far.
    pub fn printed(&self, pattern: &str) -> bool {
        self.output().contains(pattern)
    }

    /// Send bytes to USART3's receiver.
    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let input = self
            .input
            .as_mut()
            .context("QEMU's standard input is closed")?;
        input.write_all(bytes)?;
        input.flush()?;
        Ok(())
    }

    /// Stop QEMU and tell whether it was still running.
    pub fn stop(mut self) -> Result<Ending> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(Ending::ExitedByItself(status.code()));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(Ending::StoppedWhileRunning)
    }

    /// Wait for QEMU to exit by itself (e.g. Ctrl-C from the terminal).
    pub fn wait(mut self) -> Result<Option<i32>> {
        Ok(self.child.wait()?.code())
    }

    /// Whether QEMU is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Count the instructions QEMU executed before the first one at `address`, from an
/// instruction trace written by [`Machine::with_instruction_trace`].
pub fn instructions_before(trace: &str, address: u32) -> Option<usize> {
    let marker = format!("/{address:08x}/");
    trace
        .lines()
        .filter(|line| line.starts_with("Trace"))
        .position(|line| line.contains(&marker))
}

/// Boot `machine` with an instruction trace and count instructions from reset until the
/// core first executes `address` (e.g. the application's reset handler).
pub fn count_instructions_to(machine: Machine, address: u32) -> Result<usize> {
    let directory = std::env::temp_dir().join(format!("slingshot-trace-{}", std::process::id()));
    std::fs::create_dir_all(&directory)?;
    let trace_file = directory.join(format!("trace-{address:08x}.log"));
    let _ = std::fs::remove_file(&trace_file);
    let session = machine.with_instruction_trace(&trace_file).spawn()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let marker = format!("/{address:08x}/");
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let trace = std::fs::read_to_string(&trace_file).unwrap_or_default();
        if trace.contains(&marker) || Instant::now() > deadline {
            session.stop()?;
            let trace = std::fs::read_to_string(&trace_file).unwrap_or_default();
            let _ = std::fs::remove_dir_all(&directory);
            return instructions_before(&trace, address)
                .with_context(|| format!("the core never reached 0x{address:08x}"));
        }
    }
}
