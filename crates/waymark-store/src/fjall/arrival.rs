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
/// event in arrival order loads about one block per event, and a replay over the whole
/// history (the first engine build of a workspace) was bound by it. Instead a reader
/// thread takes the index [`CHUNK`] entries at a time, reads their events in key order
/// (neighbours share blocks, and the tables' index and filter blocks stay cached between
/// them), decodes them in arrival order and hands them over [`HANDOFF`] at a time, while
/// the caller's thread visits the previous ones. Memory stays bounded by one chunk's raw
/// events and the few batches in the channel.
pub(super) fn for_each_event_arrived_after(
    ks: &Keyspaces,
    workspace: &str,
    after: u64,
    visit: &mut dyn FnMut(ArrivedEvent),
) -> Result<(), StoreError> {
    let (sender, batches) = mpsc::sync_channel(IN_FLIGHT);
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("waymark-replay-read".into())
            .spawn_scoped(scope, move || {
                if let Err(e) = read_arrived_after(ks, workspace, after, &sender) {
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

/// Index entries whose events are read together, in key order.
const CHUNK: usize = 131_072;
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
    out: &SyncSender<Result<Vec<ArrivedEvent>, StoreError>>,
) -> Result<(), StoreError> {
    let snapshot = ks.db.snapshot();
    let ws_prefix = keys::ws(workspace);
    let end = keys::arrival_after(&ws_prefix, u64::MAX - 1);
    let mut arrived = snapshot.range(&ks.arrivals, keys::arrival_after(&ws_prefix, after)..end);
    let mut owners: HashMap<ProfileId, (Option<String>, Option<String>)> = HashMap::new();
    loop {
        // (event key, seq, profile), in arrival order.
        let mut chunk = Vec::with_capacity(CHUNK);
        for guard in arrived.by_ref().take(CHUNK) {
            let (_, key) = guard.into_inner().map_err(backend)?;
            let (profile, seq) = keys::event_parts(&key, ws_prefix.len())
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
            values[i] = snapshot.get(&ks.events, &chunk[i].0).map_err(backend)?;
        }
        let mut batch = Vec::with_capacity(HANDOFF);
        for ((_, seq, profile), value) in chunk.into_iter().zip(values) {
            let Some(bytes) = value else {
                continue;
            };
            let event: StoredEvent = decode(&bytes)?;
            let (user_id, anonymous_id) = match owners.get(&profile) {
                Some(keys) => keys.clone(),
                None => {
                    let keys = owner_keys(ks, &snapshot, &ws_prefix, profile)?;
                    owners.insert(profile, keys.clone());
                    keys
                }
            };
            batch.push(ArrivedEvent {
                seq,
                profile,
                user_id,
                anonymous_id,
                event,
            });
            if batch.len() == HANDOFF {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(HANDOFF));
                if out.send(Ok(full)).is_err() {
                    return Ok(());
                }
            }
        }
        if !batch.is_empty() && out.send(Ok(batch)).is_err() {
            return Ok(());
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
