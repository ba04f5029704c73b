//! Partition checkpoints as every backend keeps them: two slots per partition, written in
//! turn, each record sealed by a checksum and numbered by a generation. A write goes to the
//! slot that does not hold the latest record, so the latest stays whole until the new one
//! is; a read takes the highest generation whose checksum holds. A torn or damaged record
//! is therefore never read as valid, and the previous one is read instead.
//!
//! Record layout (big-endian): version (1 byte), generation (8), cursor (8), CRC-32 of
//! everything after it (4), then the state bytes.

const RECORD_VERSION: u8 = 1;
pub(crate) const HEADER: usize = 1 + 8 + 8 + 4;

/// The latest checkpoint of a partition: the state it holds and the log position it
/// reflects (every event whose arrival number is at or below `cursor` is in `state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The highest arrival number (event sequence number) applied to `state`.
    pub cursor: u64,
    /// The partition's state (an engine checkpoint, opaque to the store).
    pub state: Vec<u8>,
}

/// One of a partition's two slots, as read from the backend.
#[derive(Debug)]
pub(crate) struct Sealed {
    pub(crate) generation: u64,
    pub(crate) checkpoint: Checkpoint,
}

/// The record of `checkpoint` as generation `generation`.
pub(crate) fn seal(generation: u64, checkpoint: &Checkpoint) -> Vec<u8> {
    let mut record = Vec::with_capacity(HEADER + checkpoint.state.len());
    record.extend_from_slice(&header(generation, checkpoint));
    record.extend_from_slice(&checkpoint.state);
    record
}

/// The header of `checkpoint`'s record as generation `generation`: written before the
/// state, it makes the record without a copy of the state (hundreds of megabytes at a
/// million users).
pub(crate) fn header(generation: u64, checkpoint: &Checkpoint) -> [u8; HEADER] {
    let mut header = [0; HEADER];
    header[0] = RECORD_VERSION;
    header[1..9].copy_from_slice(&generation.to_be_bytes());
    header[9..17].copy_from_slice(&checkpoint.cursor.to_be_bytes());
    let crc = checksum(&header, &checkpoint.state);
    header[17..HEADER].copy_from_slice(&crc.to_be_bytes());
    header
}

/// The record's contents when it is whole and of this version; `None` otherwise.
pub(crate) fn open(record: &[u8]) -> Option<Sealed> {
    open_owned(record.to_vec())
}

/// [`open`], keeping the record's buffer as the state instead of copying it.
pub(crate) fn open_owned(mut record: Vec<u8>) -> Option<Sealed> {
    if record.len() < HEADER || record[0] != RECORD_VERSION {
        return None;
    }
    let u64_at = |at: usize| {
        let mut b = [0; 8];
        b.copy_from_slice(&record[at..at + 8]);
        u64::from_be_bytes(b)
    };
    let mut crc = [0; 4];
    crc.copy_from_slice(&record[17..HEADER]);
    if checksum(&record[..HEADER], &record[HEADER..]) != u32::from_be_bytes(crc) {
        return None;
    }
    let (generation, cursor) = (u64_at(1), u64_at(9));
    record.drain(..HEADER);
    Some(Sealed {
        generation,
        checkpoint: Checkpoint {
            cursor,
            state: record,
        },
    })
}

/// The CRC-32 of a record with its checksum field left out.
fn checksum(header: &[u8], state: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&header[..17]);
    h.update(state);
    h.finalize()
}

/// The latest whole record among a partition's slots.
pub(crate) fn latest<'a>(slots: impl IntoIterator<Item = Option<&'a [u8]>>) -> Option<Sealed> {
    slots
        .into_iter()
        .flatten()
        .filter_map(open)
        .max_by_key(|s| s.generation)
}

/// Which slot (0 or 1) the next checkpoint goes to, and its generation, given the slots'
/// current records: the slot not holding the latest whole one.
pub(crate) fn next_slot<'a>(slots: impl IntoIterator<Item = Option<&'a [u8]>>) -> (u8, u64) {
    let generation = latest(slots).map_or(0, |s| s.generation) + 1;
    ((generation % 2) as u8, generation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(cursor: u64, state: &[u8]) -> Checkpoint {
        Checkpoint {
            cursor,
            state: state.to_vec(),
        }
    }

    #[test]
    fn a_record_reads_back_and_any_damage_is_refused() {
        let record = seal(7, &cp(42, b"state"));
        let read = open(&record).unwrap();
        assert_eq!((read.generation, read.checkpoint), (7, cp(42, b"state")));
        for cut in 0..record.len() {
            assert!(open(&record[..cut]).is_none(), "cut at {cut}");
        }
        for at in 0..record.len() {
            let mut damaged = record.clone();
            damaged[at] ^= 0x40;
            assert!(open(&damaged).is_none(), "byte {at} flipped");
        }
    }

    #[test]
    fn the_latest_whole_slot_wins_and_the_next_write_spares_it() {
        let one = seal(1, &cp(10, b"a"));
        let two = seal(2, &cp(20, b"b"));
        let slots = |a: &[u8], b: &[u8]| [Some(a.to_vec()), Some(b.to_vec())];
        let [a, b] = slots(&two, &one);
        let got = latest([a.as_deref(), b.as_deref()]).unwrap();
        assert_eq!(got.checkpoint.cursor, 20);
        assert_eq!(next_slot([a.as_deref(), b.as_deref()]), (1, 3));
        let torn = &two[..two.len() - 1];
        let got = latest([Some(torn), Some(&one[..])]).unwrap();
        assert_eq!(got.checkpoint.cursor, 10);
        assert_eq!(next_slot([Some(torn), Some(&one[..])]), (0, 2));
        assert_eq!(next_slot([None, None]), (1, 1));
    }
}
