//! The writer thread and group commit.
//!
//! Callers put requests on a bounded queue and wait for their answers. The writer takes
//! the first waiting request and every other one already queued (up to
//! [`FjallOptions::max_commit_messages`]), applies them in order (ingest and delete into
//! staged layers, see [`super::ingest`]), writes everything as ONE fjall batch, syncs the
//! journal ONCE, and only then answers every caller. A request that fails is answered with
//! its error and leaves nothing behind; a failed commit or sync fails the whole group.
//!
//! The writer also owns the commit feed: a group's commits are sent to the subscriber
//! after its sync succeeded and before its callers are answered, and a subscription takes
//! effect at its place in the queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::time::{SystemTime, UNIX_EPOCH};

use ::fjall::PersistMode;
use waymark_engine::Message;
use waymark_engine::time::Millis;

use super::backend;
use super::ingest::{Cache, FjallTx, Layer, Written};
use super::keys;
use super::open::{FjallOptions, Keyspaces};
use crate::apply;
use crate::feed::{Commit, CommittedBatch, Feed};
use crate::model::{AdminToken, Input, Workspace};
use crate::store::{IngestSummary, StoreError};

/// Where a request's answer goes.
pub(super) type Reply<T> = SyncSender<Result<T, StoreError>>;

/// A write for the writer thread.
pub(super) enum Request {
    /// Ingest a batch from `input`: messages with their events already encoded
    /// (`events[i]` is `messages[i]`'s). The caller keeps its own reference to the
    /// messages, and the writer lets go of its one before answering (or hands it to the
    /// commit feed), so the messages are not freed on the writer's thread.
    Ingest {
        workspace: String,
        input: String,
        messages: Arc<Vec<Message>>,
        events: Vec<Vec<u8>>,
        reply: Reply<IngestSummary>,
    },
    /// Delete the profile a key names, suppressing its identifiers with `suppress`.
    DeleteProfile {
        workspace: String,
        key: String,
        suppress: bool,
        reply: Reply<bool>,
    },
    /// Let messages with an identifier in again.
    Unsuppress {
        workspace: String,
        identifier: String,
        reply: Reply<bool>,
    },
    /// Create a workspace.
    CreateWorkspace {
        workspace: Workspace,
        reply: Reply<Workspace>,
    },
    /// Create an input.
    CreateInput { input: Input, reply: Reply<Input> },
    /// Store an admin token.
    PutToken { token: AdminToken, reply: Reply<()> },
    /// Send the commit feed to `sender` from here on.
    Subscribe {
        sender: Sender<Commit>,
        reply: Reply<()>,
    },
    /// Tests: the writer says it is paused, then waits until `resume` is signalled or dropped.
    #[cfg(test)]
    Pause {
        paused: SyncSender<()>,
        resume: Receiver<()>,
    },
}

impl Request {
    /// How much the request counts toward a group's size.
    fn weight(&self) -> usize {
        match self {
            Request::Ingest { events, .. } => events.len(),
            _ => 1,
        }
    }
}

/// Sends an answer once the group's sync is known (`Some(error)` when it failed).
type Answer = Box<dyn FnOnce(Option<&str>) + Send>;

fn answer<T: Send + 'static>(reply: Reply<T>, result: Result<T, StoreError>) -> Answer {
    Box::new(move |sync_error| {
        let result = match (result, sync_error) {
            (Ok(_), Some(error)) => Err(StoreError::Backend(error.to_string())),
            (result, _) => result,
        };
        // A caller that went away no longer needs the answer.
        let _ = reply.send(result);
    })
}

/// What a group does to the commit feed, in order, once its sync is known.
enum FeedStep {
    /// Send this commit (only when the sync succeeded).
    Send(Commit),
    /// Switch to a new subscriber (whatever the sync did).
    Switch(Sender<Commit>),
}

/// Most `messageId`s forgotten by one prune.
const PRUNE_LIMIT: usize = 10_000;

/// The writer thread's state.
pub(super) struct Writer {
    ks: Keyspaces,
    receiver: Receiver<Request>,
    options: FjallOptions,
    syncs: Arc<AtomicU64>,
    commits: u64,
    /// Where the next prune starts in `dedup_by_time`: everything before it is gone, so
    /// no prune wades through the tombstones of the previous ones.
    prune_from: Vec<u8>,
    /// Committed identities and profiles, to spare fjall reads and profile decoding.
    cache: Cache,
    /// The commit feed's subscriber.
    feed: Feed,
}

