//! Key encodings. Every multi-part key starts with the workspace as a length-prefixed
//! string, so one workspace's keys form a contiguous, prefix-scannable range and no
//! identifier can run into the next part. Numbers are big-endian so that byte order is
//! numeric order; event times are signed, so their sign bit is flipped first.

use waymark_engine::time::Millis;

use crate::model::ProfileId;
use crate::profile::IdKind;

/// `len (u32 BE) ‖ workspace`: the prefix of every per-workspace key.
pub(super) fn ws(workspace: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(4 + workspace.len() + 32);
    push_str(&mut key, workspace);
    key
}

fn push_str(key: &mut Vec<u8>, part: &str) {
    let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
    key.extend_from_slice(&len.to_be_bytes());
    key.extend_from_slice(part.as_bytes());
}

/// A signed time as bytes that sort in time order.
pub(super) fn time(at: Millis) -> [u8; 8] {
    ((at as u64) ^ (1 << 63)).to_be_bytes()
}

/// The time [`time`] encoded.
pub(super) fn read_time(bytes: &[u8]) -> Option<Millis> {
    Some((read_u64(bytes)? ^ (1 << 63)) as Millis)
}

/// Inputs: `ws ‖ input id`.
pub(super) fn input(workspace: &str, id: &str) -> Vec<u8> {
    let mut key = ws(workspace);
    key.extend_from_slice(id.as_bytes());
    key
}

