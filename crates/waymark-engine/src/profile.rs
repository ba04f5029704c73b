//! The part of a user's state that criteria read: event counters, the traits criteria name,
//! consent, inputs seen and time zone. Kept incrementally, one event at a time.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use smallvec::SmallVec;

use crate::attribute::AttributeState;
use crate::catalog::{AttributeSpec, Catalog};
use crate::compare::{lookup, lookup_in};
use crate::counters::{Counters, Hit};
use crate::event::Event;
use crate::time::Millis;

/// A trait value (`Null` once removed), since when it has had that value, and the event
/// time of the latest write (a write older than that is ignored: last write by event time
/// wins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TraitValue {
    #[serde(with = "crate::wire::value")]
    pub(crate) value: Value,
    pub(crate) since: Millis,
    pub(crate) written: Millis,
}

/// The trait slots a user has had written, by slot. A slot for every trait the running
/// criteria read in every user who has any trait was a third of a profile's memory at a
/// million users (B3, docs/benchmarks.md); most users write a few of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Traits(Vec<(u32, TraitValue)>);

impl Traits {
    /// A slot's value.
    pub(crate) fn get(&self, slot: u32) -> Option<&TraitValue> {
        self.find(slot).ok().map(|i| &self.0[i].1)
    }

    /// Writes `value` to a slot at event time `at`: the last write by event time wins, and
    /// the slot's `since` moves only when its value changes.
    fn write(&mut self, slot: u32, value: Value, at: Millis) {
        let new = |value| TraitValue {
            value,
            since: at,
            written: at,
        };
        match self.find(slot) {
            Ok(i) => match &mut self.0[i].1 {
                old if at < old.written => {}
                old if old.value == value => old.written = at,
                old => *old = new(value),
            },
            Err(i) => self.insert(i, slot, new(value)),
        }
    }

    /// Sets a slot as a stored profile had it.
    pub(crate) fn set(&mut self, slot: u32, value: TraitValue) {
        match self.find(slot) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.insert(i, slot, value),
        }
    }

    /// Whether the slots are in order, each once, all below `slots` (a checkpoint is
    /// checked before it is trusted).
    pub(crate) fn fits(&self, slots: usize) -> bool {
        self.0.windows(2).all(|w| w[0].0 < w[1].0)
            && self
                .0
                .last()
                .is_none_or(|(slot, _)| (*slot as usize) < slots)
    }

    fn find(&self, slot: u32) -> Result<usize, usize> {
        self.0.binary_search_by_key(&slot, |(s, _)| *s)
    }

    fn insert(&mut self, i: usize, slot: u32, value: TraitValue) {
        // One at a time: a doubling vector would keep room for nothing in every user.
        self.0.reserve_exact(1);
        self.0.insert(i, (slot, value));
    }
}

/// What the engine keeps of one profile.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Profile {
    /// Events applied so far; an event's sequence number is the value after applying it.
    pub(crate) seq: u32,
    /// Time of the profile's first event.
    pub(crate) first_seen: Millis,
    /// The counters with hits. A user matches few of the counters that the union of
    /// running criteria defines: a slot for every one in every user was most of a
    /// profile's memory (B3, docs/benchmarks.md).
    pub(crate) counters: Counters,
    /// The trait slots written so far.
    pub(crate) traits: Traits,
    /// Consent per purpose id.
    pub(crate) consent: SmallVec<[(u32, bool); 1]>,
    /// Inputs the user has sent events from.
    pub(crate) inputs: SmallVec<[u32; 1]>,
    /// Time zone from the `timezone` trait.
    pub(crate) zone_from_trait: Option<u16>,
    /// Time zone from the latest event's `context.timezone`.
    pub(crate) zone_from_context: Option<u16>,
    /// Computed attributes by id (grown on the first event that matches one).
    pub(crate) attributes: Vec<AttributeState>,
}

/// What applying one event changed of a profile: what a journey must read for the event
/// to concern it.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// The counters the event was added to.
    pub(crate) counters: SmallVec<[u32; 4]>,
    /// Trait slots the event wrote (to a new value or the same).
    pub(crate) slots: SmallVec<[u32; 4]>,
    /// Computed attributes the event was folded into.
    pub(crate) attributes: SmallVec<[u32; 2]>,
    pub(crate) consent: bool,
    /// The user's first event from its input.
    pub(crate) inputs: bool,
    /// The user's time zone changed (local-time waits and quiet hours move).
    pub(crate) zone: bool,
}

impl Applied {
    /// Whether a journey reading `reads` may see a difference.
    pub(crate) fn concerns(&self, reads: &crate::compile::Reads) -> bool {
        let any =
            |changed: &[u32], read: &[u32]| changed.iter().any(|c| read.binary_search(c).is_ok());
        self.zone
            || reads.membership
            || (self.consent && reads.consent)
            || (self.inputs && reads.inputs)
            || any(&self.counters, &reads.counters)
            || any(&self.slots, &reads.slots)
            || any(&self.attributes, &reads.attributes)
    }
}

