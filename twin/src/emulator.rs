//! Building the emulator for the twin: a Unicorn ARM core with the Cortex-M4 model
//! (`Mode::THUMB` + `ctl_set_cpu_model`, never `Mode::MCLASS`: that silently gives a
//! Cortex-M33), the memory map with the virtual-TLB hook, the MMIO windows that route to the
//! board, the instruction-counting code hook, and the interrupt hook that stands in for the
//! NVIC's exception return, SVC and BKPT.

use unicorn_engine::{Arch, ArmCpuModel, HookType, Mode, Prot, RegisterARM, TlbType, Unicorn};

use crate::board::{address, Board};
use crate::board_dma::{settle, settle_to_now};
use crate::core_exceptions::exception;
use crate::exception_frames;
use crate::memory::{
    self, FLASH_BASE, FLASH_STALL_PORT, FLASH_WRITE_PORT, LARGEST_FLASH_SIZE, READ_ONLY_WRITE_PORT,
};
use crate::TwinError;

/// Map an emulator error into the twin's error type.
pub(crate) fn emulator(error: unicorn_engine::uc_error) -> TwinError {
    TwinError::Emulator {
        message: format!("{error:?}"),
        pc: 0,
    }
}

/// A new emulator with `hardware`'s memory map and hooks, flash erased.
pub(crate) fn build(
    hardware: &'static slingshot_layout::Board,
) -> Result<Unicorn<'static, Board>, TwinError> {
    let mut uc =
        Unicorn::new_with_data(Arch::ARM, Mode::THUMB, Board::new(hardware)).map_err(emulator)?;
    uc.ctl_set_cpu_model(ArmCpuModel::CORTEX_M4 as i32)
        .map_err(emulator)?;
    uc.ctl_set_tlb_type(TlbType::VIRTUAL).map_err(emulator)?;
    uc.add_tlb_hook(1, 0, |uc, address, access| {
        // Only a data access's fill runs inside a translated block (see below); a fetch's
        // fill comes while a block is being translated, between blocks, when the CPU copy of
        // the IT state is the right one for the block about to run.
        if !matches!(access, unicorn_engine::MemType::FETCH) {
            discard_restored_it_state(uc);
        }
        let board = uc.get_data();
        let modelled = board.flash_data_read_modelled(address as u32);
        memory::translate(&board.hardware.part, address, access, modelled)
    })
    .map_err(emulator)?;
    let board = hardware;
    uc.mem_map(FLASH_BASE as u64, board.part.flash.size as u64, Prot::ALL)
        .map_err(emulator)?;
    let erased = uc.get_data().flash.content.clone();
    uc.mem_write(FLASH_BASE as u64, &erased).map_err(emulator)?;
    uc.mem_map(
        board.part.ram.start as u64,
        board.part.ram.size as u64,
        Prot::ALL,
    )
    .map_err(emulator)?;
    if let Some(ccm) = board.part.ccm {
        uc.mem_map(ccm.start as u64, ccm.size as u64, Prot::ALL)
            .map_err(emulator)?;
    }
    uc.mem_map(
        memory::SYSTEM_MEMORY as u64,
        memory::SYSTEM_MEMORY_SIZE as u64,
        Prot::ALL,
    )
    .map_err(emulator)?;
    uc.mem_write(
        memory::SYSTEM_MEMORY as u64,
        &memory::system_memory_content(&board.part),
    )
    .map_err(emulator)?;
    uc.mmio_map(
        address::PERIPHERALS as u64,
        address::PERIPHERALS_SIZE as u64,
        Some(|uc: &mut Unicorn<'_, Board>, offset: u64, size: usize| {
            settle_to_now(uc);
            let value = uc.get_data_mut().peripheral_read(offset as u32, size);
            sync_flash(uc);
            settle(uc);
            value
        }),
        Some(
            |uc: &mut Unicorn<'_, Board>, offset: u64, size: usize, value: u64| {
                settle_to_now(uc);
                uc.get_data_mut()
                    .peripheral_write(offset as u32, size, value);
                sync_flash(uc);
                settle(uc);
            },
        ),
    )
    .map_err(emulator)?;
    uc.mmio_map(
        0x5000_0000,
        0x0006_1000,
        Some(|uc: &mut Unicorn<'_, Board>, offset: u64, size: usize| {
            uc.get_data_mut()
                .peripheral_read(0x1000_0000 + offset as u32, size)
        }),
        Some(
            |uc: &mut Unicorn<'_, Board>, offset: u64, size: usize, value: u64| {
                uc.get_data_mut()
                    .peripheral_write(0x1000_0000 + offset as u32, size, value)
            },
        ),
    )
    .map_err(emulator)?;
    uc.mmio_map(
        address::PRIVATE_PERIPHERALS as u64,
        0x0010_0000,
        Some(|uc: &mut Unicorn<'_, Board>, offset: u64, size: usize| {
            uc.get_data_mut().private_read(offset as u32, size)
        }),
        Some(
            |uc: &mut Unicorn<'_, Board>, offset: u64, size: usize, value: u64| {
                uc.get_data_mut().private_write(offset as u32, size, value)
            },
        ),
    )
    .map_err(emulator)?;
    uc.mmio_map(
        FLASH_WRITE_PORT as u64,
        LARGEST_FLASH_SIZE as u64,
        // A TLB entry filled for a store may serve the next load from that page too.
        Some(stalled_flash_read),
        Some(
            |uc: &mut Unicorn<'_, Board>, offset: u64, size: usize, value: u64| {
                uc.get_data_mut().flash_store(offset as u32, size, value);
                sync_flash(uc);
                settle(uc);
            },
        ),
    )
    .map_err(emulator)?;
    uc.mmio_map(
        FLASH_STALL_PORT as u64,
        LARGEST_FLASH_SIZE as u64,
        Some(stalled_flash_read),
        Some(|_: &mut Unicorn<'_, Board>, _: u64, _: usize, _: u64| {}),
    )
    .map_err(emulator)?;
    uc.mmio_map(
        READ_ONLY_WRITE_PORT as u64,
        memory::SYSTEM_MEMORY_SIZE as u64,
        Some(|_: &mut Unicorn<'_, Board>, _: u64, _: usize| 0),
        Some(
            |uc: &mut Unicorn<'_, Board>, offset: u64, _size: usize, value: u64| {
                let address = memory::SYSTEM_MEMORY + offset as u32;
                uc.get_data_mut().diagnostics.push(format!(
                    "store of 0x{value:08x} to read-only memory at 0x{address:08x} ignored"
                ));
            },
        ),
    )
    .map_err(emulator)?;
    uc.add_code_hook(1, 0, |uc, address, size| {
        let board = uc.get_data_mut();
        if board.instructions >= board.stop_at {
            // Unicorn cannot stop inside an IT block (REFERENCE.md §7): it may run on, calling
            // this hook again. The run loop counts those instructions from this list.
            board.hooked_after_stop.push(address as u32);
            let _ = uc.emu_stop();
        } else if board.flash_access_stalls(address as u32) {
            // An instruction fetch from a bank being erased or programmed stalls: stop before
            // it; the run loop lets time pass until the bank is free.
            board.stop_at = board.instructions;
            board.hooked_after_stop.push(address as u32);
            let _ = uc.emu_stop();
        } else {
            board.instructions += 1;
            if board.cycle_model {
                count_model_cycles(uc, address as u32, size);
            }
        }
    })
    .map_err(emulator)?;
    uc.add_intr_hook(interrupt_hook).map_err(emulator)?;
    // Only invalid accesses reach this hook: name the address in the error the run returns.
    uc.add_mem_hook(HookType::MEM_INVALID, 1, 0, |uc, access, address, size, value| {
        let pc = uc.reg_read(RegisterARM::PC).unwrap_or(0);
        uc.get_data_mut().hook_error = Some(format!(
            "{access:?} of {size} bytes at 0x{address:08x} (value 0x{value:08x}) from pc 0x{pc:08x}: \
             nothing the twin models is there"
        ));
        false
    })
    .map_err(emulator)?;
    Ok(uc)
}

