//! Loading flash from BIN/HEX/ELF-derived images and saving it as HEX and BIN.

use slingshot_files::MemoryImage;
use slingshot_twin::{Twin, TwinConfig, TwinError};

#[test]
fn flash_saved_as_hex_and_bin_loads_back_identically() {
    let mut twin = Twin::new(TwinConfig::default()).expect("twin");
    let pattern: Vec<u8> = (0..4096u32).map(|index| (index * 7 + 3) as u8).collect();
    twin.load_flash_image(&MemoryImage::from_binary(&pattern, 0x0810_4000).expect("image"))
        .expect("load");
    let directory =
        std::env::temp_dir().join(format!("slingshot-twin-files-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("directory");
    let hex = directory.join("flash.hex");
    let bin = directory.join("flash.bin");
    twin.save_flash(&hex).expect("save hex");
    twin.save_flash(&bin).expect("save bin");
    assert_eq!(std::fs::metadata(&bin).expect("bin").len(), 2 * 1024 * 1024);
    for (path, address) in [(&hex, None), (&bin, Some(0x0800_0000))] {
        let mut other = Twin::new(TwinConfig::default()).expect("twin");
        other.load_flash_file(path, address).expect("load back");
        assert_eq!(
            other.board().flash.content,
            twin.board().flash.content,
            "{}",
            path.display()
        );
        assert_eq!(other.read_memory(0x0810_4000, 4096).expect("read"), pattern);
    }
    std::fs::remove_dir_all(&directory).expect("clean up");
}

#[test]
fn image_outside_flash_is_refused_with_its_address() {
    let mut twin = Twin::new(TwinConfig::default()).expect("twin");
    let image = MemoryImage::from_binary(&[0; 16], 0x0820_0000 - 8).expect("image");
    match twin.load_flash_image(&image) {
        Err(TwinError::OutsideFlash {
            address: 0x081F_FFF8,
            size: 16,
        }) => {}
        other => panic!("expected OutsideFlash, got {other:?}"),
    }
}