impl Writer {
    /// A writer over `ks` fed by `receiver`.
    pub(super) fn new(
        ks: Keyspaces,
        receiver: Receiver<Request>,
        options: FjallOptions,
        syncs: Arc<AtomicU64>,
    ) -> Self {
        Self {
            ks,
            receiver,
            options,
            syncs,
            commits: 0,
            prune_from: Vec::new(),
            cache: Cache::default(),
            feed: Feed::default(),
        }
    }

    /// Serves requests until every sender is gone.
    pub(super) fn run(mut self) {
        while let Ok(first) = self.receiver.recv() {
            let mut weight = first.weight();
            let mut group = vec![first];
            while weight < self.options.max_commit_messages {
                match self.receiver.try_recv() {
                    Ok(request) => {
                        weight += request.weight();
                        group.push(request);
                    }
                    Err(_) => break,
                }
            }
            self.commit_group(group);
        }
    }

    fn commit_group(&mut self, group: Vec<Request>) {
        let now = now_millis();
        let mut staged = Layer::default();
        let mut wrote = false;
        let mut answers: Vec<Answer> = Vec::with_capacity(group.len());
        let mut feed_on = self.feed.is_on();
        let mut feed: Vec<FeedStep> = Vec::new();
        for request in group {
            match request {
                Request::Ingest {
                    workspace,
                    input,
                    messages,
                    events,
                    reply,
                } => {
                    let mut tx = FjallTx::new(&self.ks, &staged, &mut self.cache, &workspace);
                    let result =
                        apply::ingest_batch(&mut tx, &workspace, messages.iter().zip(events));
                    let layer = tx.into_layer();
                    match &result {
                        Ok(summary) if feed_on && !summary.applied.is_empty() => {
                            staged.absorb(layer);
                            feed.push(FeedStep::Send(Commit::Ingested(CommittedBatch {
                                workspace,
                                input,
                                messages,
                                applied: summary.applied.clone(),
                            })));
                        }
                        Ok(_) => {
                            staged.absorb(layer);
                            drop(messages);
                        }
                        Err(_) => drop(messages),
                    }
                    answers.push(answer(reply, result));
                }
                Request::Unsuppress {
                    workspace,
                    identifier,
                    reply,
                } => {
                    let mut tx = FjallTx::new(&self.ks, &staged, &mut self.cache, &workspace);
                    let result = apply::unsuppress(&mut tx, &identifier);
                    let layer = tx.into_layer();
                    if result.is_ok() {
                        staged.absorb(layer);
                    }
                    answers.push(answer(reply, result));
                }
                Request::DeleteProfile {
                    workspace,
                    key,
                    suppress,
                    reply,
                } => {
                    let mut tx = FjallTx::new(&self.ks, &staged, &mut self.cache, &workspace);
                    let result = apply::delete_profile(&mut tx, &key, suppress);
                    let layer = tx.into_layer();
                    if result.is_ok() {
                        staged.absorb(layer);
                    }
                    if feed_on && let Ok(Some(deleted)) = &result {
                        feed.push(FeedStep::Send(Commit::ProfileDeleted {
                            workspace,
                            profile: deleted.id,
                            user_id: deleted.user_id.clone(),
                            anonymous_id: deleted.anonymous_ids.first().cloned(),
                        }));
                    }
                    answers.push(answer(reply, result.map(|d| d.is_some())));
                }
                Request::Subscribe { sender, reply } => {
                    feed_on = true;
                    feed.push(FeedStep::Switch(sender));
                    answers.push(answer(reply, Ok(())));
                }
                Request::CreateWorkspace { workspace, reply } => {
                    let result = self.create_workspace(workspace);
                    wrote |= result.is_ok();
                    answers.push(answer(reply, result));
                }
                Request::CreateInput { input, reply } => {
                    let result = self.create_input(input);
                    wrote |= result.is_ok();
                    answers.push(answer(reply, result));
                }
                Request::PutToken { token, reply } => {
                    let result = self.put_token(&token);
                    wrote |= result.is_ok();
                    answers.push(answer(reply, result));
                }
                #[cfg(test)]
                Request::Pause { paused, resume } => {
                    let _ = paused.send(());
                    let _ = resume.recv();
                }
            }
        }
        let outcome = if staged.is_empty() && !wrote {
            Ok(())
        } else {
            self.commit(staged, now)
        };
        let error = match outcome {
            Ok(()) => None,
            Err(StoreError::Backend(message)) => Some(message),
            Err(other) => Some(other.to_string()),
        };
        // The feed hears of the group before its callers do; a failed group sends nothing.
        for step in feed {
            match step {
                FeedStep::Send(commit) if error.is_none() => self.feed.send(commit),
                FeedStep::Send(_) => {}
                FeedStep::Switch(sender) => self.feed.switch(sender),
            }
        }
        for answer in answers {
            answer(error.as_deref());
        }
        self.commits += 1;
        if self.options.prune_every > 0
            && self
                .commits
                .is_multiple_of(u64::from(self.options.prune_every))
        {
            // Best effort: forgetting old ids can wait, and a failing disk fails the next
            // commit anyway.
            let _ = self.prune(now);
        }
    }

