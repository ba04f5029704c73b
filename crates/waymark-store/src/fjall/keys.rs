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

/// The same event key under another profile (`ws_len` is the length of the `ws` prefix).
pub(super) fn move_event(key: &[u8], ws_len: usize, to: ProfileId) -> Vec<u8> {
    let mut moved = key.to_vec();
    if let Some(slot) = moved.get_mut(ws_len..ws_len + 8) {
        slot.copy_from_slice(&to.to_be_bytes());
    }
    moved
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
    fn moving_an_event_changes_only_its_profile() {
        let prefix = ws("w");
        let key = event(&prefix, 3, -7, 42);
        assert_eq!(move_event(&key, prefix.len(), 9), event(&prefix, 9, -7, 42));
    }
}
