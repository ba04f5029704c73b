//! Waymark's durable store: workspaces, inputs, admin tokens, events, profiles, the identity
//! index and deduplication keys, behind the [`Store`] trait. The embedded fjall backend is
//! the default; every backend passes the same conformance suite.

pub mod model;
mod store;

pub use model::*;
pub use store::{IngestSummary, Store, StoreError};
