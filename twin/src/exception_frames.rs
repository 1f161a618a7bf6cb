//! Exception entry and return on the emulated core (ARMv7-M ARM B1.5.6–B1.5.8), which Unicorn
//! leaves to us: push the basic or extended (FP) stack frame with 8-byte alignment, set LR to
//! EXC_RETURN, IPSR and the vector; and on EXC_RETURN pop the frame back. Floating-point state
//! is saved eagerly when `CONTROL.FPCA` is set (the memory layout of lazy stacking, without
//! its laziness: FPCCR.LSPACT is never set).

use unicorn_engine::{RegisterARM, Unicorn};

use crate::board::Board;

/// Why an exception could not be entered or returned from.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Stack memory could not be written or read.
    #[error("exception stack frame at 0x{address:08x} is not in RAM")]
    StackNotWritable {
        /// Lowest address of the frame.
        address: u32,
    },
    /// The vector has no Thumb bit (INVSTATE UsageFault on hardware).
    #[error("vector {number} at 0x{table:08x} is 0x{vector:08x}: no Thumb bit")]
    VectorNotThumb {
        /// Exception number.
        number: u32,
        /// VTOR.
        table: u32,
        /// The vector read.
        vector: u32,
    },
    /// A register could not be accessed.
    #[error("emulator register access failed")]
    Register,
}

type Machine<'a> = Unicorn<'a, Board>;

fn read(uc: &Machine, register: RegisterARM) -> Result<u32, FrameError> {
    uc.reg_read(register)
        .map(|value| value as u32)
        .map_err(|_| FrameError::Register)
}

fn write(uc: &mut Machine, register: RegisterARM, value: u32) -> Result<(), FrameError> {
    uc.reg_write(register, value as u64)
        .map_err(|_| FrameError::Register)
}

fn refresh_mode_flags(uc: &mut Machine) -> Result<(), FrameError> {
    // Unicorn caches "handler mode" in its translation flags; rewriting NZCV rebuilds them
    // (REFERENCE.md §7), otherwise EXC_RETURN branches are plain branches to 0xFFFF_FFF8.
    let flags = read(uc, RegisterARM::APSR_NZCV)?;
    write(uc, RegisterARM::APSR_NZCV, flags)
}

const CONTROL_SPSEL: u32 = 1 << 1;
const CONTROL_FPCA: u32 = 1 << 2;

/// Enter exception `number`: the return address is the current PC.
pub fn enter(uc: &mut Machine, number: u32) -> Result<(), FrameError> {
    let control = read(uc, RegisterARM::CONTROL)?;
    let ipsr = read(uc, RegisterARM::IPSR)? & 0x1FF;
    let thread_mode = ipsr == 0;
    let on_process_stack = thread_mode && control & CONTROL_SPSEL != 0;
    let extended = control & CONTROL_FPCA != 0;
    let stack_register = if on_process_stack {
        RegisterARM::PSP
    } else {
        RegisterARM::MSP
    };
    let mut stack = read(uc, stack_register)?;
    let mut xpsr = read(uc, RegisterARM::XPSR)?;
    let frame_size = if extended { 0x68 } else { 0x20 };
    if (stack - frame_size) & 4 != 0 {
        stack -= 4;
        xpsr |= 1 << 9;
    } else {
        xpsr &= !(1 << 9);
    }
    stack -= frame_size;
    let pc = read(uc, RegisterARM::PC)?;
    let mut frame: Vec<u32> = [
        RegisterARM::R0,
        RegisterARM::R1,
        RegisterARM::R2,
        RegisterARM::R3,
        RegisterARM::R12,
        RegisterARM::LR,
    ]
    .into_iter()
    .map(|register| read(uc, register))
    .collect::<Result<_, _>>()?;
    frame.push(pc & !1);
    frame.push(xpsr | (1 << 24));
    if extended {
        for index in 0..16 {
            frame.push(read(uc, single_precision(index))?);
        }
        frame.push(read(uc, RegisterARM::FPSCR)?);
        frame.push(0);
    }
    let bytes: Vec<u8> = frame.iter().flat_map(|word| word.to_le_bytes()).collect();
    uc.mem_write(stack as u64, &bytes)
        .map_err(|_| FrameError::StackNotWritable { address: stack })?;
    let table = uc.get_data().system.vector_table;
    let part = uc.get_data().hardware.part;
    let mut vector_bytes = [0u8; 4];
    uc.mem_read(
        crate::memory::physical(&part, table + 4 * number) as u64,
        &mut vector_bytes,
    )
    .map_err(|_| FrameError::StackNotWritable {
        address: table + 4 * number,
    })?;
    let vector = u32::from_le_bytes(vector_bytes);
    if vector & 1 == 0 {
        return Err(FrameError::VectorNotThumb {
            number,
            table,
            vector,
        });
    }
    let exception_return = 0xFFFF_FFE1
        | if extended { 0 } else { 1 << 4 }
        | if thread_mode { 1 << 3 } else { 0 }
        | if on_process_stack { 1 << 2 } else { 0 };
    // Switch to the main stack while still in thread mode (MSR CONTROL ignores SPSEL in handler
    // mode), then enter handler mode.
    write(
        uc,
        RegisterARM::CONTROL,
        control & !(CONTROL_SPSEL | CONTROL_FPCA),
    )?;
    write(uc, stack_register, stack)?;
    write(uc, RegisterARM::IPSR, number)?;
    write(uc, RegisterARM::LR, exception_return)?;
    refresh_mode_flags(uc)?;
    write(uc, RegisterARM::PC, vector)?;
    uc.get_data_mut().system.activate(number);
    Ok(())
}

