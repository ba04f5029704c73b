//! An in-memory backend: every record in maps behind one mutex. It is the reference the
//! conformance suite and the model test compare the durable backends with, and a handy
//! store for tests of the layers above. Nothing survives the process; `messageId`s are
//! remembered for the store's whole life. Every write is "durable" once applied, so the
//! commit feed is sent to under the same lock, in commit order.

mod outbox;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use waymark_engine::Message;
use waymark_engine::time::Millis;

use crate::apply::{self, Tx};
use crate::checkpoint::{self, Checkpoint};
use crate::feed::{Commit, CommittedBatch, Feed};
use crate::model::{
    AdminToken, ArrivedEvent, DocumentWrite, EventPosition, Input, MAX_REJECTED_KEPT, Profile,
    ProfileId, RejectedMessage, StoredEvent, Workspace,
};
use crate::outbox::{GroupCounts, GroupErrors, OutboxQuery, OutboxRecord};
use crate::profile::IdKind;
use crate::store::{IngestSummary, Store, StoreError};

/// The in-memory [`Store`].
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    workspaces: BTreeMap<String, Space>,
    /// Write key → (workspace, input id).
    write_keys: HashMap<String, (String, String)>,
    tokens: BTreeMap<String, AdminToken>,
    /// Collection → id → body.
    documents: BTreeMap<String, BTreeMap<String, Value>>,
    /// Partition → its two checkpoint slots, sealed as fjall keeps them.
    checkpoints: BTreeMap<String, [Option<Vec<u8>>; 2]>,
    outbox: outbox::Outbox,
    feed: Feed,
}

/// One workspace's records.
#[derive(Debug)]
struct Space {
    workspace: Workspace,
    inputs: BTreeMap<String, Input>,
    profiles: BTreeMap<ProfileId, Profile>,
    identities: HashMap<(IdKind, String), ProfileId>,
    /// Per profile, events by (event time, sequence number).
    events: BTreeMap<ProfileId, BTreeMap<(Millis, u64), StoredEvent>>,
    seen: HashSet<String>,
    next_profile: ProfileId,
    next_seq: u64,
    /// The latest rejected messages, oldest first.
    rejected: VecDeque<RejectedMessage>,
    next_rejected: u64,
    rejected_counts: BTreeMap<String, u64>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("the memory store's lock is poisoned".into()))
    }
}

impl Space {
    fn find(&self, key: &str) -> Option<ProfileId> {
        self.identities
            .get(&(IdKind::User, key.to_string()))
            .or_else(|| self.identities.get(&(IdKind::Anonymous, key.to_string())))
            .copied()
    }

    fn events_of(&self, id: ProfileId) -> Vec<StoredEvent> {
        self.events
            .get(&id)
            .map(|e| e.values().cloned().collect())
            .unwrap_or_default()
    }
}

impl Tx for Space {
    type Event = StoredEvent;

    fn seen(&mut self, message_id: &str) -> Result<bool, StoreError> {
        Ok(self.seen.contains(message_id))
    }

    fn mark_seen(&mut self, message_id: &str) -> Result<(), StoreError> {
        self.seen.insert(message_id.to_string());
        Ok(())
    }

    fn lookup(&mut self, kind: IdKind, value: &str) -> Result<Option<ProfileId>, StoreError> {
        Ok(self.identities.get(&(kind, value.to_string())).copied())
    }

    fn set_identity(
        &mut self,
        kind: IdKind,
        value: &str,
        profile: Option<ProfileId>,
    ) -> Result<(), StoreError> {
        let key = (kind, value.to_string());
        match profile {
            Some(id) => self.identities.insert(key, id),
            None => self.identities.remove(&key),
        };
        Ok(())
    }

    fn profile(&mut self, id: ProfileId) -> Result<Option<Profile>, StoreError> {
        Ok(self.profiles.get(&id).cloned())
    }

    fn put_profile(&mut self, profile: Profile) -> Result<(), StoreError> {
        self.profiles.insert(profile.id, profile);
        Ok(())
    }

    fn remove_profile(&mut self, id: ProfileId) -> Result<(), StoreError> {
        self.profiles.remove(&id);
        self.events.remove(&id);
        Ok(())
    }