/// Profiles: `ws ‖ profile id`.
pub(super) fn profile(ws_prefix: &[u8], id: ProfileId) -> Vec<u8> {
    let mut key = ws_prefix.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

/// Identity index: `ws ‖ kind ‖ identifier`.
pub(super) fn identity(ws_prefix: &[u8], kind: IdKind, value: &str) -> Vec<u8> {
    let mut key = ws_prefix.to_vec();
    key.push(match kind {
        IdKind::User => b'u',
        IdKind::Anonymous => b'a',
        IdKind::Suppressed => b's',
    });
    key.extend_from_slice(value.as_bytes());
    key
}

/// The prefix of a profile's events: `ws ‖ profile id`.
pub(super) fn events_of(ws_prefix: &[u8], id: ProfileId) -> Vec<u8> {
    profile(ws_prefix, id)
}

/// Events: `ws ‖ profile id ‖ event time ‖ seq`, so a profile's events are in time order
/// (arrival order at the same instant).
pub(super) fn event(ws_prefix: &[u8], id: ProfileId, at: Millis, seq: u64) -> Vec<u8> {
    let mut key = events_of(ws_prefix, id);
    key.extend_from_slice(&time(at));
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// An event's place in arrival order: `ws ‖ seq`, from its key `ws ‖ profile ‖ time ‖
/// seq` (the arrival index's key; its value is the event key). `None` for a key too short
/// to be an event's.
pub(super) fn arrival_of_event(event_key: &[u8]) -> Option<Vec<u8>> {
    let seq_at = event_key.len().checked_sub(8)?;
    let ws_len = event_key.len().checked_sub(24)?;
    let mut key = event_key[..ws_len].to_vec();
    key.extend_from_slice(&event_key[seq_at..]);
    Some(key)
}

/// The first arrival index key after `seq` in a workspace.
pub(super) fn arrival_after(ws_prefix: &[u8], seq: u64) -> Vec<u8> {
    let mut key = ws_prefix.to_vec();
    key.extend_from_slice(&seq.saturating_add(1).to_be_bytes());
    key
}

/// The same event key under another profile (`ws_len` is the length of the `ws` prefix).
pub(super) fn move_event(key: &[u8], ws_len: usize, to: ProfileId) -> Vec<u8> {
    let mut moved = key.to_vec();
    if let Some(slot) = moved.get_mut(ws_len..ws_len + 8) {
        slot.copy_from_slice(&to.to_be_bytes());
    }
    moved
}

/// An event key's profile and sequence number (`ws_len` is the length of the `ws` prefix).
pub(super) fn event_parts(key: &[u8], ws_len: usize) -> Option<(ProfileId, u64)> {
    let profile = read_u64(key.get(ws_len..ws_len + 8)?)?;
    let seq = read_u64(key.get(key.len().checked_sub(8)?..)?)?;
    Some((profile, seq))
}

/// Dedup: `ws ‖ messageId`.
pub(super) fn dedup(ws_prefix: &[u8], message_id: &str) -> Vec<u8> {
    let mut key = ws_prefix.to_vec();
    key.extend_from_slice(message_id.as_bytes());
    key
}

/// Dedup by time: `time ‖ dedup key`, so the oldest entries come first.
pub(super) fn dedup_by_time(at: Millis, dedup_key: &[u8]) -> Vec<u8> {
    let mut key = time(at).to_vec();
    key.extend_from_slice(dedup_key);
    key
}

/// Which counter of a workspace.
#[derive(Debug, Clone, Copy)]
pub(super) enum Counter {
    /// The next profile id.
    Profile,
    /// The next event sequence number.
    Event,
}

/// Counters: `ws ‖ 'p' | 'e'`.
pub(super) fn counter(ws_prefix: &[u8], which: Counter) -> Vec<u8> {
    let mut key = ws_prefix.to_vec();
    key.push(match which {
        Counter::Profile => b'p',
        Counter::Event => b'e',
    });
    key
}

/// The prefix of a document collection: `len ‖ collection`, so that no collection's keys
/// run into another's (`a` and `ab`).
pub(super) fn collection(collection: &str) -> Vec<u8> {
    ws(collection)
}

/// Documents: `collection ‖ id`.
pub(super) fn document(collection_prefix: &[u8], id: &str) -> Vec<u8> {
    let mut key = collection_prefix.to_vec();
    key.extend_from_slice(id.as_bytes());
    key
}

/// Outbox records: `seq`, so that records list in the order they were added.
pub(super) fn outbox_record(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Outbox ids: `len ‖ delivery id` (never empty, as fjall wants).
pub(super) fn outbox_id(id: &str) -> Vec<u8> {
    ws(id)
}

/// The prefix of an output's keys: `len ‖ output`.
pub(super) fn output(output: &str) -> Vec<u8> {
    ws(output)
}

/// The due index: `output ‖ next attempt ‖ seq`, so an output's pending records come in
/// (next attempt, seq) order.
pub(super) fn outbox_due(output_prefix: &[u8], at: Millis, seq: u64) -> Vec<u8> {
    let mut key = output_prefix.to_vec();
    key.extend_from_slice(&time(at));
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// A due key's next attempt and seq (`prefix_len` is the length of the output prefix).
pub(super) fn outbox_due_parts(key: &[u8], prefix_len: usize) -> Option<(Millis, u64)> {
    let at = read_time(key.get(prefix_len..prefix_len + 8)?)?;
    let seq = read_u64(key.get(prefix_len + 8..)?)?;
    Some((at, seq))
}

/// The prefix of a key's chain: `output ‖ len ‖ key`.
pub(super) fn outbox_chain_prefix(output_prefix: &[u8], key: &str) -> Vec<u8> {
    let mut prefix = output_prefix.to_vec();
    push_str(&mut prefix, key);
    prefix
}

/// The key index: `len ‖ key ‖ seq`, so every record of one ordering key (one user's
/// deliveries, whatever their output or status) is one prefix scan: erasing a user needs it.
pub(super) fn outbox_by_key(key: &str, seq: u64) -> Vec<u8> {
    let mut bytes = outbox_by_key_prefix(key);
    bytes.extend_from_slice(&seq.to_be_bytes());
    bytes
}

/// The prefix of [`outbox_by_key`] for one key.
pub(super) fn outbox_by_key_prefix(key: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4 + key.len() + 8);
    push_str(&mut bytes, key);
    bytes
}

/// The chain index: `output ‖ len ‖ key ‖ seq`, so a key's pending records come in seq
/// order.
pub(super) fn outbox_chain(chain_prefix: &[u8], seq: u64) -> Vec<u8> {
    let mut key = chain_prefix.to_vec();
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// Group counters: `output ‖ group ‖ 0 ‖ status name`, so that the groups that start with
/// a prefix are one prefix scan (groups hold no NUL byte).
pub(super) fn outbox_group_count(output_prefix: &[u8], group: &str, status: &str) -> Vec<u8> {
    let mut key = outbox_group_prefix(output_prefix, group);
    key.push(0);
    key.extend_from_slice(status.as_bytes());
    key
}

/// The start of the group counters of `output` whose group starts with `group`.
pub(super) fn outbox_group_prefix(output_prefix: &[u8], group: &str) -> Vec<u8> {
    let mut key = output_prefix.to_vec();
    key.extend_from_slice(group.as_bytes());
    key
}

/// Outbox counters: `output ‖ status name`.
pub(super) fn outbox_count(output_prefix: &[u8], status: &str) -> Vec<u8> {
    let mut key = output_prefix.to_vec();
    key.extend_from_slice(status.as_bytes());
    key
}

/// A big-endian u64 value.
pub(super) fn read_u64(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_sort_in_time_order() {
        let times = [i64::MIN, -5, -1, 0, 1, 1_700_000_000_000, i64::MAX];
        for pair in times.windows(2) {
            assert!(time(pair[0]) < time(pair[1]));
        }
    }

    #[test]
    fn workspaces_do_not_share_prefixes() {
        let a = profile(&ws("a"), 1);
        let ab = profile(&ws("ab"), 1);
        assert!(!ab.starts_with(&ws("a")));
        assert!(!a.starts_with(&ws("ab")));
    }

    #[test]
    fn times_read_back() {
        for at in [i64::MIN, -5, 0, 1_700_000_000_000, i64::MAX] {
            assert_eq!(read_time(&time(at)), Some(at));
        }
    }

    #[test]
    fn collections_do_not_share_prefixes() {
        let a = document(&collection("a"), "b1");
        let ab = document(&collection("ab"), "1");
        assert!(!a.starts_with(&collection("ab")));
        assert!(!ab.starts_with(&collection("a")));
    }

    #[test]
    fn due_keys_read_back_and_sort_by_time_then_seq() {
        let prefix = output("hook");
        let key = outbox_due(&prefix, -3, 9);
        assert_eq!(outbox_due_parts(&key, prefix.len()), Some((-3, 9)));
        assert!(outbox_due(&prefix, -3, 10) > key);
        assert!(outbox_due(&prefix, 5, 1) > outbox_due(&prefix, -3, 10));
    }

    #[test]
    fn an_event_key_gives_its_arrival_key() {
        let ws = ws("shop");
        let key = event(&ws, 7, 1_000, 42);
        let arrival = arrival_of_event(&key).unwrap();
        assert_eq!(arrival, [ws.clone(), 42u64.to_be_bytes().to_vec()].concat());
        assert_eq!(arrival, arrival_after(&ws, 41));
        assert!(arrival < arrival_after(&ws, 42));
        assert_eq!(arrival_of_event(&[1, 2, 3]), None);
    }

    #[test]
    fn event_keys_give_their_profile_and_seq() {
        let prefix = ws("w");
        let key = event(&prefix, 3, -7, 42);
        assert_eq!(event_parts(&key, prefix.len()), Some((3, 42)));
    }

    #[test]
    fn moving_an_event_changes_only_its_profile() {
        let prefix = ws("w");
        let key = event(&prefix, 3, -7, 42);
        assert_eq!(move_event(&key, prefix.len(), 9), event(&prefix, 9, -7, 42));
    }
}
