//! Host tests of the boot decision, vector-table checks and mailbox format.

use proptest::prelude::*;
use slingshot_boot::{
    check_vector_table, decide, ApplicationBounds, BootDecision, Mailbox, Request,
    StartableApplication, StayReason, VectorTableError,
};
use slingshot_layout::{NUCLEO_F429ZI_DUAL_SLOT as DUAL, NUCLEO_F429ZI_SINGLE_SLOT as SINGLE};

const GOOD_STACK: u32 = 0x2002_FFE0;
const GOOD_RESET: u32 = 0x0800_8199;

#[test]
fn a_normal_application_is_accepted() {
    assert_eq!(check_vector_table(&DUAL, GOOD_STACK, GOOD_RESET), Ok(()));
    // STM32CubeIDE puts _estack at the very end of SRAM.
    assert_eq!(check_vector_table(&DUAL, 0x2003_0000, GOOD_RESET), Ok(()));
    // A stack in CCM is legal on the F429.
    assert_eq!(check_vector_table(&DUAL, 0x1001_0000, GOOD_RESET), Ok(()));
    // Single slot: the reset handler may live anywhere in the 2016 KB slot.
    assert_eq!(check_vector_table(&SINGLE, GOOD_STACK, 0x081F_0001), Ok(()));
}

#[test]
fn each_refusal_has_its_own_reason() {
    use VectorTableError::*;
    let cases = [
        (0xFFFF_FFFF, 0xFFFF_FFFF, SlotErased),
        (0, 0, ZeroWord),
        (GOOD_STACK, 0, ZeroWord),
        (0xFFFF_FFFF, GOOD_RESET, ErasedWord),
        (GOOD_STACK, 0xFFFF_FFFF, ErasedWord),
        (0x2003_0004, GOOD_RESET, StackPointerOutsideRam),
        (0x2000_0000, GOOD_RESET, StackPointerOutsideRam),
        (0x0800_1000, GOOD_RESET, StackPointerOutsideRam),
        (0x2001_0002, GOOD_RESET, StackPointerMisaligned),
        (GOOD_STACK, 0x0800_0101, ResetVectorOutsideSlot),
        (GOOD_STACK, 0x0800_8001, ResetVectorOutsideSlot),
        (GOOD_STACK, 0x080E_0001, ResetVectorOutsideSlot),
        (GOOD_STACK, 0x2000_0001, ResetVectorOutsideSlot),
        (GOOD_STACK, 0x0800_8198, ResetVectorNotThumb),
    ];
    for (stack, reset, expected) in cases {
        assert_eq!(
            check_vector_table(&DUAL, stack, reset),
            Err(expected),
            "stack 0x{stack:08x} reset 0x{reset:08x}"
        );
    }
    let mut codes: Vec<u8> = [
        SlotErased,
        ZeroWord,
        ErasedWord,
        StackPointerOutsideRam,
        StackPointerMisaligned,
        ResetVectorOutsideSlot,
        ResetVectorNotThumb,
    ]
    .iter()
    .map(|error| error.code())
    .chain([
        StayReason::RequestedByApplication.code(),
        StayReason::ButtonHeld.code(),
    ])
    .collect();
    let total = codes.len();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), total, "reason codes must be unique");
}

#[test]
fn requests_win_over_a_valid_application() {
    assert_eq!(
        decide(
            &ApplicationBounds::of(&DUAL),
            Request::None,
            false,
            GOOD_STACK,
            GOOD_RESET
        ),
        BootDecision::HandOff(
            StartableApplication::check(&ApplicationBounds::of(&DUAL), GOOD_STACK, GOOD_RESET)
                .unwrap()
        )
    );
    let BootDecision::HandOff(application) = decide(
        &ApplicationBounds::of(&SINGLE),
        Request::None,
        false,
        GOOD_STACK,
        GOOD_RESET,
    ) else {
        panic!("a valid application must be started");
    };
    assert_eq!(application.vector_table(), 0x0800_8000);
    assert_eq!(
        decide(
            &ApplicationBounds::of(&DUAL),
            Request::StayInBootloader,
            false,
            GOOD_STACK,
            GOOD_RESET
        ),
        BootDecision::Stay(StayReason::RequestedByApplication)
    );
    assert_eq!(
        decide(
            &ApplicationBounds::of(&DUAL),
            Request::None,
            true,
            GOOD_STACK,
            GOOD_RESET
        ),
        BootDecision::Stay(StayReason::ButtonHeld)
    );
    assert_eq!(
        decide(
            &ApplicationBounds::of(&DUAL),
            Request::None,
            false,
            0xFFFF_FFFF,
            0xFFFF_FFFF
        ),
        BootDecision::Stay(StayReason::VectorTable(VectorTableError::SlotErased))
    );
}