    fn move_events(&mut self, from: ProfileId, to: ProfileId) -> Result<(), StoreError> {
        if let Some(moved) = self.events.remove(&from) {
            self.events.entry(to).or_default().extend(moved);
        }
        Ok(())
    }

    fn next_profile_id(&mut self) -> Result<ProfileId, StoreError> {
        self.next_profile += 1;
        Ok(self.next_profile)
    }

    fn next_event_seq(&mut self) -> Result<u64, StoreError> {
        self.next_seq += 1;
        Ok(self.next_seq)
    }

    fn append_event(
        &mut self,
        profile: ProfileId,
        at: Millis,
        seq: u64,
        event: StoredEvent,
    ) -> Result<(), StoreError> {
        self.events
            .entry(profile)
            .or_default()
            .insert((at, seq), event);
        Ok(())
    }
}

fn no_workspace(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "workspace",
        id: id.to_string(),
    }
}

impl Store for MemoryStore {
    fn create_workspace(&self, workspace: Workspace) -> Result<Workspace, StoreError> {
        let mut state = self.lock()?;
        if state.workspaces.contains_key(&workspace.id) {
            return Err(StoreError::AlreadyExists {
                kind: "workspace",
                id: workspace.id,
            });
        }
        state.workspaces.insert(
            workspace.id.clone(),
            Space {
                workspace: workspace.clone(),
                inputs: BTreeMap::new(),
                profiles: BTreeMap::new(),
                identities: HashMap::new(),
                events: BTreeMap::new(),
                seen: HashSet::new(),
                next_profile: 0,
                next_seq: 0,
                rejected: VecDeque::new(),
                next_rejected: 0,
                rejected_counts: BTreeMap::new(),
            },
        );
        Ok(workspace)
    }

