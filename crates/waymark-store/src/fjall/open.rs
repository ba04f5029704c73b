//! Opening the store, its keyspaces, and the read side of the [`Store`] trait.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ::fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode, Readable, Snapshot};
use serde::de::DeserializeOwned;
use serde_json::Value;
use waymark_engine::Message;
use waymark_engine::time::Millis;

use super::backend;
use super::checkpoints::Checkpoints;
use super::documents::Documents;
use super::erase::Eraser;
use super::keys;
use super::outbox::{self, Outbox};
use super::rejected::Rejected;
use super::writer::{Reply, Request, Writer};
use crate::apply;
use crate::checkpoint::Checkpoint;
use crate::feed::Commit;
use crate::model::{
    AdminToken, ArrivedEvent, DocumentWrite, EventPosition, Input, Profile, ProfileId,
    RejectedMessage, StoredEvent, Workspace,
};
use crate::outbox::{GroupCounts, GroupErrors, OutboxQuery, OutboxRecord};
use crate::profile::IdKind;
use crate::store::{IngestSummary, Store, StoreError};

/// Memtables read back from the journal at a start are written out when they hold this
/// much in all.
const RECOVERED_MEMTABLES_FLUSHED: u64 = 32 << 20;

/// The on-disk format this code reads and writes.
const FORMAT_VERSION: &[u8] = b"1";

/// Tuning for a [`FjallStore`]; `FjallOptions::default()` suits a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FjallOptions {
    /// Write requests (ingest batches, deletes, admin writes) that may wait for the writer.
    /// When that many are waiting, `ingest` answers [`StoreError::Busy`] at once. At least 1.
    pub queue_capacity: usize,
    /// The writer stops collecting requests for one group commit once they hold this many
    /// messages (it always takes at least one request).
    pub max_commit_messages: usize,
    /// Sync with `fdatasync` instead of `fsync`.
    pub sync_data: bool,
    /// How long a `messageId` is remembered at least (SPEC: 24 hours or more); older ones
    /// are forgotten by a background prune.
    pub dedup_retention: Duration,
    /// Prune forgotten `messageId`s after every this many group commits (0: never).
    pub prune_every: u32,
    /// Deleted profiles are physically erased from the store's files at most this long
    /// after their deletion (SPEC §3 allows 30 days; a deletion may also erase at once).
    pub erase_within: Duration,
}

impl Default for FjallOptions {
    fn default() -> Self {
        Self {
            queue_capacity: 1024,
            max_commit_messages: 20_000,
            sync_data: false,
            dedup_retention: Duration::from_secs(48 * 3600),
            prune_every: 64,
            erase_within: Duration::from_secs(24 * 3600),
        }
    }
}

/// The keyspaces of one database.
#[derive(Clone)]
pub(super) struct Keyspaces {
    pub(super) db: Database,
    /// `format` → version.
    pub(super) meta: Keyspace,
    /// Workspace id → JSON [`Workspace`].
    pub(super) workspaces: Keyspace,
    /// `ws ‖ input id` → JSON [`Input`].
    pub(super) inputs: Keyspace,
    /// Write key → the input's key in `inputs`.
    pub(super) write_keys: Keyspace,
    /// Secret hash → JSON [`AdminToken`].
    pub(super) tokens: Keyspace,
    /// `ws ‖ profile id` → JSON [`Profile`].
    pub(super) profiles: Keyspace,
    /// `ws ‖ kind ‖ identifier` → profile id.
    pub(super) identities: Keyspace,
    /// `ws ‖ profile id ‖ time ‖ seq` → JSON [`StoredEvent`].
    pub(super) events: Keyspace,
    /// `ws ‖ messageId` → when it was recorded.
    pub(super) dedup: Keyspace,
    /// `recorded time ‖ ws ‖ messageId` → nothing: the prune's index.
    pub(super) dedup_by_time: Keyspace,
    /// `ws ‖ which` → next value.
    pub(super) counters: Keyspace,
    /// `len ‖ collection ‖ id` → JSON document.
    pub(super) documents: Keyspace,
    /// `seq` → JSON [`OutboxRecord`].
    pub(super) outbox: Keyspace,
    /// `len ‖ delivery id` → seq.
    pub(super) outbox_ids: Keyspace,
    /// `len ‖ output ‖ next attempt ‖ seq` → nothing, for pending records.
    pub(super) outbox_due: Keyspace,
    /// `len ‖ output ‖ status name` → count.
    pub(super) outbox_counts: Keyspace,
    /// Empty but while erasing: the filler that rolls the journal over.
    pub(super) erase_filler: Keyspace,
    /// `ws ‖ seq` → JSON [`RejectedMessage`].
    pub(super) rejected: Keyspace,
    /// `ws ‖ input id` → how many of its messages were rejected.
    pub(super) rejected_counts: Keyspace,
    /// `len ‖ output ‖ len ‖ key ‖ seq` → nothing, for pending records with a key.
    pub(super) outbox_chains: Keyspace,
    /// `len ‖ output ‖ group ‖ 0 ‖ status name` → count.
    pub(super) outbox_group_counts: Keyspace,
    pub(super) outbox_group_errors: Keyspace,
    /// `len ‖ key ‖ seq` → nothing, for every outbox record with a key.
    pub(super) outbox_by_key: Keyspace,
    /// `ws(partition) ‖ slot` → sealed checkpoint record.
    pub(super) checkpoints: Keyspace,
    /// `ws ‖ seq` → event key: the events in arrival order (a start replays the log after
    /// a checkpoint's cursor without walking every event).
    pub(super) arrivals: Keyspace,
}

