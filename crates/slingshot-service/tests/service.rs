//! The bootloader's serial update service on the host, over the simulated flash of the
//! Nucleo-F429ZI: admission refuses each bad announcement with its code and detail before
//! anything is erased; a received image lands in the update target only, is verified and
//! installed through the real update engine; tampered images and requests outside the target
//! change nothing; protection requests reach the option bytes only when the plan allows.

use slingshot_flash_controller::option_bytes::{OptionBytes, PERMANENT_CONFIRMATION};
use slingshot_image::signing::{public_key_from_seed, SigningParameters};
use slingshot_image::{Version, DESCRIPTOR_SIZE};
use slingshot_layout::{NUCLEO_F429ZI_DUAL_SLOT, NUCLEO_F429ZI_SINGLE_SLOT};
use slingshot_protocol::device::{DeviceHandler, EraseUnit, Refusal};
use slingshot_protocol::error::ErrorCode;
use slingshot_protocol::info::SlotStatus;
use slingshot_protocol::message::Protection;
use slingshot_service::simulated::{F429DualSlot, F429SingleSlot, SimulatedChip};
use slingshot_service::{admit, FlashImageVerifier, UpdateService};

mod common;

use common::*;

#[test]
fn admission_refuses_each_bad_announcement_with_its_code_and_detail() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let target = layout.partitions.secondary.expect("dual slot");
    let keys = FlashImageVerifier::for_layout(&layout, [public_key_from_seed(&SEED)]);
    let good = signed(&layout, 4096, "2.0.0", 3);
    let size = good.len() as u32;
    let board = layout.board.board_id;
    let load = layout.partitions.primary.start;
    let admitted = |descriptor: &[u8], image_size: u32, board: u32, minimum: u32| {
        admit(
            image_size,
            descriptor,
            target.size,
            board,
            load,
            &keys,
            minimum,
        )
    };
    assert!(admitted(&descriptor(&good), size, board, 3).is_ok());

    let mut bad_magic = descriptor(&good);
    bad_magic[0] ^= 1;
    let untrusted = FlashImageVerifier::for_layout(&layout, [public_key_from_seed(&[1; 32])]);
    let cases: [(&str, Result<_, Refusal>, ErrorCode, u32); 7] = [
        (
            "magic",
            admitted(&bad_magic, size, board, 0),
            ErrorCode::BadDescriptor,
            0,
        ),
        (
            "short descriptor",
            admitted(&descriptor(&good)[..20], size, board, 0),
            ErrorCode::BadDescriptor,
            0,
        ),
        (
            "other board",
            admitted(&descriptor(&good), size, 0x0407_0001, 0),
            ErrorCode::WrongBoard,
            0x0407_0001,
        ),
        (
            "untrusted key",
            admit(
                size,
                &descriptor(&good),
                target.size,
                board,
                load,
                &untrusted,
                0,
            ),
            ErrorCode::NoTrustedKey,
            0,
        ),
        (
            "larger than the target",
            admitted(&descriptor(&good), target.size + 4, board, 0),
            ErrorCode::ImageTooLarge,
            target.size,
        ),
        (
            "trailer beyond the announced bytes",
            admitted(&descriptor(&good), size - 4, board, 0),
            ErrorCode::BadDescriptor,
            0,
        ),
        (
            "below the minimum",
            admitted(&descriptor(&good), size, board, 4),
            ErrorCode::VersionTooOld,
            4,
        ),
    ];
    for (name, result, code, detail) in cases {
        assert_eq!(result, Err(Refusal::with_detail(code, detail)), "{name}");
    }
    let other_address = slingshot_image::signing::sign_image(
        &application(4096),
        &SigningParameters {
            load_address: 0x0800_C000,
            board_id: board,
            version: Version::parse("2.0.0").expect("version"),
            security_counter: 3,
        },
        &SEED,
    )
    .expect("signed");
    assert_eq!(
        admitted(&descriptor(&other_address), size, board, 0),
        Err(Refusal::new(ErrorCode::WrongLoadAddress))
    );
}

