//! Engine-wide interning: event names, counters, trait slots, inputs, consent purposes and
//! time zones get small integer ids so that per-user state stays compact.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use jiff::tz::TimeZone;
use smallvec::SmallVec;

use crate::attribute::AttributeState;
use crate::event::Event;
use crate::model::{Aggregate, ComputedAttribute, Filter};
use crate::time::Millis;

/// Strings to dense ids (looked up for every event: foldhash, as for the user index).
/// A checkpoint keeps the names only: the ids are their positions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub(crate) struct Interner {
    ids: HashMap<String, u32, foldhash::fast::RandomState>,
    names: Vec<String>,
}

impl Interner {
    /// The id of `name`, adding it when new.
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }

    /// The id of `name` when known.
    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The name interned as `id`.
    pub(crate) fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

impl From<Vec<String>> for Interner {
    fn from(names: Vec<String>) -> Self {
        let mut interner = Self::default();
        names.iter().for_each(|n| {
            interner.intern(n);
        });
        interner
    }
}

impl From<Interner> for Vec<String> {
    fn from(interner: Interner) -> Self {
        interner.names
    }
}

/// What one per-user event counter counts: events of one name passing every filter, from
/// the selected inputs, optionally inside a fixed interval.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct CounterSpec {
    pub(crate) name: u32,
    #[serde(with = "crate::wire::filters")]
    pub(crate) filters: Vec<Filter>,
    pub(crate) between: Option<(Millis, Millis)>,
    pub(crate) inputs: Option<Vec<u32>>,
    /// How many of the latest matching events to keep: the most any comparison needs.
    pub(crate) capacity: u32,
    /// Events received before this instant are not counted: the counters of a journey
    /// published without `historical` start empty at its publication (SPEC §7).
    pub(crate) counting_from: Option<Millis>,
}

impl CounterSpec {
    fn matches(&self, event: &Event, input: Option<u32>, received: Millis) -> bool {
        if self.counting_from.is_some_and(|from| received < from) {
            return false;
        }
        if let Some((from, to)) = self.between
            && (event.at < from || event.at > to)
        {
            return false;
        }
        if let Some(inputs) = &self.inputs
            && !input.is_some_and(|i| inputs.contains(&i))
        {
            return false;
        }
        self.filters
            .iter()
            .all(|f| crate::compare::compare(f.op, event.property(&f.property), f.value.as_ref()))
    }
}

/// A computed attribute as profiles keep it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AttributeSpec {
    pub(crate) name: String,
    #[serde(with = "crate::wire::filters")]
    pub(crate) filters: Vec<Filter>,
    pub(crate) aggregate: Aggregate,
    pub(crate) property: Option<String>,
    pub(crate) within: Option<i64>,
}

impl AttributeSpec {
    /// A fresh state for one user.
    pub(crate) fn state(&self) -> AttributeState {
        AttributeState::new(self.aggregate, self.within)
    }

    /// The value an event brings to the aggregate, when it matches the filters (`None`
    /// inside: it carries none); `None` when it does not match.
    pub(crate) fn contribution<'e>(
        &self,
        event: &'e Event,
    ) -> Option<Option<&'e serde_json::Value>> {
        let matches = self
            .filters
            .iter()
            .all(|f| crate::compare::compare(f.op, event.property(&f.property), f.value.as_ref()));
        if !matches {
            return None;
        }
        Some(match (&self.property, self.aggregate) {
            (_, Aggregate::Count) | (None, _) => None,
            (Some(p), _) => event.property(p).filter(|v| !v.is_null()),
        })
    }
}

/// The shared vocabulary of every journey, audience and computed attribute in one engine.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Catalog {
    pub(crate) event_names: Interner,
    pub(crate) counters: Vec<CounterSpec>,
    counters_by_name: Vec<SmallVec<[u32; 2]>>,
    pub(crate) attributes: Vec<AttributeSpec>,
    attributes_by_name: Vec<SmallVec<[u32; 2]>>,
    pub(crate) trait_paths: Vec<String>,
    pub(crate) inputs: Interner,
    pub(crate) purposes: Interner,
    zone_ids: Interner,
    /// Loaded again by name from `zone_ids` when a checkpoint is read.
    #[serde(skip)]
    pub(crate) zones: Vec<TimeZone>,
}

