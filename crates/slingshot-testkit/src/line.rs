//! The noisy serial line every link simulation shares: the protocol's link simulator
//! (`crates/slingshot-protocol/tests/common/link.rs`) and the twin's serial tests
//! (`twin/tests/serial_fixture`). Each byte in transit is dropped, corrupted (one bit flipped)
//! or delivered, with fixed rates per million from a seeded generator, so a run is reproducible
//! and the same rates mean the same line in both.

use slingshot_flash_sim::SplitMix64;

/// Byte faults of a line, per direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineNoise {
    /// Bytes corrupted (one bit flipped), per million.
    pub corrupt_per_million: u64,
    /// Bytes dropped, per million.
    pub drop_per_million: u64,
    /// Bytes followed by a spurious extra byte (a glitch the receiver takes for a start
    /// bit), per million.
    pub insert_per_million: u64,
}

/// Faults a line made, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoiseTally {
    /// Bytes corrupted.
    pub corrupted: u64,
    /// Bytes dropped.
    pub dropped: u64,
    /// Spurious bytes inserted.
    pub inserted: u64,
}

/// What the line did to one byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transit {
    /// Arrived as sent.
    Delivered(u8),
    /// Arrived with one bit flipped.
    Corrupted(u8),
    /// Lost.
    Dropped,
    /// Arrived as sent, followed by a spurious `extra` byte.
    Inserted {
        /// The byte sent.
        byte: u8,
        /// The byte the line made up after it.
        extra: u8,
    },
}

impl Transit {
    /// The byte that arrives, if any.
    pub fn byte(self) -> Option<u8> {
        match self {
            Transit::Delivered(byte)
            | Transit::Corrupted(byte)
            | Transit::Inserted { byte, .. } => Some(byte),
            Transit::Dropped => None,
        }
    }

    /// Every byte that arrives, in order, appended to `arrived`.
    pub fn deliver_into(self, arrived: &mut impl Extend<u8>) {
        match self {
            Transit::Delivered(byte) | Transit::Corrupted(byte) => arrived.extend([byte]),
            Transit::Inserted { byte, extra } => arrived.extend([byte, extra]),
            Transit::Dropped => {}
        }
    }
}

impl LineNoise {
    /// A perfect line.
    pub const CLEAN: LineNoise = LineNoise {
        corrupt_per_million: 0,
        drop_per_million: 0,
        insert_per_million: 0,
    };

    /// One byte in `corrupt_one_in` corrupted and one in `drop_one_in` dropped (0: never).
    pub fn one_in(corrupt_one_in: u64, drop_one_in: u64) -> LineNoise {
        let per_million = |one_in: u64| 1_000_000u64.checked_div(one_in).unwrap_or(0);
        LineNoise {
            corrupt_per_million: per_million(corrupt_one_in),
            drop_per_million: per_million(drop_one_in),
            insert_per_million: 0,
        }
    }

    /// Whether the line never changes a byte.
    pub fn is_clean(&self) -> bool {
        self.corrupt_per_million == 0 && self.drop_per_million == 0 && self.insert_per_million == 0
    }

    /// Sends `bytes` across one after the other; what arrives, with each fault counted in
    /// `tally`.
    pub fn carry(&self, bytes: &[u8], random: &mut SplitMix64, tally: &mut NoiseTally) -> Vec<u8> {
        let mut arrived = Vec::with_capacity(bytes.len());
        for &byte in bytes {
            let transit = self.transit(byte, random);
            match transit {
                Transit::Delivered(_) => {}
                Transit::Corrupted(_) => tally.corrupted += 1,
                Transit::Dropped => tally.dropped += 1,
                Transit::Inserted { .. } => tally.inserted += 1,
            }
            transit.deliver_into(&mut arrived);
        }
        arrived
    }

    /// Sends `byte` across, drawing from `random` (nothing is drawn on a clean line).
    pub fn transit(&self, byte: u8, random: &mut SplitMix64) -> Transit {
        if self.is_clean() {
            return Transit::Delivered(byte);
        }
        let draw = random.next_u64() % 1_000_000;
        if draw < self.drop_per_million {
            Transit::Dropped
        } else if draw < self.drop_per_million + self.corrupt_per_million {
            Transit::Corrupted(byte ^ (1 << (random.next_u64() % 8)))
        } else if draw < self.drop_per_million + self.corrupt_per_million + self.insert_per_million
        {
            Transit::Inserted {
                byte,
                extra: random.next_u64() as u8,
            }
        } else {
            Transit::Delivered(byte)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_match_what_was_asked_and_a_corrupted_byte_differs_in_one_bit() {
        let noise = LineNoise::one_in(100, 50);
        assert_eq!(
            noise,
            LineNoise {
                corrupt_per_million: 10_000,
                drop_per_million: 20_000,
                insert_per_million: 0,
            }
        );
        let mut random = SplitMix64::new(3);
        let (mut corrupted, mut dropped) = (0, 0);
        for index in 0..100_000u32 {
            let byte = index as u8;
            match noise.transit(byte, &mut random) {
                Transit::Corrupted(arrived) => {
                    corrupted += 1;
                    assert_eq!((arrived ^ byte).count_ones(), 1);
                }
                Transit::Dropped => dropped += 1,
                Transit::Delivered(arrived) => assert_eq!(arrived, byte),
                Transit::Inserted { .. } => panic!("no insertion was asked for"),
            }
        }
        assert!((900..1100).contains(&corrupted), "{corrupted}");
        assert!((1800..2200).contains(&dropped), "{dropped}");
        assert_eq!(
            LineNoise::CLEAN.transit(7, &mut random),
            Transit::Delivered(7)
        );
    }

    #[test]
    fn an_inserted_byte_follows_the_byte_sent() {
        let noise = LineNoise {
            insert_per_million: 100_000,
            ..LineNoise::CLEAN
        };
        assert!(!noise.is_clean());
        let mut random = SplitMix64::new(5);
        let mut arrived = Vec::new();
        let sent: Vec<u8> = (0..10_000u32).map(|index| index as u8).collect();
        for &byte in &sent {
            noise.transit(byte, &mut random).deliver_into(&mut arrived);
        }
        let inserted = arrived.len() - sent.len();
        assert!((900..1100).contains(&inserted), "{inserted}");
        // Removing the extras gives back what was sent: every sent byte arrived, in order.
        let mut position = 0;
        for &byte in &sent {
            while arrived[position] != byte {
                position += 1;
            }
            position += 1;
        }
    }
}
