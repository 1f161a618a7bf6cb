//! Finding the ST-LINK virtual COM port: a fake sysfs tree laid out like Linux's (tty class
//! entries whose `device` links point into USB interfaces below the USB device that holds
//! `idVendor`/`idProduct`), and the choice among injected lists of ports.

use slingshot_cli::port::discovery::{
    choose_stlink, scan_sysfs, DiscoveryError, UsbSerialPort, STLINK_V2_1_PRODUCT_ID,
    STLINK_VENDOR_ID,
};
use std::os::unix::fs::symlink;
use std::path::Path;

/// Adds a USB device at `devices/usb1/BUS` with one tty below `interface_path`.
fn add_usb_tty(
    root: &Path,
    bus: &str,
    ids: (&str, &str),
    serial: Option<&str>,
    interface_path: &str,
    tty: &str,
) {
    let device = root.join("devices/pci0000:00/usb1").join(bus);
    std::fs::create_dir_all(&device).unwrap();
    std::fs::write(device.join("idVendor"), format!("{}\n", ids.0)).unwrap();
    std::fs::write(device.join("idProduct"), format!("{}\n", ids.1)).unwrap();
    std::fs::write(device.join("product"), "STM32 STLink\n").unwrap();
    if let Some(serial) = serial {
        std::fs::write(device.join("serial"), format!("{serial}\n")).unwrap();
    }
    let interface = device.join(interface_path);
    std::fs::create_dir_all(interface.join("tty").join(tty)).unwrap();
    let class = root.join("class/tty").join(tty);
    std::fs::create_dir_all(&class).unwrap();
    symlink(&interface, class.join("device")).unwrap();
}

fn fake_sysfs() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    // The ST-LINK: CDC-ACM interface 2 of the device.
    add_usb_tty(
        root.path(),
        "1-2",
        ("0483", "374b"),
        Some("066DFF555051897267053622"),
        "1-2:1.2",
        "ttyACM0",
    );
    // An FTDI adapter: ttyUSB sits one level below its interface.
    add_usb_tty(
        root.path(),
        "1-3",
        ("0403", "6001"),
        None,
        "1-3:1.0/ttyUSB0",
        "ttyUSB0",
    );
    // A built-in UART without a USB parent.
    std::fs::create_dir_all(root.path().join("devices/platform/serial8250/tty/ttyS0")).unwrap();
    std::fs::create_dir_all(root.path().join("class/tty/ttyS0")).unwrap();
    symlink(
        root.path().join("devices/platform/serial8250"),
        root.path().join("class/tty/ttyS0/device"),
    )
    .unwrap();
    // A virtual terminal without a device link.
    std::fs::create_dir_all(root.path().join("class/tty/tty0")).unwrap();
    root
}

#[test]
fn sysfs_scan_finds_usb_serial_ports_with_their_ids() {
    let root = fake_sysfs();
    let ports = scan_sysfs(root.path(), Path::new("/dev"));
    assert_eq!(
        ports,
        vec![
            UsbSerialPort {
                path: "/dev/ttyACM0".into(),
                vendor_id: STLINK_VENDOR_ID,
                product_id: STLINK_V2_1_PRODUCT_ID,
                serial_number: Some("066DFF555051897267053622".into()),
                product: Some("STM32 STLink".into()),
            },
            UsbSerialPort {
                path: "/dev/ttyUSB0".into(),
                vendor_id: 0x0403,
                product_id: 0x6001,
                serial_number: None,
                product: Some("STM32 STLink".into()),
            },
        ]
    );
    assert_eq!(choose_stlink(&ports), Ok("/dev/ttyACM0".to_string()));
}

#[test]
fn several_stlinks_are_listed_and_refused() {
    let root = fake_sysfs();
    add_usb_tty(
        root.path(),
        "1-4",
        ("0483", "374B"),
        Some("0672FF485550755187121723"),
        "1-4:1.2",
        "ttyACM1",
    );
    let ports = scan_sysfs(root.path(), Path::new("/dev"));
    let error = choose_stlink(&ports).unwrap_err();
    assert!(matches!(error, DiscoveryError::Several { .. }));
    assert_eq!(
        error.to_string(),
        "several ST-LINK virtual COM ports found; choose one with --port:\n  \
         /dev/ttyACM0 (0483:374b STM32 STLink, serial 066DFF555051897267053622)\n  \
         /dev/ttyACM1 (0483:374b STM32 STLink, serial 0672FF485550755187121723)"
    );
}

#[test]
fn no_stlink_names_the_other_ports() {
    let ftdi = UsbSerialPort {
        path: "/dev/ttyUSB0".into(),
        vendor_id: 0x0403,
        product_id: 0x6001,
        serial_number: None,
        product: None,
    };
    assert_eq!(
        choose_stlink(&[ftdi]).unwrap_err().to_string(),
        "no ST-LINK virtual COM port (USB ID 0483:374b) found: plug in the board's ST-LINK USB \
         connector (CN1), or give --port; other USB serial ports: /dev/ttyUSB0 (0403:6001)"
    );
    assert_eq!(
        choose_stlink(&[]).unwrap_err().to_string(),
        "no ST-LINK virtual COM port (USB ID 0483:374b) found: plug in the board's ST-LINK USB \
         connector (CN1), or give --port"
    );
}

#[test]
fn missing_sysfs_gives_no_ports() {
    let root = tempfile::tempdir().unwrap();
    assert!(scan_sysfs(&root.path().join("absent"), Path::new("/dev")).is_empty());
}
