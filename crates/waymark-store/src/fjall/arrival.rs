//! Events in arrival order. Event keys are `ws ‖ profile ‖ time ‖ seq`, so there is no
//! index by seq: the workspace's event keys are collected and sorted by seq in memory
//! (about 40 bytes per event), then each event and its owner are read from one snapshot.
//! Reading the log after a cursor still walks every key, but reads and decodes only the
//! events after it.

use std::collections::HashMap;

use ::fjall::Readable;

use super::backend;
use super::keys;
use super::open::{Keyspaces, decode};
use crate::model::{ArrivedEvent, Profile, ProfileId, StoredEvent};
use crate::store::StoreError;

/// Calls `visit` with every event of `workspace` above seq `after`, by seq, with its
/// owner's current keys.
pub(super) fn for_each_event_arrived_after(
    ks: &Keyspaces,
    workspace: &str,
    after: u64,
    visit: &mut dyn FnMut(ArrivedEvent),
) -> Result<(), StoreError> {
    let snapshot = ks.db.snapshot();
    let ws_prefix = keys::ws(workspace);
    let mut arrived = Vec::new();
    for guard in snapshot.prefix(&ks.events, &ws_prefix) {
        let key = guard.key().map_err(backend)?;
        let (profile, seq) = keys::event_parts(&key, ws_prefix.len())
            .ok_or_else(|| StoreError::Backend("a malformed event key".into()))?;
        if seq > after {
            arrived.push((seq, profile, key));
        }
    }
    arrived.sort_unstable_by_key(|&(seq, _, _)| seq);
    let mut owners: HashMap<ProfileId, (Option<String>, Option<String>)> = HashMap::new();
    for (seq, profile, key) in arrived {
        let Some(bytes) = snapshot.get(&ks.events, &key).map_err(backend)? else {
            continue;
        };
        let event: StoredEvent = decode(&bytes)?;
        let (user_id, anonymous_id) = match owners.get(&profile) {
            Some(keys) => keys.clone(),
            None => {
                let owner: Profile = match snapshot
                    .get(&ks.profiles, keys::profile(&ws_prefix, profile))
                    .map_err(backend)?
                {
                    Some(bytes) => decode(&bytes)?,
                    None => {
                        return Err(StoreError::Backend(format!(
                            "an event belongs to profile {profile}, which does not exist"
                        )));
                    }
                };
                let keys = (owner.user_id, owner.anonymous_ids.into_iter().next());
                owners.insert(profile, keys.clone());
                keys
            }
        };
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
