//! Waymark's durable store: workspaces, inputs, admin tokens, events, profiles, the identity
//! index and deduplication keys, behind the [`Store`] trait. The embedded fjall backend
//! ([`FjallStore`]) is the default; [`MemoryStore`] is the in-memory reference. Every
//! backend passes the same conformance suite ([`store_conformance_suite!`], with the
//! `suite` feature).
//!
//! Identity and profile rules live in one place, as pure functions (`profile`), and one
//! ingest routine (`apply`) runs them over any backend's transaction.

#![warn(missing_docs)]

mod apply;
pub mod fjall;
mod memory;
pub mod model;
mod profile;
mod store;
#[cfg(any(test, feature = "suite"))]
pub mod suite;

#[cfg(test)]
mod tests;

pub use crate::fjall::{FjallOptions, FjallStore};
pub use memory::MemoryStore;
pub use model::*;
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
