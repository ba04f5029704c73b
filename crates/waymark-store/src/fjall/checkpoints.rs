//! Partition checkpoints on fjall: `ws(partition) ‖ slot` → sealed record (see
//! `crate::checkpoint`), written from the caller's thread as one insert and synced before
//! returning. The keyspace is an ordinary one, erased like the others (a checkpoint holds
//! profile keys, which the right to be forgotten must reach; blob files would keep an old
//! value past a full compaction).

use ::fjall::{Database, Keyspace, PersistMode};

use super::backend;
use super::keys;
use crate::checkpoint::{self, Checkpoint};
use crate::store::StoreError;

/// The checkpoints keyspace and how to sync it.
pub(super) struct Checkpoints {
    pub(super) db: Database,
    pub(super) keyspace: Keyspace,
    pub(super) persist: PersistMode,
}

impl Checkpoints {
    /// A partition's two slots as stored.
    fn slots(&self, partition: &str) -> Result<[Option<::fjall::Slice>; 2], StoreError> {
        let get = |slot: u8| self.keyspace.get(key(partition, slot)).map_err(backend);
        Ok([get(0)?, get(1)?])
    }

    /// Writes `checkpoint` into the slot that does not hold the latest, and syncs.
    pub(super) fn put(&self, partition: &str, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        crate::check_name("a partition", partition)?;
        let slots = self.slots(partition)?;
        let (slot, generation) = checkpoint::next_slot(slots.iter().map(|s| s.as_deref()));
        let record = checkpoint::seal(generation, checkpoint);
        self.keyspace
            .insert(key(partition, slot), record)
            .map_err(backend)?;
        self.db.persist(self.persist).map_err(backend)
    }

    /// The latest whole checkpoint of a partition.
    pub(super) fn get(&self, partition: &str) -> Result<Option<Checkpoint>, StoreError> {
        let slots = self.slots(partition)?;
        Ok(checkpoint::latest(slots.iter().map(|s| s.as_deref())).map(|s| s.checkpoint))
    }
}

/// `ws(partition) ‖ slot`.
fn key(partition: &str, slot: u8) -> Vec<u8> {
    let mut key = keys::ws(partition);
    key.push(slot);
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use crate::fjall::FjallStore;

    fn cp(cursor: u64) -> Checkpoint {
        Checkpoint {
            cursor,
            state: vec![cursor as u8; 1000],
        }
    }

    /// A torn latest record (as a crash in the middle of writing it would leave, were the
    /// write not atomic) is never read: the previous one is, after a reopen too, and the
    /// next write replaces the torn one.
    #[test]
    fn a_torn_latest_checkpoint_falls_back_to_the_previous() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = FjallStore::open(dir.path()).unwrap();
            store.put_checkpoint("ws", &cp(1)).unwrap();
            store.put_checkpoint("ws", &cp(2)).unwrap();
            let latest = key("ws", 0);
            let whole = store.ks.checkpoints.get(&latest).unwrap().unwrap();
            store
                .ks
                .checkpoints
                .insert(&latest, &whole[..whole.len() / 2])
                .unwrap();
            assert_eq!(store.checkpoint("ws").unwrap(), Some(cp(1)));
        }
        let store = FjallStore::open(dir.path()).unwrap();
        assert_eq!(store.checkpoint("ws").unwrap(), Some(cp(1)));
        store.put_checkpoint("ws", &cp(3)).unwrap();
        assert_eq!(store.checkpoint("ws").unwrap(), Some(cp(3)));
        store.put_checkpoint("ws", &cp(4)).unwrap();
        assert_eq!(store.checkpoint("ws").unwrap(), Some(cp(4)));
    }
}