#[test]
fn dual_slot_update_is_received_into_the_secondary_and_installed_by_the_engine() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let v1 = signed(&layout, 6 * 1024, "1.0.0", 1);
    let v2 = signed(&layout, 40 * 1024, "2.0.0", 2);
    let mut service = service::<F429DualSlot>(flash_with(&layout, Some(&v1)));
    let info = service.info();
    assert_eq!(info.slots[0].status, SlotStatus::Valid);
    assert_eq!(info.slots[0].version.major, 1);
    assert_eq!(info.slots[1].status, SlotStatus::Empty);
    // The digest prefix is the trailer's SHA-256 (before the 64-byte signature); none for an
    // empty slot.
    assert_eq!(info.slots[0].digest[..], v1[v1.len() - 96..v1.len() - 88]);
    assert_eq!(info.slots[1].digest, [0; 8]);

    service
        .check_update(v2.len() as u32, &descriptor(&v2))
        .expect("admitted");
    receive(&mut service, &v2);
    assert_eq!(
        service.install(v2.len() as u32),
        Err(Refusal::new(ErrorCode::NotVerified)),
        "no install before verification"
    );
    service.verify(v2.len() as u32).expect("verified");
    assert_eq!(service.info().slots[1].version.major, 2);
    assert_eq!(
        service.info().slots[1].digest[..],
        v2[v2.len() - 96..v2.len() - 88]
    );
    service.install(v2.len() as u32).expect("installed");
    service.reboot();
    assert!(service.platform().reboot_requested);
    let secondary = layout.partitions.secondary.expect("dual slot");
    assert_eq!(
        service.flash().contents(secondary.start, v2.len() as u32),
        &v2[..]
    );
    assert_eq!(erases_outside_target(service.flash(), &layout), 0);

    let (image, trial, flash, _) = boot(service);
    assert!(trial, "the new image runs on trial");
    assert_eq!(image.security_counter, 2);
    assert_eq!(
        flash.contents(layout.partitions.primary.start, v2.len() as u32),
        &v2[..]
    );
}

#[test]
fn tampered_image_is_refused_and_changes_nothing_outside_the_target() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let v1 = signed(&layout, 6 * 1024, "1.0.0", 1);
    let mut v2 = signed(&layout, 20 * 1024, "2.0.0", 2);
    let mut service = service::<F429DualSlot>(flash_with(&layout, Some(&v1)));
    service
        .check_update(v2.len() as u32, &descriptor(&v2))
        .expect("admitted");
    v2[5000] ^= 0x10;
    receive(&mut service, &v2);
    assert_eq!(
        service.verify(v2.len() as u32),
        Err(Refusal::new(ErrorCode::HashMismatch))
    );
    assert_eq!(
        service.install(v2.len() as u32),
        Err(Refusal::new(ErrorCode::NotVerified))
    );
    assert_eq!(erases_outside_target(service.flash(), &layout), 0);
    assert_eq!(
        service
            .flash()
            .contents(layout.partitions.primary.start, v1.len() as u32),
        &v1[..],
        "the running image is untouched"
    );
}

#[test]
fn requests_outside_the_target_are_refused() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let target = layout.partitions.secondary.expect("dual slot");
    let mut service = service::<F429DualSlot>(flash_with(&layout, None));
    assert_eq!(service.erase_unit(target.size), None);
    let first = service.erase_unit(0).expect("first unit");
    let sector = layout
        .board
        .part
        .flash
        .sector_at(target.start)
        .expect("sector");
    assert_eq!(
        first,
        EraseUnit {
            offset: 0,
            size: sector.size
        }
    );
    let mut buffer = [0u8; 16];
    assert_eq!(
        service.read(target.size - 8, &mut buffer),
        Err(ErrorCode::ReadFailed)
    );
    assert_eq!(
        service.read(u32::MAX - 4, &mut buffer),
        Err(ErrorCode::ReadFailed)
    );

    // Without a flash interface (QEMU) nothing touches flash.
    let verifier = FlashImageVerifier::for_layout(&layout, [public_key_from_seed(&SEED)]);
    let mut absent: Service<F429DualSlot> = UpdateService::new(
        flash_with(&layout, None),
        verifier,
        SimulatedChip::default(),
        engine(&layout),
        false,
    );
    assert_eq!(absent.erase(first), Err(ErrorCode::EraseFailed));
    assert_eq!(absent.program(0, &[0; 4]), Err(ErrorCode::ProgramFailed));
    assert_eq!(absent.read(0, &mut buffer), Err(ErrorCode::ReadFailed));
    assert_eq!(
        absent.check_update(4096, &[0; DESCRIPTOR_SIZE]),
        Err(Refusal::new(ErrorCode::ReadFailed))
    );
    assert_eq!(absent.info().chip, None);
    assert_eq!(absent.flash().statistics().erases, 0);
}

