//! Ingest and delete as one sequence of reads and writes over a backend's transaction: the
//! identity rules of [`crate::profile`] applied to storage. Every backend runs this code, so
//! they differ only in how they keep records.

use std::borrow::Borrow;

use serde::Serialize;
use serde_json::{Map, Value};
use waymark_engine::Message;
use waymark_engine::time::Millis;

use crate::feed::Applied;
use crate::model::{Profile, ProfileId, StoredEvent};
use crate::profile::{self, Candidate, IdKind};
use crate::store::{IngestSummary, StoreError};

/// The reads and writes ingest and delete need within one workspace. Writes must be
/// visible to later reads of the same transaction.
pub(crate) trait Tx {
    /// How an event is handed to the backend (typed, or already encoded).
    type Event;

    /// Whether the workspace has seen this `messageId`.
    fn seen(&mut self, message_id: &str) -> Result<bool, StoreError>;
    /// Records a `messageId` as seen.
    fn mark_seen(&mut self, message_id: &str) -> Result<(), StoreError>;
    /// The profile an identifier belongs to.
    fn lookup(&mut self, kind: IdKind, value: &str) -> Result<Option<ProfileId>, StoreError>;
    /// Points an identifier at a profile, or removes it (`None`).
    fn set_identity(
        &mut self,
        kind: IdKind,
        value: &str,
        profile: Option<ProfileId>,
    ) -> Result<(), StoreError>;
    /// A profile by id.
    fn profile(&mut self, id: ProfileId) -> Result<Option<Profile>, StoreError>;
    /// Writes a profile.
    fn put_profile(&mut self, profile: Profile) -> Result<(), StoreError>;
    /// Removes a profile record and all its events.
    fn remove_profile(&mut self, id: ProfileId) -> Result<(), StoreError>;
    /// Moves every event of one profile to another, keeping times and sequence numbers.
    fn move_events(&mut self, from: ProfileId, to: ProfileId) -> Result<(), StoreError>;
    /// Allocates a profile id (1, 2, … per workspace).
    fn next_profile_id(&mut self) -> Result<ProfileId, StoreError>;
    /// Allocates an event sequence number (arrival order within the workspace).
    fn next_event_seq(&mut self) -> Result<u64, StoreError>;
    /// Appends an event to a profile at event time `at`.
    fn append_event(
        &mut self,
        profile: ProfileId,
        at: Millis,
        seq: u64,
        event: Self::Event,
    ) -> Result<(), StoreError>;
}

/// The event as stored for a message from `input`.
pub(crate) fn stored_event(input: &str, message: &Message) -> StoredEvent {
    StoredEvent {
        message_id: message.message_id.clone(),
        kind: message.kind.as_str().to_string(),
        name: message.event.name.clone(),
        timestamp: message.event.at,
        received_at: message.received_at,
        input: Some(input.to_string()),
        user_id: message.identity.user_id.clone(),
        anonymous_id: message.identity.anonymous_id.clone(),
        previous_id: message.identity.previous_id.clone(),
        properties: message.event.properties.clone(),
        context: message.event.context.clone(),
        traits: message.event.traits.clone(),
        timestamp_adjusted: message.timestamp_adjusted,
    }
}

/// [`StoredEvent`]'s JSON, written from borrowed parts of the message.
#[derive(Serialize)]
struct EventView<'a> {
    message_id: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'a str,
    name: Option<&'a str>,
    timestamp: Millis,
    received_at: Millis,
    input: Option<&'a str>,
    user_id: Option<&'a str>,
    anonymous_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_id: Option<&'a str>,
    properties: &'a Value,
    context: &'a Value,
    traits: &'a Map<String, Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    timestamp_adjusted: bool,
}

/// The JSON of [`stored_event`]`(input, message)`, without copying the message.
pub(crate) fn encode_event(input: &str, message: &Message) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&EventView {
        message_id: message.message_id.as_deref(),
        kind: message.kind.as_str(),
        name: message.event.name.as_deref(),
        timestamp: message.event.at,
        received_at: message.received_at,
        input: Some(input),
        user_id: message.identity.user_id.as_deref(),
        anonymous_id: message.identity.anonymous_id.as_deref(),
        previous_id: message.identity.previous_id.as_deref(),
        properties: &message.event.properties,
        context: &message.event.context,
        traits: &message.event.traits,
        timestamp_adjusted: message.timestamp_adjusted,
    })
    .map_err(|e| StoreError::Backend(format!("cannot encode an event: {e}")))
}

