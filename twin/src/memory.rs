//! The F429 memory map on the emulator (RM0090 §2.3): flash (two banks, physical at
//! 0x0800_0000 and aliased at 0 for boot from main flash), SRAM, CCM (data only), read-only
//! system memory with the unique ID and flash-size register, and the MMIO windows. A virtual
//! TLB hook translates every page: flash reads go to the flash copy, stores to flash go to a
//! write port the flash controller model receives (REFERENCE.md §7: a write hook cannot veto a
//! store), data reads of a flash bank busy with an erase or program go to a stall port that
//! waits for the operation to end (read-while-write works between banks only), CCM refuses
//! instruction fetches, and system memory refuses stores.

use slingshot_layout::boards::NUCLEO_F429ZI;
use unicorn_engine::{MemType, Prot, TlbEntry};

/// Flash base (physical).
pub const FLASH_BASE: u32 = NUCLEO_F429ZI.part.flash.base;
/// Flash size in bytes.
pub const FLASH_SIZE: u32 = NUCLEO_F429ZI.part.flash.size;
/// Physical address of the flash write port (an MMIO window the CPU cannot name directly).
pub const FLASH_WRITE_PORT: u32 = 0x9000_0000;
/// Physical address of the flash stall port: data reads of a busy bank (MMIO that waits).
pub const FLASH_STALL_PORT: u32 = 0xA000_0000;
/// Physical address of the port that receives stores to read-only memory.
pub const READ_ONLY_WRITE_PORT: u32 = 0x9800_0000;
/// System memory (ROM bootloader area), OTP, unique ID and flash size: one read-only window.
pub const SYSTEM_MEMORY: u32 = 0x1FFF_0000;
/// Size of that window.
pub const SYSTEM_MEMORY_SIZE: u32 = 0x8000;
/// Unique device ID (96 bits).
pub const UNIQUE_ID: u32 = 0x1FFF_7A10;
/// Flash size register (KB, 16 bits).
pub const FLASH_SIZE_REGISTER: u32 = 0x1FFF_7A22;
/// The unique ID the twin reports (fixed, so runs are reproducible).
pub const TWIN_UNIQUE_ID: [u32; 3] = [0x0054_0041, 0x3133_5107, 0x5457_494E];

/// The physical address behind a virtual one (the boot alias at 0 maps to flash).
pub fn physical(address: u32) -> u32 {
    if address < FLASH_SIZE {
        FLASH_BASE + address
    } else {
        address
    }
}

/// Offset into flash of a (virtual) address in flash or its boot alias.
pub fn flash_offset(address: u32) -> Option<u32> {
    if address < FLASH_SIZE {
        Some(address)
    } else if (FLASH_BASE..FLASH_BASE + FLASH_SIZE).contains(&address) {
        Some(address - FLASH_BASE)
    } else {
        None
    }
}

/// The virtual-TLB translation of one page (see the module documentation); `bank_busy`:
/// the page's flash bank is being erased or programmed.
pub fn translate(address: u64, access: MemType, bank_busy: bool) -> Option<TlbEntry> {
    let virtual_address = address as u32;
    let write = matches!(access, MemType::WRITE);
    if let Some(offset) = flash_offset(virtual_address) {
        return Some(if write {
            TlbEntry {
                paddr: (FLASH_WRITE_PORT + offset) as u64,
                perms: Prot::WRITE,
            }
        } else if bank_busy && matches!(access, MemType::READ) {
            TlbEntry {
                paddr: (FLASH_STALL_PORT + offset) as u64,
                perms: Prot::READ,
            }
        } else {
            TlbEntry {
                paddr: (FLASH_BASE + offset) as u64,
                perms: Prot::READ | Prot::EXEC,
            }
        });
    }
    if let Some(ccm) = NUCLEO_F429ZI.part.ccm {
        if ccm.contains(virtual_address) {
            // CCM is on the data bus only: no instruction fetch (RM0090 §2.3.1).
            return Some(TlbEntry {
                paddr: address,
                perms: Prot::READ | Prot::WRITE,
            });
        }
    }
    if (SYSTEM_MEMORY..SYSTEM_MEMORY + SYSTEM_MEMORY_SIZE).contains(&virtual_address) {
        return Some(if write {
            TlbEntry {
                paddr: (READ_ONLY_WRITE_PORT + virtual_address - SYSTEM_MEMORY) as u64,
                perms: Prot::WRITE,
            }
        } else {
            TlbEntry {
                paddr: address,
                perms: Prot::READ | Prot::EXEC,
            }
        });
    }
    Some(TlbEntry {
        paddr: address,
        perms: Prot::ALL,
    })
}

/// The initial content of the system-memory window: zero (the ROM bootloader is not
/// modelled), the unique ID and the flash size in KB.
pub fn system_memory_content() -> Vec<u8> {
    let mut content = vec![0u8; SYSTEM_MEMORY_SIZE as usize];
    let unique = (UNIQUE_ID - SYSTEM_MEMORY) as usize;
    for (index, word) in TWIN_UNIQUE_ID.iter().enumerate() {
        content[unique + 4 * index..unique + 4 * index + 4].copy_from_slice(&word.to_le_bytes());
    }
    let size = (FLASH_SIZE_REGISTER - SYSTEM_MEMORY) as usize;
    content[size..size + 2].copy_from_slice(&((FLASH_SIZE / 1024) as u16).to_le_bytes());
    content
}
