//! A host of ST's serial bootloader protocol (AN3155) for the tests, sending what stm32flash
//! sends, byte for byte, into an [`An3155Session`] over a service, and checking each answer.

use slingshot_service::an3155::{An3155Session, RawMemory, ACK, NACK, SYNCHRONIZE};

/// The device refused (NACK) at this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused;

/// A session and the memory behind it, driven like a host would.
pub struct RomHost<'a, M: RawMemory> {
    /// The device's session.
    pub session: An3155Session,
    /// The service.
    pub memory: &'a mut M,
}

impl<'a, M: RawMemory> RomHost<'a, M> {
    /// A new session over `memory`.
    pub fn new(memory: &'a mut M) -> Self {
        Self {
            session: An3155Session::new(),
            memory,
        }
    }

    /// Sends `bytes`; returns everything the session answered.
    pub fn send(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut answer = Vec::new();
        for &byte in bytes {
            if let Some(reply) = self.session.receive(byte, self.memory) {
                answer.extend_from_slice(reply);
            }
        }
        answer
    }

    /// Sends `bytes` and expects exactly one ACK or NACK.
    fn acknowledged(&mut self, bytes: &[u8]) -> Result<(), Refused> {
        match self.send(bytes).as_slice() {
            [ACK] => Ok(()),
            [NACK] => Err(Refused),
            other => panic!("expected ACK or NACK, got {other:02x?}"),
        }
    }

    /// A command code and its complement.
    pub fn command(&mut self, code: u8) -> Result<(), Refused> {
        self.acknowledged(&[code, !code])
    }

    /// The synchronization byte.
    pub fn synchronize(&mut self) -> Result<(), Refused> {
        self.acknowledged(&[SYNCHRONIZE])
    }

    /// An address and its checksum.
    pub fn address(&mut self, address: u32) -> Result<(), Refused> {
        let bytes = address.to_be_bytes();
        let checksum = bytes.iter().fold(0, |sum, byte| sum ^ byte);
        self.acknowledged(&[bytes[0], bytes[1], bytes[2], bytes[3], checksum])
    }

    /// Write Memory as stm32flash sends it (padded to a multiple of 4 with 0xFF).
    pub fn write(&mut self, address: u32, data: &[u8]) -> Result<(), Refused> {
        assert!(!data.is_empty() && data.len() <= 256);
        self.command(0x31)?;
        self.address(address)?;
        let mut block = data.to_vec();
        while block.len() % 4 != 0 {
            block.push(0xFF);
        }
        let count = (block.len() - 1) as u8;
        let checksum = block.iter().fold(count, |sum, byte| sum ^ byte);
        let mut bytes = vec![count];
        bytes.extend_from_slice(&block);
        bytes.push(checksum);
        self.acknowledged(&bytes)
    }

    /// Read Memory of `length` (1–256) bytes.
    pub fn read(&mut self, address: u32, length: usize) -> Result<Vec<u8>, Refused> {
        self.command(0x11)?;
        self.address(address)?;
        let count = (length - 1) as u8;
        let answer = self.send(&[count, !count]);
        match answer.split_first() {
            Some((&ACK, data)) if data.len() == length => Ok(data.to_vec()),
            Some((&NACK, [])) => Err(Refused),
            _ => panic!("bad Read Memory answer {answer:02x?}"),
        }
    }

    /// Extended Erase of `sectors` (or a special code: 0xFFFF mass, 0xFFFE/0xFFFD banks).
    pub fn erase(&mut self, sectors: &[u16]) -> Result<(), Refused> {
        self.command(0x44)?;
        let mut bytes = ((sectors.len() - 1) as u16).to_be_bytes().to_vec();
        for sector in sectors {
            bytes.extend_from_slice(&sector.to_be_bytes());
        }
        let checksum = bytes.iter().fold(0, |sum, byte| sum ^ byte);
        bytes.push(checksum);
        self.acknowledged(&bytes)
    }

    /// A special Extended Erase (`code` 0xFFFF, 0xFFFE or 0xFFFD) and its checksum.
    pub fn special_erase(&mut self, code: u16) -> Result<(), Refused> {
        self.command(0x44)?;
        let [high, low] = code.to_be_bytes();
        self.acknowledged(&[high, low, high ^ low])
    }

    /// Go.
    pub fn go(&mut self, address: u32) -> Result<(), Refused> {
        self.command(0x21)?;
        self.address(address)
    }
}
