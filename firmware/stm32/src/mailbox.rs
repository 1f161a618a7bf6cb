//! Access to the mailbox words at the top of SRAM (format: `slingshot_boot::mailbox`).
//! Both programs' linker scripts end RAM below it, so neither program's statics or stack
//! ever overlap it, and SRAM keeps it across a system reset.

use slingshot_boot::mailbox::{Mailbox, Request, WORDS};
use slingshot_layout::ACTIVE;

const _: () = assert!(ACTIVE.board.mailbox.size as usize >= WORDS * 4);

fn word_address(index: usize) -> *mut u32 {
    (ACTIVE.board.mailbox.start as usize + index * 4) as *mut u32
}

/// Read the mailbox words.
pub fn read() -> [u32; WORDS] {
    core::array::from_fn(|index| {
        // SAFETY: the mailbox lies in SRAM (checked by slingshot-layout), is word aligned and
        // belongs to no Rust object of either program (excluded from both RAM regions).
        unsafe { word_address(index).read_volatile() }
    })
}

/// Write the mailbox words.
pub fn write(words: [u32; WORDS]) {
    for (index, &word) in words.iter().enumerate() {
        write_word(index, word);
    }
}

fn write_word(index: usize, word: u32) {
    // SAFETY: as in `read`: reserved, aligned SRAM that no Rust object uses.
    unsafe { word_address(index).write_volatile(word) };
}

/// Read the request and clear the mailbox, so a request acts once.
pub fn take() -> Mailbox {
    let mailbox = Mailbox::decode(read());
    for index in 0..WORDS {
        write_word(index, 0);
    }
    mailbox
}

/// Leave a request for the bootloader (followed, usually, by [`crate::system::reset`]).
pub fn post(request: Request, argument: u32) {
    write(Mailbox::encode(request, argument));
}
