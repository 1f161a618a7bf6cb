//! The boards Slingshot knows, one entry each: the part, the serial port the host reaches, the
//! LEDs and the user button, each fact with the document it comes from. Another F4 board joins
//! by adding an entry here and its layouts in [`crate::layouts`]; everything else reads these
//! tables.
//!
//! Board manuals cited: UM1724 (STM32 Nucleo-64, MB1136), UM1974 (STM32 Nucleo-144, MB1137),
//! UM1472 (STM32F4DISCOVERY, MB997).

use crate::parts::{
    Part, STM32F401RE, STM32F407VG, STM32F411RE, STM32F412ZG, STM32F413ZH, STM32F429ZI,
    STM32F439ZI, STM32F446XE,
};
use crate::Region;

/// A GPIO pin, e.g. PD8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pin {
    /// The port letter, `b'A'`..=`b'K'`.
    pub port: u8,
    /// The pin number, 0–15.
    pub number: u8,
}

impl Pin {
    /// The pin `P<port><number>`.
    pub const fn new(port: u8, number: u8) -> Self {
        Self { port, number }
    }

    /// The port's index (GPIOA = 0): its bit in RCC_AHB1ENR and its register block's place.
    pub const fn port_index(&self) -> u32 {
        (self.port - b'A') as u32
    }

    /// The address of the port's register block (the reference manuals' memory map: 0x400
    /// apart from GPIOA at 0x4002_0000, the same on every F4).
    pub const fn port_address(&self) -> u32 {
        0x4002_0000 + 0x400 * self.port_index()
    }
}

impl core::fmt::Display for Pin {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "P{}{}", self.port as char, self.number)
    }
}

/// The USARTs a board's serial port can be: both on APB1, the same on every F4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usart {
    /// USART2 at 0x4000_4400.
    Usart2,
    /// USART3 at 0x4000_4800.
    Usart3,
}

impl Usart {
    /// The register block's address (the reference manuals' memory map).
    pub const fn address(self) -> u32 {
        match self {
            Usart::Usart2 => 0x4000_4400,
            Usart::Usart3 => 0x4000_4800,
        }
    }

    /// Its enable bit in RCC_APB1ENR (and reset bit in RCC_APB1RSTR): USART2EN is bit 17,
    /// USART3EN bit 18 (RM0090, RCC APB1 peripheral clock enable register).
    pub const fn apb1_bit(self) -> u32 {
        match self {
            Usart::Usart2 => 17,
            Usart::Usart3 => 18,
        }
    }

    /// Its name as the reference manuals write it.
    pub const fn name(self) -> &'static str {
        match self {
            Usart::Usart2 => "USART2",
            Usart::Usart3 => "USART3",
        }
    }
}

/// The serial port the host talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SerialPort {
    /// The USART.
    pub usart: Usart,
    /// Its TX pin.
    pub transmit: Pin,
    /// Its RX pin.
    pub receive: Pin,
    /// The alternate function routing both pins to the USART (AF7 for USART1–3).
    pub alternate_function: u8,
    /// The DMA1 stream serving the USART's RX request.
    pub receive_dma_stream: u8,
    /// The channel (CHSEL) selecting that request on the stream.
    pub receive_dma_channel: u8,
    /// The DMA1 stream serving the USART's TX request (same channel; the bootloader transmits
    /// polled, the twin models it).
    pub transmit_dma_stream: u8,
    /// How the host reaches it, for people reading `slingshot boards`.
    pub connection: &'static str,
}

/// A user LED.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Led {
    /// Its name on the board, e.g. `"LD1"`.
    pub name: &'static str,
    /// Its colour.
    pub colour: &'static str,
    /// The pin driving it; every LED here is lit while its pin is high.
    pub pin: Pin,
}

/// The user button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Button {
    /// Its name on the board, e.g. `"B1"`.
    pub name: &'static str,
    /// The pin reading it.
    pub pin: Pin,
    /// Whether the pin reads high while the button is pressed (Nucleo-144, Discovery) or
    /// low (Nucleo-64).
    pub high_when_pressed: bool,
}

