//! The outbox on fjall. Records live under their seq; an id index finds them by delivery
//! id; the due index (`output ‖ next attempt ‖ seq`) holds exactly the pending records, so
//! due and next-due are prefix scans; the chain index (`output ‖ key ‖ seq`) holds the
//! pending records that have a key, so "is this the first of its key?" is one short prefix
//! scan; counters per output and status spare counting scans.
//!
//! Writes run on the caller's thread, one at a time (a mutex), each as one batch synced
//! before returning. Reads need no lock: they read a snapshot.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use ::fjall::{Database, Keyspace, PersistMode, Readable};
use waymark_engine::time::Millis;

use super::backend;
use super::keys;
use super::open::decode;
use super::outbox_floor::Floors;
use crate::outbox::{
    DeliveryStatus, GroupCounts, GroupError, GroupErrors, OutboxQuery, OutboxRecord, group_status,
    zero_counts, zero_group_counts,
};
use crate::store::StoreError;

/// The outbox's keyspaces.
pub(super) struct Outbox {
    pub(super) db: Database,
    /// `seq` → JSON [`OutboxRecord`].
    pub(super) records: Keyspace,
    /// `len ‖ delivery id` → seq.
    pub(super) ids: Keyspace,
    /// `output ‖ next attempt ‖ seq` → nothing, for pending records only.
    pub(super) due: Keyspace,
    /// `output ‖ status name` → count.
    pub(super) counts: Keyspace,
    /// `output ‖ key ‖ seq` → nothing, for pending records with a key.
    pub(super) chains: Keyspace,
    /// `output ‖ group ‖ 0 ‖ status name` → count.
    pub(super) group_counts: Keyspace,
    /// `output ‖ group` → the group's latest [`GroupError`] (JSON).
    pub(super) group_errors: Keyspace,
    /// `key ‖ seq` → nothing, for every record with a key.
    pub(super) by_key: Keyspace,
    pub(super) persist: PersistMode,
    /// Held by every write; the last seq given.
    pub(super) last_seq: Mutex<u64>,
    /// Where due scans start, per output.
    pub(super) floors: Floors,
}

/// The last seq the records keyspace holds.
pub(super) fn last_seq(records: &Keyspace) -> Result<u64, StoreError> {
    match records.last_key_value() {
        Some(guard) => keys::read_u64(&guard.key().map_err(backend)?)
            .ok_or_else(|| StoreError::Backend("a malformed outbox key".into())),
        None => Ok(0),
    }
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "outbox record",
        id: id.to_string(),
    }
}

/// One write's changes, by key, so that each key is written once (fjall gives every item
/// of a batch the same sequence number), with reads that see them.
#[derive(Default)]
struct Staged {
    records: BTreeMap<u64, OutboxRecord>,
    ids: BTreeMap<Vec<u8>, u64>,
    due: BTreeMap<Vec<u8>, bool>,
    chains: BTreeMap<Vec<u8>, bool>,
    counts: HashMap<Vec<u8>, u64>,
    group_counts: HashMap<Vec<u8>, u64>,
    group_errors: HashMap<Vec<u8>, GroupError>,
    /// Key-index entries of new records.
    by_key: Vec<Vec<u8>>,
    /// Records erased: their seq, id-index key and key-index key.
    erased: Vec<(u64, Vec<u8>, Vec<u8>)>,
}