    fn workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        Ok(self
            .lock()?
            .workspaces
            .values()
            .map(|s| s.workspace.clone())
            .collect())
    }

    fn workspace(&self, id: &str) -> Result<Option<Workspace>, StoreError> {
        Ok(self.lock()?.workspaces.get(id).map(|s| s.workspace.clone()))
    }

    fn create_input(&self, input: Input) -> Result<Input, StoreError> {
        let mut state = self.lock()?;
        let state = &mut *state;
        let space = state
            .workspaces
            .get_mut(&input.workspace)
            .ok_or_else(|| no_workspace(&input.workspace))?;
        if space.inputs.contains_key(&input.id) {
            return Err(StoreError::AlreadyExists {
                kind: "input",
                id: input.id,
            });
        }
        if state.write_keys.contains_key(&input.write_key) {
            return Err(crate::write_key_taken(&input.write_key));
        }
        state.write_keys.insert(
            input.write_key.clone(),
            (input.workspace.clone(), input.id.clone()),
        );
        space.inputs.insert(input.id.clone(), input.clone());
        Ok(input)
    }

    fn inputs(&self, workspace: &str) -> Result<Vec<Input>, StoreError> {
        Ok(self
            .lock()?
            .workspaces
            .get(workspace)
            .map(|s| s.inputs.values().cloned().collect())
            .unwrap_or_default())
    }

    fn input_by_write_key(&self, write_key: &str) -> Result<Option<Input>, StoreError> {
        let state = self.lock()?;
        Ok(state.write_keys.get(write_key).and_then(|(ws, id)| {
            state
                .workspaces
                .get(ws)
                .and_then(|s| s.inputs.get(id))
                .cloned()
        }))
    }

    fn put_token(&self, token: AdminToken) -> Result<(), StoreError> {
        self.lock()?
            .tokens
            .insert(token.secret_sha256.clone(), token);
        Ok(())
    }

    fn token(&self, secret_sha256: &str) -> Result<Option<AdminToken>, StoreError> {
        Ok(self.lock()?.tokens.get(secret_sha256).cloned())
    }

    fn has_tokens(&self) -> Result<bool, StoreError> {
        Ok(!self.lock()?.tokens.is_empty())
    }

    fn ingest(
        &self,
        workspace: &str,
        input: &str,
        messages: Vec<Message>,
    ) -> Result<IngestSummary, StoreError> {
        let mut state = self.lock()?;
        let space = state
            .workspaces
            .get_mut(workspace)
            .ok_or_else(|| no_workspace(workspace))?;
        apply::check_identified(&messages)?;
        // Every step is infallible for this backend, so the batch applies whole.
        let events = messages
            .iter()
            .map(|message| (message, apply::stored_event(input, message)));
        let summary = apply::ingest_batch(space, workspace, events)?;
        if state.feed.is_on() && !summary.applied.is_empty() {
            state.feed.send(Commit::Ingested(CommittedBatch {
                workspace: workspace.to_string(),
                input: input.to_string(),
                messages: Arc::new(messages),
                applied: summary.applied.clone(),
            }));
        }
        Ok(summary)
    }

    fn record_rejected(
        &self,
        workspace: &str,
        rejected: Vec<RejectedMessage>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        let space = state
            .workspaces
            .get_mut(workspace)
            .ok_or_else(|| no_workspace(workspace))?;
        for mut record in rejected {
            space.next_rejected += 1;
            record.seq = space.next_rejected;
            *space
                .rejected_counts
                .entry(record.input.clone())
                .or_default() += 1;
            space.rejected.push_back(record);
            if space.rejected.len() as u64 > MAX_REJECTED_KEPT {
                space.rejected.pop_front();
            }
        }
        Ok(())
    }

    fn rejected(
        &self,
        workspace: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<RejectedMessage>, StoreError> {
        let state = self.lock()?;
        let Some(space) = state.workspaces.get(workspace) else {
            return Ok(Vec::new());
        };
        Ok(space
            .rejected
            .iter()
            .rev()
            .filter(|r| before.is_none_or(|b| r.seq < b))
            .take(limit)
            .cloned()
            .collect())
    }

    fn rejected_counts(&self, workspace: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .workspaces
            .get(workspace)
            .map(|s| s.rejected_counts.clone())
            .unwrap_or_default())
    }

    fn profile(&self, workspace: &str, key: &str) -> Result<Option<Profile>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .workspaces
            .get(workspace)
            .and_then(|s| s.find(key).and_then(|id| s.profiles.get(&id)).cloned()))
    }

    fn events(
        &self,
        workspace: &str,
        key: &str,
        limit: usize,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        let state = self.lock()?;
        let Some(space) = state.workspaces.get(workspace) else {
            return Ok(None);
        };
        let Some(id) = space.find(key) else {
            return Ok(None);
        };
        let mut events: Vec<StoredEvent> = space
            .events
            .get(&id)
            .map(|e| e.values().rev().take(limit).cloned().collect())
            .unwrap_or_default();
        events.reverse();
        Ok(Some(events))
    }

    fn events_page(
        &self,
        workspace: &str,
        key: &str,
        before: Option<EventPosition>,
        limit: usize,
    ) -> Result<Option<Vec<(EventPosition, StoredEvent)>>, StoreError> {
        let state = self.lock()?;
        let Some(space) = state.workspaces.get(workspace) else {
            return Ok(None);
        };
        let Some(id) = space.find(key) else {
            return Ok(None);
        };
        let end = before.map_or((Millis::MAX, u64::MAX), |p| (p.at, p.seq));
        Ok(Some(
            space
                .events
                .get(&id)
                .map(|e| {
                    e.range(..end)
                        .rev()
                        .take(limit)
                        .map(|(&(at, seq), event)| (EventPosition { at, seq }, event.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        ))
    }

    fn profiles_page(
        &self,
        workspace: &str,
        after: Option<ProfileId>,
        limit: usize,
        keep: &dyn Fn(&Profile) -> bool,
    ) -> Result<Vec<Profile>, StoreError> {
        let state = self.lock()?;
        let Some(space) = state.workspaces.get(workspace) else {
            return Ok(Vec::new());
        };
        let from = after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        Ok(space
            .profiles
            .range((from, std::ops::Bound::Unbounded))
            .map(|(_, p)| p)
            .filter(|p| keep(p))
            .take(limit)
            .cloned()
            .collect())
    }

    fn profile_by_id(&self, workspace: &str, id: ProfileId) -> Result<Option<Profile>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .workspaces
            .get(workspace)
            .and_then(|s| s.profiles.get(&id))
            .cloned())
    }

    fn delete_profile(
        &self,
        workspace: &str,
        key: &str,
        suppress: bool,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let Some(space) = state.workspaces.get_mut(workspace) else {
            return Ok(false);
        };
        let Some(deleted) = apply::delete_profile(space, key, suppress)? else {
            return Ok(false);
        };
        let mut identifiers = deleted.identifiers();
        identifiers.push(key.to_string());
        space.rejected.retain(|r| !r.mentions(&identifiers));
        state.feed.send(Commit::ProfileDeleted {
            workspace: workspace.to_string(),
            profile: deleted.id,
            user_id: deleted.user_id,
            anonymous_id: deleted.anonymous_ids.into_iter().next(),
        });
        Ok(true)
    }

    fn unsuppress(&self, workspace: &str, identifier: &str) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        match state.workspaces.get_mut(workspace) {
            Some(space) => apply::unsuppress(space, identifier),
            None => Ok(false),
        }
    }

    fn suppressed(&self, workspace: &str) -> Result<Vec<String>, StoreError> {
        let state = self.lock()?;
        let mut out: Vec<String> = state
            .workspaces
            .get(workspace)
            .map(|s| {
                s.identities
                    .keys()
                    .filter(|(kind, _)| *kind == IdKind::Suppressed)
                    .map(|(_, value)| value.clone())
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        Ok(out)
    }

    fn erase_deleted(&self) -> Result<(), StoreError> {
        // Nothing of a deleted record survives in memory.
        Ok(())
    }

    fn for_each_profile(
        &self,
        workspace: &str,
        visit: &mut dyn FnMut(Profile, Vec<StoredEvent>),
    ) -> Result<(), StoreError> {
        // Copied out first, so that `visit` may call back into the store.
        let records: Vec<(Profile, Vec<StoredEvent>)> = {
            let state = self.lock()?;
            match state.workspaces.get(workspace) {
                Some(space) => space
                    .profiles
                    .values()
                    .map(|p| (p.clone(), space.events_of(p.id)))
                    .collect(),
                None => Vec::new(),
            }
        };
        for (profile, events) in records {
            visit(profile, events);
        }
        Ok(())
    }

    fn for_each_event_named(
        &self,
        workspace: &str,
        names: &[String],
        visit: &mut dyn FnMut(ArrivedEvent),
    ) -> Result<(), StoreError> {
        // Copied out first, so that `visit` may call back into the store.
        let matching: Vec<ArrivedEvent> = {
            let state = self.lock()?;
            let Some(space) = state.workspaces.get(workspace) else {
                return Ok(());
            };
            let mut matching = Vec::new();
            for (&id, events) in &space.events {
                let owner = space.profiles.get(&id);
                for (&(_, seq), event) in events {
                    if !event.name.as_ref().is_some_and(|n| names.contains(n)) {
                        continue;
                    }
                    matching.push(ArrivedEvent {
                        seq,
                        profile: id,
                        user_id: owner.and_then(|p| p.user_id.clone()),
                        anonymous_id: owner.and_then(|p| p.anonymous_ids.first().cloned()),
                        event: event.clone(),
                    });
                }
            }
            matching
        };
        for event in matching {
            visit(event);
        }
        Ok(())
    }

    fn for_each_event_arrived_after(
        &self,
        workspace: &str,
        after: u64,
        visit: &mut dyn FnMut(ArrivedEvent),
    ) -> Result<(), StoreError> {
        // Copied out and sorted first, so that `visit` may call back into the store.
        let mut arrived: Vec<ArrivedEvent> = {
            let state = self.lock()?;
            let Some(space) = state.workspaces.get(workspace) else {
                return Ok(());
            };
            let mut arrived = Vec::new();
            for (&id, events) in &space.events {
                let owner = space.profiles.get(&id);
                for (&(_, seq), event) in events.iter().filter(|((_, seq), _)| *seq > after) {
                    arrived.push(ArrivedEvent {
                        seq,
                        profile: id,
                        user_id: owner.and_then(|p| p.user_id.clone()),
                        anonymous_id: owner.and_then(|p| p.anonymous_ids.first().cloned()),
                        event: event.clone(),
                    });
                }
            }
            arrived
        };
        arrived.sort_unstable_by_key(|a| a.seq);
        for event in arrived {
            visit(event);
        }
        Ok(())
    }

    fn subscribe(&self) -> Receiver<Commit> {
        match self.lock() {
            Ok(mut state) => state.feed.subscribe(),
            // A poisoned store commits nothing more: the receiver is disconnected.
            Err(_) => std::sync::mpsc::channel().1,
        }
    }

    fn write_documents(&self, writes: Vec<DocumentWrite>) -> Result<(), StoreError> {
        for write in &writes {
            crate::check_name("a document collection", &write.collection)?;
            crate::check_name("a document id", &write.id)?;
        }
        let mut state = self.lock()?;
        for write in writes {
            match write.body {
                Some(body) => {
                    state
                        .documents
                        .entry(write.collection)
                        .or_default()
                        .insert(write.id, body);
                }
                None => {
                    if let Some(collection) = state.documents.get_mut(&write.collection) {
                        collection.remove(&write.id);
                        if collection.is_empty() {
                            state.documents.remove(&write.collection);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn document(&self, collection: &str, id: &str) -> Result<Option<Value>, StoreError> {
        Ok(self
            .lock()?
            .documents
            .get(collection)
            .and_then(|c| c.get(id))
            .cloned())
    }

    fn documents(&self, collection: &str) -> Result<Vec<(String, Value)>, StoreError> {
        Ok(self
            .lock()?
            .documents
            .get(collection)
            .map(|c| {
                c.iter()
                    .map(|(id, body)| (id.clone(), body.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn put_checkpoint(&self, partition: &str, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        crate::check_name("a partition", partition)?;
        let mut state = self.lock()?;
        let slots = state.checkpoints.entry(partition.to_string()).or_default();
        let (slot, generation) = checkpoint::next_slot(slots.iter().map(|s| s.as_deref()));
        slots[usize::from(slot)] = Some(checkpoint::seal(generation, checkpoint));
        Ok(())
    }

    fn checkpoint(&self, partition: &str) -> Result<Option<Checkpoint>, StoreError> {
        let state = self.lock()?;
        let Some(slots) = state.checkpoints.get(partition) else {
            return Ok(None);
        };
        Ok(checkpoint::latest(slots.iter().map(|s| s.as_deref())).map(|s| s.checkpoint))
    }

    fn outbox_add(&self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError> {
        self.lock()?.outbox.add(records)
    }

    fn outbox_due(
        &self,
        output: &str,
        now: Millis,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        Ok(self.lock()?.outbox.due(output, now, limit))
    }

    fn outbox_next_due(&self, output: &str) -> Result<Option<Millis>, StoreError> {
        Ok(self.lock()?.outbox.next_due(output))
    }

    fn outbox_update(&self, records: Vec<OutboxRecord>) -> Result<(), StoreError> {
        self.lock()?.outbox.update(records)
    }

    fn outbox_settle(&self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError> {
        self.lock()?.outbox.settle(records)
    }

    fn outbox_get(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        Ok(self.lock()?.outbox.get(id))
    }

    fn outbox_list(&self, query: &OutboxQuery) -> Result<Vec<OutboxRecord>, StoreError> {
        Ok(self.lock()?.outbox.list(query))
    }

    fn outbox_counts(&self, output: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        Ok(self.lock()?.outbox.counts(output))
    }

    fn outbox_group_counts(&self, output: &str, prefix: &str) -> Result<GroupCounts, StoreError> {
        Ok(self.lock()?.outbox.group_counts(output, prefix))
    }

    fn outbox_group_errors(&self, output: &str, prefix: &str) -> Result<GroupErrors, StoreError> {
        Ok(self.lock()?.outbox.group_errors(output, prefix))
    }

    fn outbox_remove_for(
        &self,
        output: &str,
        pred: &dyn Fn(&OutboxRecord) -> bool,
    ) -> Result<usize, StoreError> {
        Ok(self.lock()?.outbox.remove_for(output, pred))
    }

    fn outbox_erase(&self, keys: &[String]) -> Result<usize, StoreError> {
        Ok(self.lock()?.outbox.erase_keys(keys))
    }
}
