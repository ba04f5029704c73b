//! One workspace's estimator sample (SPEC §7, §10): the profiles whose
//! `bucket("sample/<user>")` lies below a threshold, with every event of each held in
//! memory, so that an estimate evaluates any criteria without reading the store.
//!
//! The threshold starts at 10000 (everyone) and only falls: when the sample outgrows its
//! capacity, the members of the highest bucket held leave and that bucket becomes the
//! threshold. Buckets are a uniform hash, so the members stay a uniform sample of the
//! profiles, whatever order they arrive in.

use std::collections::{HashMap, HashSet};

use waymark_engine::Event;
use waymark_engine::hash::bucket;
use waymark_engine::time::Millis;
use waymark_store::ProfileId;

/// Buckets run over `0..BUCKETS`.
const BUCKETS: u16 = 10_000;

/// One event of a sampled profile, with where it stands in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sampled {
    /// The workspace's arrival number (0 for events read back from a profile's history,
    /// which then sort by receipt time alone).
    pub(crate) seq: u64,
    pub(crate) received_at: Millis,
    pub(crate) event: Event,
}

/// A sampled profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    /// Its key: `userId`, else its first `anonymousId` (what the bucket hashes).
    pub(crate) key: String,
    pub(crate) user_id: Option<String>,
    pub(crate) anonymous_id: Option<String>,
    bucket: u16,
    pub(crate) events: Vec<Sampled>,
}

/// One stored event of a profile, as the sample takes it.
pub(crate) struct Arrival<'a> {
    pub(crate) seq: u64,
    pub(crate) profile: ProfileId,
    /// Profiles merged into `profile` by this event (they no longer exist).
    pub(crate) merged: &'a [ProfileId],
    pub(crate) user_id: Option<&'a str>,
    pub(crate) anonymous_id: Option<&'a str>,
    pub(crate) received_at: Millis,
    pub(crate) event: &'a Event,
}

/// What the caller must do after [`Sample::observe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Observed {
    /// Nothing more.
    Done,
    /// The profile joined the sample after it had events (a new key, or a merge): its
    /// whole history must be read back with [`Sample::set_history`].
    NeedsHistory,
}

/// One workspace's sample.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    capacity: usize,
    threshold: u16,
    members: HashMap<ProfileId, Member>,
    /// Every profile of the workspace (the population estimates scale to).
    population: HashSet<ProfileId>,
    /// Events received per input (`workspace/input`), over the whole workspace.
    inputs: HashMap<String, u64>,
    /// The highest arrival number taken: a repeat at or below it is ignored.
    watermark: u64,
}

