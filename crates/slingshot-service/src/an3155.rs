//! ST's serial bootloader protocol (application note AN3155, "USART protocol used in the STM32
//! bootloader"), served by the bootloader on the same port as Slingshot's own protocol, so that
//! stm32flash, STM32CubeProgrammer and the scripts built on them update a Slingshot device over
//! the ST-LINK's virtual COM port.
//!
//! [`An3155Session`] is the byte-level state machine: feed it every received byte; it returns
//! the bytes to send. What the commands do to flash is [`RawMemory`]'s, implemented by
//! [`crate::UpdateService`] (`raw_memory.rs`): addresses of the primary slot map onto the update
//! target, and Go verifies and installs through the update engine.
//!
//! Commands (the F4 ROM's, bootloader version 3.1): Get 0x00, Get Version 0x01, Get ID 0x02,
//! Read Memory 0x11, Go 0x21, Write Memory 0x31, Extended Erase 0x44. The protection commands
//! (0x63, 0x73, 0x82, 0x92) are not offered — `slingshot protect` does that with Slingshot's
//! checks — and are answered with NACK like any unknown command. Every command is its code
//! and its complement; addresses are four bytes, most significant first, and their XOR; at
//! most 256 bytes per read or write; ACK is 0x79, NACK 0x1F.
//!
//! After [`IDLE_RESET_MILLISECONDS`] without a byte the session is disengaged (a command
//! half received — a host that gave up — is forgotten): the bootloader then hands the next
//! byte to whichever protocol it starts (0x7F: this one again), so `slingshot flash` works
//! right after an stm32flash run, without a reset.

use slingshot_protocol::device::{Device, DeviceHandler, Refusal};
use slingshot_protocol::error::ErrorCode;

/// The byte a host sends first; the ROM uses it to measure the baud rate.
pub const SYNCHRONIZE: u8 = 0x7F;
/// Acknowledge.
pub const ACK: u8 = 0x79;
/// Refuse.
pub const NACK: u8 = 0x1F;
/// The protocol version Get and Get Version report: 3.1, as the STM32F4's ROM.
pub const PROTOCOL_VERSION: u8 = 0x31;

/// Get: version and supported commands.
const GET: u8 = 0x00;
/// Get Version: version and two option bytes (0: no read protection reported).
const GET_VERSION: u8 = 0x01;
/// Get ID: the product id.
const GET_ID: u8 = 0x02;
/// Read Memory.
const READ_MEMORY: u8 = 0x11;
/// Go.
const GO: u8 = 0x21;
/// Write Memory.
const WRITE_MEMORY: u8 = 0x31;
/// Extended Erase (two-byte sector numbers).
const EXTENDED_ERASE: u8 = 0x44;

/// The commands Get lists, in the order the ROM lists them.
pub const COMMANDS: [u8; 7] = [
    GET,
    GET_VERSION,
    GET_ID,
    READ_MEMORY,
    GO,
    WRITE_MEMORY,
    EXTENDED_ERASE,
];

/// The answer to Get: ACK, the count of bytes that follow − 1, the version, the commands, ACK.
const GET_REPLY: [u8; COMMANDS.len() + 4] = {
    let mut reply = [ACK; COMMANDS.len() + 4];
    reply[1] = COMMANDS.len() as u8;
    reply[2] = PROTOCOL_VERSION;
    let mut index = 0;
    while index < COMMANDS.len() {
        reply[3 + index] = COMMANDS[index];
        index += 1;
    }
    reply
};

/// The answer to Get Version: ACK, the version, two option bytes (0), ACK.
const GET_VERSION_REPLY: [u8; 5] = [ACK, PROTOCOL_VERSION, 0, 0, ACK];

/// Sector numbers one Extended Erase may name (more are refused): a 2 MB F4 has 24.
pub const MAX_ERASE_SECTORS: usize = 32;

/// Milliseconds without a byte after which a half-received command is forgotten.
pub const IDLE_RESET_MILLISECONDS: u32 = 1_000;

/// What the ROM's commands do to memory: chip addresses and sector numbers.
pub trait RawMemory {
    /// DBGMCU_IDCODE DEV_ID of the part (0x419 on the F429).
    fn product_id(&self) -> u16;
    /// Whether Read Memory and Write Memory may name `address` at all (checked when the
    /// address arrives, as the ROM does; the length is checked with the data).
    fn accepts_address(&self, address: u32) -> bool;
    /// Erases chip sector `number` (as the reference manual numbers it).
    fn erase_sector(&mut self, number: u16) -> Result<(), Refusal>;
    /// Programs `data` at chip address `address`.
    fn write_memory(&mut self, address: u32, data: &[u8]) -> Result<(), Refusal>;
    /// Reads `buffer.len()` bytes at chip address `address`.
    fn read_memory(&mut self, address: u32, buffer: &mut [u8]) -> Result<(), Refusal>;
    /// Prepares a jump to `address`; on success the session reboots after the ACK.
    fn go(&mut self, address: u32) -> Result<(), Refusal>;
}

