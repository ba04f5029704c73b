//! Reading a workspace's events back. Event keys are `ws ‖ profile ‖ time ‖ seq`; the
//! arrival index (`ws ‖ seq` → event key, written in the same batch as the event, moved
//! with it on a merge and removed with it on an erasure) gives them in arrival order, so a
//! replay after a cursor reads only the events after it: a start after a checkpoint costs
//! what the log's tail costs, not what the whole history does (B4). Events by name need no
//! order: one pass in key order, profile by profile, reading each event's name before
//! decoding the rest.

use std::collections::HashMap;
use std::sync::mpsc::{self, SyncSender};

use serde::Deserialize;

use ::fjall::Readable;

use super::backend;
use super::keys;
use super::open::{Keyspaces, decode};
use crate::model::{ArrivedEvent, Profile, ProfileId, StoredEvent};
use crate::store::StoreError;

/// Calls `visit` with every event of `workspace` above seq `after`, by seq, with its
/// owner's current keys.
///
/// Arrival order is not key order (events are stored by profile), so one point read per
/// event in arrival order loads about one block per event: a replay over the whole history
/// (the first engine build of a workspace) was bound by it. A reader thread reads and
/// decodes the events instead, handing them over in arrival order [`HANDOFF`] at a time
/// while the caller's thread visits the previous ones, in one of two ways ([`Reading`]):
/// through the index, a chunk at a time with each chunk's events read in key order; or,
/// for a long tail of a short log, by one scan of the workspace's events in key order that
/// keeps those of a window of arrival numbers. Memory stays bounded by one chunk's or one
/// window's raw events and the few batches in the channel.
pub(super) fn for_each_event_arrived_after(
    ks: &Keyspaces,
    workspace: &str,
    after: u64,
    reading: Reading,
    visit: &mut dyn FnMut(ArrivedEvent),
) -> Result<(), StoreError> {
    let (sender, batches) = mpsc::sync_channel(IN_FLIGHT);
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("waymark-replay-read".into())
            .spawn_scoped(scope, move || {
                if let Err(e) = read_arrived_after(ks, workspace, after, reading, &sender) {
                    // The caller stopped listening only if it panicked.
                    let _ = sender.send(Err(e));
                }
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the log reader: {e}")))?;
        for batch in batches {
            for event in batch? {
                visit(event);
            }
        }
        Ok(())
    })
}

/// How a replay reads ([`Reading::DEFAULT`]; tests use small sizes to reach every path).
#[derive(Clone, Copy)]
pub(super) struct Reading {
    /// Index entries whose events are read together, in key order.
    pub(super) chunk: usize,
    /// Arrival numbers one scan of the events keeps (their raw events are held until
    /// handed over).
    pub(super) window: u64,
    /// A tail of at least 1/`scanned` of the log is read by scans...
    pub(super) scanned: u64,
    /// ... when that takes at most `scans` scans: each reads the whole log.
    pub(super) scans: u64,
}

impl Reading {
    /// About 40 MB of raw events per chunk and 250 MB per window at the benchmark's 245
    /// bytes per event. A scan reads an event for well under a tenth of what a point read
    /// costs (0.4 s against 2–5 s per million events at 1M events): a tail of an eighth
    /// of the log or more is scanned, as long as one scan covers it. At 10M events the
    /// ten scans a whole replay needs took as much CPU as the chunked point reads (150 s
    /// each) and held 800 MB more.
    pub(super) const DEFAULT: Reading = Reading {
        chunk: 131_072,
        window: 1 << 20,
        scanned: 8,
        scans: 1,
    };
}

/// Decoded events handed to the visiting thread at a time.
const HANDOFF: usize = 1_024;
/// Batches decoded ahead of the visiting thread.
const IN_FLIGHT: usize = 4;