/// Refuses a batch in which some message names nobody (no `userId`, `anonymousId` or, for
/// an alias, `previousId`); ingestion never produces one.
pub(crate) fn check_identified(messages: &[Message]) -> Result<(), StoreError> {
    match messages
        .iter()
        .position(|m| profile::identifiers(m).is_empty())
    {
        Some(i) => Err(StoreError::Backend(format!(
            "message {i} of the batch has no userId, anonymousId or previousId"
        ))),
        None => Ok(()),
    }
}

/// Ingests a batch in order, counting what was stored and what was a duplicate, with what
/// each stored message did.
pub(crate) fn ingest_batch<T: Tx, M: Borrow<Message>>(
    tx: &mut T,
    workspace: &str,
    messages: impl IntoIterator<Item = (M, T::Event)>,
) -> Result<IngestSummary, StoreError> {
    let mut summary = IngestSummary::default();
    for (index, (message, event)) in messages.into_iter().enumerate() {
        match ingest_message(tx, workspace, index, message.borrow(), event)? {
            Outcome::Stored(applied) => {
                summary.stored += 1;
                summary.applied.push(applied);
            }
            Outcome::Duplicate => summary.duplicates += 1,
            Outcome::Suppressed => summary.suppressed += 1,
        }
    }
    Ok(summary)
}

/// What became of one message.
enum Outcome {
    Stored(Applied),
    Duplicate,
    Suppressed,
}

/// Ingests message `index` of a batch: drops it when an identifier is suppressed,
/// deduplicates, resolves (and merges) profiles, applies the message and appends its event.
fn ingest_message<T: Tx>(
    tx: &mut T,
    workspace: &str,
    index: usize,
    message: &Message,
    event: T::Event,
) -> Result<Outcome, StoreError> {
    for ident in profile::identifiers(message) {
        if tx.lookup(IdKind::Suppressed, ident.value())?.is_some() {
            return Ok(Outcome::Suppressed);
        }
    }
    if let Some(id) = message.message_id.as_deref() {
        if tx.seen(id)? {
            return Ok(Outcome::Duplicate);
        }
        tx.mark_seen(id)?;
    }
    // Profiles read while resolving, kept for the steps below (each is read once).
    let mut loaded: Vec<Profile> = Vec::new();
    let mut candidates = Vec::new();
    for ident in profile::identifiers(message) {
        let mut found = None;
        for &kind in ident.lookup_kinds() {
            if let Some(id) = tx.lookup(kind, ident.value())? {
                let user_id = match loaded.iter().find(|p| p.id == id) {
                    Some(p) => p.user_id.clone(),
                    None => {
                        let holder = load(tx, id)?;
                        let user_id = holder.user_id.clone();
                        loaded.push(holder);
                        user_id
                    }
                };
                found = Some((id, user_id));
                break;
            }
        }
        candidates.push(Candidate { ident, found });
    }
    let plan = profile::resolve(&candidates);

    let mut take = |tx: &mut T, id: ProfileId| match loaded.iter().position(|p| p.id == id) {
        Some(i) => Ok(loaded.swap_remove(i)),
        None => load(tx, id),
    };
    let mut survivors: Vec<Profile> = Vec::new();
    for &(survivor, absorbed) in &plan.merges {
        let mut into = match survivors.iter().position(|p| p.id == survivor) {
            Some(i) => survivors.swap_remove(i),
            None => take(tx, survivor)?,
        };
        let gone = match survivors.iter().position(|p| p.id == absorbed) {
            Some(i) => survivors.swap_remove(i),
            None => take(tx, absorbed)?,
        };
        if let Some(user) = &gone.user_id {
            tx.set_identity(IdKind::User, user, Some(survivor))?;
        }
        for anonymous_id in &gone.anonymous_ids {
            tx.set_identity(IdKind::Anonymous, anonymous_id, Some(survivor))?;
        }
        tx.move_events(absorbed, survivor)?;
        tx.remove_profile(absorbed)?;
        profile::merge_profiles(&mut into, gone);
        survivors.push(into);
    }

    let mut target = match plan.target {
        Some(id) => match survivors.iter().position(|p| p.id == id) {
            Some(i) => survivors.swap_remove(i),
            None => take(tx, id)?,
        },
        None => profile::new_profile(tx.next_profile_id()?, workspace),
    };
    // The last survivor is the target (see `profile::resolve`); any other is written as is.
    for survivor in survivors {
        tx.put_profile(survivor)?;
    }
    if target.user_id.is_none()
        && let Some(user) = plan.user_id
    {
        tx.set_identity(IdKind::User, &user, Some(target.id))?;
        target.user_id = Some(user);
    }
    for anonymous_id in plan.anonymous_ids {
        if !target.anonymous_ids.contains(&anonymous_id) {
            tx.set_identity(IdKind::Anonymous, &anonymous_id, Some(target.id))?;
            target.anonymous_ids.push(anonymous_id);
        }
    }
    profile::apply_message(&mut target, message);
    let seq = tx.next_event_seq()?;
    tx.append_event(target.id, message.event.at, seq, event)?;
    let applied = Applied {
        index,
        seq,
        profile: target.id,
        user_id: target.user_id.clone(),
        anonymous_id: target.anonymous_ids.first().cloned(),
        // Every absorbed profile ends up in the target (the last survivor is the target).
        merged: plan.merges.iter().map(|&(_, absorbed)| absorbed).collect(),
    };
    tx.put_profile(target)?;
    Ok(Outcome::Stored(applied))
}

