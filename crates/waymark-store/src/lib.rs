//! Waymark's durable store: workspaces, inputs, admin tokens, events, profiles, the identity
//! index and deduplication keys, behind the [`Store`] trait. The embedded fjall backend
//! ([`FjallStore`]) is the default; [`MemoryStore`] is the in-memory reference. Every
//! backend passes the same conformance suite ([`store_conformance_suite!`], with the
//! `suite` feature).
//!
//! Besides ingest, a store keeps JSON documents (journeys, outputs, list memberships), a
//! durable delivery outbox and the runtime's partition checkpoints ([`Checkpoint`]), and
//! reports its commits to one subscriber ([`Commit`]).
//!
//! Identity and profile rules live in one place, as pure functions (`profile`), and one
//! ingest routine (`apply`) runs them over any backend's transaction.

#![warn(missing_docs)]

mod apply;
mod checkpoint;
mod feed;
pub mod fjall;
mod memory;
pub mod model;
mod outbox;
mod profile;
mod store;
#[cfg(any(test, feature = "suite"))]
pub mod suite;

#[cfg(test)]
mod tests;

pub use crate::fjall::{FjallOptions, FjallStore};
pub use checkpoint::Checkpoint;
pub use feed::{Applied, Commit, CommittedBatch};
pub use memory::MemoryStore;
pub use model::*;
pub use outbox::{
    Attempt, AttemptOutcome, DeliveryStatus, GroupCounts, GroupError, GroupErrors, MAX_ATTEMPT_LOG,
    OutboxQuery, OutboxRecord,
};
pub use store::{IngestSummary, Store, StoreError};

/// The error for a write key that another input already has; the key is a secret, so only
/// its start is shown.
pub(crate) fn write_key_taken(write_key: &str) -> StoreError {
    let shown: String = write_key.chars().take(4).collect();
    StoreError::AlreadyExists {
        kind: "write key",
        id: format!("{shown}…"),
    }
}

/// The longest name the store keeps in a key (a document collection or id, a delivery id,
/// an output), in bytes.
pub(crate) const MAX_NAME_LEN: usize = 16 * 1024;

/// Refuses a name too long to be part of a key.
pub(crate) fn check_name(what: &str, name: &str) -> Result<(), StoreError> {
    if name.len() > MAX_NAME_LEN {
        return Err(StoreError::Backend(format!(
            "{what} is {} bytes long; at most {MAX_NAME_LEN} are allowed",
            name.len()
        )));
    }
    Ok(())
}