/// The reader's side of [`for_each_event_arrived_after`]: sends the events in batches, in
/// arrival order; stops early when the receiver is gone.
fn read_arrived_after(
    ks: &Keyspaces,
    workspace: &str,
    after: u64,
    reading: Reading,
    out: &SyncSender<Result<Vec<ArrivedEvent>, StoreError>>,
) -> Result<(), StoreError> {
    let snapshot = ks.db.snapshot();
    let ws_prefix = keys::ws(workspace);
    let end = keys::arrival_after(&ws_prefix, u64::MAX - 1);
    let Some(last) = snapshot
        .range(
            &ks.arrivals,
            keys::arrival_after(&ws_prefix, after)..end.clone(),
        )
        .next_back()
    else {
        return Ok(());
    };
    let last = keys::read_u64(&last.key().map_err(backend)?[ws_prefix.len()..])
        .ok_or_else(|| StoreError::Backend("a malformed arrival key".into()))?;
    let mut handoff = Handoff {
        ks,
        snapshot: &snapshot,
        ws_prefix: &ws_prefix,
        out,
        batch: Vec::with_capacity(HANDOFF),
        owners: HashMap::new(),
    };
    let tail = last - after;
    if tail.saturating_mul(reading.scanned) >= last
        && tail.div_ceil(reading.window) <= reading.scans
    {
        by_scans(&mut handoff, after, last, reading.window)?;
    } else {
        let arrived = snapshot.range(&ks.arrivals, keys::arrival_after(&ws_prefix, after)..end);
        by_chunks(&mut handoff, arrived, reading.chunk)?;
    }
    handoff.flush();
    Ok(())
}

/// Reads the events of the index entries `arrived` `size` at a time, each chunk's in
/// key order (neighbours share blocks, and the tables' index and filter blocks stay cached
/// between them), and hands them over in arrival order.
fn by_chunks(
    handoff: &mut Handoff<'_>,
    mut arrived: ::fjall::Iter,
    size: usize,
) -> Result<(), StoreError> {
    loop {
        // (event key, seq, profile), in arrival order.
        let mut chunk = Vec::with_capacity(size);
        for guard in arrived.by_ref().take(size) {
            let (_, key) = guard.into_inner().map_err(backend)?;
            let (profile, seq) = keys::event_parts(&key, handoff.ws_prefix.len())
                .ok_or_else(|| StoreError::Backend("a malformed event key".into()))?;
            chunk.push((key, seq, profile));
        }
        if chunk.is_empty() {
            return Ok(());
        }
        let mut by_key: Vec<usize> = (0..chunk.len()).collect();
        by_key.sort_unstable_by(|&a, &b| chunk[a].0.cmp(&chunk[b].0));
        let mut values = vec![None; chunk.len()];
        for i in by_key {
            values[i] = handoff
                .snapshot
                .get(&handoff.ks.events, &chunk[i].0)
                .map_err(backend)?;
        }
        for ((_, seq, profile), value) in chunk.into_iter().zip(values) {
            if let Some(bytes) = value
                && !handoff.push(seq, profile, &bytes)?
            {
                return Ok(());
            }
        }
    }
}

/// Hands over the events with seq in `after + 1 ..= last`: `window` seqs at a time, each
/// window gathered by one scan of the workspace's events in key order.
fn by_scans(
    handoff: &mut Handoff<'_>,
    after: u64,
    last: u64,
    window: u64,
) -> Result<(), StoreError> {
    let mut low = after;
    while low < last {
        let high = low.saturating_add(window).min(last);
        let mut kept = vec![None; usize::try_from(high - low).unwrap_or(usize::MAX)];
        let events = handoff
            .snapshot
            .prefix(&handoff.ks.events, handoff.ws_prefix);
        for guard in events {
            let (key, value) = guard.into_inner().map_err(backend)?;
            let (profile, seq) = keys::event_parts(&key, handoff.ws_prefix.len())
                .ok_or_else(|| StoreError::Backend("a malformed event key".into()))?;
            if seq > low && seq <= high {
                kept[(seq - low - 1) as usize] = Some((profile, value));
            }
        }
        for (seq, found) in (low + 1..).zip(kept) {
            if let Some((profile, bytes)) = found
                && !handoff.push(seq, profile, &bytes)?
            {
                return Ok(());
            }
        }
        low = high;
    }
    Ok(())
}

/// Decodes events with their owners' keys and sends them in batches.
struct Handoff<'a> {
    ks: &'a Keyspaces,
    snapshot: &'a ::fjall::Snapshot,
    ws_prefix: &'a [u8],
    out: &'a SyncSender<Result<Vec<ArrivedEvent>, StoreError>>,
    batch: Vec<ArrivedEvent>,
    /// Each profile's current keys, read once.
    owners: HashMap<ProfileId, (Option<String>, Option<String>)>,
}