impl Profile {
    /// Applies one event, received at `received`: traits, consent, time zone, inputs and
    /// counters. Returns what it changed.
    pub(crate) fn apply(
        &mut self,
        event: &Event,
        catalog: &mut Catalog,
        received: Millis,
    ) -> Applied {
        let mut applied = Applied::default();
        if self.seq == 0 {
            self.first_seen = event.at;
        }
        self.seq += 1;
        let input = event.input.as_deref().map(|i| catalog.inputs.intern(i));
        if let Some(i) = input
            && !self.inputs.contains(&i)
        {
            self.inputs.push(i);
            applied.inputs = true;
        }
        let zone_before = (self.zone_from_trait, self.zone_from_context);
        self.merge_traits(&event.traits, event.at, catalog, &mut applied);
        if let Some(Value::String(name)) = event.context.get("timezone") {
            self.zone_from_context = catalog.zone(name).or(self.zone_from_context);
        }
        applied.zone = zone_before != (self.zone_from_trait, self.zone_from_context);
        if let Some(Value::Object(prefs)) = lookup(&event.context, "consent.categoryPreferences") {
            self.set_consent(prefs, catalog);
            applied.consent = true;
        }
        for &id in catalog.attributes_named(event) {
            if self.fold_attribute(id, event, catalog) {
                applied.attributes.push(id);
            }
        }
        let matched = catalog.matching_counters(event, input, received);
        for &id in &matched {
            let hit = Hit {
                at: event.at,
                seq: self.seq,
            };
            self.add_hit(id, hit, catalog);
        }
        applied.counters = matched;
        applied
    }

    /// Adds a stored event's hit to counter `id` only (a backfill: no sequence number, as
    /// it precedes everything the counter's journeys have seen), keeping time order and
    /// the counter's capacity.
    pub(crate) fn backfill_hit(&mut self, id: u32, at: Millis, catalog: &Catalog) {
        self.add_hit(id, Hit { at, seq: 0 }, catalog);
    }

    /// Adds a hit to counter `id` in time order (so that a late event never evicts a newer
    /// one), keeping the counter's capacity.
    fn add_hit(&mut self, id: u32, hit: Hit, catalog: &Catalog) {
        let capacity = catalog.counters[id as usize].capacity;
        self.counters.add(id, hit, capacity);
    }

    /// Merges traits by top-level key; a slot's `since` moves only when its value changes.
    fn merge_traits(
        &mut self,
        update: &Map<String, Value>,
        at: Millis,
        catalog: &mut Catalog,
        applied: &mut Applied,
    ) {
        if update.is_empty() {
            return;
        }
        for (slot, path) in catalog.trait_paths.iter().enumerate() {
            let touched = update.keys().any(|k| {
                path == k || (path.starts_with(k.as_str()) && path[k.len()..].starts_with('.'))
            });
            if !touched {
                continue;
            }
            applied.slots.push(slot as u32);
            let value = lookup_in(update, path).cloned().unwrap_or(Value::Null);
            self.traits.write(slot as u32, value, at);
        }
        match update.get("timezone") {
            Some(Value::String(name)) => {
                self.zone_from_trait = catalog.zone(name).or(self.zone_from_trait);
            }
            Some(Value::Null) => self.zone_from_trait = None,
            _ => {}
        }
        match update.get("consent") {
            Some(Value::Object(prefs)) => {
                self.set_consent(prefs, catalog);
                applied.consent = true;
            }
            _ => {
                for (key, value) in update {
                    if let (Some(purpose), Value::Bool(granted)) =
                        (key.strip_prefix("consent."), value)
                    {
                        self.record_consent(catalog.purposes.intern(purpose), *granted);
                        applied.consent = true;
                    }
                }
            }
        }
    }

    fn set_consent(&mut self, prefs: &Map<String, Value>, catalog: &mut Catalog) {
        for (purpose, value) in prefs {
            if let Value::Bool(granted) = value {
                self.record_consent(catalog.purposes.intern(purpose), *granted);
            }
        }
    }

    fn record_consent(&mut self, purpose: u32, granted: bool) {
        match self.consent.iter_mut().find(|(p, _)| *p == purpose) {
            Some(entry) => entry.1 = granted,
            None => self.consent.push((purpose, granted)),
        }
    }

    /// The value of a trait slot.
    pub(crate) fn trait_value(&self, slot: u32) -> Option<&TraitValue> {
        self.traits.get(slot)
    }

    /// Folds one event into computed attribute `id`, when it matches its filters; whether
    /// it did.
    pub(crate) fn fold_attribute(&mut self, id: u32, event: &Event, catalog: &Catalog) -> bool {
        let spec = &catalog.attributes[id as usize];
        let Some(value) = spec.contribution(event) else {
            return false;
        };
        if self.attributes.len() <= id as usize {
            let specs = &catalog.attributes[self.attributes.len()..=id as usize];
            self.attributes.extend(specs.iter().map(|s| s.state()));
        }
        self.attributes[id as usize].add(event.at, value, spec.within);
        true
    }

    /// Forgets what computed attribute `id` folded (its definition changed).
    pub(crate) fn reset_attribute(&mut self, id: u32, catalog: &Catalog) {
        if let Some(state) = self.attributes.get_mut(id as usize) {
            *state = catalog.attributes[id as usize].state();
        }
    }

    /// A computed attribute's value at `now` (missing for `min`, `max`, `avg`, `first` and
    /// `last` before any value).
    pub(crate) fn attribute(&self, id: u32, specs: &[AttributeSpec], now: Millis) -> Option<Value> {
        let spec = &specs[id as usize];
        match self.attributes.get(id as usize) {
            Some(state) => state.value(spec.aggregate, spec.within, now),
            None => spec.state().value(spec.aggregate, spec.within, now),
        }
    }

    /// When a computed attribute's value next may change with no new event.
    pub(crate) fn attribute_change(
        &self,
        id: u32,
        specs: &[AttributeSpec],
        now: Millis,
    ) -> Option<Millis> {
        let spec = &specs[id as usize];
        self.attributes
            .get(id as usize)
            .and_then(|state| state.next_change(spec.within, now))
    }

    /// The hits of a counter.
    pub(crate) fn hits(&self, counter: u32) -> &[Hit] {
        self.counters.hits(counter)
    }
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