/// A board: its part and what the board wires to it.
#[derive(Clone, Copy, Debug)]
pub struct Board {
    /// Short name used on command lines, e.g. `"nucleo-f429zi"`.
    pub name: &'static str,
    /// The name ST sells it under, e.g. `"NUCLEO-F429ZI"`.
    pub product: &'static str,
    /// The board's user manual.
    pub user_manual: &'static str,
    /// The chip name probe-rs knows the part by, e.g. `"STM32F429ZITx"`.
    pub probe_rs_chip: &'static str,
    /// A number identifying the board in images and in the serial protocol
    /// (docs/IMAGE_FORMAT.md lists them).
    pub board_id: u32,
    /// The microcontroller.
    pub part: Part,
    /// The serial port the host tool (and AN3155 clients) use.
    pub serial: SerialPort,
    /// The user LEDs, the first one being the application's heartbeat.
    pub leds: &'static [Led],
    /// The user button (held at reset: stay in the bootloader).
    pub button: Button,
    /// The no-init mailbox at the top of SRAM, excluded from both programs' RAM. It carries
    /// requests from the application to the bootloader across a reset.
    pub mailbox: Region,
}

impl Board {
    /// The RAM both programs may use: SRAM minus the mailbox at its top.
    pub const fn program_ram(&self) -> Region {
        Region::new(
            self.part.ram.start,
            self.mailbox.start - self.part.ram.start,
        )
    }

    /// Find a board by its short name (see [`ALL_BOARDS`]).
    pub const fn by_name(name: &str) -> Option<&'static Board> {
        let mut index = 0;
        while index < ALL_BOARDS.len() {
            if equal(ALL_BOARDS[index].name.as_bytes(), name.as_bytes()) {
                return Some(ALL_BOARDS[index]);
            }
            index += 1;
        }
        None
    }

    /// The board's LED of `colour`, else its first LED (every board has one: the heartbeat).
    pub const fn led_coloured(&self, colour: &str) -> Led {
        let mut index = 0;
        while index < self.leds.len() {
            if equal(self.leds[index].colour.as_bytes(), colour.as_bytes()) {
                return self.leds[index];
            }
            index += 1;
        }
        self.leds[0]
    }

    /// Find a board by the id images and the serial protocol carry.
    pub fn by_id(board_id: u32) -> Option<&'static Board> {
        ALL_BOARDS
            .iter()
            .copied()
            .find(|board| board.board_id == board_id)
    }
}

/// The 32-byte mailbox at the top of `part`'s SRAM.
const fn mailbox(part: &Part) -> Region {
    Region::new(part.ram.start + part.ram.size - 32, 32)
}

/// UM1724, "USART communication": on Nucleo-64 boards the ST-LINK virtual COM port is wired to
/// USART2 on PA2 (TX) and PA3 (RX) (solder bridges SB13/SB14 on by default), AF7 (datasheets'
/// alternate function mapping). USART2_RX is DMA1 stream 5, USART2_TX stream 6, both channel 4
/// (the reference manuals' "DMA1 request mapping").
const NUCLEO_64_SERIAL: SerialPort = SerialPort {
    usart: Usart::Usart2,
    transmit: Pin::new(b'A', 2),
    receive: Pin::new(b'A', 3),
    alternate_function: 7,
    receive_dma_stream: 5,
    receive_dma_channel: 4,
    transmit_dma_stream: 6,
    connection: "ST-LINK virtual COM port",
};

/// UM1724, "LEDs": LD2, green, lit while PA5 is high (the Arduino D13 pin).
const NUCLEO_64_LEDS: &[Led] = &[Led {
    name: "LD2",
    colour: "green",
    pin: Pin::new(b'A', 5),
}];

/// UM1724, "Push-buttons": B1 on PC13, pulled up; pressing it pulls PC13 low.
const NUCLEO_64_BUTTON: Button = Button {
    name: "B1",
    pin: Pin::new(b'C', 13),
    high_when_pressed: false,
};

/// UM1974, "USART communication": on Nucleo-144 boards the ST-LINK virtual COM port is wired
/// to USART3 on PD8 (TX) and PD9 (RX), AF7. USART3_RX is DMA1 stream 1, USART3_TX stream 3,
/// both channel 4 (RM0090, RM0390, RM0402 and RM0430, "DMA1 request mapping").
const NUCLEO_144_SERIAL: SerialPort = SerialPort {
    usart: Usart::Usart3,
    transmit: Pin::new(b'D', 8),
    receive: Pin::new(b'D', 9),
    alternate_function: 7,
    receive_dma_stream: 1,
    receive_dma_channel: 4,
    transmit_dma_stream: 3,
    connection: "ST-LINK virtual COM port",
};