impl Keyspaces {
    /// Every keyspace, for whole-database maintenance.
    pub(super) fn all(&self) -> [&Keyspace; 25] {
        [
            &self.meta,
            &self.workspaces,
            &self.inputs,
            &self.write_keys,
            &self.tokens,
            &self.profiles,
            &self.identities,
            &self.events,
            &self.dedup,
            &self.dedup_by_time,
            &self.counters,
            &self.documents,
            &self.outbox,
            &self.outbox_ids,
            &self.outbox_due,
            &self.outbox_counts,
            &self.erase_filler,
            &self.rejected,
            &self.rejected_counts,
            &self.outbox_chains,
            &self.outbox_group_counts,
            &self.outbox_group_errors,
            &self.outbox_by_key,
            &self.checkpoints,
            &self.arrivals,
        ]
    }

    fn open(dir: &Path) -> Result<Self, StoreError> {
        let db = Database::builder(dir)
            .manual_journal_persist(true)
            .open()
            .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", dir.display())))?;
        let keyspace = |name: &str| {
            db.keyspace(name, KeyspaceCreateOptions::default)
                .map_err(backend)
        };
        let ks = Self {
            meta: keyspace("meta")?,
            workspaces: keyspace("workspaces")?,
            inputs: keyspace("inputs")?,
            write_keys: keyspace("write_keys")?,
            tokens: keyspace("tokens")?,
            profiles: keyspace("profiles")?,
            identities: keyspace("identities")?,
            events: keyspace("events")?,
            dedup: keyspace("dedup")?,
            dedup_by_time: keyspace("dedup_by_time")?,
            counters: keyspace("counters")?,
            documents: keyspace("documents")?,
            outbox: keyspace("outbox")?,
            outbox_ids: keyspace("outbox_ids")?,
            outbox_due: keyspace("outbox_due")?,
            outbox_counts: keyspace("outbox_counts")?,
            erase_filler: keyspace("erase_filler")?,
            rejected: keyspace("rejected")?,
            rejected_counts: keyspace("rejected_counts")?,
            outbox_chains: keyspace("outbox_chains")?,
            outbox_group_counts: keyspace("outbox_group_counts")?,
            outbox_group_errors: keyspace("outbox_group_errors")?,
            outbox_by_key: keyspace("outbox_by_key")?,
            checkpoints: keyspace("checkpoints")?,
            arrivals: keyspace("arrivals")?,
            db,
        };
        match ks.meta.get("format").map_err(backend)? {
            Some(v) if &*v == FORMAT_VERSION => {}
            Some(v) => {
                return Err(StoreError::Backend(format!(
                    "{} holds store format {}, this build reads {}",
                    dir.display(),
                    String::from_utf8_lossy(&v),
                    String::from_utf8_lossy(FORMAT_VERSION)
                )));
            }
            None => {
                ks.meta.insert("format", FORMAT_VERSION).map_err(backend)?;
                ks.db
                    .persist(::fjall::PersistMode::SyncAll)
                    .map_err(backend)?;
            }
        }
        super::arrival::build_index(&ks)?;
        ks.flush_recovered_memtables()?;
        Ok(ks)
    }