impl Outbox {
    fn lock(&self) -> Result<MutexGuard<'_, u64>, StoreError> {
        self.last_seq
            .lock()
            .map_err(|_| StoreError::Backend("the outbox lock is poisoned".into()))
    }

    /// Adds the records whose ids are new.
    pub(super) fn add(&self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError> {
        for record in &records {
            crate::check_name("a delivery id", &record.id)?;
            crate::check_name("an output", &record.output)?;
            check_group(record)?;
        }
        let mut last_seq = self.lock()?;
        let mut staged = Staged::default();
        let mut seq = *last_seq;
        let mut added = Vec::with_capacity(records.len());
        for mut record in records {
            let id_key = keys::outbox_id(&record.id);
            if staged.ids.contains_key(&id_key)
                || self.ids.contains_key(&id_key).map_err(backend)?
            {
                added.push(false);
                continue;
            }
            seq += 1;
            record.seq = seq;
            staged.ids.insert(id_key, seq);
            self.replace(&mut staged, None, record)?;
            added.push(true);
        }
        // Seqs are never given twice, even when the write below fails half-way.
        *last_seq = seq;
        self.commit(staged)?;
        Ok(added)
    }

    /// Replaces records by id, all or none.
    pub(super) fn update(&self, records: Vec<OutboxRecord>) -> Result<(), StoreError> {
        self.replace_where(records, |_| true).map(|_| ())
    }

    /// Replaces the records that are still pending.
    pub(super) fn settle(&self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError> {
        self.replace_where(records, |old| old.status == DeliveryStatus::Pending)
    }

    /// Replaces each record by id whose current version passes `keep`, in one write.
    fn replace_where(
        &self,
        records: Vec<OutboxRecord>,
        keep: impl Fn(&OutboxRecord) -> bool,
    ) -> Result<Vec<bool>, StoreError> {
        for record in &records {
            crate::check_name("an output", &record.output)?;
            check_group(record)?;
        }
        let _guard = self.lock()?;
        let mut staged = Staged::default();
        let mut replaced = Vec::with_capacity(records.len());
        for mut record in records {
            let seq = match self.ids.get(keys::outbox_id(&record.id)).map_err(backend)? {
                Some(bytes) => keys::read_u64(&bytes)
                    .ok_or_else(|| StoreError::Backend("a malformed outbox id entry".into()))?,
                None => return Err(not_found(&record.id)),
            };
            let old = self.current(&staged, seq)?;
            let replace = keep(&old);
            replaced.push(replace);
            if replace {
                record.seq = seq;
                self.replace(&mut staged, Some(&old), record)?;
            }
        }
        self.commit(staged)?;
        Ok(replaced)
    }

    /// Discards the matching pending records of `output`.
    pub(super) fn remove_for(
        &self,
        output: &str,
        pred: &dyn Fn(&OutboxRecord) -> bool,
    ) -> Result<usize, StoreError> {
        let _guard = self.lock()?;
        let prefix = keys::output(output);
        let mut staged = Staged::default();
        let mut removed = 0;
        for guard in self.due.prefix(&prefix) {
            let key = guard.key().map_err(backend)?;
            let (_, seq) = keys::outbox_due_parts(&key, prefix.len())
                .ok_or_else(|| StoreError::Backend("a malformed outbox due key".into()))?;
            let old = self.current(&staged, seq)?;
            if old.status != DeliveryStatus::Pending || !pred(&old) {
                continue;
            }
            let mut record = old.clone();
            record.status = DeliveryStatus::Discarded;
            self.replace(&mut staged, Some(&old), record)?;
            removed += 1;
        }
        self.commit(staged)?;
        Ok(removed)
    }

    /// Erases every record whose ordering key is one of `keys`, whatever its output or
    /// status, with its index entries; the counts drop as if it had never been added.
    pub(super) fn erase_keys(&self, keys_: &[String]) -> Result<usize, StoreError> {
        let _guard = self.lock()?;
        let mut staged = Staged::default();
        for key in keys_ {
            for guard in self.by_key.prefix(keys::outbox_by_key_prefix(key)) {
                let index_key = guard.key().map_err(backend)?;
                let seq = index_key
                    .len()
                    .checked_sub(8)
                    .and_then(|at| keys::read_u64(&index_key[at..]))
                    .ok_or_else(|| StoreError::Backend("a malformed outbox key index".into()))?;
                let old = self.current(&staged, seq)?;
                self.unindex(&mut staged, &old)?;
                staged
                    .erased
                    .push((seq, keys::outbox_id(&old.id), index_key.to_vec()));
            }
        }
        let erased = staged.erased.len();
        self.commit(staged)?;
        Ok(erased)
    }

    /// Builds the key index from the records when the store predates it (once, at open).
    pub(super) fn build_key_index(&self, meta: &Keyspace) -> Result<(), StoreError> {
        const BUILT: &str = "outbox_key_index";
        if meta.get(BUILT).map_err(backend)?.is_some() {
            return Ok(());
        }
        let mut batch = self.db.batch();
        for guard in self.records.iter() {
            let record: OutboxRecord = decode(&guard.value().map_err(backend)?)?;
            if let Some(key) = &record.key {
                batch.insert(&self.by_key, keys::outbox_by_key(key, record.seq), &b""[..]);
            }
        }
        batch.insert(meta, BUILT, &b"1"[..]);
        batch.commit().map_err(backend)?;
        self.db.persist(PersistMode::SyncAll).map_err(backend)
    }

    /// A record as it stands with the staged changes.
    fn current(&self, staged: &Staged, seq: u64) -> Result<OutboxRecord, StoreError> {
        if let Some(record) = staged.records.get(&seq) {
            return Ok(record.clone());
        }
        match self
            .records
            .get(keys::outbox_record(seq))
            .map_err(backend)?
        {
            Some(bytes) => decode(&bytes),
            None => Err(StoreError::Backend(format!(
                "the outbox indexes point at record {seq}, which does not exist"
            ))),
        }
    }

    /// Stages `new` in place of `old` (`None`: a new record), moving its index entries.
    fn replace(
        &self,
        staged: &mut Staged,
        old: Option<&OutboxRecord>,
        new: OutboxRecord,
    ) -> Result<(), StoreError> {
        match old {
            Some(old) => self.unindex(staged, old)?,
            None => {
                if let Some(key) = &new.key {
                    staged.by_key.push(keys::outbox_by_key(key, new.seq));
                }
            }
        }
        let prefix = keys::output(&new.output);
        if new.status == DeliveryStatus::Pending {
            let key = keys::outbox_due(&prefix, new.next_attempt_at, new.seq);
            staged.due.insert(key, true);
            if let Some(chain) = &new.key {
                let chain = keys::outbox_chain_prefix(&prefix, chain);
                staged
                    .chains
                    .insert(keys::outbox_chain(&chain, new.seq), true);
            }
        }
        self.bump(staged, keys::outbox_count(&prefix, new.status.as_str()), 1)?;
        if let Some(group) = &new.group {
            let key = keys::outbox_group_count(&prefix, group, group_status(&new));
            self.bump_group(staged, key, 1)?;
            if let Some(error) = GroupError::of(&new) {
                self.note_error(staged, keys::outbox_group_prefix(&prefix, group), error)?;
            }
        }
        staged.records.insert(new.seq, new);
        Ok(())
    }

    /// Stages the removal of `old`'s due and chain entries and its share of the counts.
    fn unindex(&self, staged: &mut Staged, old: &OutboxRecord) -> Result<(), StoreError> {
        let prefix = keys::output(&old.output);
        if old.status == DeliveryStatus::Pending {
            let key = keys::outbox_due(&prefix, old.next_attempt_at, old.seq);
            staged.due.insert(key, false);
            if let Some(chain) = &old.key {
                let chain = keys::outbox_chain_prefix(&prefix, chain);
                staged
                    .chains
                    .insert(keys::outbox_chain(&chain, old.seq), false);
            }
        }
        self.bump(staged, keys::outbox_count(&prefix, old.status.as_str()), -1)?;
        if let Some(group) = &old.group {
            let key = keys::outbox_group_count(&prefix, group, group_status(old));
            self.bump_group(staged, key, -1)?;
        }
        Ok(())
    }

    fn bump(&self, staged: &mut Staged, key: Vec<u8>, by: i64) -> Result<(), StoreError> {
        let current = match staged.counts.get(&key) {
            Some(&n) => n,
            None => read_count(self.counts.get(&key).map_err(backend)?.as_deref())?,
        };
        let next = current.saturating_add_signed(by);
        staged.counts.insert(key, next);
        Ok(())
    }

    fn bump_group(&self, staged: &mut Staged, key: Vec<u8>, by: i64) -> Result<(), StoreError> {
        let current = match staged.group_counts.get(&key) {
            Some(&n) => n,
            None => read_count(self.group_counts.get(&key).map_err(backend)?.as_deref())?,
        };
        staged
            .group_counts
            .insert(key, current.saturating_add_signed(by));
        Ok(())
    }

    /// Stages `error` as its group's latest unless a later one is known.
    fn note_error(
        &self,
        staged: &mut Staged,
        key: Vec<u8>,
        error: GroupError,
    ) -> Result<(), StoreError> {
        let known = match staged.group_errors.get(&key) {
            Some(e) => Some(e.clone()),
            None => self
                .group_errors
                .get(&key)
                .map_err(backend)?
                .map(|bytes| serde_json::from_slice::<GroupError>(&bytes).map_err(backend))
                .transpose()?,
        };
        if error.supersedes(known.as_ref()) {
            staged.group_errors.insert(key, error);
        }
        Ok(())
    }

    /// Writes the staged changes as one batch and syncs.
    fn commit(&self, staged: Staged) -> Result<(), StoreError> {
        if staged.records.is_empty() && staged.erased.is_empty() {
            return Ok(());
        }
        let mut batch = self.db.batch();
        for (seq, record) in &staged.records {
            let bytes = serde_json::to_vec(record).map_err(backend)?;
            batch.insert(&self.records, keys::outbox_record(*seq), bytes);
        }
        for key in staged.by_key {
            batch.insert(&self.by_key, key, &b""[..]);
        }
        for (seq, id_key, index_key) in staged.erased {
            batch.remove(&self.records, keys::outbox_record(seq));
            batch.remove(&self.ids, id_key);
            batch.remove(&self.by_key, index_key);
        }
        for (key, seq) in staged.ids {
            batch.insert(&self.ids, key, seq.to_be_bytes());
        }
        let added: Vec<Vec<u8>> = staged
            .due
            .iter()
            .filter(|(_, present)| **present)
            .map(|(key, _)| key.clone())
            .collect();
        for (key, present) in staged.due {
            if present {
                batch.insert(&self.due, key, &b""[..]);
            } else {
                batch.remove(&self.due, key);
            }
        }
        for (key, present) in staged.chains {
            if present {
                batch.insert(&self.chains, key, &b""[..]);
            } else {
                batch.remove(&self.chains, key);
            }
        }
        for (key, count) in staged.counts {
            batch.insert(&self.counts, key, count.to_be_bytes());
        }
        for (key, count) in staged.group_counts {
            batch.insert(&self.group_counts, key, count.to_be_bytes());
        }
        for (key, error) in staged.group_errors {
            let bytes = serde_json::to_vec(&error).map_err(backend)?;
            batch.insert(&self.group_errors, key, bytes);
        }
        batch.commit().map_err(backend)?;
        self.db.persist(self.persist).map_err(backend)?;
        // After the commit: a scan that misses a key committed before the floor moved down
        // cannot raise the floor above it (see `Floors`).
        for key in added {
            // A due key is the output prefix and 16 bytes (time, seq).
            if let Some(prefix) = key.get(..key.len().saturating_sub(16)) {
                self.floors.lower(prefix, &key);
            }
        }
        Ok(())
    }

    /// Pending records of `output` due at `now`, by (next attempt, seq).
    pub(super) fn due(
        &self,
        output: &str,
        now: Millis,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let prefix = keys::output(output);
        let (floor, seen) = self.floors.start(&prefix);
        let snapshot = self.db.snapshot();
        let mut due = Vec::new();
        let mut first: Option<Vec<u8>> = None;
        let mut scanned = false;
        for guard in snapshot.range(&self.due, floor..=Floors::end(&prefix)) {
            scanned = true;
            if due.len() >= limit {
                break;
            }
            let key = guard.key().map_err(backend)?;
            if first.is_none() {
                first = Some(key.to_vec());
            }
            let (at, seq) = keys::outbox_due_parts(&key, prefix.len())
                .ok_or_else(|| StoreError::Backend("a malformed outbox due key".into()))?;
            if at > now {
                break;
            }
            match snapshot
                .get(&self.records, keys::outbox_record(seq))
                .map_err(backend)?
            {
                Some(bytes) => {
                    let record: OutboxRecord = decode(&bytes)?;
                    if self.is_first(&snapshot, &prefix, &record)? {
                        due.push(record);
                    }
                }
                None => {
                    return Err(StoreError::Backend(format!(
                        "the outbox due index points at record {seq}, which does not exist"
                    )));
                }
            }
        }
        if first.is_some() || !scanned {
            self.floors.raise(&prefix, seen, first.as_deref());
        }
        Ok(due)
    }

    /// Whether no pending record of the same output and key comes before `record`.
    fn is_first(
        &self,
        snapshot: &::fjall::Snapshot,
        output_prefix: &[u8],
        record: &OutboxRecord,
    ) -> Result<bool, StoreError> {
        let Some(key) = &record.key else {
            return Ok(true);
        };
        let chain = keys::outbox_chain_prefix(output_prefix, key);
        match snapshot.prefix(&self.chains, &chain).next() {
            Some(guard) => {
                let first = guard.key().map_err(backend)?;
                let seq = first
                    .get(chain.len()..)
                    .and_then(keys::read_u64)
                    .ok_or_else(|| StoreError::Backend("a malformed outbox chain key".into()))?;
                Ok(seq >= record.seq)
            }
            None => Ok(true),
        }
    }

    /// The earliest next attempt among `output`'s pending records.
    pub(super) fn next_due(&self, output: &str) -> Result<Option<Millis>, StoreError> {
        let prefix = keys::output(output);
        let (floor, _) = self.floors.start(&prefix);
        match self.due.range(floor..=Floors::end(&prefix)).next() {
            Some(guard) => {
                let key = guard.key().map_err(backend)?;
                keys::outbox_due_parts(&key, prefix.len())
                    .map(|(at, _)| Some(at))
                    .ok_or_else(|| StoreError::Backend("a malformed outbox due key".into()))
            }
            None => Ok(None),
        }
    }

    /// One record by delivery id.
    pub(super) fn get(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        let snapshot = self.db.snapshot();
        let Some(seq) = snapshot
            .get(&self.ids, keys::outbox_id(id))
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let seq = keys::read_u64(&seq)
            .ok_or_else(|| StoreError::Backend("a malformed outbox id entry".into()))?;
        match snapshot
            .get(&self.records, keys::outbox_record(seq))
            .map_err(backend)?
        {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Records by seq after the cursor, filtered (a scan of the outbox from the cursor).
    pub(super) fn list(&self, query: &OutboxQuery) -> Result<Vec<OutboxRecord>, StoreError> {
        let mut found = Vec::new();
        let from = keys::outbox_record(query.after.saturating_add(1));
        for guard in self.records.range(from..) {
            if found.len() >= query.limit {
                break;
            }
            let record: OutboxRecord = decode(&guard.value().map_err(backend)?)?;
            if query.matches(&record) {
                found.push(record);
            }
        }
        Ok(found)
    }

    /// Counts per status of `output`, from the counters.
    pub(super) fn counts(&self, output: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        let snapshot = self.db.snapshot();
        let prefix = keys::output(output);
        let mut counts = zero_counts();
        for status in DeliveryStatus::ALL {
            let key = keys::outbox_count(&prefix, status.as_str());
            let value = snapshot.get(&self.counts, key).map_err(backend)?;
            counts.insert(status.as_str().to_string(), read_count(value.as_deref())?);
        }
        Ok(counts)
    }

    /// Counts per status of `output`'s groups that start with `prefix`, from the counters.
    pub(super) fn group_counts(
        &self,
        output: &str,
        prefix: &str,
    ) -> Result<GroupCounts, StoreError> {
        let snapshot = self.db.snapshot();
        let output_prefix = keys::output(output);
        let mut out = GroupCounts::new();
        let scan = keys::outbox_group_prefix(&output_prefix, prefix);
        for guard in snapshot.prefix(&self.group_counts, &scan) {
            let (key, value) = guard.into_inner().map_err(backend)?;
            let rest = key.get(output_prefix.len()..).unwrap_or_default();
            let Some(nul) = rest.iter().rposition(|b| *b == 0) else {
                return Err(StoreError::Backend("a malformed group count key".into()));
            };
            let group = String::from_utf8_lossy(&rest[..nul]).into_owned();
            let status = String::from_utf8_lossy(&rest[nul + 1..]).into_owned();
            out.entry(group)
                .or_insert_with(zero_group_counts)
                .insert(status, read_count(Some(&value))?);
        }
        Ok(out)
    }
}

impl Outbox {
    /// The latest error of `output`'s groups that start with `prefix`.
    pub(super) fn group_errors(
        &self,
        output: &str,
        prefix: &str,
    ) -> Result<GroupErrors, StoreError> {
        let snapshot = self.db.snapshot();
        let output_prefix = keys::output(output);
        let mut out = GroupErrors::new();
        let scan = keys::outbox_group_prefix(&output_prefix, prefix);
        for guard in snapshot.prefix(&self.group_errors, &scan) {
            let (key, value) = guard.into_inner().map_err(backend)?;
            let group = key.get(output_prefix.len()..).unwrap_or_default();
            let error: GroupError = serde_json::from_slice(&value).map_err(backend)?;
            out.insert(String::from_utf8_lossy(group).into_owned(), error);
        }
        Ok(out)
    }
}

/// Refuses a group that a counter key could not hold.
fn check_group(record: &OutboxRecord) -> Result<(), StoreError> {
    if let Some(group) = &record.group {
        crate::check_name("a delivery group", group)?;
        if group.contains('\0') {
            return Err(StoreError::Backend(
                "a delivery group holds a NUL byte".into(),
            ));
        }
    }
    Ok(())
}

fn read_count(value: Option<&[u8]>) -> Result<u64, StoreError> {
    match value {
        Some(bytes) => {
            keys::read_u64(bytes).ok_or_else(|| StoreError::Backend("a malformed count".into()))
        }
        None => Ok(0),
    }
}