impl Handoff<'_> {
    /// Adds one event; `false` once the receiver is gone.
    fn push(&mut self, seq: u64, profile: ProfileId, bytes: &[u8]) -> Result<bool, StoreError> {
        let event: StoredEvent = decode(bytes)?;
        let (user_id, anonymous_id) = match self.owners.get(&profile) {
            Some(keys) => keys.clone(),
            None => {
                let keys = owner_keys(self.ks, self.snapshot, self.ws_prefix, profile)?;
                self.owners.insert(profile, keys.clone());
                keys
            }
        };
        self.batch.push(ArrivedEvent {
            seq,
            profile,
            user_id,
            anonymous_id,
            event,
        });
        if self.batch.len() < HANDOFF {
            return Ok(true);
        }
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(HANDOFF));
        Ok(self.out.send(Ok(full)).is_ok())
    }

    /// Sends what is left.
    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let _ = self.out.send(Ok(std::mem::take(&mut self.batch)));
        }
    }
}

/// Writes the arrival index of every stored event, once: data directories made before it
/// existed get it on their first open (a one-time pass over the events).
pub(super) fn build_index(ks: &Keyspaces) -> Result<(), StoreError> {
    const BUILT: &str = "arrival_index";
    if ks.meta.get(BUILT).map_err(backend)?.is_some() {
        return Ok(());
    }
    let mut batch = ks.db.batch();
    let mut pending = 0;
    for guard in ks.events.iter() {
        let key = guard.key().map_err(backend)?;
        if let Some(arrival) = keys::arrival_of_event(&key) {
            batch.insert(&ks.arrivals, arrival, key.to_vec());
            pending += 1;
        }
        if pending == INDEX_BATCH {
            std::mem::replace(&mut batch, ks.db.batch())
                .commit()
                .map_err(backend)?;
            pending = 0;
        }
    }
    batch.insert(&ks.meta, BUILT, &b"1"[..]);
    batch.commit().map_err(backend)?;
    ks.db
        .persist(::fjall::PersistMode::SyncAll)
        .map_err(backend)
}

/// Index entries written per batch while building the index.
const INDEX_BATCH: usize = 100_000;

/// The one field of a stored event that decides whether a backfill wants it.
#[derive(Deserialize)]
struct NameOnly<'a> {
    #[serde(borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
}

/// Calls `visit` with every event of `workspace` whose name is in `names`, in key order,
/// with its owner's current keys.
pub(super) fn for_each_event_named(
    ks: &Keyspaces,
    workspace: &str,
    names: &[String],
    visit: &mut dyn FnMut(ArrivedEvent),
) -> Result<(), StoreError> {
    let snapshot = ks.db.snapshot();
    let ws_prefix = keys::ws(workspace);
    let mut owner: Option<(ProfileId, Option<String>, Option<String>)> = None;
    for guard in snapshot.prefix(&ks.events, &ws_prefix) {
        let (key, bytes) = guard.into_inner().map_err(backend)?;
        let (profile, seq) = keys::event_parts(&key, ws_prefix.len())
            .ok_or_else(|| StoreError::Backend("a malformed event key".into()))?;
        let named: NameOnly<'_> = decode_borrowed(&bytes)?;
        if !named.name.is_some_and(|n| names.iter().any(|x| *x == n)) {
            continue;
        }
        let event: StoredEvent = decode(&bytes)?;
        if owner.as_ref().is_none_or(|(id, _, _)| *id != profile) {
            let (user_id, anonymous_id) = owner_keys(ks, &snapshot, &ws_prefix, profile)?;
            owner = Some((profile, user_id, anonymous_id));
        }
        let (user_id, anonymous_id) = owner
            .as_ref()
            .map(|(_, u, a)| (u.clone(), a.clone()))
            .unwrap_or_default();
        visit(ArrivedEvent {
            seq,
            profile,
            user_id,
            anonymous_id,
            event,
        });
    }
    Ok(())
}

/// The current `userId` and first anonymous id of the profile that owns an event.
fn owner_keys(
    ks: &Keyspaces,
    snapshot: &::fjall::Snapshot,
    ws_prefix: &[u8],
    profile: ProfileId,
) -> Result<(Option<String>, Option<String>), StoreError> {
    let Some(bytes) = snapshot
        .get(&ks.profiles, keys::profile(ws_prefix, profile))
        .map_err(backend)?
    else {
        return Err(StoreError::Backend(format!(
            "an event belongs to profile {profile}, which does not exist"
        )));
    };
    let owner: Profile = decode(&bytes)?;
    Ok((owner.user_id, owner.anonymous_ids.into_iter().next()))
}

fn decode_borrowed<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Backend(format!("a corrupt record: {e}")))
}