    /// Starts writing out, in the background, memtables that a start read back from the
    /// journal when they are big. What an import leaves unflushed (up to fjall's 64 MiB a
    /// keyspace) otherwise stays in memory until more writes fill each memtable, and is
    /// read back again at every start: at a million users, 150 MB of every running figure
    /// and of every restart (B3, docs/benchmarks.md). A small store starts as it was.
    fn flush_recovered_memtables(&self) -> Result<(), StoreError> {
        if self.db.write_buffer_size() < RECOVERED_MEMTABLES_FLUSHED {
            return Ok(());
        }
        for keyspace in self.all() {
            keyspace.rotate_memtable().map_err(backend)?;
        }
        Ok(())
    }
}

/// The embedded durable [`Store`] on fjall.
///
/// Writes are group-committed by one writer thread: `ingest` returns only after the fjall
/// journal holding its batch has been synced, and concurrent callers share syncs. When the
/// writer's queue is full, `ingest` answers [`StoreError::Busy`] at once. Reads run on the
/// caller's thread. Dropping the store stops the writer after it has finished what is
/// queued; reopening the directory then sees every acknowledged write. Documents and the
/// outbox do not go through the writer: each of their writes is one batch, synced on the
/// caller's thread (outbox writes one at a time); partition checkpoints are files written
/// on the caller's thread (`checkpoints.rs`).
pub struct FjallStore {
    pub(super) ks: Keyspaces,
    sender: Option<SyncSender<Request>>,
    writer: Option<JoinHandle<()>>,
    syncs: Arc<AtomicU64>,
    documents: Documents,
    pub(super) checkpoints: Checkpoints,
    outbox: Outbox,
    eraser: Eraser,
    /// Dropped when the store stops, which ends the eraser thread.
    stop_eraser: Option<SyncSender<()>>,
    /// The eraser thread holds the database (and its lock file) until it returns: the
    /// store joins it when it stops, so that the directory can be opened again at once.
    eraser_thread: Option<JoinHandle<()>>,
    rejected: Rejected,
}

impl std::fmt::Debug for FjallStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FjallStore")
            .field("syncs", &self.sync_count())
            .finish_non_exhaustive()
    }
}

impl FjallStore {
    /// Opens (or creates) the store in `dir` with default options.
    pub fn open(dir: &Path) -> Result<FjallStore, StoreError> {
        Self::open_with(dir, FjallOptions::default())
    }

