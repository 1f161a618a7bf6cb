//! ST's serial bootloader protocol (AN3155) over the real update service and the simulated
//! Nucleo-F429ZI: the command sequence stm32flash sends installs a signed image through the
//! update engine; everything that would touch the bootloader, the state sectors or memory
//! outside the slots is refused with NACK, as are tampered or rolled-back images; reads return
//! only what the session wrote.

mod common;

use common::an3155_host::{Refused, RomHost};
use common::*;
use slingshot_layout::{Layout, Region, NUCLEO_F429ZI_DUAL_SLOT, NUCLEO_F429ZI_SINGLE_SLOT};
use slingshot_protocol::device::DeviceHandler;
use slingshot_protocol::error::ErrorCode;
use slingshot_service::an3155::{An3155Session, ACK, IDLE_RESET_MILLISECONDS, NACK};
use slingshot_service::simulated::{F401Overwrite, F429DualSlot, F429SingleSlot};
use slingshot_update::BootAction;

/// The primary slot's start, where stm32flash is told to write (`-S 0x08008000`).
const PRIMARY: u32 = 0x0800_8000;

/// The sectors stm32flash erases before writing `length` bytes at the primary slot's start.
fn sectors_for(layout: &Layout, length: usize) -> Vec<u16> {
    let region = Region {
        start: PRIMARY,
        size: length as u32,
    };
    layout
        .board
        .part
        .flash
        .sector_numbers_in(region)
        .map(u16::from)
        .collect()
}

/// stm32flash's write with `-v`: 256-byte blocks, each read back.
fn write_and_verify<M: slingshot_service::an3155::RawMemory>(
    host: &mut RomHost<'_, M>,
    image: &[u8],
) -> Result<(), Refused> {
    for (index, block) in image.chunks(256).enumerate() {
        let address = PRIMARY + index as u32 * 256;
        host.write(address, block)?;
        let back = host.read(address, block.len())?;
        assert_eq!(back, block, "read back at 0x{address:08x}");
    }
    Ok(())
}

#[test]
fn the_stm32flash_sequence_installs_a_signed_image_through_the_engine() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let v1 = signed(&layout, 6 * 1024, "1.0.0", 1);
    let v2 = signed(&layout, 40 * 1024 + 100, "2.0.0", 2);
    let mut service = service::<F429DualSlot>(flash_with(&layout, Some(&v1)));
    let mut host = RomHost::new(&mut service);

    // stm32flash's opening: synchronize, Get Version, Get, Get ID.
    host.synchronize().expect("synchronized");
    assert_eq!(host.send(&[0x01, 0xFE]), [ACK, 0x31, 0, 0, ACK]);
    assert_eq!(
        host.send(&[0x00, 0xFF]),
        [ACK, 7, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, ACK]
    );
    assert_eq!(host.send(&[0x02, 0xFD]), [ACK, 1, 0x04, 0x19, ACK]);

    let sectors = sectors_for(&layout, v2.len());
    assert_eq!(sectors, [2, 3, 4], "16 + 16 + 64 KB hold 40 KB");
    host.erase(&sectors).expect("erased");
    write_and_verify(&mut host, &v2).expect("written");
    assert!(!host.session.reboot_pending());
    host.go(PRIMARY).expect("verified and installed");
    assert!(host.session.reboot_pending(), "Go reboots after its ACK");

    let secondary = layout.partitions.secondary.expect("dual slot");
    assert_eq!(
        service.flash().contents(secondary.start, v2.len() as u32),
        &v2[..],
        "the image lands in the secondary slot"
    );
    assert_eq!(
        service.flash().contents(PRIMARY, v1.len() as u32),
        &v1[..],
        "the running image is untouched until the engine swaps"
    );
    assert_eq!(erases_outside_target(service.flash(), &layout), 0);

    let (image, trial, _, _) = boot(service);
    assert!(trial, "it runs on trial, as after a Slingshot update");
    assert_eq!(image.security_counter, 2);
}