/// UM1974, "LEDs": LD1 green PB0, LD2 blue PB7, LD3 red PB14, each lit while its pin is high.
const NUCLEO_144_LEDS: &[Led] = &[
    Led {
        name: "LD1",
        colour: "green",
        pin: Pin::new(b'B', 0),
    },
    Led {
        name: "LD2",
        colour: "blue",
        pin: Pin::new(b'B', 7),
    },
    Led {
        name: "LD3",
        colour: "red",
        pin: Pin::new(b'B', 14),
    },
];

/// UM1974, "Push-buttons": B1 on PC13, pulled down; pressing it drives PC13 high (ST's
/// Nucleo-144 BSP configures it with a pull-down).
const NUCLEO_144_BUTTON: Button = Button {
    name: "B1",
    pin: Pin::new(b'C', 13),
    high_when_pressed: true,
};

/// What a family of boards wires to its part: manual, serial port, LEDs, button.
struct Wiring {
    user_manual: &'static str,
    serial: SerialPort,
    leds: &'static [Led],
    button: Button,
}

/// Every Nucleo-64 board (MB1136).
const NUCLEO_64: Wiring = Wiring {
    user_manual: "UM1724",
    serial: NUCLEO_64_SERIAL,
    leds: NUCLEO_64_LEDS,
    button: NUCLEO_64_BUTTON,
};

/// Every Nucleo-144 board (MB1137).
const NUCLEO_144: Wiring = Wiring {
    user_manual: "UM1974",
    serial: NUCLEO_144_SERIAL,
    leds: NUCLEO_144_LEDS,
    button: NUCLEO_144_BUTTON,
};

/// A Nucleo board with `part` and its family's `wiring`.
const fn nucleo(
    name: &'static str,
    product: &'static str,
    probe_rs_chip: &'static str,
    board_id: u32,
    part: Part,
    wiring: Wiring,
) -> Board {
    Board {
        name,
        product,
        user_manual: wiring.user_manual,
        probe_rs_chip,
        board_id,
        part,
        serial: wiring.serial,
        leds: wiring.leds,
        button: wiring.button,
        mailbox: mailbox(&part),
    }
}

/// Nucleo-F401RE (STM32F401RE).
pub const NUCLEO_F401RE: Board = nucleo(
    "nucleo-f401re",
    "NUCLEO-F401RE",
    "STM32F401RETx",
    0x0401_0001,
    STM32F401RE,
    NUCLEO_64,
);

/// Nucleo-F411RE (STM32F411RE).
pub const NUCLEO_F411RE: Board = nucleo(
    "nucleo-f411re",
    "NUCLEO-F411RE",
    "STM32F411RETx",
    0x0411_0001,
    STM32F411RE,
    NUCLEO_64,
);

/// Nucleo-F446RE (STM32F446RE).
pub const NUCLEO_F446RE: Board = nucleo(
    "nucleo-f446re",
    "NUCLEO-F446RE",
    "STM32F446RETx",
    0x0446_0001,
    STM32F446XE,
    NUCLEO_64,
);

/// Nucleo-F446ZE (STM32F446ZE).
pub const NUCLEO_F446ZE: Board = nucleo(
    "nucleo-f446ze",
    "NUCLEO-F446ZE",
    "STM32F446ZETx",
    0x0446_0002,
    STM32F446XE,
    NUCLEO_144,
);

/// Nucleo-F412ZG (STM32F412ZG).
pub const NUCLEO_F412ZG: Board = nucleo(
    "nucleo-f412zg",
    "NUCLEO-F412ZG",
    "STM32F412ZGTx",
    0x0412_0001,
    STM32F412ZG,
    NUCLEO_144,
);

/// Nucleo-F413ZH (STM32F413ZH).
pub const NUCLEO_F413ZH: Board = nucleo(
    "nucleo-f413zh",
    "NUCLEO-F413ZH",
    "STM32F413ZHTx",
    0x0413_0001,
    STM32F413ZH,
    NUCLEO_144,
);