#[test]
fn mailbox_round_trips_and_cleared_is_no_request() {
    for request in [Request::StayInBootloader, Request::InstallPending] {
        let words = Mailbox::encode(request, 0x1234);
        assert_eq!(
            Mailbox::decode(words),
            Mailbox {
                request,
                argument: 0x1234
            }
        );
    }
    assert_eq!(Mailbox::decode(Mailbox::CLEARED).request, Request::None);
}

proptest! {
    /// Random SRAM content after power-on must (practically) never look like a request.
    #[test]
    fn noise_is_not_a_request(words in any::<[u32; 4]>()) {
        prop_assume!(words[0] != slingshot_boot::mailbox::MAGIC);
        prop_assert_eq!(Mailbox::decode(words).request, Request::None);
    }

    /// One flipped bit in a written mailbox is rejected.
    #[test]
    fn corrupted_mailbox_is_rejected(bit in 0usize..128) {
        let mut words = Mailbox::encode(Request::StayInBootloader, 7);
        words[bit / 32] ^= 1 << (bit % 32);
        prop_assert_eq!(Mailbox::decode(words).request, Request::None);
    }

    /// Accepted vector tables always point into the slot with the Thumb bit.
    #[test]
    fn accepted_tables_are_startable(stack in any::<u32>(), reset in any::<u32>()) {
        if check_vector_table(&DUAL, stack, reset).is_ok() {
            prop_assert!(reset & 1 == 1);
            prop_assert!(DUAL.partitions.primary.contains(reset & !1));
            prop_assert!(stack % 4 == 0);
        }
    }
}

mod part_check {
    use slingshot_boot::{check_part, ChipIdentity, ExpectedPart};
    use slingshot_layout::parts::{STM32F401RE, STM32F407VG, STM32F429ZI};

    fn chip(idcode: u32, flash_size_kib: Option<u16>) -> ChipIdentity {
        ChipIdentity {
            idcode,
            flash_size_kib,
        }
    }

    #[test]
    fn the_device_id_decides_when_it_can_be_read() {
        let f429 = ExpectedPart::of(&STM32F429ZI);
        assert!(check_part(f429, chip(0x2003_6419, None)).is_ok());
        assert!(
            check_part(f429, chip(0x1000_6419, Some(1024))).is_ok(),
            "IDCODE wins"
        );
        let wrong = check_part(f429, chip(0x1000_6433, Some(2048))).unwrap_err();
        assert_eq!(wrong.expected.device_id, 0x419);
        assert_eq!(wrong.found.idcode & 0xFFF, 0x433);
        let f401 = ExpectedPart::of(&STM32F401RE);
        assert!(check_part(f401, chip(0x2003_6419, None)).is_err());
    }

    #[test]
    fn the_flash_size_decides_when_the_device_id_reads_zero() {
        // STM32F40x: DBGMCU_IDCODE reads 0 without a debugger (ES0182).
        let f407 = ExpectedPart::of(&STM32F407VG);
        assert!(check_part(f407, chip(0, Some(1024))).is_ok());
        assert!(check_part(f407, chip(0, Some(512))).is_err());
        assert!(check_part(f407, chip(0, Some(2048))).is_err());
        // Nothing readable: no evidence against the build.
        for unreadable in [None, Some(0), Some(0xFFFF)] {
            assert!(
                check_part(f407, chip(0, unreadable)).is_ok(),
                "{unreadable:?}"
            );
        }
    }
}

/// `StayReason::ALL` lists every reason once, in ascending code order, each with a one-line
/// ASCII message (the bootloader builds its message catalogue from it at compile time).
#[test]
fn every_stay_reason_is_listed_in_code_order_with_a_plain_message() {
    use slingshot_boot::{StayReason, VectorTableError};
    let codes: Vec<u8> = StayReason::ALL.iter().map(StayReason::code).collect();
    assert!(
        codes.windows(2).all(|pair| pair[0] < pair[1]),
        "{codes:02x?}"
    );
    for error in VectorTableError::ALL {
        assert!(StayReason::ALL.contains(&StayReason::VectorTable(error)));
    }
    assert!(StayReason::ALL.contains(&StayReason::RequestedByApplication));
    assert!(StayReason::ALL.contains(&StayReason::ButtonHeld));
    for reason in StayReason::ALL {
        let message = reason.message();
        assert!(!message.is_empty());
        assert!(
            message.bytes().all(|byte| (0x20..0x7f).contains(&byte)),
            "{message}"
        );
    }
}