#[test]
fn everything_outside_the_slot_is_refused_and_the_bootloader_stays_intact() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let v1 = signed(&layout, 6 * 1024, "1.0.0", 1);
    let mut service = service::<F429DualSlot>(flash_with(&layout, Some(&v1)));
    let mut host = RomHost::new(&mut service);
    host.synchronize().expect("synchronized");

    // The bootloader's sectors, the state sectors, the secondary slot by its own address,
    // and every special erase.
    for sector in [0, 1, 12, 13, 23, 24, 0x1234] {
        assert_eq!(host.erase(&[sector]), Err(Refused), "sector {sector}");
    }
    assert_eq!(
        host.erase(&[2, 0]),
        Err(Refused),
        "a list that reaches sector 0"
    );
    for code in [0xFFFF, 0xFFFE, 0xFFFD] {
        assert_eq!(host.special_erase(code), Err(Refused), "0x{code:04x}");
    }
    // Addresses outside the primary slot are refused when they arrive, as by the ROM.
    for address in [
        0x0800_0000,
        0x0800_7FFC,
        0x0810_8000,
        0x2000_0000,
        0x1FFF_C000,
    ] {
        host.command(0x31).expect("Write Memory");
        assert_eq!(host.address(address), Err(Refused), "write 0x{address:08x}");
        host.command(0x11).expect("Read Memory");
        assert_eq!(host.address(address), Err(Refused), "read 0x{address:08x}");
    }
    assert_eq!(
        host.session.last_refusal(),
        Some(ErrorCode::OffsetOutOfRange)
    );
    // Beyond what the secondary slot holds (864 KB), though inside the primary slot.
    let beyond = PRIMARY + layout.partitions.secondary.expect("dual").size;
    host.erase(&sectors_for(&layout, 4)).expect("sector 2");
    assert_eq!(host.write(beyond - 4, &[0; 8]), Err(Refused));
    // Go anywhere but the primary slot's start (RAM code, the bootloader).
    for address in [0x2000_0000, 0x0800_0000, PRIMARY + 4] {
        assert_eq!(host.go(address), Err(Refused), "go 0x{address:08x}");
    }
    assert!(!host.session.reboot_pending());

    for region in [layout.partitions.bootloader, layout.partitions.primary] {
        assert_eq!(erases_in(service.flash(), &layout, region), 0);
    }
    assert_eq!(service.flash().contents(PRIMARY, v1.len() as u32), &v1[..]);
}

#[test]
fn reads_return_only_what_this_session_erased_or_wrote() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let v1 = signed(&layout, 6 * 1024, "1.0.0", 1);
    let mut flash = flash_with(&layout, Some(&v1));
    // An older image left in the secondary slot (what a swap leaves there).
    let secondary = layout.partitions.secondary.expect("dual slot");
    flash.load(secondary.start, &v1);
    let mut service = service::<F429DualSlot>(flash);
    let mut host = RomHost::new(&mut service);
    host.synchronize().expect("synchronized");

    assert_eq!(
        host.read(PRIMARY, 256),
        Err(Refused),
        "the old image stays unread"
    );
    assert_eq!(
        host.write(PRIMARY, &[1, 2, 3, 4]),
        Err(Refused),
        "no write into a sector this session did not erase"
    );
    host.erase(&[2]).expect("erased");
    assert_eq!(
        host.read(PRIMARY + 16 * 1024 - 256, 256),
        Ok(vec![0xFF; 256])
    );
    assert_eq!(
        host.read(PRIMARY + 16 * 1024 - 4, 8),
        Err(Refused),
        "into sector 3"
    );
    host.write(PRIMARY, &[1, 2, 3, 4, 5]).expect("written");
    assert_eq!(
        host.read(PRIMARY, 8),
        Ok(vec![1, 2, 3, 4, 5, 0xFF, 0xFF, 0xFF])
    );
    assert_eq!(host.write(PRIMARY + 2, &[0; 4]), Err(Refused), "misaligned");
}

