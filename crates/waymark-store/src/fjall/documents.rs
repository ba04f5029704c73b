//! Documents on fjall: JSON bodies under `collection ‖ id`, written from the caller's thread
//! as one batch and synced before returning. They never touch the ingest writer's state.

use std::collections::BTreeMap;

use ::fjall::{Database, Keyspace, PersistMode};
use serde_json::Value;

use super::backend;
use super::keys;
use super::open::decode;
use crate::model::DocumentWrite;
use crate::store::StoreError;

/// The documents keyspace and how to sync it.
pub(super) struct Documents {
    pub(super) db: Database,
    /// `collection ‖ id` → JSON body.
    pub(super) keyspace: Keyspace,
    pub(super) persist: PersistMode,
}

impl Documents {
    /// Applies the writes as one batch (the last write of a key wins) and syncs.
    pub(super) fn write(&self, writes: Vec<DocumentWrite>) -> Result<(), StoreError> {
        // One operation per key: fjall gives every item of a batch the same sequence number.
        let mut net: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for write in writes {
            crate::check_name("a document collection", &write.collection)?;
            crate::check_name("a document id", &write.id)?;
            let key = keys::document(&keys::collection(&write.collection), &write.id);
            let body = match write.body {
                Some(body) => Some(serde_json::to_vec(&body).map_err(backend)?),
                None => None,
            };
            net.insert(key, body);
        }
        if net.is_empty() {
            return Ok(());
        }
        let mut batch = self.db.batch();
        for (key, body) in net {
            match body {
                Some(bytes) => batch.insert(&self.keyspace, key, bytes),
                None => batch.remove(&self.keyspace, key),
            }
        }
        batch.commit().map_err(backend)?;
        self.db.persist(self.persist).map_err(backend)
    }

    /// One document.
    pub(super) fn get(&self, collection: &str, id: &str) -> Result<Option<Value>, StoreError> {
        let key = keys::document(&keys::collection(collection), id);
        match self.keyspace.get(key).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// A collection's documents, by id.
    pub(super) fn list(&self, collection: &str) -> Result<Vec<(String, Value)>, StoreError> {
        let prefix = keys::collection(collection);
        self.keyspace
            .prefix(&prefix)
            .map(|guard| {
                let (key, value) = guard.into_inner().map_err(backend)?;
                let id = key
                    .get(prefix.len()..)
                    .and_then(|id| std::str::from_utf8(id).ok())
                    .ok_or_else(|| StoreError::Backend("a malformed document key".into()))?;
                Ok((id.to_string(), decode(&value)?))
            })
            .collect()
    }
}