    /// Opens (or creates) the store in `dir`.
    pub fn open_with(dir: &Path, options: FjallOptions) -> Result<FjallStore, StoreError> {
        let ks = Keyspaces::open(dir)?;
        let persist = if options.sync_data {
            PersistMode::SyncData
        } else {
            PersistMode::SyncAll
        };
        let documents = Documents {
            db: ks.db.clone(),
            keyspace: ks.documents.clone(),
            persist,
        };
        let checkpoints = Checkpoints {
            dir: dir.join("checkpoints"),
            sync_data: options.sync_data,
            db: ks.db.clone(),
            legacy: ks.checkpoints.clone(),
            persist,
        };
        let outbox = Outbox {
            db: ks.db.clone(),
            records: ks.outbox.clone(),
            ids: ks.outbox_ids.clone(),
            due: ks.outbox_due.clone(),
            counts: ks.outbox_counts.clone(),
            chains: ks.outbox_chains.clone(),
            group_counts: ks.outbox_group_counts.clone(),
            group_errors: ks.outbox_group_errors.clone(),
            by_key: ks.outbox_by_key.clone(),
            persist,
            last_seq: Mutex::new(outbox::last_seq(&ks.outbox)?),
            floors: Default::default(),
        };
        outbox.build_key_index(&ks.meta)?;
        let erase_within = options.erase_within;
        let rejected = Rejected {
            db: ks.db.clone(),
            records: ks.rejected.clone(),
            counts: ks.rejected_counts.clone(),
            persist,
            lock: Mutex::new(()),
        };
        let (sender, receiver) = mpsc::sync_channel(options.queue_capacity.max(1));
        let syncs = Arc::new(AtomicU64::new(0));
        let writer = Writer::new(ks.clone(), receiver, options, Arc::clone(&syncs));
        let handle = std::thread::Builder::new()
            .name("waymark-store-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        let eraser = Eraser::new(ks.clone());
        let (stop_eraser, stopped_eraser) = mpsc::sync_channel(1);
        let eraser_thread = {
            let eraser = eraser.clone();
            let within = erase_within;
            std::thread::Builder::new()
                .name("waymark-store-eraser".into())
                .spawn(move || eraser.run(within, stopped_eraser))
                .map_err(|e| StoreError::Backend(format!("cannot start the eraser: {e}")))?
        };
        Ok(FjallStore {
            ks,
            sender: Some(sender),
            writer: Some(handle),
            syncs,
            documents,
            checkpoints,
            outbox,
            eraser,
            stop_eraser: Some(stop_eraser),
            eraser_thread: Some(eraser_thread),
            rejected,
        })
    }

    /// How many times the writer has synced the journal (one per group commit that wrote
    /// something).
    pub fn sync_count(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    /// Sends a request to the writer and waits for its answer. With `busy_if_full`, a full
    /// queue is answered with `Busy` instead of waiting for room.
    fn call<T>(
        &self,
        busy_if_full: bool,
        request: impl FnOnce(Reply<T>) -> Request,
    ) -> Result<T, StoreError> {
        let sender = self.sender.as_ref().ok_or_else(stopped)?;
        let (reply, answer) = mpsc::sync_channel(1);
        let request = request(reply);
        if busy_if_full {
            sender.try_send(request).map_err(|e| match e {
                TrySendError::Full(_) => StoreError::Busy,
                TrySendError::Disconnected(_) => stopped(),
            })?;
        } else {
            sender.send(request).map_err(|_| stopped())?;
        }
        answer.recv().map_err(|_| stopped())?
    }

    /// Sends a request without waiting for room or for its answer (tests fill the queue).
    #[cfg(test)]
    pub(super) fn enqueue(&self, request: Request) -> Result<(), StoreError> {
        self.sender
            .as_ref()
            .ok_or_else(stopped)?
            .try_send(request)
            .map_err(|_| StoreError::Busy)
    }

    /// Sends a request, waiting for room but not for its answer.
    #[cfg(test)]
    pub(super) fn send(&self, request: Request) -> Result<(), StoreError> {
        self.sender
            .as_ref()
            .ok_or_else(stopped)?
            .send(request)
            .map_err(|_| stopped())
    }

    fn find(
        &self,
        snapshot: &Snapshot,
        ws_prefix: &[u8],
        key: &str,
    ) -> Result<Option<ProfileId>, StoreError> {
        for kind in [IdKind::User, IdKind::Anonymous] {
            let found = snapshot
                .get(&self.ks.identities, keys::identity(ws_prefix, kind, key))
                .map_err(backend)?;
            if let Some(value) = found {
                return keys::read_u64(&value)
                    .map(Some)
                    .ok_or_else(|| StoreError::Backend("a malformed identity entry".into()));
            }
        }
        Ok(None)
    }

    fn events_of(
        &self,
        snapshot: &Snapshot,
        ws_prefix: &[u8],
        id: ProfileId,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut events = snapshot
            .prefix(&self.ks.events, keys::events_of(ws_prefix, id))
            .rev()
            .take(limit)
            .map(|guard| decode::<StoredEvent>(&guard.value().map_err(backend)?))
            .collect::<Result<Vec<_>, _>>()?;
        events.reverse();
        Ok(events)
    }
}

impl FjallStore {
    /// Stops the writer once it has answered what was queued, and the eraser once its
    /// pass (if one is under way) is over; later writes through the store fail. Both
    /// threads are joined: each holds the database, whose lock file stays locked until
    /// the last holder is gone.
    pub(super) fn stop(&mut self) {
        // Closing the queue ends the writer once it has answered what was queued.
        self.sender.take();
        if let Some(writer) = self.writer.take() {
            // A writer that panicked has nothing left to finish.
            let _ = writer.join();
        }
        self.stop_eraser.take();
        if let Some(eraser) = self.eraser_thread.take() {
            let _ = eraser.join();
        }
    }
}

impl Drop for FjallStore {
    fn drop(&mut self) {
        self.stop();
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the store's writer has stopped".into())
}

/// Decodes a JSON record.
pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Backend(format!("a corrupt record: {e}")))
}

impl Store for FjallStore {
    fn create_workspace(&self, workspace: Workspace) -> Result<Workspace, StoreError> {
        self.call(false, |reply| Request::CreateWorkspace { workspace, reply })
    }