#[test]
fn a_resent_write_is_acknowledged_and_a_conflicting_one_refused_no_word_programmed_twice() {
    // A fuzzing finding: a second Write Memory at the same address programmed the words again
    // (the simulated flash stops at any program of a word that is not erased).
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let mut service = service::<F429DualSlot>(flash_with(&layout, None));
    let mut host = RomHost::new(&mut service);
    host.synchronize().expect("synchronized");
    host.erase(&[2]).expect("erased");
    let block: Vec<u8> = (0..=255).collect();
    host.write(PRIMARY, &block).expect("written");
    // stm32flash resends a write whose ACK it did not get.
    host.write(PRIMARY, &block)
        .expect("the same bytes again: nothing to do");
    let mut other = block.clone();
    other[100] ^= 0x01;
    assert_eq!(host.write(PRIMARY, &other), Err(Refused));
    assert_eq!(host.session.last_refusal(), Some(ErrorCode::NotErased));
    // Erased words after written ones: only those are programmed.
    host.write(PRIMARY + 256, &[1, 2, 3, 4])
        .expect("next block");
    assert_eq!(host.read(PRIMARY, 256), Ok(block));
}

#[test]
fn bad_checksums_and_unknown_commands_are_refused_without_effect() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let mut service = service::<F429DualSlot>(flash_with(&layout, None));
    let mut host = RomHost::new(&mut service);
    host.synchronize().expect("synchronized");

    // A complement that does not match, an unknown command, the protection commands.
    assert_eq!(host.send(&[0x00, 0x00]), [NACK]);
    for code in [0x03, 0x43, 0x63, 0x73, 0x82, 0x92, 0xA1] {
        assert_eq!(host.command(code), Err(Refused), "command 0x{code:02x}");
    }
    // Address checksum.
    host.command(0x31).expect("Write Memory");
    assert_eq!(host.send(&[0x08, 0x00, 0x80, 0x00, 0x00]), [NACK]);
    // Erase checksum: sector 2 with a wrong checksum erases nothing.
    host.command(0x44).expect("Extended Erase");
    assert_eq!(host.send(&[0x00, 0x00, 0x00, 0x02, 0x03]), [NACK]);
    // Data checksum: nothing is programmed.
    host.erase(&[2]).expect("erased");
    host.command(0x31).expect("Write Memory");
    host.address(PRIMARY).expect("address");
    assert_eq!(host.send(&[3, 1, 2, 3, 4, 0x55]), [NACK]);
    assert_eq!(host.read(PRIMARY, 4), Ok(vec![0xFF; 4]));
    // Read Memory's count complement.
    host.command(0x11).expect("Read Memory");
    host.address(PRIMARY).expect("address");
    assert_eq!(host.send(&[3, 3]), [NACK]);
    // After all that the session still answers.
    assert_eq!(host.send(&[0x01, 0xFE]), [ACK, 0x31, 0, 0, ACK]);
    let erased = erases_in(
        service.flash(),
        &layout,
        layout.partitions.secondary.unwrap(),
    );
    assert_eq!(erased, 1, "only the one good erase (sector 12) happened");
}

#[test]
fn tampered_and_rolled_back_images_are_refused_at_go_and_the_old_one_stays() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let v1 = signed(&layout, 6 * 1024, "1.0.0", 5);
    let mut tampered = signed(&layout, 20 * 1024, "2.0.0", 6);
    tampered[9000] ^= 0x01;
    let older = signed(&layout, 20 * 1024, "0.9.0", 4);
    let (mut flash, mut verifier) = {
        // Install v1 as confirmed, so the engine's minimum is its counter (5).
        let mut service = service::<F429DualSlot>(flash_with(&layout, None));
        receive(&mut service, &v1);
        service.verify(v1.len() as u32).expect("v1 verifies");
        service.install(v1.len() as u32).expect("v1 installed");
        let (mut flash, mut verifier, _) = service.into_parts();
        let engine = engine(&layout).expect("engine");
        engine.boot(&mut flash, &mut verifier).expect("swap");
        engine.confirm(&mut flash).expect("confirmed");
        (flash, verifier)
    };
    let _ = &mut verifier;
    for (image, code) in [
        (&tampered, ErrorCode::HashMismatch),
        (&older, ErrorCode::VersionTooOld),
    ] {
        let mut service = service::<F429DualSlot>(flash);
        let mut host = RomHost::new(&mut service);
        host.synchronize().expect("synchronized");
        host.erase(&sectors_for(&layout, image.len()))
            .expect("erased");
        write_and_verify(&mut host, image).expect("written");
        assert_eq!(host.go(PRIMARY), Err(Refused), "{code:?}");
        assert_eq!(host.session.last_refusal(), Some(code));
        assert!(!host.session.reboot_pending());
        // The refused image is abandoned: Go again only restarts into v1.
        host.go(PRIMARY).expect("restart");
        assert!(host.session.reboot_pending());
        assert_eq!(service.flash().contents(PRIMARY, v1.len() as u32), &v1[..]);
        flash = service.into_parts().0;
    }
    let outcome = engine(&layout)
        .expect("engine")
        .boot(&mut flash, &mut verifier)
        .expect("boot");
    let BootAction::Start { image, trial, .. } = outcome.action else {
        panic!("v1 still starts: {outcome:?}");
    };
    assert_eq!((image.security_counter, trial), (5, false));
}