/// Deletes the profile a key names (its `userId`, else an `anonymousId`) with its events
/// and identifiers, and with `suppress` suppresses them (and the key). Returns the deleted
/// profile, `None` when there is none (a key is suppressed all the same).
pub(crate) fn delete_profile<T: Tx>(
    tx: &mut T,
    key: &str,
    suppress: bool,
) -> Result<Option<Profile>, StoreError> {
    if suppress {
        tx.set_identity(IdKind::Suppressed, key, Some(0))?;
    }
    let id = match tx.lookup(IdKind::User, key)? {
        Some(id) => id,
        None => match tx.lookup(IdKind::Anonymous, key)? {
            Some(id) => id,
            None => return Ok(None),
        },
    };
    let profile = load(tx, id)?;
    if let Some(user) = &profile.user_id {
        tx.set_identity(IdKind::User, user, None)?;
        if suppress {
            tx.set_identity(IdKind::Suppressed, user, Some(0))?;
        }
    }
    for anonymous_id in &profile.anonymous_ids {
        tx.set_identity(IdKind::Anonymous, anonymous_id, None)?;
        if suppress {
            tx.set_identity(IdKind::Suppressed, anonymous_id, Some(0))?;
        }
    }
    tx.remove_profile(id)?;
    Ok(Some(profile))
}

/// Lets messages with `identifier` in again; `false` when it was not suppressed.
pub(crate) fn unsuppress<T: Tx>(tx: &mut T, identifier: &str) -> Result<bool, StoreError> {
    let was = tx.lookup(IdKind::Suppressed, identifier)?.is_some();
    if was {
        tx.set_identity(IdKind::Suppressed, identifier, None)?;
    }
    Ok(was)
}

/// A profile the index points at; its absence means the store is inconsistent.
fn load<T: Tx>(tx: &mut T, id: ProfileId) -> Result<Profile, StoreError> {
    tx.profile(id)?.ok_or_else(|| {
        StoreError::Backend(format!(
            "the identity index points at profile {id}, which does not exist"
        ))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use waymark_engine::{Event, Identity, MessageKind};

    use super::*;

    #[test]
    fn the_encoded_event_is_the_stored_event() {
        let message = Message {
            timestamp_adjusted: false,
            message_id: Some("m1".into()),
            kind: MessageKind::Track,
            identity: Identity {
                user_id: Some("u".into()),
                anonymous_id: Some("a".into()),
                previous_id: Some("p".into()),
                ..Identity::default()
            },
            event: Event {
                at: -3,
                name: Some("Order Completed".into()),
                properties: json!({"revenue": 12.5}),
                context: json!({"ip": "127.0.0.1"}),
                traits: json!({"plan": "pro"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                input: None,
            },
            received_at: 7,
        };
        let encoded = encode_event("web", &message).unwrap();
        let decoded: StoredEvent = serde_json::from_slice(&encoded).unwrap();
        assert_eq!(decoded, stored_event("web", &message));
    }
}