impl Catalog {
    /// The id of a counter equal to `spec`, or a new one. With `may_raise` false, a counter
    /// that keeps fewer events than `spec` needs is not reused (users already hold fewer
    /// hits than it would promise): a new one is made.
    pub(crate) fn counter_with(&mut self, spec: CounterSpec, may_raise: bool) -> u32 {
        let same = |c: &CounterSpec| {
            c.name == spec.name
                && c.filters == spec.filters
                && c.between == spec.between
                && c.inputs == spec.inputs
                && c.counting_from == spec.counting_from
                && (may_raise || c.capacity >= spec.capacity)
        };
        if let Some(id) = self.counters.iter().position(same) {
            let existing = &mut self.counters[id];
            existing.capacity = existing.capacity.max(spec.capacity);
            return id as u32;
        }
        let id = self.counters.len() as u32;
        let name = spec.name as usize;
        if self.counters_by_name.len() <= name {
            self.counters_by_name.resize(name + 1, SmallVec::new());
        }
        self.counters_by_name[name].push(id);
        self.counters.push(spec);
        id
    }

    /// Adds a computed attribute; returns its id.
    pub(crate) fn attribute(&mut self, a: &ComputedAttribute) -> u32 {
        let id = self.attributes.len() as u32;
        let name = self.event_names.intern(&a.event) as usize;
        if self.attributes_by_name.len() <= name {
            self.attributes_by_name.resize(name + 1, SmallVec::new());
        }
        self.attributes_by_name[name].push(id);
        self.attributes.push(AttributeSpec {
            name: a.name.clone(),
            filters: a.filters.clone(),
            aggregate: a.aggregate,
            property: a.property.clone(),
            within: a.within.map(|d| d.millis()),
        });
        id
    }

    /// Replaces attribute `id`'s definition (its name stays); users' values must be
    /// rebuilt, as they folded events under the old one.
    pub(crate) fn redefine_attribute(&mut self, id: u32, a: &ComputedAttribute) {
        self.unindex_attribute(id);
        let name = self.event_names.intern(&a.event) as usize;
        if self.attributes_by_name.len() <= name {
            self.attributes_by_name.resize(name + 1, SmallVec::new());
        }
        self.attributes_by_name[name].push(id);
        let spec = &mut self.attributes[id as usize];
        spec.filters = a.filters.clone();
        spec.aggregate = a.aggregate;
        spec.property = a.property.clone();
        spec.within = a.within.map(|d| d.millis());
    }

    /// Retires attribute `id`: no event folds into it and no name finds it (its id stays
    /// taken, so that the other attributes keep theirs).
    pub(crate) fn retire_attribute(&mut self, id: u32) {
        self.unindex_attribute(id);
        self.attributes[id as usize].name.clear();
    }

    fn unindex_attribute(&mut self, id: u32) {
        for ids in &mut self.attributes_by_name {
            ids.retain(|i| *i != id);
        }
    }

    /// The id of the computed attribute with this name.
    pub(crate) fn attribute_id(&self, name: &str) -> Option<u32> {
        self.attributes
            .iter()
            .position(|a| !a.name.is_empty() && a.name == name)
            .map(|i| i as u32)
    }

    /// The computed attributes an event of this name may add to.
    pub(crate) fn attributes_named(&self, event: &Event) -> &[u32] {
        event
            .name
            .as_deref()
            .and_then(|n| self.event_names.get(n))
            .and_then(|id| self.attributes_by_name.get(id as usize))
            .map_or(&[], |ids| ids.as_slice())
    }

    /// The slot of a trait path.
    pub(crate) fn trait_slot(&mut self, path: &str) -> u32 {
        match self.trait_paths.iter().position(|p| p == path) {
            Some(i) => i as u32,
            None => {
                self.trait_paths.push(path.to_string());
                (self.trait_paths.len() - 1) as u32
            }
        }
    }

    /// The counters an event received at `received` adds to.
    pub(crate) fn matching_counters(
        &self,
        event: &Event,
        input: Option<u32>,
        received: Millis,
    ) -> SmallVec<[u32; 4]> {
        let Some(name) = event.name.as_deref().and_then(|n| self.event_names.get(n)) else {
            return SmallVec::new();
        };
        self.counters_by_name
            .get(name as usize)
            .into_iter()
            .flatten()
            .copied()
            .filter(|id| self.counters[*id as usize].matches(event, input, received))
            .collect()
    }

    /// Loads the time zones of `zone_ids` again (a catalog read from a checkpoint keeps
    /// their names only); `Err` with the name of one that no longer loads.
    pub(crate) fn load_zones(&mut self) -> Result<(), String> {
        self.zones = self
            .zone_ids
            .names
            .iter()
            .map(|name| TimeZone::get(name).map_err(|_| name.clone()))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// The id of a time zone by IANA name, loading it on first use; `None` when unknown.
    pub(crate) fn zone(&mut self, name: &str) -> Option<u16> {
        if let Some(id) = self.zone_ids.get(name) {
            return Some(id as u16);
        }
        if self.zones.len() >= usize::from(u16::MAX) {
            return None;
        }
        let tz = TimeZone::get(name).ok()?;
        self.zones.push(tz);
        Some(self.zone_ids.intern(name) as u16)
    }
}