#[test]
fn an_unconfirmed_trial_keeps_its_fallback_the_first_erase_is_refused() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let v1 = signed(&layout, 6 * 1024, "1.0.0", 1);
    let v2 = signed(&layout, 6 * 1024, "2.0.0", 2);
    let mut installer = service::<F429DualSlot>(flash_with(&layout, Some(&v1)));
    receive(&mut installer, &v2);
    installer.verify(v2.len() as u32).expect("verifies");
    installer.install(v2.len() as u32).expect("installed");
    let (mut flash, mut verifier, _) = installer.into_parts();
    engine(&layout)
        .expect("engine")
        .boot(&mut flash, &mut verifier)
        .expect("swap: v2 on trial, v1 its fallback in the secondary slot");

    let mut service = service::<F429DualSlot>(flash);
    let mut host = RomHost::new(&mut service);
    host.synchronize().expect("synchronized");
    assert_eq!(host.erase(&[2]), Err(Refused));
    assert_eq!(host.session.last_refusal(), Some(ErrorCode::WrongState));
    let secondary = layout.partitions.secondary.expect("dual slot");
    assert_eq!(
        erases_in(service.flash(), &layout, secondary),
        2,
        "only the swap's"
    );
}

#[test]
fn single_slot_writes_in_place_and_verifies_at_go() {
    let layout = NUCLEO_F429ZI_SINGLE_SLOT;
    let v1 = signed(&layout, 6 * 1024, "1.0.0", 1);
    let v2 = signed(&layout, 30 * 1024, "2.0.0", 2);
    let mut service = service::<F429SingleSlot>(flash_with(&layout, Some(&v1)));
    let mut host = RomHost::new(&mut service);
    host.synchronize().expect("synchronized");
    assert_eq!(host.send(&[0x02, 0xFD]), [ACK, 1, 0x04, 0x19, ACK]);
    host.erase(&sectors_for(&layout, v2.len())).expect("erased");
    write_and_verify(&mut host, &v2).expect("written");
    host.go(PRIMARY).expect("verified");
    assert!(host.session.reboot_pending());
    assert_eq!(service.flash().contents(PRIMARY, v2.len() as u32), &v2[..]);
    assert_eq!(
        erases_in(service.flash(), &layout, layout.partitions.bootloader),
        0
    );
}

#[test]
fn overwrite_layout_receives_in_the_secondary_slot_and_the_next_boot_copies() {
    // Nucleo-F401RE: stm32flash erases primary sectors 2–4 (16 + 16 + 64 KB); they map onto
    // the first 96 KB of the secondary slot's sector 6 (128 KB), erased once.
    let layout = slingshot_layout::layouts::NUCLEO_F401RE_OVERWRITE;
    let v1 = signed(&layout, 6 * 1024, "1.0.0", 1);
    let v2 = signed(&layout, 40 * 1024 + 100, "2.0.0", 2);
    let mut service = service::<F401Overwrite>(flash_with(&layout, Some(&v1)));
    let mut host = RomHost::new(&mut service);
    host.synchronize().expect("synchronized");
    assert_eq!(host.send(&[0x02, 0xFD]), [ACK, 1, 0x04, 0x33, ACK]);
    let sectors = sectors_for(&layout, v2.len());
    assert_eq!(sectors, [2, 3, 4]);
    host.erase(&sectors).expect("erased");
    write_and_verify(&mut host, &v2).expect("written");
    host.go(PRIMARY).expect("verified");
    assert!(host.session.reboot_pending());
    let secondary = layout.partitions.secondary.expect("a secondary slot");
    assert_eq!(
        service.flash().contents(secondary.start, v2.len() as u32),
        &v2[..]
    );
    assert_eq!(service.flash().contents(PRIMARY, v1.len() as u32), &v1[..]);
    assert_eq!(erases_outside_target(service.flash(), &layout), 0);
    assert_eq!(erases_in(service.flash(), &layout, secondary), 1);
    let (image, event, flash) = boot_overwrite(service);
    assert_eq!(event, slingshot_update::BootEvent::Installed);
    assert_eq!(image.security_counter, 2);
    assert_eq!(flash.contents(PRIMARY, v2.len() as u32), &v2[..]);
}

