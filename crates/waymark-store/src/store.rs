//! The `Store` trait every backend implements.

use std::collections::BTreeMap;
use std::sync::mpsc::Receiver;

use serde_json::Value;
use waymark_engine::Message;
use waymark_engine::time::Millis;

use crate::checkpoint::Checkpoint;
use crate::feed::{Applied, Commit};
use crate::model::{
    AdminToken, ArrivedEvent, DocumentWrite, EventPosition, Input, Profile, ProfileId,
    RejectedMessage, StoredEvent, Workspace,
};
use crate::outbox::{GroupCounts, GroupErrors, OutboxQuery, OutboxRecord};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record with this id or key already exists.
    #[error("{kind} `{id}` already exists")]
    AlreadyExists {
        /// What kind of record.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// A referenced record does not exist.
    #[error("{kind} `{id}` does not exist")]
    NotFound {
        /// What kind of record.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// The store is overloaded and refuses new writes for now.
    #[error("the store is busy; retry shortly")]
    Busy,
    /// The backend failed (disk, corruption, a closed store).
    #[error("storage failure: {0}")]
    Backend(String),
}

/// What happened to an ingested batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngestSummary {
    /// Messages stored.
    pub stored: usize,
    /// Messages ignored as repeats of a `messageId` seen in the workspace.
    pub duplicates: usize,
    /// Messages dropped because one of their identifiers is suppressed.
    pub suppressed: usize,
    /// One entry per stored message, in batch order; duplicates have none.
    pub applied: Vec<Applied>,
}

