//! The writer's view of the profile keyspaces while it applies a group of requests: writes
//! are staged in memory, in two layers (the group's and the current request's), and reach
//! fjall only when the whole group is committed as one batch. A request that fails is
//! dropped with its layer, so every request applies whole or not at all.

use std::collections::{BTreeMap, HashMap, HashSet};

use ::fjall::OwnedWriteBatch;
use waymark_engine::time::Millis;

use super::backend;
use super::keys::{self, Counter};
use super::open::{Keyspaces, decode};
use crate::apply::Tx;
use crate::model::{Profile, ProfileId};
use crate::profile::IdKind;
use crate::store::StoreError;

/// Most identity index entries the writer's [`Cache`] holds (a few dozen bytes each); when
/// the map would grow past it, it is emptied and refills from fjall.
const CACHE_IDENTITIES: usize = 1_000_000;
/// Most decoded profiles the writer's [`Cache`] holds (their size depends on their traits).
const CACHE_PROFILES: usize = 200_000;

/// The committed state of the identity index and of profiles as the writer last wrote it,
/// so that repeated lookups skip fjall's memtable and profile decoding. Only the writer
/// thread writes these keyspaces, and it updates the cache only after a group is durably
/// committed (and empties it when a commit fails), so a cached entry is always what fjall
/// holds. `None` caches an absence.
#[derive(Debug, Default)]
pub(super) struct Cache {
    identities: HashMap<Vec<u8>, Option<ProfileId>>,
    profiles: HashMap<Vec<u8>, Option<Profile>>,
}

impl Cache {
    /// Forgets everything (after a failed commit, when fjall's state is unknown).
    pub(super) fn clear(&mut self) {
        self.identities.clear();
        self.profiles.clear();
    }

    /// Records what a durably committed group wrote.
    pub(super) fn absorb(&mut self, written: Written) {
        if self.identities.len() + written.identities.len() > CACHE_IDENTITIES {
            self.identities.clear();
        }
        if self.profiles.len() + written.profiles.len() > CACHE_PROFILES {
            self.profiles.clear();
        }
        self.identities.extend(written.identities);
        self.profiles.extend(written.profiles);
    }

    fn remember_identity(&mut self, key: Vec<u8>, id: Option<ProfileId>) {
        if self.identities.len() >= CACHE_IDENTITIES {
            self.identities.clear();
        }
        self.identities.insert(key, id);
    }
}

/// The identity and profile writes of a group, for the [`Cache`] once they are durable.
#[derive(Debug, Default)]
pub(super) struct Written {
    identities: HashMap<Vec<u8>, Option<ProfileId>>,
    profiles: HashMap<Vec<u8>, Option<Profile>>,
}

/// Staged writes, by full fjall key; `None` stages a removal.
#[derive(Debug, Default)]
pub(super) struct Layer {
    profiles: HashMap<Vec<u8>, Option<Profile>>,
    identities: HashMap<Vec<u8>, Option<ProfileId>>,
    events: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    dedup: HashSet<Vec<u8>>,
    counters: HashMap<Vec<u8>, u64>,
}

impl Layer {
    /// Whether nothing is staged.
    pub(super) fn is_empty(&self) -> bool {
        self.profiles.is_empty()
            && self.identities.is_empty()
            && self.events.is_empty()
            && self.dedup.is_empty()
            && self.counters.is_empty()
    }

    /// Stages `newer` on top of this layer.
    pub(super) fn absorb(&mut self, newer: Layer) {
        if self.is_empty() {
            *self = newer;
            return;
        }
        self.profiles.extend(newer.profiles);
        self.identities.extend(newer.identities);
        self.events.extend(newer.events);
        self.dedup.extend(newer.dedup);
        self.counters.extend(newer.counters);
    }

