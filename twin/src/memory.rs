//! The part's memory map on the emulator (RM0090 §2.3; the part's size from the layout crate's
//! part table): flash (physical at 0x0800_0000 and aliased at 0 for boot from main flash; two
//! banks on the 2 MB F42x/F43x), SRAM, CCM where the part has it (data only), read-only
//! system memory with the unique ID and flash-size register, and the MMIO windows. A virtual
//! TLB hook translates every page: flash reads go to the flash copy, stores to flash go to a
//! write port the flash controller model receives (REFERENCE.md §7: a write hook cannot veto a
//! store), data reads of a flash bank busy with an erase or program go to a stall port that
//! waits for the operation to end (read-while-write works between banks only), CCM refuses
//! instruction fetches, and system memory refuses stores.

use slingshot_layout::Part;
use unicorn_engine::{MemType, Prot, TlbEntry};

/// Flash base (physical), the same on every STM32F4.
pub const FLASH_BASE: u32 = 0x0800_0000;
/// The largest flash of an STM32F4 the twin models (2 MB): the size of the write and stall
/// ports, which cover any part's flash.
pub const LARGEST_FLASH_SIZE: u32 = 2 * 1024 * 1024;
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

/// The physical address behind a virtual one (the boot alias at 0 maps to `part`'s flash).
pub fn physical(part: &Part, address: u32) -> u32 {
    if address < part.flash.size {
        FLASH_BASE + address
    } else {
        address
    }
}

/// Offset into `part`'s flash of a (virtual) address in flash or its boot alias.
pub fn flash_offset(part: &Part, address: u32) -> Option<u32> {
    if address < part.flash.size {
        Some(address)
    } else if (FLASH_BASE..FLASH_BASE + part.flash.size).contains(&address) {
        Some(address - FLASH_BASE)
    } else {
        None
    }
}

/// The virtual-TLB translation of one page of `part` (see the module documentation);
/// `bank_busy`: the page's flash bank is being erased or programmed.
pub fn translate(part: &Part, address: u64, access: MemType, bank_busy: bool) -> Option<TlbEntry> {
    let virtual_address = address as u32;
    let write = matches!(access, MemType::WRITE);
    if let Some(offset) = flash_offset(part, virtual_address) {
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
    if let Some(ccm) = part.ccm {
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
/// modelled), the unique ID and `part`'s flash size register (KB).
pub fn system_memory_content(part: &Part) -> Vec<u8> {
    let mut content = vec![0u8; SYSTEM_MEMORY_SIZE as usize];
    let unique = (UNIQUE_ID - SYSTEM_MEMORY) as usize;
    for (index, word) in TWIN_UNIQUE_ID.iter().enumerate() {
        content[unique + 4 * index..unique + 4 * index + 4].copy_from_slice(&word.to_le_bytes());
    }
    let size = (FLASH_SIZE_REGISTER - SYSTEM_MEMORY) as usize;
    content[size..size + 2].copy_from_slice(&part.flash_size_register.to_le_bytes());
    content
}