/// Durable storage for tenancy, events, profiles and identity.
///
/// Every method is synchronous and may block on disk; async callers run them on a blocking
/// thread. Implementations are shared between threads.
pub trait Store: Send + Sync + 'static {
    /// Creates a workspace; `AlreadyExists` when the id is taken.
    fn create_workspace(&self, workspace: Workspace) -> Result<Workspace, StoreError>;
    /// Every workspace, by id.
    fn workspaces(&self) -> Result<Vec<Workspace>, StoreError>;
    /// One workspace.
    fn workspace(&self, id: &str) -> Result<Option<Workspace>, StoreError>;

    /// Creates an input in an existing workspace; `AlreadyExists` when its id (in the
    /// workspace) or its write key (anywhere) is taken.
    fn create_input(&self, input: Input) -> Result<Input, StoreError>;
    /// A workspace's inputs, by id.
    fn inputs(&self, workspace: &str) -> Result<Vec<Input>, StoreError>;
    /// The input a write key belongs to.
    fn input_by_write_key(&self, write_key: &str) -> Result<Option<Input>, StoreError>;

    /// Stores an admin token (replacing one with the same hash).
    fn put_token(&self, token: AdminToken) -> Result<(), StoreError>;
    /// The token with this secret hash.
    fn token(&self, secret_sha256: &str) -> Result<Option<AdminToken>, StoreError>;
    /// Whether any admin token exists.
    fn has_tokens(&self) -> Result<bool, StoreError>;

    /// Applies a batch from one input atomically and durably: returns only once every stored
    /// message is on disk (concurrent calls share one sync). Messages whose `message_id` the
    /// workspace has seen in the last 24 hours or more are skipped. Each message resolves its
    /// profile by identity (merging `userId` + `anonymousId` and `alias`, never two user
    /// ids), updates traits (last write by event time wins), consent and counts, and appends
    /// the event.
    fn ingest(
        &self,
        workspace: &str,
        input: &str,
        messages: Vec<Message>,
    ) -> Result<IngestSummary, StoreError>;

    /// Records messages rejected by validation, durably (synced) before returning, in the
    /// order given; the store assigns each its `seq` (the one given is ignored) and drops
    /// the workspace's records beyond the latest [`MAX_REJECTED_KEPT`]. `NotFound` when the
    /// workspace does not exist.
    ///
    /// [`MAX_REJECTED_KEPT`]: crate::MAX_REJECTED_KEPT
    fn record_rejected(
        &self,
        workspace: &str,
        rejected: Vec<RejectedMessage>,
    ) -> Result<(), StoreError>;
    /// The workspace's rejected messages, newest first: at most `limit` of those whose
    /// `seq` is below `before` (all when `None`).
    fn rejected(
        &self,
        workspace: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<RejectedMessage>, StoreError>;
    /// How many messages each input of the workspace has had rejected, ever (inputs with
    /// none are absent).
    fn rejected_counts(&self, workspace: &str) -> Result<BTreeMap<String, u64>, StoreError>;

    /// The profile with this `userId`, else this `anonymousId`.
    fn profile(&self, workspace: &str, key: &str) -> Result<Option<Profile>, StoreError>;
    /// The profile's events in time order (at most `limit`, the latest ones), or `None` when
    /// there is no such profile.
    fn events(
        &self,
        workspace: &str,
        key: &str,
        limit: usize,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError>;
    /// One page of a profile's events, newest first: at most `limit` events that come
    /// before `before` (by event time, then arrival), each with its position (the cursor
    /// of the next page). `None` when no profile has that key.
    fn events_page(
        &self,
        workspace: &str,
        key: &str,
        before: Option<EventPosition>,
        limit: usize,
    ) -> Result<Option<Vec<(EventPosition, StoredEvent)>>, StoreError>;
    /// One page of a workspace's profiles by internal id: at most `limit` profiles with an
    /// id above `after` for which `keep` holds. `keep` runs while the store reads; it must
    /// not call the store.
    fn profiles_page(
        &self,
        workspace: &str,
        after: Option<ProfileId>,
        limit: usize,
        keep: &dyn Fn(&Profile) -> bool,
    ) -> Result<Vec<Profile>, StoreError>;
    /// The profile with this internal id.
    fn profile_by_id(&self, workspace: &str, id: ProfileId) -> Result<Option<Profile>, StoreError>;
    /// Deletes the profile, its events and its identifiers; `false` when there was none.
    /// With `suppress`, its user id and anonymous ids are suppressed in the same write:
    /// later messages carrying any of them are dropped until [`Store::unsuppress`].
    fn delete_profile(
        &self,
        workspace: &str,
        key: &str,
        suppress: bool,
    ) -> Result<bool, StoreError>;
    /// Lets messages with this identifier in again; `false` when it was not suppressed.
    fn unsuppress(&self, workspace: &str, identifier: &str) -> Result<bool, StoreError>;
    /// The workspace's suppressed identifiers, in order.
    fn suppressed(&self, workspace: &str) -> Result<Vec<String>, StoreError>;
    /// Removes what deletions left in the backend's files (old versions of deleted
    /// records in logs and tables), blocking until done. Backends that keep nothing on
    /// disk have nothing to do.
    fn erase_deleted(&self) -> Result<(), StoreError>;
    /// Calls `visit` with every profile of the workspace and its events, in profile id order.
    fn for_each_profile(
        &self,
        workspace: &str,
        visit: &mut dyn FnMut(Profile, Vec<StoredEvent>),
    ) -> Result<(), StoreError>;
    /// Calls `visit` with the stored events of the workspace whose name is one of `names`
    /// (identify, alias and other unnamed calls never match), each with the profile that
    /// owns it now, in no particular order. One pass over the workspace's events with no
    /// sorting and no full decoding of events that do not match: for backfills, which do
    /// not depend on order. `visit` may call back into the store.
    fn for_each_event_named(
        &self,
        workspace: &str,
        names: &[String],
        visit: &mut dyn FnMut(ArrivedEvent),
    ) -> Result<(), StoreError>;
    /// Calls `visit` with every stored event of the workspace in arrival order (event
    /// sequence number), each with the profile that now owns it (events moved by a merge
    /// belong to the surviving profile). Backends may collect and sort the workspace's
    /// event keys in memory first; `visit` may call back into the store.
    fn for_each_event_by_arrival(
        &self,
        workspace: &str,
        visit: &mut dyn FnMut(ArrivedEvent),
    ) -> Result<(), StoreError> {
        self.for_each_event_arrived_after(workspace, 0, visit)
    }
    /// As [`Store::for_each_event_by_arrival`], for the events whose sequence number is
    /// above `after` only (the log after a checkpoint's cursor): only those are read.
    fn for_each_event_arrived_after(
        &self,
        workspace: &str,
        after: u64,
        visit: &mut dyn FnMut(ArrivedEvent),
    ) -> Result<(), StoreError>;

    /// Subscribes to the commit feed, replacing (disconnecting) any previous subscriber.
    /// Every ingest that stored something and every profile deletion is sent once it is
    /// durable (never for a write that failed), in commit order (within a workspace, the
    /// order of event sequence numbers). Nothing is buffered before the first subscription:
    /// every write that completed before `subscribe` returned is visible to reads made after
    /// it, and every later one is sent. The channel is unbounded; a dropped receiver is
    /// ignored. A store that has stopped returns a disconnected receiver.
    fn subscribe(&self) -> Receiver<Commit>;

    /// Writes, replaces (`body: Some`) or deletes (`body: None`) documents, all or none,
    /// durably (synced) before returning.
    fn write_documents(&self, writes: Vec<DocumentWrite>) -> Result<(), StoreError>;
    /// One document.
    fn document(&self, collection: &str, id: &str) -> Result<Option<Value>, StoreError>;
    /// Every document of a collection, by id.
    fn documents(&self, collection: &str) -> Result<Vec<(String, Value)>, StoreError>;

    /// Adds delivery records, all or none, durably. Per record: `true` when added (the store
    /// assigns its `seq`, increasing across the whole outbox, ignoring the one given),
    /// `false` when a record with that id exists already (that one is left as it is, in
    /// whatever status; a repeat within the call counts as existing too).
    fn outbox_add(&self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError>;
    /// Up to `limit` pending records of `output` due at `now` (`next_attempt_at <= now`),
    /// by (`next_attempt_at`, `seq`), leaving out every record that has a pending record
    /// with the same `key` and a lower `seq` on the output (per-key order: a later record
    /// waits while an earlier one is retried).
    fn outbox_due(
        &self,
        output: &str,
        now: Millis,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError>;
    /// The earliest `next_attempt_at` among the pending records of `output`.
    fn outbox_next_due(&self, output: &str) -> Result<Option<Millis>, StoreError>;
    /// Replaces records by id, all or none, durably; `NotFound` when one does not exist.
    /// The stored `seq` is kept whatever the given one says.
    fn outbox_update(&self, records: Vec<OutboxRecord>) -> Result<(), StoreError>;
    /// Records the result of attempts: replaces each given record (by id) that is still
    /// pending, all in one durable write; a record that is no longer pending (discarded, or
    /// settled meanwhile) is left as it is. Per record: whether it was replaced;
    /// `NotFound` when one does not exist.
    fn outbox_settle(&self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError>;
    /// One record by id.
    fn outbox_get(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError>;
    /// Up to `query.limit` records with a seq above `query.after`, optionally of one output
    /// and/or in one status, by `seq`.
    fn outbox_list(&self, query: &OutboxQuery) -> Result<Vec<OutboxRecord>, StoreError>;
    /// How many records of `output` are in each status, by status name
    /// ([`crate::DeliveryStatus::as_str`]); every status is present, zero or not.
    fn outbox_counts(&self, output: &str) -> Result<BTreeMap<String, u64>, StoreError>;
    /// For every `group` of `output`'s records that starts with `prefix`, how many records
    /// are in each status (every status present, and `failed`: pending records that have
    /// failed at least once, which do not count as `pending` here), by group.
    fn outbox_group_counts(&self, output: &str, prefix: &str) -> Result<GroupCounts, StoreError>;
    /// For every `group` of `output`'s records that starts with `prefix` and has held an
    /// error, the latest one ([`GroupError`]). Kept when the record that held it is
    /// delivered or erased later: it is the group's history, not a record's state.
    fn outbox_group_errors(&self, output: &str, prefix: &str) -> Result<GroupErrors, StoreError>;
    /// Marks the pending records of `output` for which `pred` holds `Discarded` (all or
    /// none, durably) and returns how many there were. `updated_at` is left as it was.
    /// `pred` runs while outbox writes are locked out: it must not call the store.
    fn outbox_remove_for(
        &self,
        output: &str,
        pred: &dyn Fn(&OutboxRecord) -> bool,
    ) -> Result<usize, StoreError>;
    /// Erases every record whose ordering key is one of `keys`, of any output and in any
    /// status, as if it had never been added (its id may be added again; counts drop), and
    /// returns how many there were. The right to be forgotten: a deleted user's deliveries
    /// leave every listing at once and the files within the erasure bound.
    fn outbox_erase(&self, keys: &[String]) -> Result<usize, StoreError>;

    /// Writes the latest checkpoint of a partition durably (synced before returning). The
    /// previous one stays readable until this one is whole: a write cut short leaves the
    /// previous as the latest. One writer per partition at a time.
    fn put_checkpoint(&self, partition: &str, checkpoint: &Checkpoint) -> Result<(), StoreError>;
    /// The latest whole checkpoint of a partition (`None` when none was ever written).
    fn checkpoint(&self, partition: &str) -> Result<Option<Checkpoint>, StoreError>;
}
