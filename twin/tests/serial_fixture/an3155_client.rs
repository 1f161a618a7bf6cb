//! A client of ST's serial bootloader protocol (AN3155) for the benchmark, sending the bytes
//! stm32flash 0.7 sends for `-w IMAGE [-v] -S 0x08008000 -g 0x08008000` (synchronize, Get
//! Version, Get, Get ID, one Extended Erase of the sectors the image covers, 256-byte Write
//! Memory commands, each optionally read back, Go) over a [`Transport`], so that the real
//! bootloader's AN3155 service is measured in the twin's modelled time, beside Slingshot's
//! own protocol. Every command waits for its acknowledgements: nothing is pipelined.

use slingshot_layout::{Layout, Region};
use slingshot_protocol::host::Transport;
use std::time::Duration;

/// Acknowledge.
const ACK: u8 = 0x79;
/// Image bytes per Write Memory, as stm32flash sends them.
pub const WRITE_SIZE: usize = 256;
/// How long an acknowledgement may take: stm32flash's limits (5 s per erased sector, 1 s for
/// a write, half a second otherwise) are wall-clock; here they are generous modelled bounds.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// What the transfer did.
#[derive(Clone, Copy, Debug, Default)]
pub struct An3155Report {
    /// Write Memory commands.
    pub writes: u64,
    /// Request/acknowledgement round trips.
    pub round_trips: u64,
    /// Modelled time from the synchronization byte to Go's acknowledgement.
    pub elapsed: Duration,
}

/// The client over a transport.
struct Client<'a, T: Transport> {
    transport: &'a mut T,
    report: An3155Report,
}

impl<T: Transport> Client<'_, T> {
    /// Reads exactly `buffer.len()` bytes.
    fn read_exactly(&mut self, buffer: &mut [u8]) -> Result<(), String> {
        let mut filled = 0;
        let deadline = self.transport.elapsed() + ACK_TIMEOUT;
        while filled < buffer.len() {
            let now = self.transport.elapsed();
            if now >= deadline {
                return Err(format!("{} of {} bytes arrived", filled, buffer.len()));
            }
            filled += self
                .transport
                .read(&mut buffer[filled..], deadline - now)
                .map_err(|error| error.to_string())?;
        }
        Ok(())
    }

    /// Sends `bytes` and waits for one ACK.
    fn acknowledged(&mut self, bytes: &[u8], what: &str) -> Result<(), String> {
        self.report.round_trips += 1;
        self.transport
            .write(bytes)
            .map_err(|error| error.to_string())?;
        let mut answer = [0u8; 1];
        self.read_exactly(&mut answer)
            .map_err(|error| format!("{what}: {error}"))?;
        match answer[0] {
            ACK => Ok(()),
            other => {
                let mut more = [0u8; 64];
                let count = self
                    .transport
                    .read(&mut more, Duration::from_millis(100))
                    .unwrap_or(0);
                Err(format!(
                    "{what}: answered 0x{other:02x}, then {:02x?}",
                    &more[..count]
                ))
            }
        }
    }

    /// A command code and its complement.
    fn command(&mut self, code: u8) -> Result<(), String> {
        self.acknowledged(&[code, !code], &format!("command 0x{code:02x}"))
    }

    /// An address and its XOR.
    fn address(&mut self, address: u32) -> Result<(), String> {
        let bytes = address.to_be_bytes();
        let checksum = bytes.iter().fold(0, |sum, byte| sum ^ byte);
        self.acknowledged(
            &[bytes[0], bytes[1], bytes[2], bytes[3], checksum],
            &format!("address 0x{address:08x}"),
        )
    }

    /// A command whose answer is a count, that many bytes + 1, and ACK (Get, Get ID), or a
    /// fixed `length` and ACK (Get Version).
    fn query(&mut self, code: u8, length: Option<usize>) -> Result<(), String> {
        self.command(code)?;
        let length = match length {
            Some(length) => length,
            None => {
                let mut count = [0u8; 1];
                self.read_exactly(&mut count)?;
                usize::from(count[0]) + 1
            }
        };
        let mut answer = vec![0u8; length + 1];
        self.read_exactly(&mut answer)?;
        if answer[length] == ACK {
            Ok(())
        } else {
            Err(format!("command 0x{code:02x}: no final ACK"))
        }
    }
}

/// The sectors stm32flash erases for `length` bytes at `start` (its page map is right below
/// 0x08080000, which covers every image this benchmark sends).
pub fn sectors_for(layout: &Layout, start: u32, length: usize) -> Vec<u16> {
    let region = Region {
        start,
        size: length as u32,
    };
    layout
        .board
        .part
        .flash
        .sector_numbers_in(region)
        .map(u16::from)
        .collect()
}

/// stm32flash's `-w IMAGE [-v] -S START -g START` against the bootloader on `transport`.
pub fn flash<T: Transport>(
    transport: &mut T,
    layout: &Layout,
    image: &[u8],
    read_back: bool,
) -> Result<An3155Report, String> {
    let start = layout.partitions.primary.start;
    let mut client = Client {
        transport,
        report: An3155Report::default(),
    };
    let started = client.transport.elapsed();
    client.acknowledged(&[0x7F], "synchronization")?;
    client.query(0x01, Some(3))?;
    client.query(0x00, None)?;
    client.query(0x02, None)?;

    let sectors = sectors_for(layout, start, image.len());
    client.command(0x44)?;
    let mut erase = ((sectors.len() - 1) as u16).to_be_bytes().to_vec();
    for sector in &sectors {
        erase.extend_from_slice(&sector.to_be_bytes());
    }
    erase.push(erase.iter().fold(0, |sum, byte| sum ^ byte));
    client.acknowledged(&erase, "extended erase")?;

    for (index, block) in image.chunks(WRITE_SIZE).enumerate() {
        let address = start + (index * WRITE_SIZE) as u32;
        let mut data = block.to_vec();
        while data.len() % 4 != 0 {
            data.push(0xFF);
        }
        client.command(0x31)?;
        client.address(address)?;
        let count = (data.len() - 1) as u8;
        let mut bytes = vec![count];
        bytes.extend_from_slice(&data);
        bytes.push(data.iter().fold(count, |sum, byte| sum ^ byte));
        client.acknowledged(&bytes, &format!("write at 0x{address:08x}"))?;
        client.report.writes += 1;
        if read_back {
            client.command(0x11)?;
            client.address(address)?;
            client.acknowledged(&[count, !count], "read count")?;
            let mut back = vec![0u8; data.len()];
            client.read_exactly(&mut back)?;
            if back != data {
                return Err(format!("read back at 0x{address:08x} differs"));
            }
        }
    }
    client.command(0x21)?;
    client.address(start)?;
    client.report.elapsed = client.transport.elapsed() - started;
    Ok(client.report)
}