fn single_precision(index: u32) -> RegisterARM {
    const REGISTERS: [RegisterARM; 16] = [
        RegisterARM::S0,
        RegisterARM::S1,
        RegisterARM::S2,
        RegisterARM::S3,
        RegisterARM::S4,
        RegisterARM::S5,
        RegisterARM::S6,
        RegisterARM::S7,
        RegisterARM::S8,
        RegisterARM::S9,
        RegisterARM::S10,
        RegisterARM::S11,
        RegisterARM::S12,
        RegisterARM::S13,
        RegisterARM::S14,
        RegisterARM::S15,
    ];
    REGISTERS[index as usize]
}

/// Return from the active exception with `exception_return` (the EXC_RETURN value).
pub fn exit(uc: &mut Machine, exception_return: u32) -> Result<(), FrameError> {
    let ipsr = read(uc, RegisterARM::IPSR)? & 0x1FF;
    let to_thread = exception_return & (1 << 3) != 0;
    let process_stack = exception_return & (1 << 2) != 0;
    let extended = exception_return & (1 << 4) == 0;
    let stack_register = if process_stack {
        RegisterARM::PSP
    } else {
        RegisterARM::MSP
    };
    let stack = read(uc, stack_register)?;
    let words = if extended { 26 } else { 8 };
    let mut bytes = vec![0u8; 4 * words];
    uc.mem_read(stack as u64, &mut bytes)
        .map_err(|_| FrameError::StackNotWritable { address: stack })?;
    let frame: Vec<u32> = bytes
        .chunks(4)
        .map(|word| u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
        .collect();
    uc.get_data_mut().system.deactivate(ipsr);
    let xpsr = frame[7];
    let mut new_stack = stack + 4 * words as u32;
    if xpsr & (1 << 9) != 0 {
        new_stack += 4;
    }
    for (register, value) in [
        RegisterARM::R0,
        RegisterARM::R1,
        RegisterARM::R2,
        RegisterARM::R3,
        RegisterARM::R12,
        RegisterARM::LR,
    ]
    .into_iter()
    .zip(&frame)
    {
        write(uc, register, *value)?;
    }
    if extended {
        for index in 0..16 {
            write(uc, single_precision(index), frame[8 + index as usize])?;
        }
        write(uc, RegisterARM::FPSCR, frame[24])?;
    }
    write(uc, stack_register, new_stack)?;
    let returning_ipsr = if to_thread { 0 } else { xpsr & 0x1FF };
    // XPSR_NZCVQG writes IPSR, NZCVQ, the SIMD GE flags and the EPSR (IT, T) bits together
    // (an interrupted IT block resumes correctly). Plain XPSR would leave GE as the handler
    // left it: Unicorn writes GE only for the `_G` register variants.
    write(
        uc,
        RegisterARM::XPSR_NZCVQG,
        (xpsr & !0x1FF) | returning_ipsr | (1 << 24),
    )?;
    let control = read(uc, RegisterARM::CONTROL)?;
    let mut new_control = control & !(CONTROL_SPSEL | CONTROL_FPCA);
    if to_thread && process_stack {
        new_control |= CONTROL_SPSEL;
    }
    if extended {
        new_control |= CONTROL_FPCA;
    }
    write(uc, RegisterARM::CONTROL, new_control)?;
    refresh_mode_flags(uc)?;
    write(uc, RegisterARM::PC, frame[6] | 1)?;
    Ok(())
}