/// The IT-state bits of the EPSR (ICI/IT[1:0] at 26:25, IT[7:2] at 15:10).
const EPSR_IT_BITS: u32 = 0x0600_FC00;

/// Undo the one side effect of Unicorn's TLB fill that corrupts execution.
///
/// Before calling the TLB hook, Unicorn's `unicorn_fill_tlb` runs QEMU's
/// `cpu_restore_state(.., will_exit = false)` to give the hook an exact PC. That also writes
/// the IT state recorded for the faulting instruction into the CPU state, yet execution then
/// continues in the same translated block, and the translated code never writes the IT state
/// back when the block ends outside an IT block (QEMU keeps it in translation-time state and
/// only stores it when leaving a block inside one). After a TLB miss on a load or store inside
/// an IT block, the stale IT state thus reaches the next block lookup (an indirect branch such
/// as `pop {.., pc}`, `bx lr`, `blx r6`) — the target is translated as if inside the IT block
/// and its first instructions are skipped when the stale condition fails — and exception
/// entry (SVC) stacks it. The symptoms depended on where runs stopped, because every stop
/// restores the IT state of the stop instruction correctly.
///
/// Clearing it after a data access's fill is safe: the translated code never reads the CPU
/// copy of the IT state; a block that ends inside an IT block stores the right value, and
/// every exit or exception in the middle of a block restores it from the instruction's record
/// again. It is not after an instruction fetch's fill: that comes while the next block is
/// translated, between blocks, when a block that ended inside an IT block has just stored the
/// IT state its successor needs; if the new block then exits before it runs (a stop request),
/// the next lookup reads the CPU copy again. Clearing it there made IT blocks lose their
/// conditions in some code layouts (the example application printing rodata garbage, the
/// F411 and F412 bootloaders not answering: docs/TWIN.md); `tests/it_state.rs` covers both.
fn discard_restored_it_state(uc: &mut Unicorn<'_, Board>) {
    let epsr = uc.reg_read(RegisterARM::EPSR).unwrap_or(0) as u32;
    if epsr & EPSR_IT_BITS != 0 {
        // EPSR writes touch only the IT and T bits.
        let _ = uc.reg_write(RegisterARM::EPSR, (epsr & !EPSR_IT_BITS) as u64);
    }
}

