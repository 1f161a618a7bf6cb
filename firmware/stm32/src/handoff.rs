//! The hand-off: start an application as if the core had just come out of reset.
//!
//! A bootloader leaves state behind that a freshly reset core never has: running SysTick,
//! enabled or pending interrupts, clocks and pins of the peripherals it used, the FPU
//! enabled, its own vector table. An application that enables interrupts early then takes an
//! interrupt it never asked for, through a table that is not its own (cortex-m #607 and
//! embassy #4626 are hangs of this kind). [`hand_off`] undoes all of it, in one place.

use crate::device;
use cortex_m::peripheral::{NVIC, SCB, SYST};
use slingshot_boot::StartableApplication;
use slingshot_layout::BUILD_BOARD;

/// Reset value of RCC_AHB1ENR: only the CCM data RAM clock is on (CCMDATARAMEN, bit 20) on
/// the parts with CCM (RM0090 §6.3.10); nothing on the others.
const AHB1ENR_RESET: u32 = if BUILD_BOARD.part.ccm.is_some() {
    0x0010_0000
} else {
    0
};
/// Reset value of RCC_APB1ENR (RM0090 §6.3.13).
const APB1ENR_RESET: u32 = 0x0000_0000;
/// GPIOA, GPIOB, GPIOC and GPIOD in RCC_AHB1RSTR: the ports the bootloader may have used
/// (GPIOA only for the bank-2 erratum of early revisions, `errata`).
const GPIO_PORTS_USED: u32 = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3);
/// The serial port's USART in RCC_APB1RSTR (USART2 bit 17, USART3 bit 18).
const USART_RESET: u32 = 1 << BUILD_BOARD.serial.usart.apb1_bit();
// Every pin the bootloader drives (serial port, LEDs, button) is on a port in
// `GPIO_PORTS_USED`.
const _: () = {
    let board = BUILD_BOARD;
    assert!(GPIO_PORTS_USED & (1 << board.serial.transmit.port_index()) != 0);
    assert!(GPIO_PORTS_USED & (1 << board.serial.receive.port_index()) != 0);
    assert!(GPIO_PORTS_USED & (1 << board.button.pin.port_index()) != 0);
    let mut index = 0;
    while index < board.leds.len() {
        assert!(GPIO_PORTS_USED & (1 << board.leds[index].pin.port_index()) != 0);
        index += 1;
    }
};
/// ICSR: clear a pending SysTick (PENDSTCLR, bit 25) and PendSV (PENDSVCLR, bit 27).
const ICSR_CLEAR_PENDING: u32 = (1 << 25) | (1 << 27);
/// NVIC enable/pending register words to clear: 4 words cover 128 interrupts, more than any
/// STM32F4 has (the F429 has 91, the F469 97).
const NVIC_WORDS: usize = 4;

