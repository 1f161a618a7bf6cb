//! Fuzz the Intel HEX and ELF loaders: any input gives an image or an error, never a panic,
//! and a loaded image written back as HEX loads to the same image.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slingshot_files::MemoryImage;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = MemoryImage::from_ihex(&String::from_utf8_lossy(data)) {
        let again = MemoryImage::from_ihex(&image.to_ihex()).expect("our own HEX parses");
        assert_eq!(again, image);
    }
    let _ = MemoryImage::from_elf(data);
});