/// A data read of flash through a port (the stall port, or the write port when a store's
/// translation serves a load): when the bank is busy the bus stalls until the operation ends,
/// then the read returns the flash content as the ART data cache shows it (a stale line's old
/// bytes, with a diagnostic, when a program or erase was not followed by a cache reset).
fn stalled_flash_read(uc: &mut Unicorn<'_, Board>, offset: u64, size: usize) -> u64 {
    let board = uc.get_data_mut();
    if board.flash_access_stalls(offset as u32) {
        board.stall_until_flash_idle();
        board.request_stop();
        sync_flash(uc);
        settle(uc);
    }
    let board = uc.get_data_mut();
    if let Some(message) = crate::errata::bank_two_read_diagnostic(board, offset as u32) {
        // One diagnostic per run: a loop over bank 2 would repeat it for every word.
        if !board
            .diagnostics
            .iter()
            .any(|known| known.starts_with(crate::errata::BANK_TWO_READ_DIAGNOSTIC))
        {
            board.diagnostics.push(message);
        }
        board.request_stop();
    }
    let flash = &mut board.flash;
    let (value, stale_line) = flash.data_cache.read(&flash.content, offset as u32, size);
    if let Some(line) = stale_line.filter(|line| flash.data_cache.first_report(*line)) {
        let address = FLASH_BASE + offset as u32;
        let line_address = FLASH_BASE + line;
        board.diagnostics.push(format!(
            "data read at 0x{address:08x} answered from a stale ART data cache line \
             (0x{line_address:08x}): flash changed there while the cache was enabled and it was \
             not reset (FLASH_ACR.DCRST with DCEN clear, RM0090 §3.5.2)"
        ));
        board.request_stop();
    }
    value
}

