//! The TCP serial endpoint: a client talks to USART3 through 127.0.0.1, and a client that
//! disconnects ("cable pull") and reconnects finds the twin still running. The first test
//! drives the library endpoint; the second runs `slingshot-twin run --serial tcp:0` with the
//! real firmware (needs `cargo xtask build`).

mod process_fixture;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use slingshot_twin::serial_endpoint::SerialEndpoint;

/// Attempts (of up to one second each) before a test gives up waiting for data.
const ATTEMPTS: usize = 60;

fn connect(port: u16) -> Result<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port)).context("connecting")?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    Ok(stream)
}

/// Read from `stream` into `received` until it contains `pattern`.
fn read_until(stream: &mut TcpStream, received: &mut Vec<u8>, pattern: &str) -> Result<()> {
    let mut buffer = [0u8; 4096];
    for _ in 0..ATTEMPTS {
        if String::from_utf8_lossy(received).contains(pattern) {
            return Ok(());
        }
        match stream.read(&mut buffer) {
            Ok(0) => bail!("the twin closed the connection"),
            Ok(count) => received.extend_from_slice(&buffer[..count]),
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            Err(error) => return Err(error.into()),
        }
    }
    bail!(
        "{pattern:?} never arrived; received:\n{}",
        String::from_utf8_lossy(received)
    )
}

/// Poll `endpoint` until it yields input (the client's bytes travel through the kernel).
fn poll_until_input(endpoint: &mut SerialEndpoint) -> Vec<u8> {
    for _ in 0..10_000 {
        let input = endpoint.poll_input();
        if !input.is_empty() {
            return input;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Vec::new()
}

#[test]
fn library_endpoint_accepts_a_new_client_after_a_cable_pull() -> Result<()> {
    let mut endpoint = SerialEndpoint::tcp(0)?;
    let port: u16 = endpoint
        .describe()
        .rsplit(':')
        .next()
        .context("port")?
        .parse()?;
    // Output before the first client connects is kept for it, as a terminal opened before
    // power-on shows the first line.
    endpoint.write_output(b"kept ");
    let mut first = connect(port)?;
    first.write_all(b"b")?;
    assert_eq!(poll_until_input(&mut endpoint), b"b");
    endpoint.write_output(b"first");
    let mut received = Vec::new();
    read_until(&mut first, &mut received, "first")?;
    assert_eq!(received, b"kept first");
    // Cable pull: the client goes away; the endpoint notices and waits for the next one.
    drop(first);
    for _ in 0..10_000 {
        assert!(endpoint.poll_input().is_empty());
        if !endpoint.client_connected() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        !endpoint.client_connected(),
        "the disconnection went unnoticed"
    );
    endpoint.write_output(b"also lost");
    let mut second = connect(port)?;
    second.write_all(b"again")?;
    assert_eq!(poll_until_input(&mut endpoint), b"again");
    endpoint.write_output(b"second");
    let mut received = Vec::new();
    read_until(&mut second, &mut received, "second")?;
    assert_eq!(received, b"second");
    Ok(())
}

#[test]
fn twin_over_tcp_keeps_running_across_a_cable_pull_and_answers_b() -> Result<()> {
    let (mut running, address) = process_fixture::start_twin("tcp:0", &["--fast"])?;
    let port: u16 = address.rsplit(':').next().context("port")?.parse()?;

    // First connection: the application is running and ticking.
    let mut first = connect(port)?;
    let mut received = Vec::new();
    read_until(&mut first, &mut received, "tick ")?;
    read_until(&mut first, &mut received, "\r\n")?;
    // Cable pull, without reading what is still on its way.
    drop(first);
    ensure!(
        running.0.try_wait()?.is_none(),
        "the twin exited after the cable pull"
    );

    // Second connection: still running (new ticks arrive), and 'b' reaches the application,
    // which resets into the bootloader; the bootloader's own line follows.
    let mut second = connect(port)?;
    let mut received = Vec::new();
    read_until(&mut second, &mut received, "tick ")?;
    second.write_all(b"b")?;
    read_until(&mut second, &mut received, "requesting the bootloader")?;
    let text = String::from_utf8_lossy(&received).into_owned();
    let after = text.find("requesting the bootloader").context("request")?;
    let mut tail = received[after..].to_vec();
    read_until(&mut second, &mut tail, "\r\nslingshot: ")?;
    read_until(&mut second, &mut tail, "bootloader")?;
    ensure!(
        running.0.try_wait()?.is_none(),
        "the twin exited: {}",
        String::from_utf8_lossy(&tail)
    );
    Ok(())
}
