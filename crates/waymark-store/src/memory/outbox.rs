//! The in-memory outbox: records by seq, with an id index, a due index and a chain index
//! (pending records by output and key) like the durable backend's.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use waymark_engine::time::Millis;

use crate::outbox::{
    DeliveryStatus, GroupCounts, GroupError, GroupErrors, OutboxQuery, OutboxRecord, group_status,
    zero_counts, zero_group_counts,
};
use crate::store::StoreError;

/// Every outbox record and its indexes.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    /// Records by seq.
    records: BTreeMap<u64, OutboxRecord>,
    /// Delivery id → seq.
    ids: HashMap<String, u64>,
    /// Pending records: (output, next attempt, seq).
    due: BTreeSet<(String, Millis, u64)>,
    /// Pending records with a key: (output, key, seq).
    chains: BTreeSet<(String, String, u64)>,
    /// The last seq given.
    last_seq: u64,
    /// The latest error per (output, group).
    errors: BTreeMap<(String, String), GroupError>,
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "outbox record",
        id: id.to_string(),
    }
}

impl Outbox {
    /// Adds the records whose ids are new.
    pub(super) fn add(&mut self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError> {
        for record in &records {
            crate::check_name("a delivery id", &record.id)?;
            crate::check_name("an output", &record.output)?;
        }
        Ok(records
            .into_iter()
            .map(|mut record| {
                if self.ids.contains_key(&record.id) {
                    return false;
                }
                self.last_seq += 1;
                record.seq = self.last_seq;
                self.insert(record);
                true
            })
            .collect())
    }

    fn insert(&mut self, record: OutboxRecord) {
        if let (Some(group), Some(error)) = (&record.group, GroupError::of(&record)) {
            let slot = (record.output.clone(), group.clone());
            if error.supersedes(self.errors.get(&slot)) {
                self.errors.insert(slot, error);
            }
        }
        if record.status == DeliveryStatus::Pending {
            self.due
                .insert((record.output.clone(), record.next_attempt_at, record.seq));
            if let Some(key) = &record.key {
                self.chains
                    .insert((record.output.clone(), key.clone(), record.seq));
            }
        }
        self.ids.insert(record.id.clone(), record.seq);
        self.records.insert(record.seq, record);
    }

    fn take(&mut self, seq: u64) -> Option<OutboxRecord> {
        let record = self.records.remove(&seq)?;
        self.due
            .remove(&(record.output.clone(), record.next_attempt_at, record.seq));
        if let Some(key) = &record.key {
            self.chains
                .remove(&(record.output.clone(), key.clone(), record.seq));
        }
        Some(record)
    }

    /// Pending records of `output` due at `now`, each the first pending one of its key.
    pub(super) fn due(&self, output: &str, now: Millis, limit: usize) -> Vec<OutboxRecord> {
        let from = (output.to_string(), Millis::MIN, 0);
        let to = (output.to_string(), now, u64::MAX);
        self.due
            .range(from..=to)
            .filter_map(|(_, _, seq)| self.records.get(seq))
            .filter(|r| self.is_first(r))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Whether no pending record of the same output and key comes before `record`.
    fn is_first(&self, record: &OutboxRecord) -> bool {
        let Some(key) = &record.key else {
            return true;
        };
        let from = (record.output.clone(), key.clone(), 0);
        self.chains
            .range(from..)
            .next()
            .is_none_or(|(o, k, seq)| o != &record.output || k != key || *seq >= record.seq)
    }

    /// The earliest next attempt of `output`'s pending records.
    pub(super) fn next_due(&self, output: &str) -> Option<Millis> {
        let from = (output.to_string(), Millis::MIN, 0);
        self.due
            .range(from..)
            .next()
            .filter(|(o, _, _)| o == output)
            .map(|&(_, at, _)| at)
    }

    /// Replaces records by id, all or none.
    pub(super) fn update(&mut self, records: Vec<OutboxRecord>) -> Result<(), StoreError> {
        if let Some(missing) = records.iter().find(|r| !self.ids.contains_key(&r.id)) {
            return Err(not_found(&missing.id));
        }
        for record in &records {
            crate::check_name("an output", &record.output)?;
        }
        for mut record in records {
            let Some(&seq) = self.ids.get(&record.id) else {
                return Err(not_found(&record.id));
            };
            self.take(seq);
            record.seq = seq;
            self.insert(record);
        }
        Ok(())
    }

    /// Replaces the records that are still pending.
    pub(super) fn settle(&mut self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError> {
        if let Some(missing) = records.iter().find(|r| !self.ids.contains_key(&r.id)) {
            return Err(not_found(&missing.id));
        }
        let mut settled = Vec::with_capacity(records.len());
        let mut replace = Vec::new();
        for record in records {
            let pending = self
                .get(&record.id)
                .is_some_and(|r| r.status == DeliveryStatus::Pending)
                && !replace.iter().any(|r: &OutboxRecord| r.id == record.id);
            settled.push(pending);
            if pending {
                replace.push(record);
            }
        }
        self.update(replace)?;
        Ok(settled)
    }

    /// One record by id.
    pub(super) fn get(&self, id: &str) -> Option<OutboxRecord> {
        self.ids
            .get(id)
            .and_then(|seq| self.records.get(seq))
            .cloned()
    }

    /// Records by seq, filtered.
    pub(super) fn list(&self, query: &OutboxQuery) -> Vec<OutboxRecord> {
        self.records
            .range(query.after.saturating_add(1)..)
            .map(|(_, r)| r)
            .filter(|r| query.matches(r))
            .take(query.limit)
            .cloned()
            .collect()
    }

    /// Counts per status of `output`.
    pub(super) fn counts(&self, output: &str) -> BTreeMap<String, u64> {
        let mut counts = zero_counts();
        for record in self.records.values().filter(|r| r.output == output) {
            *counts
                .entry(record.status.as_str().to_string())
                .or_default() += 1;
        }
        counts
    }

    /// Counts per status of `output`'s groups that start with `prefix`.
    pub(super) fn group_counts(&self, output: &str, prefix: &str) -> GroupCounts {
        let mut out = GroupCounts::new();
        for record in self.records.values().filter(|r| r.output == output) {
            if let Some(group) = record.group.as_ref().filter(|g| g.starts_with(prefix)) {
                *out.entry(group.clone())
                    .or_insert_with(zero_group_counts)
                    .entry(group_status(record).to_string())
                    .or_default() += 1;
            }
        }
        out
    }

    /// The latest error of `output`'s groups that start with `prefix`.
    pub(super) fn group_errors(&self, output: &str, prefix: &str) -> GroupErrors {
        let from = (output.to_string(), prefix.to_string());
        self.errors
            .range(from..)
            .take_while(|((o, g), _)| o == output && g.starts_with(prefix))
            .map(|((_, g), e)| (g.clone(), e.clone()))
            .collect()
    }

    /// Discards the matching pending records of `output`.
    pub(super) fn remove_for(
        &mut self,
        output: &str,
        pred: &dyn Fn(&OutboxRecord) -> bool,
    ) -> usize {
        let from = (output.to_string(), Millis::MIN, 0);
        let matching: Vec<u64> = self
            .due
            .range(from..)
            .take_while(|(o, _, _)| o == output)
            .filter(|(_, _, seq)| self.records.get(seq).is_some_and(pred))
            .map(|&(_, _, seq)| seq)
            .collect();
        for &seq in &matching {
            if let Some(mut record) = self.take(seq) {
                record.status = DeliveryStatus::Discarded;
                self.insert(record);
            }
        }
        matching.len()
    }

    /// Erases every record whose key is one of `keys`.
    pub(super) fn erase_keys(&mut self, keys: &[String]) -> usize {
        let matching: Vec<u64> = self
            .records
            .values()
            .filter(|r| r.key.as_ref().is_some_and(|k| keys.contains(k)))
            .map(|r| r.seq)
            .collect();
        for &seq in &matching {
            if let Some(record) = self.take(seq) {
                self.ids.remove(&record.id);
            }
        }
        matching.len()
    }
}