#[test]
fn go_without_a_write_only_restarts() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let mut service = service::<F429DualSlot>(flash_with(&layout, None));
    let mut host = RomHost::new(&mut service);
    host.synchronize().expect("synchronized");
    host.go(PRIMARY).expect("restart");
    assert!(host.session.reboot_pending());
}

#[test]
fn a_command_abandoned_for_a_second_is_forgotten() {
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let mut service = service::<F429DualSlot>(flash_with(&layout, None));
    let mut session = An3155Session::new();
    let mut feed = |session: &mut An3155Session, bytes: &[u8]| -> Vec<u8> {
        let mut answer = Vec::new();
        for &byte in bytes {
            if let Some(reply) = session.receive(byte, &mut service) {
                answer.extend_from_slice(reply);
            }
        }
        answer
    };
    assert_eq!(feed(&mut session, &[0x7F]), [ACK]);
    // A host gives up in the middle of Write Memory's address.
    assert_eq!(feed(&mut session, &[0x31, 0xCE, 0x08, 0x00]), [ACK]);
    session.poll(100);
    session.poll(100 + IDLE_RESET_MILLISECONDS / 2);
    assert_eq!(
        feed(&mut session, &[0x80]),
        [] as [u8; 0],
        "still in the address"
    );
    assert!(session.engaged());
    session.poll(200);
    session.poll(200 + IDLE_RESET_MILLISECONDS + 1);
    assert!(
        !session.engaged(),
        "the port is free for the next host's protocol"
    );
    // The next host's synchronization is answered, not taken as address bytes.
    assert_eq!(feed(&mut session, &[0x7F]), [ACK]);
    assert!(session.engaged());
}

#[test]
fn the_first_character_with_a_zero_parity_bit_tells_the_framing() {
    use slingshot_service::an3155::{even_parity_bit, HostFraming};
    let mut session = An3155Session::new();
    assert_eq!(session.framing(), HostFraming::Unknown);
    // 0x7F, 0x01, 0xFE: parity bit 1 in 8E1, indistinguishable from 8N1; never asked.
    for byte in [0x7F, 0x01, 0xFE] {
        assert!(even_parity_bit(byte));
        session.observe_framing(byte, || panic!("asked for 0x{byte:02x}"));
    }
    assert_eq!(session.framing(), HostFraming::Unknown);
    // Get's 0x00 from an 8E1 host arrives with a framing error.
    session.observe_framing(0x00, || true);
    assert_eq!(session.framing(), HostFraming::EvenParity);
    // Decided: later characters do not change it.
    session.observe_framing(0x11, || false);
    assert_eq!(session.framing(), HostFraming::EvenParity);

    let mut session = An3155Session::new();
    session.observe_framing(0x00, || false);
    assert_eq!(session.framing(), HostFraming::NoParity);
    // Disengaging forgets the host.
    let layout = NUCLEO_F429ZI_DUAL_SLOT;
    let mut service = service::<F429DualSlot>(flash_with(&layout, None));
    assert!(session.receive(0x7F, &mut service).is_some());
    session.poll(0);
    session.poll(IDLE_RESET_MILLISECONDS + 1);
    assert_eq!(session.framing(), HostFraming::Unknown);
}
