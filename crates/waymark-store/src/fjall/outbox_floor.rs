//! Where scans of an output's due index start. Sending a delivery or rescheduling it
//! deletes its due key, and an LSM tree keeps such deletions as tombstones until compaction,
//! at the front of the index where the oldest keys were: a scan from the output's prefix
//! would walk every one of them each time a worker looks for work. So each output has a
//! floor, the lowest due key that may still exist: scans start there; a scan raises it to
//! the first key it finds; every write that adds a due key lowers it, after its commit.

use std::collections::HashMap;
use std::sync::Mutex;

/// An output's floor key and the generation every lowering bumps.
type Floor = (Vec<u8>, u64);

/// Per output prefix, its [`Floor`].
#[derive(Debug, Default)]
pub(super) struct Floors {
    inner: Mutex<HashMap<Vec<u8>, Floor>>,
}

/// The bytes after an output prefix in every due key (time and seq), all `0xff`: above
/// every due key of the output.
const TOP: [u8; 16] = [0xff; 16];

impl Floors {
    /// Where a scan of `prefix`'s due keys starts, and the generation to raise it with.
    pub(super) fn start(&self, prefix: &[u8]) -> (Vec<u8>, u64) {
        let floors = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        floors
            .get(prefix)
            .cloned()
            .unwrap_or_else(|| (prefix.to_vec(), 0))
    }

    /// The end of `prefix`'s due keys (inclusive).
    pub(super) fn end(prefix: &[u8]) -> Vec<u8> {
        let mut end = prefix.to_vec();
        end.extend_from_slice(&TOP);
        end
    }

    /// A committed write added `key` to the due index of `prefix`.
    pub(super) fn lower(&self, prefix: &[u8], key: &[u8]) {
        let mut floors = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let entry = floors
            .entry(prefix.to_vec())
            .or_insert_with(|| (prefix.to_vec(), 0));
        if key < entry.0.as_slice() {
            entry.0 = key.to_vec();
        }
        entry.1 += 1;
    }

    /// A scan that started at generation `seen` found `first` as the lowest key (`None`:
    /// no key): the floor rises there, unless a write lowered it meanwhile.
    pub(super) fn raise(&self, prefix: &[u8], seen: u64, first: Option<&[u8]>) {
        let mut floors = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let entry = floors
            .entry(prefix.to_vec())
            .or_insert_with(|| (prefix.to_vec(), 0));
        if entry.1 == seen {
            entry.0 = first.map_or_else(|| Self::end(prefix), <[u8]>::to_vec);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_raises_and_a_write_lowers() {
        let f = Floors::default();
        let p = b"out".to_vec();
        let (start, seen) = f.start(&p);
        assert_eq!(start, p);
        f.raise(&p, seen, Some(b"out5"));
        assert_eq!(f.start(&p).0, b"out5".to_vec());
        f.lower(&p, b"out3");
        assert_eq!(f.start(&p).0, b"out3".to_vec());
        // A scan that began before that write does not undo it.
        f.raise(&p, seen, None);
        assert_eq!(f.start(&p).0, b"out3".to_vec());
        let (_, seen) = f.start(&p);
        f.raise(&p, seen, None);
        assert_eq!(f.start(&p).0, Floors::end(&p));
    }
}