/// Start the application whose vector table is at `vector_table`, in a reset-like state.
///
/// Checklist, in order:
/// 1. mask interrupts (PRIMASK = 1) while the state is torn down;
/// 2. stop SysTick and clear its reload and current value;
/// 3. clear every NVIC enable and pending bit, and pending SysTick/PendSV;
/// 4. return every peripheral the bootloader touched to its reset state: pulse the RCC reset
///    of the serial port's USART and GPIOA/B/C/D, then write the RCC clock-enable registers' reset values;
/// 5. turn the FPU off again (CPACR reset value) and clear CONTROL (privileged, MSP, no
///    FP context), BASEPRI and FAULTMASK;
/// 6. point VTOR at the application's vector table;
/// 7. load MSP from word 0, unmask interrupts (PRIMASK back to its reset value 0) and
///    branch to the reset handler in word 1.
///
/// Nothing here depends on the application: any program following the Cortex-M vector
/// table convention starts as it would from reset, except that VTOR points at it.
///
/// # Safety
///
/// `vector_table` must be the address of a vector table checked by
/// `slingshot_boot::check_vector_table` (stack pointer in RAM, reset handler inside the
/// slot with the Thumb bit), aligned as VTOR requires. The caller's stack and all its
/// state are abandoned: the function never returns.
pub unsafe fn hand_off(vector_table: u32) -> ! {
    cortex_m::interrupt::disable();

    // SAFETY: interrupts are masked and this function never returns, so nothing else uses
    // the core peripherals from here on.
    let mut core = unsafe { cortex_m::Peripherals::steal() };
    stop_systick(&mut core.SYST);
    clear_interrupts(&core.NVIC, &core.SCB);
    reset_used_peripherals();

    // SAFETY: CPACR = 0 disables the FPU (its reset value); no floating-point instruction
    // runs after this line in this function. VTOR takes any 512-byte aligned table address;
    // the caller guarantees alignment.
    unsafe {
        core.SCB.cpacr.write(0);
        core.SCB.vtor.write(vector_table);
    }

    let table = vector_table as *const u32;
    // SAFETY: the caller guarantees a checked vector table at this address (readable flash).
    let (stack_pointer, reset_handler) =
        unsafe { (table.read_volatile(), table.add(1).read_volatile()) };

    // SAFETY: the new MSP is inside RAM (checked by the caller's validation); after it is set
    // no instruction uses the old stack. CONTROL = 0 selects MSP, privileged, no FP context.
    // The barriers make the VTOR and CONTROL writes visible before the first instruction of
    // the application: `dsb` first, so the VTOR store (a memory-mapped SCB register) has
    // completed, then `isb`, so the instructions after it see the new CONTROL and VTOR (the
    // order ARM's "Cortex-M programming guide to memory barrier instructions", AN321 §4.9 and
    // §4.10, and PM0214 §2.2.9 give). PRIMASK is cleared last, with every interrupt source
    // disabled, so no exception can be taken before the application enables one itself.
    unsafe {
        core::arch::asm!(
            "msr basepri, {zero}",
            "msr faultmask, {zero}",
            "msr control, {zero}",
            "dsb",
            "isb",
            "msr msp, {stack_pointer}",
            "cpsie i",
            "bx {reset_handler}",
            zero = in(reg) 0u32,
            stack_pointer = in(reg) stack_pointer,
            reset_handler = in(reg) reset_handler,
            options(noreturn, nostack),
        )
    }
}

fn stop_systick(systick: &mut SYST) {
    systick.disable_interrupt();
    systick.disable_counter();
    // SAFETY: writing 0 to RVR and CVR is their reset state; the counter is stopped.
    unsafe {
        systick.rvr.write(0);
        systick.cvr.write(0);
    }
}

fn clear_interrupts(nvic: &NVIC, scb: &SCB) {
    for word in 0..NVIC_WORDS {
        // SAFETY: ICER/ICPR are write-one-to-clear; writing all ones disables and un-pends
        // every interrupt, the reset state.
        unsafe {
            nvic.icer[word].write(u32::MAX);
            nvic.icpr[word].write(u32::MAX);
        }
    }
    // SAFETY: PENDSTCLR and PENDSVCLR only clear pending state; other ICSR bits written as
    // zero have no effect.
    unsafe { scb.icsr.write(ICSR_CLEAR_PENDING) };
}

fn reset_used_peripherals() {
    let rcc = device().RCC;
    // SAFETY: setting then clearing reset bits of the bootloader's peripherals returns them
    // to their reset state (RM0090 §6.3.5, §6.3.7); the enable registers then get their
    // documented reset values. No other code runs any more.
    unsafe {
        rcc.ahb1rstr()
            .modify(|r, w| w.bits(r.bits() | GPIO_PORTS_USED));
        rcc.ahb1rstr()
            .modify(|r, w| w.bits(r.bits() & !GPIO_PORTS_USED));
        rcc.apb1rstr().modify(|r, w| w.bits(r.bits() | USART_RESET));
        rcc.apb1rstr()
            .modify(|r, w| w.bits(r.bits() & !USART_RESET));
        rcc.ahb1enr().write(|w| w.bits(AHB1ENR_RESET));
        rcc.apb1enr().write(|w| w.bits(APB1ENR_RESET));
    }
}

/// Start an application whose vector table passed the checks: the safe entry point for the
/// bootloader (which forbids `unsafe`). The [`StartableApplication`] proof can only come from
/// `slingshot_boot`'s checks, so the hand-off's safety contract holds.
pub fn start_application(application: StartableApplication) -> ! {
    // SAFETY: `StartableApplication` is only created by `check_vector_table` passing for the
    // primary slot, whose start the layout checks keep 512-byte aligned for VTOR.
    unsafe { hand_off(application.vector_table()) }
}
