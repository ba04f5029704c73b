//! What ingest reports per message, and the commit feed: the writes a store sends to its
//! subscriber once they are durable (see [`Store::subscribe`](crate::Store::subscribe)).

use std::sync::Arc;
use std::sync::mpsc::Sender;

use waymark_engine::Message;

use crate::model::ProfileId;

/// What one stored message did: which event sequence number it got and which profile it
/// belongs to once applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The message's index in its batch.
    pub index: usize,
    /// The workspace's event sequence number its event got (arrival order).
    pub seq: u64,
    /// The profile the message was applied to.
    pub profile: ProfileId,
    /// The profile's `userId` after the message.
    pub user_id: Option<String>,
    /// The profile's first anonymous id after the message.
    pub anonymous_id: Option<String>,
    /// Profiles merged into `profile` by this message (they no longer exist).
    pub merged: Vec<ProfileId>,
}

impl Applied {
    /// The profile's key: its `userId`, else its first anonymous id.
    pub fn key(&self) -> Option<&str> {
        self.user_id.as_deref().or(self.anonymous_id.as_deref())
    }
}

/// One durable write, as the commit feed reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Commit {
    /// A batch in which at least one message was stored.
    Ingested(CommittedBatch),
    /// A profile was deleted (with its events and identifiers).
    ProfileDeleted {
        /// The workspace.
        workspace: String,
        /// The deleted profile.
        profile: ProfileId,
        /// Its `userId`.
        user_id: Option<String>,
        /// Its first anonymous id.
        anonymous_id: Option<String>,
    },
}

/// An ingested batch that is durable.
#[derive(Debug, Clone, PartialEq)]
pub struct CommittedBatch {
    /// The workspace.
    pub workspace: String,
    /// The input that sent it.
    pub input: String,
    /// The whole batch as given to `ingest`, duplicates included.
    pub messages: Arc<Vec<Message>>,
    /// One entry per stored message, in batch order (`Applied::index` points into
    /// `messages`); duplicates have none.
    pub applied: Vec<Applied>,
}

/// The subscriber's end of the feed, if any.
#[derive(Debug, Default)]
pub(crate) struct Feed {
    sender: Option<Sender<Commit>>,
}

impl Feed {
    /// A new channel; the previous subscriber, if any, is disconnected.
    pub(crate) fn subscribe(&mut self) -> std::sync::mpsc::Receiver<Commit> {
        let (sender, receiver) = std::sync::mpsc::channel();
        self.switch(sender);
        receiver
    }

    /// Sends to `sender` from now on, disconnecting the previous subscriber.
    pub(crate) fn switch(&mut self, sender: Sender<Commit>) {
        self.sender = Some(sender);
    }

    /// Whether someone listens (a receiver that went away is noticed on the next send).
    pub(crate) fn is_on(&self) -> bool {
        self.sender.is_some()
    }

    /// Sends a commit; a receiver that went away is forgotten.
    pub(crate) fn send(&mut self, commit: Commit) {
        if let Some(sender) = &self.sender
            && sender.send(commit).is_err()
        {
            self.sender = None;
        }
    }
}
