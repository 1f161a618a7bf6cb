//! Finding the ST-LINK virtual COM port when `--port` is omitted.
//!
//! The Nucleo-F429ZI's ST-LINK/V2-1 enumerates as USB device 0483:374B with a CDC-ACM serial
//! interface. `serialport` is built without its `libudev` feature (so the tool needs no system
//! library), so on Linux this module reads the same facts from sysfs itself: for every
//! `/sys/class/tty/NAME`, follow `device` (the USB interface for `ttyACM*`, a port below it for
//! `ttyUSB*`) upwards to the first directory holding `idVendor` and `idProduct` (the USB
//! device), and read `serial` and `product` there too. The root is a parameter so tests run
//! on a fake tree. Elsewhere it asks `serialport::available_ports`.

use std::path::Path;

/// STMicroelectronics' USB vendor ID.
pub const STLINK_VENDOR_ID: u16 = 0x0483;
/// The ST-LINK/V2-1 (Nucleo boards) product ID.
pub const STLINK_V2_1_PRODUCT_ID: u16 = 0x374b;

/// A serial port backed by a USB device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsbSerialPort {
    /// Device path to open (`/dev/ttyACM0`).
    pub path: String,
    /// USB vendor ID.
    pub vendor_id: u16,
    /// USB product ID.
    pub product_id: u16,
    /// USB serial number, if the device reports one.
    pub serial_number: Option<String>,
    /// USB product string, if the device reports one.
    pub product: Option<String>,
}

impl std::fmt::Display for UsbSerialPort {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{} ({:04x}:{:04x}",
            self.path, self.vendor_id, self.product_id
        )?;
        if let Some(product) = &self.product {
            write!(formatter, " {product}")?;
        }
        if let Some(serial) = &self.serial_number {
            write!(formatter, ", serial {serial}")?;
        }
        formatter.write_str(")")
    }
}

/// Why no single ST-LINK port was chosen.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// No USB serial port with the ST-LINK's ID.
    #[error("no ST-LINK virtual COM port (USB ID 0483:374b) found: plug in the board's ST-LINK USB connector (CN1), or give --port{}", list_suffix(.others))]
    NoneFound {
        /// Other USB serial ports seen, to help pick one by hand.
        others: Vec<String>,
    },
    /// Several ST-LINK ports: the tool will not guess.
    #[error("several ST-LINK virtual COM ports found; choose one with --port:\n  {}", .candidates.join("\n  "))]
    Several {
        /// Each candidate, described.
        candidates: Vec<String>,
    },
}

fn list_suffix(others: &[String]) -> String {
    if others.is_empty() {
        String::new()
    } else {
        format!("; other USB serial ports: {}", others.join(", "))
    }
}

/// The one ST-LINK port among `ports`, or an error listing what was found.
pub fn choose_stlink(ports: &[UsbSerialPort]) -> Result<String, DiscoveryError> {
    let is_stlink = |port: &&UsbSerialPort| {
        port.vendor_id == STLINK_VENDOR_ID && port.product_id == STLINK_V2_1_PRODUCT_ID
    };
    let candidates: Vec<&UsbSerialPort> = ports.iter().filter(is_stlink).collect();
    match candidates.as_slice() {
        [one] => Ok(one.path.clone()),
        [] => Err(DiscoveryError::NoneFound {
            others: ports.iter().map(ToString::to_string).collect(),
        }),
        several => Err(DiscoveryError::Several {
            candidates: several.iter().map(ToString::to_string).collect(),
        }),
    }
}

/// USB serial ports described under a sysfs root (`/sys` on a live system), sorted by path.
/// `device_directory` is where their device nodes live (`/dev`).
pub fn scan_sysfs(sysfs_root: &Path, device_directory: &Path) -> Vec<UsbSerialPort> {
    let Ok(entries) = std::fs::read_dir(sysfs_root.join("class/tty")) else {
        return Vec::new();
    };
    let mut ports: Vec<UsbSerialPort> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let device = std::fs::canonicalize(entry.path().join("device")).ok()?;
            let usb_device = device
                .ancestors()
                .take(4)
                .find(|directory| directory.join("idVendor").is_file())?;
            Some(UsbSerialPort {
                path: device_directory.join(&name).display().to_string(),
                vendor_id: read_hex(&usb_device.join("idVendor"))?,
                product_id: read_hex(&usb_device.join("idProduct"))?,
                serial_number: read_text(&usb_device.join("serial")),
                product: read_text(&usb_device.join("product")),
            })
        })
        .collect();
    ports.sort_by(|a, b| a.path.cmp(&b.path));
    ports
}

fn read_text(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn read_hex(path: &Path) -> Option<u16> {
    u16::from_str_radix(&read_text(path)?, 16).ok()
}

/// The USB serial ports of this machine.
pub fn system_ports() -> Vec<UsbSerialPort> {
    if cfg!(target_os = "linux") {
        return scan_sysfs(Path::new("/sys"), Path::new("/dev"));
    }
    serialport::available_ports()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|port| match port.port_type {
            serialport::SerialPortType::UsbPort(usb) => Some(UsbSerialPort {
                path: port.port_name,
                vendor_id: usb.vid,
                product_id: usb.pid,
                serial_number: usb.serial_number,
                product: usb.product,
            }),
            _ => None,
        })
        .collect()
}

/// The ST-LINK port of this machine (see [`choose_stlink`]).
pub fn find_stlink() -> Result<String, DiscoveryError> {
    choose_stlink(&system_ports())
}
