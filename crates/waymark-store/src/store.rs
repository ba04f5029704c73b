//! The `Store` trait every backend implements.

use waymark_engine::Message;

use crate::model::{AdminToken, Input, Profile, StoredEvent, Workspace};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IngestSummary {
    /// Messages stored.
    pub stored: usize,
    /// Messages ignored as repeats of a `messageId` seen in the workspace.
    pub duplicates: usize,
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
    /// Deletes the profile, its events and its identifiers; `false` when there was none.
    fn delete_profile(&self, workspace: &str, key: &str) -> Result<bool, StoreError>;
    /// Calls `visit` with every profile of the workspace and its events, in profile id order.
    fn for_each_profile(
        &self,
        workspace: &str,
        visit: &mut dyn FnMut(Profile, Vec<StoredEvent>),
    ) -> Result<(), StoreError>;
}
