//! Stable hashing for random splits, control groups and samples (SPEC §7), reproducible
//! outside Waymark.

use sha2::{Digest, Sha256};

/// `bucket(s)`: the first 8 bytes of SHA-256 of `s`, big-endian, modulo 10000.
pub fn bucket(s: &str) -> u16 {
    let digest = Sha256::digest(s.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(head) % 10_000) as u16
}

/// The child index a user gets at a random step with these weights: child `i` when
/// `floor(10000·C(i−1)/W) ≤ bucket < floor(10000·Ci/W)`.
pub fn random_branch(journey: &str, step: &str, user: &str, weights: &[u32]) -> Option<usize> {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if total == 0 {
        return None;
    }
    let b = u64::from(bucket(&format!("{journey}/{step}/{user}")));
    let mut running = 0u64;
    for (i, w) in weights.iter().enumerate() {
        let low = 10_000 * running / total;
        running += u64::from(*w);
        let high = 10_000 * running / total;
        if low <= b && b < high {
            return Some(i);
        }
    }
    None
}

/// The partition (`0..partitions`) that owns a profile: FNV-1a (64-bit) of the key's UTF-8
/// bytes, modulo `partitions`. Cheap enough to run on every message before parsing it, and
/// stable across runs and machines, so that a partition is a unit that can be checkpointed
/// or moved. `partitions` must not be 0.
pub fn partition(key: &str, partitions: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % u64::from(partitions)) as u32
}

/// Whether a user is held out as control: `bucket("<journey>/control/<user>") < percent·100`.
pub fn is_control(journey: &str, user: &str, percent: f64) -> bool {
    f64::from(bucket(&format!("{journey}/control/{user}"))) < percent * 100.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn partitions_are_fnv_1a_and_spread() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c.
        assert_eq!(
            super::partition("a", u32::MAX),
            (0xaf63_dc4c_8601_ec8c_u64 % u64::from(u32::MAX)) as u32
        );
        let mut counts = [0u32; 4];
        for i in 0..4000 {
            counts[super::partition(&format!("u{i}"), 4) as usize] += 1;
        }
        assert!(counts.iter().all(|c| (800..1200).contains(c)), "{counts:?}");
    }

    use super::*;

    #[test]
    fn bucket_matches_a_hand_computed_value() {
        // Computed independently with Python's hashlib:
        // int.from_bytes(sha256(b"j1/entry/u1").digest()[:8], "big") % 10000
        assert_eq!(bucket("j1/entry/u1"), 7314);
        assert_eq!(bucket("j1/control/u2"), 9212);
        assert!(bucket("anything") < 10_000);
    }

    #[test]
    fn random_branch_covers_all_buckets_in_proportion() {
        let mut counts = [0u32; 3];
        for u in 0..3000 {
            let i = random_branch("j", "s", &format!("u{u}"), &[1, 1, 2]).unwrap();
            counts[i] += 1;
        }
        // Roughly 25 / 25 / 50 %.
        assert!(counts[0] > 600 && counts[0] < 900, "{counts:?}");
        assert!(counts[2] > 1300 && counts[2] < 1700, "{counts:?}");
        assert_eq!(random_branch("j", "s", "u", &[0, 0]), None);
    }

    #[test]
    fn control_percent_zero_holds_out_nobody() {
        assert!((0..500).all(|u| !is_control("j", &format!("u{u}"), 0.0)));
        assert!((0..500).all(|u| is_control("j", &format!("u{u}"), 100.0)));
    }
}