#[test]
fn single_slot_update_needs_at_least_the_installed_security_counter() {
    let layout = NUCLEO_F429ZI_SINGLE_SLOT;
    let installed = signed(&layout, 6 * 1024, "1.0.0", 5);
    let mut service = service::<F429SingleSlot>(flash_with(&layout, Some(&installed)));
    let info = service.info();
    assert_eq!(info.slot_count, 1);
    assert_eq!(info.max_image_size, layout.partitions.primary.size);
    let older = signed(&layout, 6 * 1024, "1.1.0", 4);
    assert_eq!(
        service.check_update(older.len() as u32, &descriptor(&older)),
        Err(Refusal::with_detail(ErrorCode::VersionTooOld, 5))
    );
    let newer = signed(&layout, 6 * 1024, "1.2.0", 6);
    service
        .check_update(newer.len() as u32, &descriptor(&newer))
        .expect("admitted");
    receive(&mut service, &newer);
    service.verify(newer.len() as u32).expect("verified");
    service.install(newer.len() as u32).expect("installed");
    // The next update must meet the counter just installed.
    assert_eq!(
        service.check_update(installed.len() as u32, &descriptor(&installed)),
        Err(Refusal::with_detail(ErrorCode::VersionTooOld, 6))
    );
}

#[test]
fn protection_reaches_the_option_bytes_only_as_planned() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let mut service = service::<F429DualSlot>(flash_with(&layout, None));
    let chip = service
        .set_protection(Protection {
            brown_out: 0,
            protect_bootloader: 1,
            read_protection: 0,
            confirmation: 0,
        })
        .expect("write protection planned");
    let options = OptionBytes::from_registers(chip.option_control, chip.option_control1);
    assert!(options.write_protected(0) && options.write_protected(1));
    assert!(!options.write_protected(2), "only the bootloader's sectors");
    assert_eq!(service.platform().option_bytes, options);

    let before = service.platform().option_bytes;
    let refused = service.set_protection(Protection {
        brown_out: 0,
        protect_bootloader: 0,
        read_protection: 2,
        confirmation: 0,
    });
    assert_eq!(
        refused.map_err(|refusal| refusal.code),
        Err(ErrorCode::ProtectionRefused),
        "level 2 needs its confirmation ({PERMANENT_CONFIRMATION:#010x})"
    );
    assert_eq!(service.platform().option_bytes, before, "nothing changed");
}

#[test]
fn overwrite_layout_admits_images_up_to_the_smaller_slot_and_the_next_boot_installs() {
    use slingshot_service::simulated::F401Overwrite;
    let layout = slingshot_layout::layouts::NUCLEO_F401RE_OVERWRITE;
    let v1 = signed(&layout, 6 * 1024, "1.0.0", 3);
    let mut service = service::<F401Overwrite>(flash_with(&layout, Some(&v1)));
    let info = service.info();
    assert_eq!(
        info.update_mode,
        slingshot_protocol::info::UpdateMode::Overwrite
    );
    assert_eq!(
        info.max_image_size,
        224 * 1024,
        "the primary slot, not the 256 KB secondary"
    );
    assert_eq!(info.slot_count, 2);
    // An image that fits the secondary slot but not the primary one is refused at once.
    let too_large = signed(&layout, 230 * 1024, "2.0.0", 4);
    let refusal = service
        .check_update(too_large.len() as u32, &descriptor(&too_large))
        .expect_err("larger than the primary slot");
    assert_eq!(refusal.code, ErrorCode::ImageTooLarge);
    assert_eq!(refusal.detail, 224 * 1024);
    // Older than the installed image: refused before anything is erased.
    let older = signed(&layout, 8 * 1024, "0.9.0", 2);
    let refusal = service
        .check_update(older.len() as u32, &descriptor(&older))
        .expect_err("older");
    assert_eq!(refusal.code, ErrorCode::VersionTooOld);
    let v2 = signed(&layout, 50 * 1024, "2.0.0", 4);
    service
        .check_update(v2.len() as u32, &descriptor(&v2))
        .expect("admitted");
    receive(&mut service, &v2);
    service.verify(v2.len() as u32).expect("verified");
    service.install(v2.len() as u32).expect("installed");
    assert_eq!(
        service
            .flash()
            .contents(layout.partitions.primary.start, v1.len() as u32),
        &v1[..],
        "the running image stays until the next boot"
    );
    let (image, event, flash) = boot_overwrite(service);
    assert_eq!(event, slingshot_update::BootEvent::Installed);
    assert_eq!(image.security_counter, 4);
    assert_eq!(
        flash.contents(layout.partitions.primary.start, v2.len() as u32),
        &v2[..]
    );
}