    /// Writes the staged layer as one batch and syncs the journal (which also covers the
    /// admin writes committed earlier in the group).
    /// The cache learns the group's writes only once they are durable; any failure
    /// empties it, since fjall's state is then unknown.
    fn commit(&mut self, staged: Layer, now: Millis) -> Result<(), StoreError> {
        match self.write_and_sync(staged, now) {
            Ok(written) => {
                self.cache.absorb(written);
                Ok(())
            }
            Err(error) => {
                self.cache.clear();
                Err(error)
            }
        }
    }

    fn write_and_sync(&self, staged: Layer, now: Millis) -> Result<Written, StoreError> {
        let mut batch = self.ks.db.batch();
        let written = staged.write_to(&mut batch, &self.ks, now)?;
        batch.commit().map_err(backend)?;
        let mode = if self.options.sync_data {
            PersistMode::SyncData
        } else {
            PersistMode::SyncAll
        };
        self.ks.db.persist(mode).map_err(backend)?;
        self.syncs.fetch_add(1, Ordering::Relaxed);
        Ok(written)
    }

    fn create_workspace(&self, workspace: Workspace) -> Result<Workspace, StoreError> {
        if self
            .ks
            .workspaces
            .contains_key(&workspace.id)
            .map_err(backend)?
        {
            return Err(StoreError::AlreadyExists {
                kind: "workspace",
                id: workspace.id,
            });
        }
        let mut batch = self.ks.db.batch();
        batch.insert(
            &self.ks.workspaces,
            workspace.id.as_str(),
            serde_json::to_vec(&workspace).map_err(backend)?,
        );
        batch.commit().map_err(backend)?;
        Ok(workspace)
    }

    fn create_input(&self, input: Input) -> Result<Input, StoreError> {
        if !self
            .ks
            .workspaces
            .contains_key(&input.workspace)
            .map_err(backend)?
        {
            return Err(StoreError::NotFound {
                kind: "workspace",
                id: input.workspace,
            });
        }
        let key = keys::input(&input.workspace, &input.id);
        if self.ks.inputs.contains_key(&key).map_err(backend)? {
            return Err(StoreError::AlreadyExists {
                kind: "input",
                id: input.id,
            });
        }
        if self
            .ks
            .write_keys
            .contains_key(&input.write_key)
            .map_err(backend)?
        {
            return Err(crate::write_key_taken(&input.write_key));
        }
        let mut batch = self.ks.db.batch();
        batch.insert(
            &self.ks.inputs,
            key.clone(),
            serde_json::to_vec(&input).map_err(backend)?,
        );
        batch.insert(&self.ks.write_keys, input.write_key.as_str(), key);
        batch.commit().map_err(backend)?;
        Ok(input)
    }

    fn put_token(&self, token: &AdminToken) -> Result<(), StoreError> {
        let mut batch = self.ks.db.batch();
        batch.insert(
            &self.ks.tokens,
            token.secret_sha256.as_str(),
            serde_json::to_vec(token).map_err(backend)?,
        );
        batch.commit().map_err(backend)
    }

    /// Forgets `messageId`s recorded longer than the retention ago, resuming where the
    /// previous prune stopped. The removals become durable with the next sync.
    fn prune(&mut self, now: Millis) -> Result<(), StoreError> {
        let retention = i64::try_from(self.options.dedup_retention.as_millis()).unwrap_or(i64::MAX);
        let end = keys::time(now.saturating_sub(retention)).to_vec();
        if self.prune_from >= end {
            return Ok(());
        }
        let mut batch = self.ks.db.batch();
        let mut last = None;
        for guard in self
            .ks
            .dedup_by_time
            .range(self.prune_from.clone()..end)
            .take(PRUNE_LIMIT)
        {
            let key = guard.key().map_err(backend)?;
            if let Some(dedup_key) = key.get(8..) {
                batch.remove(&self.ks.dedup, dedup_key.to_vec());
            }
            batch.remove(&self.ks.dedup_by_time, key.clone());
            last = Some(key);
        }
        batch.commit().map_err(backend)?;
        if let Some(last) = last {
            // The smallest key after `last`.
            let mut next = last.to_vec();
            next.push(0);
            self.prune_from = next;
        }
        Ok(())
    }
}

/// The wall clock in milliseconds since the epoch.
fn now_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
