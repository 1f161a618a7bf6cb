//! The GPIO pins the board table names (serial port, LEDs, button, the ES0206 PA12 guard): a
//! pin's port registers, its clock, its mode and its alternate function. Every F4 has the same
//! GPIO register layout, a port every 0x400 bytes from GPIOA.

use crate::{device, pac};
use slingshot_layout::boards::Pin;

/// MODER value: general-purpose output.
pub(crate) const OUTPUT: u32 = 0b01;
/// MODER value: alternate function.
pub(crate) const ALTERNATE: u32 = 0b10;

/// The register block of `pin`'s GPIO port.
pub(crate) fn port(pin: Pin) -> &'static pac::gpioa::RegisterBlock {
    // SAFETY: every board pin's port (A–D here) is a GPIO register block of the F4 memory map
    // with the PAC's GPIO layout; MMIO registers are volatile cells.
    unsafe { &*(pin.port_address() as *const pac::gpioa::RegisterBlock) }
}

/// Enable `pin`'s GPIO port clock (RCC_AHB1ENR bit = port index).
pub(crate) fn enable_clock(pin: Pin) {
    let rcc = device().RCC;
    // SAFETY: setting one GPIOxEN bit only starts that port's clock.
    rcc.ahb1enr()
        .modify(|r, w| unsafe { w.bits(r.bits() | (1 << pin.port_index())) });
    // Read back once so the clock runs before the port's first register access (RM0090
    // §6.3.10: the enable takes effect after a bus cycle).
    let _ = rcc.ahb1enr().read();
}

/// Set `pin`'s MODER bits to `mode` ([`OUTPUT`], [`ALTERNATE`]).
pub(crate) fn set_mode(pin: Pin, mode: u32) {
    let shift = u32::from(pin.number) * 2;
    // SAFETY: MODER takes any value; only this pin's two bits change.
    port(pin)
        .moder()
        .modify(|r, w| unsafe { w.bits((r.bits() & !(0b11 << shift)) | (mode << shift)) });
}

/// Route `pin` to alternate function `function`.
pub(crate) fn route(pin: Pin, function: u8) {
    let registers = port(pin);
    let number = u32::from(pin.number);
    let shift = (number % 8) * 4;
    let field = |bits: u32| (bits & !(0xF << shift)) | (u32::from(function) << shift);
    if number < 8 {
        // SAFETY: AFRL takes any value; only this pin's four bits change.
        registers
            .afrl()
            .modify(|r, w| unsafe { w.bits(field(r.bits())) });
    } else {
        // SAFETY: AFRH takes any value; only this pin's four bits change.
        registers
            .afrh()
            .modify(|r, w| unsafe { w.bits(field(r.bits())) });
    }
    set_mode(pin, ALTERNATE);
}
