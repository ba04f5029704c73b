//! Rejected messages on fjall: `ws ‖ seq` → JSON [`RejectedMessage`], and per input a
//! count under `ws ‖ input`. Written from the caller's thread as one synced batch, under a
//! lock that makes the sequence numbers and the counts read-modify-write safe; they never
//! touch the ingest writer's state.

use std::collections::BTreeMap;
use std::sync::Mutex;

use ::fjall::{Database, Keyspace, PersistMode};

use super::backend;
use super::keys;
use super::open::decode;
use crate::model::{MAX_REJECTED_KEPT, RejectedMessage};
use crate::store::StoreError;

/// The rejected-message keyspaces and how to sync them.
pub(super) struct Rejected {
    pub(super) db: Database,
    /// `ws ‖ seq` → JSON record.
    pub(super) records: Keyspace,
    /// `ws ‖ input` → count (u64 BE).
    pub(super) counts: Keyspace,
    pub(super) persist: PersistMode,
    /// Held while writing: one writer at a time reads and bumps sequence numbers and counts.
    pub(super) lock: Mutex<()>,
}

impl Rejected {
    /// Appends the records (the store numbers them), bumps the counts, drops the records
    /// beyond the latest [`MAX_REJECTED_KEPT`], and syncs.
    pub(super) fn record(
        &self,
        workspace: &str,
        rejected: Vec<RejectedMessage>,
    ) -> Result<(), StoreError> {
        if rejected.is_empty() {
            return Ok(());
        }
        let _guard = self
            .lock
            .lock()
            .map_err(|_| StoreError::Backend("the rejected-message lock is poisoned".into()))?;
        let prefix = keys::ws(workspace);
        let mut seq = match self.records.prefix(&prefix).next_back() {
            Some(guard) => {
                let key = guard.key().map_err(backend)?;
                keys::read_u64(&key[prefix.len()..])
                    .ok_or_else(|| StoreError::Backend("a malformed rejected key".into()))?
            }
            None => 0,
        };
        // The workspace holds `seq - MAX + 1 ..= seq`; afterwards it holds `keep_from ..=
        // last`. One operation per key: fjall gives every item of a batch one sequence
        // number, so a record that would be dropped at once is never written.
        let last = seq + rejected.len() as u64;
        let keep_from = (last + 1).saturating_sub(MAX_REJECTED_KEPT).max(1);
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut batch = self.db.batch();
        for old in (seq + 1).saturating_sub(MAX_REJECTED_KEPT).max(1)..keep_from.min(seq + 1) {
            batch.remove(&self.records, record_key(&prefix, old));
        }
        for mut record in rejected {
            seq += 1;
            record.seq = seq;
            *counts.entry(record.input.clone()).or_default() += 1;
            if seq >= keep_from {
                let body = serde_json::to_vec(&record).map_err(backend)?;
                batch.insert(&self.records, record_key(&prefix, seq), body);
            }
        }
        for (input, added) in counts {
            let key = keys::input(workspace, &input);
            let old = match self.counts.get(&key).map_err(backend)? {
                Some(bytes) => keys::read_u64(&bytes)
                    .ok_or_else(|| StoreError::Backend("a malformed rejected count".into()))?,
                None => 0,
            };
            batch.insert(&self.counts, key, (old + added).to_be_bytes());
        }
        batch.commit().map_err(backend)?;
        self.db.persist(self.persist).map_err(backend)
    }

    /// Removes the records that mention one of `identifiers` (a forgotten user's); the
    /// counts stay, as they name no one.
    pub(super) fn forget(&self, workspace: &str, identifiers: &[String]) -> Result<(), StoreError> {
        let _guard = self
            .lock
            .lock()
            .map_err(|_| StoreError::Backend("the rejected-message lock is poisoned".into()))?;
        let mut batch = self.db.batch();
        let mut removed = 0;
        for guard in self.records.prefix(keys::ws(workspace)) {
            let (key, value) = guard.into_inner().map_err(backend)?;
            let record: RejectedMessage = decode(&value)?;
            if record.mentions(identifiers) {
                batch.remove(&self.records, key);
                removed += 1;
            }
        }
        if removed == 0 {
            return Ok(());
        }
        batch.commit().map_err(backend)?;
        self.db.persist(self.persist).map_err(backend)
    }

    /// Newest first, at most `limit` records with `seq` below `before`.
    pub(super) fn list(
        &self,
        workspace: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<RejectedMessage>, StoreError> {
        let prefix = keys::ws(workspace);
        let end = record_key(&prefix, before.unwrap_or(u64::MAX));
        let range = self.records.range(prefix.clone()..end);
        range
            .rev()
            .take(limit)
            .map(|guard| decode(&guard.value().map_err(backend)?))
            .collect()
    }

    /// The counts per input.
    pub(super) fn counts(&self, workspace: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        let prefix = keys::ws(workspace);
        self.counts
            .prefix(&prefix)
            .map(|guard| {
                let (key, value) = guard.into_inner().map_err(backend)?;
                let input = std::str::from_utf8(&key[prefix.len()..])
                    .map_err(|_| StoreError::Backend("a malformed rejected count key".into()))?;
                let count = keys::read_u64(&value)
                    .ok_or_else(|| StoreError::Backend("a malformed rejected count".into()))?;
                Ok((input.to_string(), count))
            })
            .collect()
    }
}

/// `ws ‖ seq`.
fn record_key(ws_prefix: &[u8], seq: u64) -> Vec<u8> {
    let mut key = ws_prefix.to_vec();
    key.extend_from_slice(&seq.to_be_bytes());
    key
}