    /// Adds every staged write to `batch`, encoding profiles; `messageId`s are recorded as
    /// seen at `now`. Returns the identity and profile writes for the [`Cache`].
    pub(super) fn write_to(
        self,
        batch: &mut OwnedWriteBatch,
        ks: &Keyspaces,
        now: Millis,
    ) -> Result<Written, StoreError> {
        // Each keyspace's writes go in key order: consecutive memtable inserts then walk
        // mostly the same skiplist nodes, which are still in the CPU cache.
        let mut profiles: Vec<_> = self.profiles.iter().collect();
        profiles.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (key, profile) in profiles {
            match profile {
                Some(p) => batch.insert(
                    &ks.profiles,
                    key.clone(),
                    serde_json::to_vec(p).map_err(backend)?,
                ),
                None => batch.remove(&ks.profiles, key.clone()),
            }
        }
        let mut identities: Vec<_> = self.identities.iter().collect();
        identities.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (key, id) in identities {
            match id {
                Some(id) => batch.insert(&ks.identities, key.clone(), id.to_be_bytes()),
                None => batch.remove(&ks.identities, key.clone()),
            }
        }
        // The arrival index follows: an event moved to another profile in this group is a
        // removal and an insertion of one seq, and the insertion must win (one batch writes
        // each key once).
        let mut arrivals: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for (key, event) in &self.events {
            if let Some(arrival) = keys::arrival_of_event(key) {
                match event {
                    Some(_) => {
                        arrivals.insert(arrival, Some(key.clone()));
                    }
                    None => {
                        arrivals.entry(arrival).or_insert(None);
                    }
                }
            }
        }
        for (key, event) in self.events {
            match event {
                Some(bytes) => batch.insert(&ks.events, key, bytes),
                None => batch.remove(&ks.events, key),
            }
        }
        for (key, event_key) in arrivals {
            match event_key {
                Some(event_key) => batch.insert(&ks.arrivals, key, event_key),
                None => batch.remove(&ks.arrivals, key),
            }
        }
        let recorded = keys::time(now);
        let mut dedup: Vec<_> = self.dedup.into_iter().collect();
        dedup.sort_unstable();
        for key in &dedup {
            batch.insert(&ks.dedup_by_time, keys::dedup_by_time(now, key), &b""[..]);
        }
        for key in dedup {
            batch.insert(&ks.dedup, key, recorded);
        }
        for (key, next) in self.counters {
            batch.insert(&ks.counters, key, next.to_be_bytes());
        }
        Ok(Written {
            identities: self.identities,
            profiles: self.profiles,
        })
    }
}

/// One request's transaction in one workspace: reads see its own layer, then the group's,
/// then the writer's cache of committed state, then fjall.
pub(super) struct FjallTx<'a> {
    ks: &'a Keyspaces,
    group: &'a Layer,
    cache: &'a mut Cache,
    own: Layer,
    ws: Vec<u8>,
}

impl<'a> FjallTx<'a> {
    /// A transaction in `workspace` on top of the group's staged writes.
    pub(super) fn new(
        ks: &'a Keyspaces,
        group: &'a Layer,
        cache: &'a mut Cache,
        workspace: &str,
    ) -> Self {
        Self {
            ks,
            group,
            cache,
            own: Layer::default(),
            ws: keys::ws(workspace),
        }
    }

    /// The writes this transaction staged.
    pub(super) fn into_layer(self) -> Layer {
        self.own
    }

    /// A staged value from the own layer, else the group's.
    fn staged<'l, V>(
        &'l self,
        key: &[u8],
        layer: impl Fn(&'l Layer) -> &'l HashMap<Vec<u8>, V>,
    ) -> Option<&'l V> {
        layer(&self.own)
            .get(key)
            .or_else(|| layer(self.group).get(key))
    }

    /// A profile's events as they stand with every staged write: key → encoded event.
    fn events_of(&self, id: ProfileId) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StoreError> {
        let prefix = keys::events_of(&self.ws, id);
        let mut events = BTreeMap::new();
        for guard in self.ks.events.prefix(&prefix) {
            let (key, value) = guard.into_inner().map_err(backend)?;
            events.insert(key.to_vec(), Some(value.to_vec()));
        }
        for layer in [self.group, &self.own] {
            let staged = layer
                .events
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix));
            for (key, value) in staged {
                events.insert(key.clone(), value.clone());
            }
        }
        Ok(events
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect())
    }

    fn next(&mut self, which: Counter) -> Result<u64, StoreError> {
        let key = keys::counter(&self.ws, which);
        let current = match self.staged(&key, |l| &l.counters) {
            Some(&next) => next,
            None => match self.ks.counters.get(&key).map_err(backend)? {
                Some(bytes) => keys::read_u64(&bytes)
                    .ok_or_else(|| StoreError::Backend("a malformed counter".into()))?,
                None => 1,
            },
        };
        self.own.counters.insert(key, current + 1);
        Ok(current)
    }
}