/// Drop the emulator's address translations when the busy flash range changed, so reads of a
/// busy bank reach the stall port (and direct reads resume afterwards).
pub(crate) fn refresh_translations(uc: &mut Unicorn<'_, Board>) {
    if std::mem::take(&mut uc.get_data_mut().translations_stale) {
        let _ = uc.ctl_flush_tlb();
    }
}

/// The cycle model's extra cycles for the instruction at `address` (`size` bytes): its class
/// (decoded once per address) and a pipeline refill when the flow changed to reach it.
fn count_model_cycles(uc: &mut Unicorn<'_, Board>, address: u32, size: u32) {
    let known = uc.get_data().extra_cycles_by_address.get(&address).copied();
    let extra = match known {
        Some(extra) => u32::from(extra),
        None => {
            let mut bytes = [0u8; 4];
            let _ = uc.mem_read(u64::from(address), &mut bytes);
            let first = u16::from_le_bytes([bytes[0], bytes[1]]);
            let second = u16::from_le_bytes([bytes[2], bytes[3]]);
            let extra = crate::cycle_model::extra_cycles(first, second).min(255);
            uc.get_data_mut()
                .extra_cycles_by_address
                .insert(address, extra as u8);
            extra
        }
    };
    let board = uc.get_data_mut();
    let refill = if board.next_sequential != 0 && board.next_sequential != address {
        crate::cycle_model::REFILL_CYCLES
    } else {
        0
    };
    board.next_sequential = address.wrapping_add(size);
    board.extra_cycles += u64::from(extra + refill);
}

/// Copy flash ranges the controller changed into the emulator and drop stale translations.
pub(crate) fn sync_flash(uc: &mut Unicorn<'_, Board>) {
    let dirty = std::mem::take(&mut uc.get_data_mut().dirty_flash);
    for (offset, length) in dirty {
        let bytes =
            uc.get_data().flash.content[offset as usize..(offset + length) as usize].to_vec();
        let _ = uc.mem_write((FLASH_BASE + offset) as u64, &bytes);
        let _ = uc.ctl_remove_cache(
            (FLASH_BASE + offset) as u64,
            (FLASH_BASE + offset + length) as u64,
        );
        let _ = uc.ctl_remove_cache(offset as u64, (offset + length) as u64);
    }
}

/// Unicorn's interrupt hook: exception return, SVC and BKPT (the emulator's own exception
/// delivery is replaced by this hook).
fn interrupt_hook(uc: &mut Unicorn<'_, Board>, number: u32) {
    const EXCEPTION_EXIT: u32 = 8;
    const SOFTWARE_INTERRUPT: u32 = 2;
    const BREAKPOINT: u32 = 7;
    let result = match number {
        EXCEPTION_EXIT => {
            let value = uc.reg_read(RegisterARM::PC).unwrap_or(0) as u32;
            exception_frames::exit(uc, value | 1)
        }
        SOFTWARE_INTERRUPT => exception_frames::enter(uc, exception::SVCALL),
        BREAKPOINT => {
            uc.get_data_mut().breakpoint = true;
            Ok(())
        }
        other => {
            let pc = uc.reg_read(RegisterARM::PC).unwrap_or(0);
            uc.get_data_mut().hook_error = Some(format!(
                "CPU exception {other} at 0x{pc:08x} (faults are not delivered to the firmware)"
            ));
            Ok(())
        }
    };
    if let Err(error) = result {
        uc.get_data_mut().hook_error = Some(error.to_string());
    }
    uc.get_data_mut().request_stop();
}
