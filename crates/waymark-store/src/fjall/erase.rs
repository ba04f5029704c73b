//! Physical erasure (SPEC §3, right to be forgotten). Deleting a record in an LSM-tree
//! writes a tombstone; the old value stays in the journal and in older tables until a
//! compaction drops both. Erasing:
//! 1. rolls the journal over: fjall seals its active journal only when a flush finds it
//!    past 64 MB, and offers no call to do it sooner, so the eraser appends that much
//!    incompressible filler to a scratch keyspace first;
//! 2. flushes every keyspace's memtable, after which no sealed journal is needed and fjall
//!    deletes them;
//! 3. removes the filler and compacts every keyspace fully, so that tombstones meet the
//!    values they shadow and both go.
//!
//! Erasing so costs about 64 MB of writes, which is why deletions are erased in batches
//! (see below) unless a caller asks for one at once.
//!
//! A deletion marks the store as holding unerased data, durably, with the time of the
//! first such deletion. The eraser thread erases once that mark is `erase_within` old, so
//! every deletion is physically gone within that bound (default 24 hours; SPEC: at most 30
//! days), also across restarts. A caller may also erase at once.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::fjall::PersistMode;

use super::backend;
use super::open::Keyspaces;
use crate::store::StoreError;

/// The `meta` key holding when the oldest unerased deletion happened (unix ms, big-endian).
const PENDING: &str = "erase_pending_since";
/// Filler written to roll the journal over: just past fjall's 64 MB rotation threshold.
const FILLER_CHUNKS: u32 = 65;
const FILLER_CHUNK_BYTES: usize = 1 << 20;
/// How many 10 ms rounds erasure waits for fjall to delete sealed journals.
const JOURNAL_WAIT_ROUNDS: u32 = 1000;

/// Incompressible bytes (the journal compresses large values, so zeros would not fill it).
struct Noise(u64);

impl Noise {
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            // xorshift64: fast, and random enough to defeat LZ4.
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            out.extend_from_slice(&self.0.to_le_bytes());
        }
        out.truncate(n);
        out
    }
}

/// Erasure of one database; one erasure runs at a time.
#[derive(Clone)]
pub(super) struct Eraser {
    ks: Keyspaces,
    running: Arc<Mutex<()>>,
}

impl Eraser {
    pub(super) fn new(ks: Keyspaces) -> Self {
        Self {
            ks,
            running: Arc::new(Mutex::new(())),
        }
    }

    /// Records, durably, that a deletion is about to leave data to erase (kept when an
    /// earlier one is still pending, so the bound counts from the oldest).
    pub(super) fn mark_pending(&self) -> Result<(), StoreError> {
        if self.pending_since()?.is_none() {
            let now = now_ms().to_be_bytes();
            self.ks.meta.insert(PENDING, now).map_err(backend)?;
            self.ks.db.persist(PersistMode::SyncAll).map_err(backend)?;
        }
        Ok(())
    }

    /// When the oldest unerased deletion happened (unix ms).
    fn pending_since(&self) -> Result<Option<u64>, StoreError> {
        Ok(self
            .ks
            .meta
            .get(PENDING)
            .map_err(backend)?
            .and_then(|v| <[u8; 8]>::try_from(&*v).ok())
            .map(u64::from_be_bytes))
    }

    /// Erases now: flushes and compacts every keyspace, then clears the pending mark.
    pub(super) fn erase(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self
            .running
            .lock()
            .map_err(|_| StoreError::Backend("the eraser's lock is poisoned".into()))?;
        // Cleared first: a deletion committed while the compaction runs marks it again.
        self.ks.meta.remove(PENDING).map_err(backend)?;
        let filler = &self.ks.erase_filler;
        // One chunk of noise, written under many keys: the journal compresses each value
        // on its own, so every copy still takes its full size.
        let chunk = Noise(0x9e37_79b9_7f4a_7c15).bytes(FILLER_CHUNK_BYTES);
        for i in 0..FILLER_CHUNKS {
            filler
                .insert(i.to_be_bytes(), chunk.as_slice())
                .map_err(backend)?;
        }
        // The flush of the filler finds the journal past the threshold and seals it.
        filler.rotate_memtable_and_wait().map_err(backend)?;
        for i in 0..FILLER_CHUNKS {
            filler.remove(i.to_be_bytes()).map_err(backend)?;
        }
        for keyspace in self.ks.all() {
            keyspace.rotate_memtable_and_wait().map_err(backend)?;
        }
        self.drop_sealed_journals()?;
        for keyspace in self.ks.all() {
            keyspace.major_compact().map_err(backend)?;
        }
        self.ks.db.persist(PersistMode::SyncAll).map_err(backend)
    }

    /// Waits until fjall has deleted every sealed journal. It does so in its journal
    /// maintenance, which runs after flushes (possibly just after our wait for them ended)
    /// and on memtable rotations, so a rotation of the filler keyspace nudges it.
    fn drop_sealed_journals(&self) -> Result<(), StoreError> {
        for _ in 0..JOURNAL_WAIT_ROUNDS {
            if self.ks.db.journal_count() <= 1 {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
            self.ks
                .erase_filler
                .insert(b"nudge", b"")
                .map_err(backend)?;
            self.ks.erase_filler.remove(b"nudge").map_err(backend)?;
            self.ks
                .erase_filler
                .rotate_memtable_and_wait()
                .map_err(backend)?;
        }
        Err(StoreError::Backend(format!(
            "erasing: {} journals remain; a keyspace did not flush",
            self.ks.db.journal_count()
        )))
    }

    /// The eraser thread's loop: erases whenever the pending mark is `within` old, until
    /// `stop` is dropped.
    pub(super) fn run(self, within: Duration, stop: Receiver<()>) {
        // Look often enough that the bound holds to within a few percent, and at least
        // hourly.
        let tick = (within / 24).clamp(Duration::from_millis(10), Duration::from_secs(3600));
        loop {
            match stop.recv_timeout(tick) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
            let due = match self.pending_since() {
                Ok(Some(since)) => now_ms().saturating_sub(since) >= within.as_millis() as u64,
                Ok(None) => false,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the erase mark");
                    false
                }
            };
            if due && let Err(e) = self.erase() {
                tracing::error!(error = %e, "erasing deleted data failed; retrying later");
                let _ = self.mark_pending();
            }
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