impl Tx for FjallTx<'_> {
    type Event = Vec<u8>;

    fn seen(&mut self, message_id: &str) -> Result<bool, StoreError> {
        let key = keys::dedup(&self.ws, message_id);
        if self.own.dedup.contains(&key) || self.group.dedup.contains(&key) {
            return Ok(true);
        }
        self.ks.dedup.contains_key(&key).map_err(backend)
    }

    fn mark_seen(&mut self, message_id: &str) -> Result<(), StoreError> {
        self.own.dedup.insert(keys::dedup(&self.ws, message_id));
        Ok(())
    }

    fn lookup(&mut self, kind: IdKind, value: &str) -> Result<Option<ProfileId>, StoreError> {
        let key = keys::identity(&self.ws, kind, value);
        if let Some(&staged) = self.staged(&key, |l| &l.identities) {
            return Ok(staged);
        }
        if let Some(&cached) = self.cache.identities.get(&key) {
            return Ok(cached);
        }
        let found = match self.ks.identities.get(&key).map_err(backend)? {
            Some(bytes) => Some(
                keys::read_u64(&bytes)
                    .ok_or_else(|| StoreError::Backend("a malformed identity entry".into()))?,
            ),
            None => None,
        };
        self.cache.remember_identity(key, found);
        Ok(found)
    }

    fn set_identity(
        &mut self,
        kind: IdKind,
        value: &str,
        profile: Option<ProfileId>,
    ) -> Result<(), StoreError> {
        self.own
            .identities
            .insert(keys::identity(&self.ws, kind, value), profile);
        Ok(())
    }

    fn profile(&mut self, id: ProfileId) -> Result<Option<Profile>, StoreError> {
        let key = keys::profile(&self.ws, id);
        if let Some(staged) = self.staged(&key, |l| &l.profiles) {
            return Ok(staged.clone());
        }
        // Taken, not cloned: the caller stages whatever it keeps, and the cache learns it
        // back at commit; a profile read but not written is merely read from fjall again.
        if let Some(cached) = self.cache.profiles.remove(&key) {
            return Ok(cached);
        }
        match self.ks.profiles.get(&key).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn put_profile(&mut self, profile: Profile) -> Result<(), StoreError> {
        self.own
            .profiles
            .insert(keys::profile(&self.ws, profile.id), Some(profile));
        Ok(())
    }

    fn remove_profile(&mut self, id: ProfileId) -> Result<(), StoreError> {
        for key in self.events_of(id)?.into_keys() {
            self.own.events.insert(key, None);
        }
        self.own.profiles.insert(keys::profile(&self.ws, id), None);
        Ok(())
    }

    fn move_events(&mut self, from: ProfileId, to: ProfileId) -> Result<(), StoreError> {
        for (key, event) in self.events_of(from)? {
            let moved = keys::move_event(&key, self.ws.len(), to);
            self.own.events.insert(key, None);
            self.own.events.insert(moved, Some(event));
        }
        Ok(())
    }

    fn next_profile_id(&mut self) -> Result<ProfileId, StoreError> {
        self.next(Counter::Profile)
    }

    fn next_event_seq(&mut self) -> Result<u64, StoreError> {
        self.next(Counter::Event)
    }

    fn append_event(
        &mut self,
        profile: ProfileId,
        at: Millis,
        seq: u64,
        event: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.own
            .events
            .insert(keys::event(&self.ws, profile, at, seq), Some(event));
        Ok(())
    }
}
