//! Validation of an application's vector table before the hand-off.
//!
//! A Cortex-M image starts with its vector table: word 0 is the initial main stack pointer,
//! word 1 the reset handler's address with the Thumb bit set. Any application following that
//! convention at the start of the primary slot is startable — one built with cortex-m-rt or a
//! C program from STM32CubeIDE — so these checks use only the layout, never the application.

use slingshot_layout::{Layout, Region};

/// Why a vector table is not startable. Each refusal has its own stable code and message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VectorTableError {
    /// Both words read 0xFFFF_FFFF: the slot is erased, no application is installed.
    SlotErased,
    /// A word is 0x0000_0000 (QEMU's unwritten flash, or a zero-filled image).
    ZeroWord,
    /// One word is 0xFFFF_FFFF (a partly programmed or erased vector table).
    ErasedWord,
    /// The initial stack pointer is not inside SRAM or CCM.
    StackPointerOutsideRam,
    /// The initial stack pointer is not 4-byte aligned.
    StackPointerMisaligned,
    /// The reset handler is outside the application slot.
    ResetVectorOutsideSlot,
    /// The reset handler's address lacks the Thumb bit (bit 0), so the branch would fault.
    ResetVectorNotThumb,
}

impl VectorTableError {
    /// Every variant, in code order (for tables built at compile time, tests and docs).
    pub const ALL: [VectorTableError; 7] = [
        VectorTableError::SlotErased,
        VectorTableError::ZeroWord,
        VectorTableError::ErasedWord,
        VectorTableError::StackPointerOutsideRam,
        VectorTableError::StackPointerMisaligned,
        VectorTableError::ResetVectorOutsideSlot,
        VectorTableError::ResetVectorNotThumb,
    ];

    /// Stable reason number (0x01–0x0F are vector-table refusals).
    pub const fn code(&self) -> u8 {
        match self {
            VectorTableError::SlotErased => 0x01,
            VectorTableError::ZeroWord => 0x02,
            VectorTableError::ErasedWord => 0x03,
            VectorTableError::StackPointerOutsideRam => 0x04,
            VectorTableError::StackPointerMisaligned => 0x05,
            VectorTableError::ResetVectorOutsideSlot => 0x06,
            VectorTableError::ResetVectorNotThumb => 0x07,
        }
    }

    /// One-line human-readable explanation.
    pub const fn message(&self) -> &'static str {
        match self {
            VectorTableError::SlotErased => "no application: the slot is erased",
            VectorTableError::ZeroWord => "no application: the vector table holds zero words",
            VectorTableError::ErasedWord => "bad vector table: a word is erased (0xffffffff)",
            VectorTableError::StackPointerOutsideRam => {
                "bad vector table: the initial stack pointer is outside RAM"
            }
            VectorTableError::StackPointerMisaligned => {
                "bad vector table: the initial stack pointer is not 4-byte aligned"
            }
            VectorTableError::ResetVectorOutsideSlot => {
                "bad vector table: the reset vector is outside the application slot"
            }
            VectorTableError::ResetVectorNotThumb => {
                "bad vector table: the reset vector lacks the Thumb bit"
            }
        }
    }
}

/// What the vector-table check needs of a layout: the primary slot and the memories a stack
/// may live in. Small on purpose: firmware passes a constant one, so the board's names and
/// tables never reach the bootloader's flash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplicationBounds {
    /// The primary slot (the vector table is at its start).
    pub primary: Region,
    /// Main SRAM.
    pub ram: Region,
    /// Core-coupled memory, if the part has it.
    pub ccm: Option<Region>,
}

impl ApplicationBounds {
    /// The bounds of `layout`'s primary slot.
    pub const fn of(layout: &Layout) -> Self {
        Self {
            primary: layout.partitions.primary,
            ram: layout.board.part.ram,
            ccm: layout.board.part.ccm,
        }
    }
}

/// Check that the application at the start of `layout`'s primary slot can be started
/// ([`check_application_bounds`] with [`ApplicationBounds::of`]).
pub fn check_vector_table(
    layout: &Layout,
    initial_stack_pointer: u32,
    reset_vector: u32,
) -> Result<(), VectorTableError> {
    check_application_bounds(
        &ApplicationBounds::of(layout),
        initial_stack_pointer,
        reset_vector,
    )
}

/// Check that the application at the start of the primary slot can be started.
///
/// The initial stack pointer may be anywhere in SRAM or CCM up to and including the end of
/// the region (the stack is full-descending, so `end` is the usual value); the reset handler
/// must lie after the first two words of the slot and inside it, with the Thumb bit set.
pub fn check_application_bounds(
    bounds: &ApplicationBounds,
    initial_stack_pointer: u32,
    reset_vector: u32,
) -> Result<(), VectorTableError> {
    const ERASED: u32 = 0xFFFF_FFFF;
    if initial_stack_pointer == ERASED && reset_vector == ERASED {
        return Err(VectorTableError::SlotErased);
    }
    if initial_stack_pointer == 0 || reset_vector == 0 {
        return Err(VectorTableError::ZeroWord);
    }
    if initial_stack_pointer == ERASED || reset_vector == ERASED {
        return Err(VectorTableError::ErasedWord);
    }
    let in_region = |region: Region| {
        initial_stack_pointer > region.start && initial_stack_pointer <= region.end()
    };
    if !in_region(bounds.ram) && !bounds.ccm.is_some_and(in_region) {
        return Err(VectorTableError::StackPointerOutsideRam);
    }
    if initial_stack_pointer % 4 != 0 {
        return Err(VectorTableError::StackPointerMisaligned);
    }
    let slot = bounds.primary;
    let handler = reset_vector & !1;
    if handler < slot.start + 8 || !slot.contains(handler) {
        return Err(VectorTableError::ResetVectorOutsideSlot);
    }
    if reset_vector & 1 == 0 {
        return Err(VectorTableError::ResetVectorNotThumb);
    }
    Ok(())
}

/// Proof that the primary slot's vector table passed [`check_vector_table`]: only
/// [`StartableApplication::check`] makes one, so a hand-off that takes it cannot skip the
/// checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartableApplication {
    vector_table: u32,
}

impl StartableApplication {
    /// Check the vector table words of the primary slot `bounds` describes.
    pub fn check(
        bounds: &ApplicationBounds,
        initial_stack_pointer: u32,
        reset_vector: u32,
    ) -> Result<Self, VectorTableError> {
        check_application_bounds(bounds, initial_stack_pointer, reset_vector)?;
        Ok(Self {
            vector_table: bounds.primary.start,
        })
    }

    /// Address of the application's vector table (the start of the primary slot).
    pub const fn vector_table(&self) -> u32 {
        self.vector_table
    }
}