/// The host's character framing, as far as the session knows it. ST's ROM uses 8E1 (8 data
/// bits, even parity); stm32flash `-m 8n1` and STM32CubeProgrammer `P=NONE` use 8N1. A
/// USART set for 8N1 receives both (an 8E1 character whose parity bit is 0 arrives with a
/// framing error), so the first character whose even parity bit is 0 tells them apart: with a
/// framing error the host is 8E1, without one 8N1. Until then the bootloader answers with an
/// idle bit after every character (`write_bytes_spaced`), which both read alike when the
/// character's parity bit is 1 — as it is for ACK, NACK and the replies before the host's first
/// such character (stm32flash's Get Version reply; its zero option bytes reach an 8E1 host as
/// the 0 Linux reads for a parity error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostFraming {
    /// Not known yet.
    Unknown,
    /// 8N1.
    NoParity,
    /// 8E1: the bootloader switches its port to even parity before its next reply.
    EvenParity,
}

/// The even parity bit of `byte`: 1 when it has an odd number of ones.
pub const fn even_parity_bit(byte: u8) -> bool {
    byte.count_ones() % 2 == 1
}

/// Where the session is within a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Waiting for a command code.
    Command,
    /// The command code arrived; its complement is next.
    Complement { command: u8 },
    /// Receiving an address and its checksum for `command`.
    Address { command: u8 },
    /// Read Memory: the byte count − 1 and its complement.
    ReadLength { address: u32 },
    /// Write Memory: the byte count − 1.
    WriteLength { address: u32 },
    /// Write Memory: `length` data bytes, then the checksum.
    WriteData { address: u32, length: u16 },
    /// Extended Erase: the sector count − 1 (two bytes).
    EraseCount,
    /// Extended Erase: `count` sector numbers (two bytes each), then the checksum (`count` 0:
    /// a special erase, refused after its checksum).
    EraseSectors { count: u32 },
}

/// The session state machine (see the module documentation).
pub struct An3155Session {
    step: Step,
    /// Bytes collected in the current step (address, count, data, sector numbers).
    collected: [u8; 260],
    collected_length: usize,
    /// XOR of the bytes of the current checksummed block.
    checksum: u8,
    /// The reply being built.
    reply: [u8; 258],
    /// A successful Go was acknowledged: reboot once the ACK has left.
    reboot_pending: bool,
    /// Why the last NACK was sent, for tests and logs (the code only: keeping the details
    /// would cost the bootloader 180 bytes).
    last_refusal: Option<ErrorCode>,
    /// A byte arrived since the last poll.
    active: bool,
    /// Bytes arrived within the last [`IDLE_RESET_MILLISECONDS`].
    engaged: bool,
    /// The host's framing (back to unknown when the session disengages).
    framing: HostFraming,
    /// The time of the last poll that saw a byte.
    last_activity: u32,
}

impl Default for An3155Session {
    fn default() -> Self {
        Self::new()
    }
}

impl An3155Session {
    /// A session waiting for its first command (the synchronization byte is answered too).
    pub const fn new() -> Self {
        Self {
            step: Step::Command,
            collected: [0; 260],
            collected_length: 0,
            checksum: 0,
            reply: [0; 258],
            reboot_pending: false,
            last_refusal: None,
            active: false,
            engaged: false,
            framing: HostFraming::Unknown,
            last_activity: 0,
        }
    }

    /// Whether a successful Go was acknowledged: the caller reboots once the ACK has left.
    pub fn reboot_pending(&self) -> bool {
        self.reboot_pending
    }

    /// Why the last NACK was sent (`None` for a malformed command or a bad checksum).
    pub fn last_refusal(&self) -> Option<ErrorCode> {
        self.last_refusal
    }

    /// Whether the session has the port: a byte arrived within the last
    /// [`IDLE_RESET_MILLISECONDS`] (as of the last [`Self::poll`]).
    pub fn engaged(&self) -> bool {
        self.engaged
    }

