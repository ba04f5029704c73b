//! Partition checkpoints on the fjall backend: one file per partition in the data
//! directory's `checkpoints/` folder, replaced atomically (written beside it, synced, then
//! renamed over it), holding the sealed record of `crate::checkpoint`.
//!
//! Not in a keyspace: a checkpoint is hundreds of megabytes at a million users, and as a
//! value it went through the journal and a memtable — a graceful stop left it in the
//! journal, which the next start read back into memory (about 500 MB and 8–30 s of the
//! restart at 1M users: docs/benchmarks.md, B3 and B4). A rename also makes a torn file
//! impossible, so one file per partition is enough. The right to be forgotten reaches a
//! checkpoint by rewriting it: the replaced file is unlinked. Versions before this one
//! kept checkpoints in the `checkpoints` keyspace (two slots per partition): they are
//! still read when no file exists, and removed once a file is written.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ::fjall::{Database, Keyspace, PersistMode};

use super::backend;
use super::keys;
use crate::checkpoint::{self, Checkpoint};
use crate::store::StoreError;

/// Where checkpoints are, and how to sync them.
pub(super) struct Checkpoints {
    pub(super) dir: PathBuf,
    /// Sync with `fdatasync` instead of `fsync` (`FjallOptions::sync_data`).
    pub(super) sync_data: bool,
    /// The keyspace older versions wrote checkpoints into.
    pub(super) db: Database,
    pub(super) legacy: Keyspace,
    pub(super) persist: PersistMode,
}

impl Checkpoints {
    /// Replaces the partition's checkpoint with `checkpoint`.
    pub(super) fn put(&self, partition: &str, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        crate::check_name("a partition", partition)?;
        fs::create_dir_all(&self.dir).map_err(io)?;
        let path = self.file(partition);
        let partial = path.with_extension("partial");
        let mut file = fs::File::create(&partial).map_err(io)?;
        file.write_all(&checkpoint::header(1, checkpoint))
            .map_err(io)?;
        file.write_all(&checkpoint.state).map_err(io)?;
        if self.sync_data {
            file.sync_data().map_err(io)?;
        } else {
            file.sync_all().map_err(io)?;
        }
        drop(file);
        fs::rename(&partial, &path).map_err(io)?;
        sync_dir(&self.dir)?;
        self.drop_legacy(partition)
    }

    /// The partition's checkpoint, unless it has none or it is damaged.
    pub(super) fn get(&self, partition: &str) -> Result<Option<Checkpoint>, StoreError> {
        match fs::read(self.file(partition)) {
            Ok(record) => Ok(checkpoint::open_owned(record).map(|s| s.checkpoint)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.legacy(partition),
            Err(e) => Err(io(e)),
        }
    }

    /// `checkpoints/<partition in hex>.ckpt`: any partition name makes a file name.
    fn file(&self, partition: &str) -> PathBuf {
        let hex: String = partition.bytes().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}.ckpt"))
    }

    /// The latest whole checkpoint an older version wrote into the keyspace.
    fn legacy(&self, partition: &str) -> Result<Option<Checkpoint>, StoreError> {
        let get = |slot: u8| self.legacy.get(key(partition, slot)).map_err(backend);
        let slots = [get(0)?, get(1)?];
        Ok(checkpoint::latest(slots.iter().map(|s| s.as_deref())).map(|s| s.checkpoint))
    }

    fn drop_legacy(&self, partition: &str) -> Result<(), StoreError> {
        let mut any = false;
        for slot in 0..2 {
            let key = key(partition, slot);
            if self.legacy.contains_key(&key).map_err(backend)? {
                self.legacy.remove(key).map_err(backend)?;
                any = true;
            }
        }
        if any {
            self.db.persist(self.persist).map_err(backend)?;
        }
        Ok(())
    }
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("checkpoint file: {e}"))
}

/// `ws(partition) ‖ slot` (the keyspace older versions wrote).
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

    /// A damaged file is never read as a checkpoint (the runtime then replays the log),
    /// and the next write replaces it.
    #[test]
    fn a_damaged_checkpoint_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = FjallStore::open(dir.path()).unwrap();
        store.put_checkpoint("ws", &cp(1)).unwrap();
        store.put_checkpoint("ws", &cp(2)).unwrap();
        assert_eq!(store.checkpoint("ws").unwrap(), Some(cp(2)));
        let file = store.checkpoints.file("ws");
        let whole = fs::read(&file).unwrap();
        fs::write(&file, &whole[..whole.len() / 2]).unwrap();
        assert_eq!(store.checkpoint("ws").unwrap(), None);
        store.put_checkpoint("ws", &cp(3)).unwrap();
        drop(store);
        let store = FjallStore::open(dir.path()).unwrap();
        assert_eq!(store.checkpoint("ws").unwrap(), Some(cp(3)));
        assert_eq!(store.checkpoint("other").unwrap(), None);
    }

    /// A checkpoint an older version left in the keyspace is read until a file replaces
    /// it, and then removed.
    #[test]
    fn a_checkpoint_in_the_keyspace_is_read_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = FjallStore::open(dir.path()).unwrap();
        let legacy = &store.checkpoints.legacy;
        legacy
            .insert(key("ws", 1), checkpoint::seal(1, &cp(1)))
            .unwrap();
        legacy
            .insert(key("ws", 0), checkpoint::seal(2, &cp(2)))
            .unwrap();
        assert_eq!(store.checkpoint("ws").unwrap(), Some(cp(2)));
        store.put_checkpoint("ws", &cp(3)).unwrap();
        assert!(legacy.get(key("ws", 0)).unwrap().is_none());
        assert!(legacy.get(key("ws", 1)).unwrap().is_none());
        assert_eq!(store.checkpoint("ws").unwrap(), Some(cp(3)));
    }
}
