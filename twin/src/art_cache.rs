//! The ART accelerator's data cache as far as correctness goes (RM0090 §3.5.2): it is not
//! coherent with flash programming. A line the cache holds keeps its old bytes after a program
//! or an erase changes the flash behind it, until software resets the cache (FLASH_ACR.DCRST,
//! which acts only while DCEN is clear). ST's HAL flushes the caches after every erase for
//! this reason (`FLASH_FlushCaches`), and Slingshot's flash driver resets both caches after
//! every operation.
//!
//! The model does not track which 8 lines of 128 bits the real cache holds: from the first
//! DCEN = 1 until the next DCRST it assumes every line may be cached, so every 16-byte line a
//! program or erase changes in that time turns stale. A data read of a stale line while DCEN
//! is set returns the old bytes, as silicon can, and the board reports a diagnostic. Silicon
//! may have evicted the line and return the new bytes instead; firmware that depends on that
//! luck is what the model exists to catch.

use std::collections::{BTreeMap, BTreeSet};

/// Bytes per cache line (128 bits).
pub const LINE_SIZE: u32 = 16;
/// Bytes per emulator page (translations are made per page).
pub const PAGE_SIZE: u32 = 1024;

/// FLASH_ACR.DCEN: data cache enable.
pub const DATA_CACHE_ENABLE: u32 = 1 << 10;
/// FLASH_ACR.DCRST: data cache reset (acts only while DCEN = 0).
pub const DATA_CACHE_RESET: u32 = 1 << 12;

/// The data cache's staleness (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct ArtDataCache {
    /// The cache may hold lines: DCEN was set since the last reset of the cache.
    populated: bool,
    /// Whether DCEN is set now.
    enabled: bool,
    /// Old content of each stale line, by flash offset of the line.
    stale_lines: BTreeMap<u32, [u8; LINE_SIZE as usize]>,
    /// Stale lines already reported (one diagnostic per line).
    reported: BTreeSet<u32>,
}

impl ArtDataCache {
    /// A FLASH_ACR write of `value`: DCEN starts filling the cache, DCRST with DCEN clear
    /// empties it. Returns whether the data view of flash may have changed (translations must
    /// be redone).
    pub fn access_control_written(&mut self, value: u32) -> bool {
        let was_enabled = self.enabled;
        let stale_before = self.stale_lines.len();
        self.enabled = value & DATA_CACHE_ENABLE != 0;
        if self.enabled {
            self.populated = true;
        } else if value & DATA_CACHE_RESET != 0 {
            self.populated = false;
            self.stale_lines.clear();
            self.reported.clear();
        }
        was_enabled != self.enabled || stale_before != self.stale_lines.len()
    }

    /// System reset or power-on: the cache is empty and off.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The flash bytes `[offset, offset + length)` are about to change; `content` is all of
    /// flash before the change. Lines the cache may hold keep their current bytes.
    pub fn before_change(&mut self, content: &[u8], offset: u32, length: u32) {
        if !self.populated || length == 0 {
            return;
        }
        let first = offset / LINE_SIZE * LINE_SIZE;
        let mut line = first;
        while line < offset + length {
            self.stale_lines.entry(line).or_insert_with(|| {
                let start = line as usize;
                let mut bytes = [0xFF; LINE_SIZE as usize];
                bytes.copy_from_slice(&content[start..start + LINE_SIZE as usize]);
                bytes
            });
            line += LINE_SIZE;
        }
    }

    /// Whether stale line `line` is reported for the first time (then remembered).
    pub fn first_report(&mut self, line: u32) -> bool {
        self.reported.insert(line)
    }

    /// Whether a data read in the page at flash `offset` may hit a stale line now.
    pub fn page_has_stale_lines(&self, offset: u32) -> bool {
        if !self.enabled {
            return false;
        }
        let page = offset / PAGE_SIZE * PAGE_SIZE;
        self.stale_lines
            .range(page..page + PAGE_SIZE)
            .next()
            .is_some()
    }

    /// The data-bus view of `size` bytes at flash `offset` (little-endian), given the current
    /// `content`; `Some(line offset)` when a stale line supplied any of them.
    pub fn read(&self, content: &[u8], offset: u32, size: usize) -> (u64, Option<u32>) {
        let mut value = 0u64;
        let mut stale_hit = None;
        for index in 0..size as u32 {
            let position = offset + index;
            let line = position / LINE_SIZE * LINE_SIZE;
            let byte = match self.stale_lines.get(&line).filter(|_| self.enabled) {
                Some(old) => {
                    stale_hit = Some(line);
                    old[(position - line) as usize]
                }
                None => content.get(position as usize).copied().unwrap_or(0xFF),
            };
            value |= u64::from(byte) << (8 * index);
        }
        (value, stale_hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flash() -> Vec<u8> {
        (0..4096u32).map(|index| index as u8).collect()
    }

    #[test]
    fn a_change_after_the_cache_was_enabled_leaves_the_old_line_visible() {
        let mut cache = ArtDataCache::default();
        let mut content = flash();
        cache.access_control_written(DATA_CACHE_ENABLE);
        cache.before_change(&content, 0x104, 4);
        content[0x104..0x108].fill(0);
        assert!(cache.page_has_stale_lines(0x000));
        assert!(!cache.page_has_stale_lines(0x400));
        let (value, hit) = cache.read(&content, 0x104, 4);
        assert_eq!(value, u64::from(u32::from_le_bytes([4, 5, 6, 7])));
        assert_eq!(hit, Some(0x100));
        // The rest of the stale line is old too (the same bytes here), other lines are fresh.
        assert_eq!(cache.read(&content, 0x110, 1), (0x10, None));
    }

    #[test]
    fn a_reset_while_disabled_drops_stale_lines_and_a_reset_while_enabled_does_not() {
        let mut cache = ArtDataCache::default();
        let mut content = flash();
        cache.access_control_written(DATA_CACHE_ENABLE);
        cache.before_change(&content, 0x200, 16);
        content[0x200..0x210].fill(0xFF);
        // DCRST with DCEN still set does nothing (RM0090 §3.5.2).
        cache.access_control_written(DATA_CACHE_ENABLE | DATA_CACHE_RESET);
        assert_eq!(cache.read(&content, 0x200, 1).1, Some(0x200));
        // Disabled: reads bypass the cache; enabling again without a reset shows the old line.
        cache.access_control_written(0);
        assert_eq!(cache.read(&content, 0x200, 1), (0xFF, None));
        cache.access_control_written(DATA_CACHE_ENABLE);
        assert_eq!(cache.read(&content, 0x200, 1).1, Some(0x200));
        // The driver's sequence: disable, reset, enable.
        cache.access_control_written(0);
        cache.access_control_written(DATA_CACHE_RESET);
        cache.access_control_written(DATA_CACHE_ENABLE);
        assert_eq!(cache.read(&content, 0x200, 1), (0xFF, None));
    }

    #[test]
    fn changes_before_the_cache_was_ever_enabled_are_not_stale() {
        let mut cache = ArtDataCache::default();
        let content = flash();
        cache.before_change(&content, 0, 4096);
        cache.access_control_written(DATA_CACHE_ENABLE);
        assert!(!cache.page_has_stale_lines(0));
        assert_eq!(cache.read(&content, 8, 1), (8, None));
    }
}