    /// Whether a received `byte` belongs to this session rather than to the Slingshot
    /// `device` on the same port: while the session is engaged, or when it is 0x7F and the
    /// device is at rest (docs/PROTOCOL.md, section 14). The bootloader's serial loop and the
    /// fuzz target route every byte by this one rule.
    #[inline(always)]
    pub fn takes<H: DeviceHandler>(&self, byte: u8, device: &Device<H>) -> bool {
        self.engaged || (byte == SYNCHRONIZE && device.at_rest())
    }

    /// After [`IDLE_RESET_MILLISECONDS`] without a byte, forgets a half-received command and
    /// disengages; `now_milliseconds` is a free-running clock.
    pub fn poll(&mut self, now_milliseconds: u32) {
        if core::mem::take(&mut self.active) {
            self.last_activity = now_milliseconds;
        } else if self.engaged
            && now_milliseconds.wrapping_sub(self.last_activity) > IDLE_RESET_MILLISECONDS
        {
            self.begin(Step::Command);
            self.engaged = false;
            self.framing = HostFraming::Unknown;
        }
    }

    /// The host's framing as far as it is known.
    pub fn framing(&self) -> HostFraming {
        self.framing
    }

    /// Learns the host's framing from a `byte` the session takes, before [`Self::receive`]:
    /// the first byte whose even parity bit is 0 decides, by `framing_error` (whether the port
    /// received a character with a framing error since it was last asked; asked only then).
    pub fn observe_framing(&mut self, byte: u8, framing_error: impl FnOnce() -> bool) {
        if self.framing == HostFraming::Unknown && !even_parity_bit(byte) {
            self.framing = if framing_error() {
                HostFraming::EvenParity
            } else {
                HostFraming::NoParity
            };
        }
    }

    /// Feeds one received byte; returns the bytes to send, if any.
    #[inline(never)]
    pub fn receive(&mut self, byte: u8, memory: &mut impl RawMemory) -> Option<&[u8]> {
        self.active = true;
        self.engaged = true;
        let length = match self.step {
            Step::Command => {
                if byte == SYNCHRONIZE {
                    // The host's first byte (the ROM answers it once; answering again keeps
                    // a host that restarts without a reset in step).
                    self.acknowledge()
                } else {
                    self.step = Step::Complement { command: byte };
                    0
                }
            }
            Step::Complement { command } => self.command(command, byte, memory),
            Step::Address { command } => {
                self.collect(byte);
                if self.collected_length < 5 {
                    return None;
                }
                self.address_complete(command, memory)
            }
            Step::ReadLength { address } => {
                self.collect(byte);
                if self.collected_length < 2 {
                    return None;
                }
                self.read(address, memory)
            }
            Step::WriteLength { address } => {
                self.begin(Step::WriteData {
                    address,
                    length: u16::from(byte) + 1,
                });
                self.checksum = byte;
                0
            }
            Step::WriteData { address, length } => {
                if self.collected_length < usize::from(length) {
                    self.collect(byte);
                    return None;
                }
                self.write(address, byte, memory)
            }
            Step::EraseCount => {
                self.collect(byte);
                if self.collected_length < 2 {
                    return None;
                }
                let code = u16::from_be_bytes([self.collected[0], self.collected[1]]);
                // 0xFFFF, 0xFFFE, 0xFFFD: mass erase, bank 1, bank 2 — each would erase the
                // bootloader or the state: only their checksum byte follows.
                let count = if code >= 0xFFFD {
                    0
                } else {
                    u32::from(code) + 1
                };
                // The checksum covers the count field too.
                let checksum = self.checksum;
                self.begin(Step::EraseSectors { count });
                self.checksum = checksum;
                0
            }
            Step::EraseSectors { count } => {
                // Every byte enters the checksum; a list longer than [`MAX_ERASE_SECTORS`]
                // (whose bytes beyond the buffer are not kept) is refused at its end.
                self.collect(byte);
                if self.collected_length < (count * 2 + 1) as usize {
                    return None;
                }
                self.erase(count, memory)
            }
        };
        (length > 0).then(|| &self.reply[..length])
    }

    /// Starts step `step` with nothing collected.
    // Out of line: every step and reply starts one (96 B less bootloader flash, 2026-12-06).
    #[inline(never)]
    fn begin(&mut self, step: Step) {
        self.step = step;
        self.collected_length = 0;
        self.checksum = 0;
    }

    /// Adds a byte to the collected bytes and the checksum.
    // Out of line: four steps collect (48 B less bootloader flash, 2026-12-06).
    #[inline(never)]
    fn collect(&mut self, byte: u8) {
        if self.collected_length < self.collected.len() {
            self.collected[self.collected_length] = byte;
        }
        self.collected_length += 1;
        self.checksum ^= byte;
    }