/// Nucleo-F429ZI (STM32F429ZI), the first board and the default.
pub const NUCLEO_F429ZI: Board = nucleo(
    "nucleo-f429zi",
    "NUCLEO-F429ZI",
    "STM32F429ZITx",
    0x0429_0001,
    STM32F429ZI,
    NUCLEO_144,
);

/// Nucleo-F439ZI (STM32F439ZI).
pub const NUCLEO_F439ZI: Board = nucleo(
    "nucleo-f439zi",
    "NUCLEO-F439ZI",
    "STM32F439ZITx",
    0x0439_0001,
    STM32F439ZI,
    NUCLEO_144,
);

/// STM32F4DISCOVERY (STM32F407VG). Its ST-LINK has no virtual COM port wired to the part
/// (UM1472; only the later DISC1
/// revision has one, and it needs two wires added), so the host reaches USART2 on PA2/PA3 through a USB-serial adapter.
pub const STM32F4DISCOVERY: Board = Board {
    name: "stm32f4discovery",
    product: "STM32F4DISCOVERY",
    user_manual: "UM1472",
    probe_rs_chip: "STM32F407VGTx",
    board_id: 0x0407_0001,
    part: STM32F407VG,
    serial: SerialPort {
        connection: "USB-serial adapter on PA2 (TX) / PA3 (RX)",
        ..NUCLEO_64_SERIAL
    },
    // UM1472, "LEDs": LD4 green PD12, LD3 orange PD13, LD5 red PD14, LD6 blue PD15, each lit
    // while its pin is high.
    leds: &[
        Led {
            name: "LD4",
            colour: "green",
            pin: Pin::new(b'D', 12),
        },
        Led {
            name: "LD6",
            colour: "blue",
            pin: Pin::new(b'D', 15),
        },
        Led {
            name: "LD5",
            colour: "red",
            pin: Pin::new(b'D', 14),
        },
        Led {
            name: "LD3",
            colour: "orange",
            pin: Pin::new(b'D', 13),
        },
    ],
    // UM1472, "Push-buttons": B1 on PA0, pulled down; pressing it drives PA0 high.
    button: Button {
        name: "B1",
        pin: Pin::new(b'A', 0),
        high_when_pressed: true,
    },
    mailbox: mailbox(&STM32F407VG),
};

/// Every board, the default first.
pub const ALL_BOARDS: &[&Board] = &[
    &NUCLEO_F429ZI,
    &NUCLEO_F439ZI,
    &NUCLEO_F401RE,
    &NUCLEO_F411RE,
    &NUCLEO_F446RE,
    &NUCLEO_F446ZE,
    &NUCLEO_F412ZG,
    &NUCLEO_F413ZH,
    &STM32F4DISCOVERY,
];

/// The board the firmware is built for: `SLINGSHOT_BOARD` at build time (a board's short
/// name), else the Nucleo-F429ZI. An unknown name stops the build.
pub const BUILD_BOARD: Board = match option_env!("SLINGSHOT_BOARD") {
    None => NUCLEO_F429ZI,
    Some(name) => match Board::by_name(name) {
        Some(board) => *board,
        None => panic!("SLINGSHOT_BOARD names no board Slingshot knows (see `slingshot boards`)"),
    },
};

/// String equality in a `const fn`.
pub(crate) const fn equal(first: &[u8], second: &[u8]) -> bool {
    if first.len() != second.len() {
        return false;
    }
    let mut index = 0;
    while index < first.len() {
        if first[index] != second[index] {
            return false;
        }
        index += 1;
    }
    true
}

// Invariants the compiler can see; `Layout::check` and the host tests check the rest.
const _: () = {
    let mut index = 0;
    while index < ALL_BOARDS.len() {
        let board = ALL_BOARDS[index];
        assert!(
            board.mailbox.start + board.mailbox.size == board.part.ram.start + board.part.ram.size
        );
        assert!(!board.leds.is_empty());
        index += 1;
    }
    assert!(NUCLEO_F429ZI.mailbox.start + NUCLEO_F429ZI.mailbox.size == 0x2003_0000);
};