    fn workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.ks
            .workspaces
            .iter()
            .map(|guard| decode(&guard.value().map_err(backend)?))
            .collect()
    }

    fn workspace(&self, id: &str) -> Result<Option<Workspace>, StoreError> {
        match self.ks.workspaces.get(id).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn create_input(&self, input: Input) -> Result<Input, StoreError> {
        self.call(false, |reply| Request::CreateInput { input, reply })
    }

    fn inputs(&self, workspace: &str) -> Result<Vec<Input>, StoreError> {
        self.ks
            .inputs
            .prefix(keys::ws(workspace))
            .map(|guard| decode(&guard.value().map_err(backend)?))
            .collect()
    }

    fn input_by_write_key(&self, write_key: &str) -> Result<Option<Input>, StoreError> {
        let snapshot = self.ks.db.snapshot();
        let Some(input_key) = snapshot
            .get(&self.ks.write_keys, write_key)
            .map_err(backend)?
        else {
            return Ok(None);
        };
        match snapshot.get(&self.ks.inputs, input_key).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn put_token(&self, token: AdminToken) -> Result<(), StoreError> {
        self.call(false, |reply| Request::PutToken { token, reply })
    }

    fn token(&self, secret_sha256: &str) -> Result<Option<AdminToken>, StoreError> {
        match self.ks.tokens.get(secret_sha256).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn has_tokens(&self) -> Result<bool, StoreError> {
        Ok(!self.ks.tokens.is_empty().map_err(backend)?)
    }

    fn ingest(
        &self,
        workspace: &str,
        input: &str,
        messages: Vec<Message>,
    ) -> Result<IngestSummary, StoreError> {
        if self
            .ks
            .workspaces
            .get(workspace)
            .map_err(backend)?
            .is_none()
        {
            return Err(StoreError::NotFound {
                kind: "workspace",
                id: workspace.to_string(),
            });
        }
        if messages.is_empty() {
            return Ok(IngestSummary::default());
        }
        apply::check_identified(&messages)?;
        // Events are encoded here, on the caller's thread, not in the writer.
        let events = messages
            .iter()
            .map(|m| apply::encode_event(input, m))
            .collect::<Result<Vec<_>, _>>()?;
        let messages = Arc::new(messages);
        let result = self.call(true, |reply| Request::Ingest {
            workspace: workspace.to_string(),
            input: input.to_string(),
            messages: Arc::clone(&messages),
            events,
            reply,
        });
        // The writer has let go of its reference before answering (or handed it to the
        // commit feed): the messages are freed here or by the subscriber, off the writer
        // thread.
        drop(messages);
        result
    }

    fn profile(&self, workspace: &str, key: &str) -> Result<Option<Profile>, StoreError> {
        let snapshot = self.ks.db.snapshot();
        let ws_prefix = keys::ws(workspace);
        let Some(id) = self.find(&snapshot, &ws_prefix, key)? else {
            return Ok(None);
        };
        match snapshot
            .get(&self.ks.profiles, keys::profile(&ws_prefix, id))
            .map_err(backend)?
        {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn events(
        &self,
        workspace: &str,
        key: &str,
        limit: usize,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        let snapshot = self.ks.db.snapshot();
        let ws_prefix = keys::ws(workspace);
        match self.find(&snapshot, &ws_prefix, key)? {
            Some(id) => self.events_of(&snapshot, &ws_prefix, id, limit).map(Some),
            None => Ok(None),
        }
    }

    fn events_page(
        &self,
        workspace: &str,
        key: &str,
        before: Option<EventPosition>,
        limit: usize,
    ) -> Result<Option<Vec<(EventPosition, StoredEvent)>>, StoreError> {
        let snapshot = self.ks.db.snapshot();
        let ws_prefix = keys::ws(workspace);
        let Some(id) = self.find(&snapshot, &ws_prefix, key)? else {
            return Ok(None);
        };
        let start = keys::events_of(&ws_prefix, id);
        let end = match before {
            Some(p) => keys::event(&ws_prefix, id, p.at, p.seq),
            None => keys::event(&ws_prefix, id, Millis::MAX, u64::MAX),
        };
        let mut page = Vec::new();
        for guard in snapshot.range(&self.ks.events, start.clone()..end).rev() {
            if page.len() >= limit {
                break;
            }
            let (key, value) = guard.into_inner().map_err(backend)?;
            let position = key
                .get(start.len()..)
                .filter(|rest| rest.len() == 16)
                .and_then(|rest| Some((keys::read_time(&rest[..8])?, keys::read_u64(&rest[8..])?)))
                .map(|(at, seq)| EventPosition { at, seq })
                .ok_or_else(|| StoreError::Backend("a malformed event key".into()))?;
            page.push((position, decode::<StoredEvent>(&value)?));
        }
        Ok(Some(page))
    }

    fn profiles_page(
        &self,
        workspace: &str,
        after: Option<ProfileId>,
        limit: usize,
        keep: &dyn Fn(&Profile) -> bool,
    ) -> Result<Vec<Profile>, StoreError> {
        let ws_prefix = keys::ws(workspace);
        let start = match after {
            Some(id) => keys::profile(&ws_prefix, id.saturating_add(1)),
            None => ws_prefix.clone(),
        };
        let end = keys::profile(&ws_prefix, ProfileId::MAX);
        let mut page = Vec::new();
        for guard in self.ks.db.snapshot().range(&self.ks.profiles, start..=end) {
            if page.len() >= limit {
                break;
            }
            let profile: Profile = decode(&guard.value().map_err(backend)?)?;
            if keep(&profile) {
                page.push(profile);
            }
        }
        Ok(page)
    }

    fn profile_by_id(&self, workspace: &str, id: ProfileId) -> Result<Option<Profile>, StoreError> {
        let key = keys::profile(&keys::ws(workspace), id);
        match self.ks.profiles.get(key).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn delete_profile(
        &self,
        workspace: &str,
        key: &str,
        suppress: bool,
    ) -> Result<bool, StoreError> {
        // Marked before the delete is written, so a crash in between errs toward erasing.
        self.eraser.mark_pending()?;
        let mut identifiers = match self.profile(workspace, key)? {
            Some(profile) => profile.identifiers(),
            None => Vec::new(),
        };
        identifiers.push(key.to_string());
        let deleted = self.call(false, |reply| Request::DeleteProfile {
            workspace: workspace.to_string(),
            key: key.to_string(),
            suppress,
            reply,
        })?;
        if deleted {
            self.rejected.forget(workspace, &identifiers)?;
        }
        Ok(deleted)
    }

    fn unsuppress(&self, workspace: &str, identifier: &str) -> Result<bool, StoreError> {
        self.call(false, |reply| Request::Unsuppress {
            workspace: workspace.to_string(),
            identifier: identifier.to_string(),
            reply,
        })
    }

    fn suppressed(&self, workspace: &str) -> Result<Vec<String>, StoreError> {
        let prefix = keys::identity(&keys::ws(workspace), IdKind::Suppressed, "");
        let mut out = Vec::new();
        for guard in self.ks.db.snapshot().prefix(&self.ks.identities, &prefix) {
            let key = guard.key().map_err(backend)?;
            out.push(String::from_utf8_lossy(&key[prefix.len()..]).into_owned());
        }
        Ok(out)
    }

    fn erase_deleted(&self) -> Result<(), StoreError> {
        self.eraser.erase()
    }

    fn for_each_profile(
        &self,
        workspace: &str,
        visit: &mut dyn FnMut(Profile, Vec<StoredEvent>),
    ) -> Result<(), StoreError> {
        let snapshot = self.ks.db.snapshot();
        let ws_prefix = keys::ws(workspace);
        for guard in snapshot.prefix(&self.ks.profiles, &ws_prefix) {
            let profile: Profile = decode(&guard.value().map_err(backend)?)?;
            let events = self.events_of(&snapshot, &ws_prefix, profile.id, usize::MAX)?;
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
        super::arrival::for_each_event_named(&self.ks, workspace, names, visit)
    }

    fn for_each_event_arrived_after(
        &self,
        workspace: &str,
        after: u64,
        visit: &mut dyn FnMut(ArrivedEvent),
    ) -> Result<(), StoreError> {
        super::arrival::for_each_event_arrived_after(
            &self.ks,
            workspace,
            after,
            super::arrival::Reading::DEFAULT,
            visit,
        )
    }

    fn subscribe(&self) -> Receiver<Commit> {
        let (sender, receiver) = mpsc::channel();
        // The writer switches to `sender` at its place in the queue and answers once what
        // was committed before is durable. A writer that has stopped drops `sender`, which
        // leaves the receiver disconnected; a group whose sync failed still switched.
        let _ = self.call(false, |reply| Request::Subscribe { sender, reply });
        receiver
    }

    fn record_rejected(
        &self,
        workspace: &str,
        rejected: Vec<RejectedMessage>,
    ) -> Result<(), StoreError> {
        if self.workspace(workspace)?.is_none() {
            return Err(StoreError::NotFound {
                kind: "workspace",
                id: workspace.to_string(),
            });
        }
        self.rejected.record(workspace, rejected)
    }

    fn rejected(
        &self,
        workspace: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<RejectedMessage>, StoreError> {
        self.rejected.list(workspace, before, limit)
    }

    fn rejected_counts(&self, workspace: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        self.rejected.counts(workspace)
    }

    fn write_documents(&self, writes: Vec<DocumentWrite>) -> Result<(), StoreError> {
        self.documents.write(writes)
    }

    fn document(&self, collection: &str, id: &str) -> Result<Option<Value>, StoreError> {
        self.documents.get(collection, id)
    }

    fn documents(&self, collection: &str) -> Result<Vec<(String, Value)>, StoreError> {
        self.documents.list(collection)
    }

    fn put_checkpoint(&self, partition: &str, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.checkpoints.put(partition, checkpoint)
    }

    fn checkpoint(&self, partition: &str) -> Result<Option<Checkpoint>, StoreError> {
        self.checkpoints.get(partition)
    }

    fn outbox_add(&self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError> {
        self.outbox.add(records)
    }

    fn outbox_due(
        &self,
        output: &str,
        now: Millis,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        self.outbox.due(output, now, limit)
    }

    fn outbox_next_due(&self, output: &str) -> Result<Option<Millis>, StoreError> {
        self.outbox.next_due(output)
    }

    fn outbox_update(&self, records: Vec<OutboxRecord>) -> Result<(), StoreError> {
        self.outbox.update(records)
    }

    fn outbox_settle(&self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError> {
        self.outbox.settle(records)
    }

    fn outbox_get(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        self.outbox.get(id)
    }

    fn outbox_list(&self, query: &OutboxQuery) -> Result<Vec<OutboxRecord>, StoreError> {
        self.outbox.list(query)
    }

    fn outbox_counts(&self, output: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        self.outbox.counts(output)
    }

    fn outbox_group_counts(&self, output: &str, prefix: &str) -> Result<GroupCounts, StoreError> {
        self.outbox.group_counts(output, prefix)
    }

    fn outbox_group_errors(&self, output: &str, prefix: &str) -> Result<GroupErrors, StoreError> {
        self.outbox.group_errors(output, prefix)
    }

    fn outbox_remove_for(
        &self,
        output: &str,
        pred: &dyn Fn(&OutboxRecord) -> bool,
    ) -> Result<usize, StoreError> {
        self.outbox.remove_for(output, pred)
    }

    fn outbox_erase(&self, keys: &[String]) -> Result<usize, StoreError> {
        // Marked first, so a crash in between errs toward erasing.
        self.eraser.mark_pending()?;
        self.outbox.erase_keys(keys)
    }
}