    /// Replies `bytes` and waits for the next command.
    // Out of line: every reply ends here (28 B less bootloader flash, 2026-12-06).
    #[inline(never)]
    fn finish(&mut self, bytes: &[u8]) -> usize {
        self.begin(Step::Command);
        self.reply[..bytes.len()].copy_from_slice(bytes);
        bytes.len()
    }

    /// ACK, then the next command.
    fn acknowledge(&mut self) -> usize {
        self.finish(&[ACK])
    }

    /// NACK for `refusal`, then the next command.
    fn refuse(&mut self, refusal: Option<Refusal>) -> usize {
        self.last_refusal = refusal.map(|refusal| refusal.code);
        self.finish(&[NACK])
    }

    /// A command code and its complement.
    fn command(&mut self, command: u8, complement: u8, memory: &impl RawMemory) -> usize {
        if command ^ complement != 0xFF {
            return self.refuse(None);
        }
        match command {
            GET => self.finish(&GET_REPLY),
            GET_VERSION => self.finish(&GET_VERSION_REPLY),
            GET_ID => {
                let [high, low] = memory.product_id().to_be_bytes();
                self.finish(&[ACK, 1, high, low, ACK])
            }
            READ_MEMORY | GO | WRITE_MEMORY => {
                self.begin(Step::Address { command });
                self.reply[0] = ACK;
                1
            }
            EXTENDED_ERASE => {
                self.begin(Step::EraseCount);
                self.reply[0] = ACK;
                1
            }
            _ => self.refuse(None),
        }
    }

    /// The address of Read Memory, Go or Write Memory arrived with its checksum.
    fn address_complete(&mut self, command: u8, memory: &mut impl RawMemory) -> usize {
        if self.checksum != 0 {
            return self.refuse(None);
        }
        let address = u32::from_be_bytes([
            self.collected[0],
            self.collected[1],
            self.collected[2],
            self.collected[3],
        ]);
        if command != GO && !memory.accepts_address(address) {
            return self.refuse(Some(Refusal::with_detail(
                ErrorCode::OffsetOutOfRange,
                address,
            )));
        }
        match command {
            READ_MEMORY => {
                self.begin(Step::ReadLength { address });
                self.reply[0] = ACK;
                1
            }
            WRITE_MEMORY => {
                self.begin(Step::WriteLength { address });
                self.reply[0] = ACK;
                1
            }
            _ => match memory.go(address) {
                Ok(()) => {
                    self.reboot_pending = true;
                    self.acknowledge()
                }
                Err(refusal) => self.refuse(Some(refusal)),
            },
        }
    }

    /// Read Memory's count and complement arrived: ACK and the bytes, or NACK.
    fn read(&mut self, address: u32, memory: &mut impl RawMemory) -> usize {
        let (count, complement) = (self.collected[0], self.collected[1]);
        if count ^ complement != 0xFF {
            return self.refuse(None);
        }
        let length = usize::from(count) + 1;
        match memory.read_memory(address, &mut self.reply[1..1 + length]) {
            Ok(()) => {
                self.begin(Step::Command);
                self.reply[0] = ACK;
                1 + length
            }
            Err(refusal) => self.refuse(Some(refusal)),
        }
    }

    /// Write Memory's data and checksum arrived: program, then ACK or NACK.
    fn write(&mut self, address: u32, checksum: u8, memory: &mut impl RawMemory) -> usize {
        if self.checksum != checksum {
            return self.refuse(None);
        }
        let length = self.collected_length;
        match memory.write_memory(address, &self.collected[..length]) {
            Ok(()) => self.acknowledge(),
            Err(refusal) => self.refuse(Some(refusal)),
        }
    }

    /// Extended Erase's list and checksum arrived: erase each sector, then ACK or NACK.
    fn erase(&mut self, count: u32, memory: &mut impl RawMemory) -> usize {
        // `self.checksum` holds the count field, the list and the checksum byte itself: zero
        // if the checksum is right.
        if self.checksum != 0 || count == 0 || count as usize > MAX_ERASE_SECTORS {
            // A bad checksum, a special erase (mass, bank 1, bank 2) or too long a list.
            return self.refuse(None);
        }
        for index in 0..count as usize {
            let number =
                u16::from_be_bytes([self.collected[2 * index], self.collected[2 * index + 1]]);
            if let Err(refusal) = memory.erase_sector(number) {
                return self.refuse(Some(refusal));
            }
        }
        self.acknowledge()
    }
}
