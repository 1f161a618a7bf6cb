//! USART3 seen by firmware (`programs/usart.s`): transmit at the configured baud rate, receive,
//! and overrun when bytes are not read in time.

mod common;

use common::{twin_with, word};
use slingshot_twin::usart::status::{ORE, RXNE};

#[test]
fn transmits_at_the_configured_baud_rate() {
    let mut twin = twin_with(include_bytes!("programs/usart.bin"));
    let stop = twin.run_until(1_000_000, |twin| twin.serial_output().ends_with(b"READY\n"));
    assert_eq!(stop.expect("run"), slingshot_twin::Stop::Condition);
    // Six frames of 10 bits at BRR 0x8B (139 clocks per bit at 16 MHz): about 8 340 cycles.
    let cycles = twin.cycles();
    assert!(
        (6 * 1390..6 * 1390 + 600).contains(&cycles),
        "cycles {cycles}"
    );
    assert_eq!(twin.board().serial.baud_rate(16_000_000), 115_107);
}

#[test]
fn bytes_not_read_in_time_overrun_and_later_bytes_echo() {
    let mut twin = twin_with(include_bytes!("programs/usart.bin"));
    twin.run_until(1_000_000, |twin| twin.serial_output().ends_with(b"READY\n"))
        .expect("run");
    twin.take_serial_output();
    // Three bytes arrive while the program busy-waits: the first stays in DR, the others overrun.
    twin.send_serial(b"abc");
    twin.run_until(1_000_000, |twin| word(twin, 0x2000_0000) & 0xFFFF_FF00 == 0)
        .expect("run");
    twin.run(100_000).expect("run");
    let status = word(&twin, 0x2000_0000);
    assert_eq!(status & (ORE | RXNE), ORE | RXNE, "SR 0x{status:08x}");
    assert_eq!(word(&twin, 0x2000_0004), u32::from(b'a'));
    assert_eq!(twin.board().serial.overruns, 2);
    // Now the echo loop reads in time: every byte comes back plus one.
    twin.send_serial(b"HAL");
    twin.run_until(2_000_000, |twin| twin.serial_output().len() == 3)
        .expect("run");
    assert_eq!(twin.serial_output(), b"IBM");
    assert_eq!(twin.board().serial.overruns, 2);
}

#[test]
fn a_host_beyond_the_receivers_tolerance_sees_garbage_and_sends_garbage() {
    // BRR 0x8B at 16 MHz is 115 108 baud; a host at 120 000 baud is 4.2 % off, beyond the
    // 3.41 % a fractional divider tolerates (RM0090 §30.3.5).
    let mut twin = twin_with(include_bytes!("programs/usart.bin"));
    twin.set_line_baud(Some(120_000));
    twin.run_until(1_000_000, |twin| twin.serial_output().len() == 6)
        .expect("run");
    assert_ne!(twin.serial_output(), b"READY\n");
    assert_eq!(twin.board().serial.garbled, 6);
    // The same host at 115 200 baud (0.08 % off) is understood both ways.
    twin.set_line_baud(Some(115_200));
    twin.run(100_000).expect("run");
    twin.take_serial_output();
    twin.send_serial(b"HAL");
    twin.run_until(2_000_000, |twin| twin.serial_output().len() == 3)
        .expect("run");
    assert_eq!(twin.serial_output(), b"IBM");
    assert_eq!(twin.board().serial.garbled, 6);
}
