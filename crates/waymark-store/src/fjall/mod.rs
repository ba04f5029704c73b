//! The embedded, durable backend on fjall (an LSM-tree store).
//!
//! Reads go straight to fjall from the caller's thread, on a snapshot. Every write goes
//! through one writer thread fed by a bounded queue; the writer applies whatever is waiting
//! as one atomic fjall batch, syncs the journal once, and only then answers every caller
//! (group commit). See [`FjallStore`]. Documents and the outbox are written from the
//! caller's thread instead, each write one synced batch; partition checkpoints are files,
//! replaced atomically from the caller's thread.

mod arrival;
mod checkpoints;
mod documents;
mod erase;
mod ingest;
mod keys;
mod open;
mod outbox;
mod outbox_floor;
mod rejected;
mod writer;

#[cfg(test)]
mod erase_tests;
#[cfg(test)]
mod tests;

pub use open::{FjallOptions, FjallStore};

use crate::store::StoreError;

/// A backend failure as a [`StoreError`].
fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(error.to_string())
}