impl Sample {
    /// An empty sample holding at most `capacity` profiles.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            threshold: BUCKETS,
            members: HashMap::new(),
            population: HashSet::new(),
            inputs: HashMap::new(),
            watermark: 0,
        }
    }

    /// Takes one stored event, in arrival order.
    pub(crate) fn observe(&mut self, a: &Arrival<'_>) -> Observed {
        if a.seq <= self.watermark {
            return Observed::Done;
        }
        self.watermark = a.seq;
        if let Some(input) = &a.event.input {
            *self.inputs.entry(input.clone()).or_default() += 1;
        }
        let mut had_events = !self.population.insert(a.profile);
        for m in a.merged {
            self.population.remove(m);
            self.members.remove(m);
            had_events = true;
        }
        let Some(key) = a.user_id.or(a.anonymous_id) else {
            return Observed::Done;
        };
        let b = bucket(&format!("sample/{key}"));
        let sampled = Sampled {
            seq: a.seq,
            received_at: a.received_at,
            event: a.event.clone(),
        };
        match self.members.get_mut(&a.profile) {
            Some(m) if m.key == key && a.merged.is_empty() => {
                m.events.push(sampled);
                return Observed::Done;
            }
            Some(_) => {
                // A new key or a merge: the profile is sampled again under its new key,
                // with its whole history.
                self.members.remove(&a.profile);
                had_events = true;
            }
            None => {}
        }
        if b >= self.threshold {
            return Observed::Done;
        }
        self.members.insert(
            a.profile,
            Member {
                key: key.to_string(),
                user_id: a.user_id.map(str::to_string),
                anonymous_id: a.anonymous_id.map(str::to_string),
                bucket: b,
                events: vec![sampled],
            },
        );
        self.shrink();
        if had_events && self.members.contains_key(&a.profile) {
            Observed::NeedsHistory
        } else {
            Observed::Done
        }
    }

    /// Replaces a member's events with its stored history (in time order).
    pub(crate) fn set_history(&mut self, profile: ProfileId, events: Vec<(Millis, Event)>) {
        if let Some(m) = self.members.get_mut(&profile) {
            m.events = events
                .into_iter()
                .map(|(received_at, event)| Sampled {
                    seq: 0,
                    received_at,
                    event,
                })
                .collect();
        }
    }

    /// The profile was deleted.
    pub(crate) fn forget(&mut self, profile: ProfileId) {
        self.population.remove(&profile);
        self.members.remove(&profile);
    }

    /// Lowers the threshold until the members fit the capacity.
    fn shrink(&mut self) {
        while self.members.len() > self.capacity {
            let Some(top) = self.members.values().map(|m| m.bucket).max() else {
                return;
            };
            self.threshold = top;
            self.members.retain(|_, m| m.bucket < top);
        }
    }

    /// How many profiles the sample holds.
    pub(crate) fn len(&self) -> usize {
        self.members.len()
    }

    /// How many profiles the workspace has.
    pub(crate) fn population(&self) -> usize {
        self.population.len()
    }

    /// Events received from an input (`workspace/input`), over the whole workspace.
    pub(crate) fn input_events(&self, input: &str) -> u64 {
        self.inputs.get(input).copied().unwrap_or(0)
    }

    /// The members, in no particular order.
    pub(crate) fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }

    /// Each member's first event and those of its other events `keep` wants, in arrival
    /// order (receipt time, then arrival number), each with its member. The first event
    /// makes every member a profile of the engine that replays them.
    pub(crate) fn events_by_arrival(
        &self,
        keep: impl Fn(&Event) -> bool,
    ) -> Vec<(&Member, &Sampled)> {
        let mut all: Vec<(&Member, &Sampled)> = self
            .members
            .values()
            .flat_map(|m| {
                m.events
                    .iter()
                    .enumerate()
                    .filter(|(i, e)| *i == 0 || keep(&e.event))
                    .map(move |(_, e)| (m, e))
            })
            .collect();
        all.sort_by_key(|(_, e)| (e.received_at, e.seq));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn event(input: &str) -> Event {
        Event {
            at: 0,
            name: Some("Viewed".into()),
            properties: Value::Null,
            context: Value::Null,
            traits: Default::default(),
            input: Some(input.into()),
        }
    }

    fn arrive(s: &mut Sample, seq: u64, profile: ProfileId, user: &str) -> Observed {
        s.observe(&Arrival {
            seq,
            profile,
            merged: &[],
            user_id: Some(user),
            anonymous_id: None,
            received_at: seq as i64,
            event: &event("w/web"),
        })
    }

    #[test]
    fn a_small_workspace_is_sampled_whole() {
        let mut s = Sample::new(100);
        for i in 0..100 {
            arrive(&mut s, i + 1, i % 50, &format!("u{}", i % 50));
        }
        assert_eq!((s.len(), s.population()), (50, 50));
        assert_eq!(s.events_by_arrival(|_| true).len(), 100);
        assert_eq!(s.input_events("w/web"), 100);
        // A repeat of an arrival number already taken changes nothing.
        arrive(&mut s, 3, 2, "u2");
        assert_eq!(s.events_by_arrival(|_| true).len(), 100);
    }

    #[test]
    fn the_sample_keeps_to_its_capacity_by_bucket() {
        let mut s = Sample::new(100);
        for i in 0..2000 {
            arrive(&mut s, i + 1, i, &format!("u{i}"));
        }
        assert!(s.len() <= 100 && s.len() > 80, "{}", s.len());
        assert_eq!(s.population(), 2000);
        let below = (0..2000)
            .filter(|i| bucket(&format!("sample/u{i}")) < s.threshold)
            .count();
        assert_eq!(below, s.len());
    }

    #[test]
    fn a_new_key_resamples_and_asks_for_history() {
        let mut s = Sample::new(10);
        arrive(&mut s, 1, 7, "a");
        let again = (0..100)
            .map(|i| format!("b{i}"))
            .find(|k| bucket(&format!("sample/{k}")) < BUCKETS)
            .unwrap();
        assert_eq!(arrive(&mut s, 2, 7, &again), Observed::NeedsHistory);
        s.set_history(7, vec![(1, event("w/web")), (2, event("w/web"))]);
        assert_eq!(s.members().next().unwrap().key, again);
        assert_eq!(s.events_by_arrival(|_| true).len(), 2);
        assert_eq!(s.events_by_arrival(|_| false).len(), 1);
        s.forget(7);
        assert_eq!((s.len(), s.population()), (0, 0));
    }
}
