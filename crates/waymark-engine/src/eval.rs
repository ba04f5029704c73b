//! Evaluates compiled criteria for one user at one instant, and says when their value may
//! next change with no new data (so the engine sets one timer instead of polling).

use smallvec::SmallVec;

use crate::catalog::AttributeSpec;
use crate::compare::compare;
use crate::compile::{Crit, StepIndex};
use crate::model::Since;
use crate::profile::Profile;
use crate::time::Millis;

/// The audiences a user is in across the engine's journeys and standalone audiences, for
/// `member_of`.
#[derive(Debug, Default)]
pub(crate) struct Memberships {
    /// (journey, step) pairs whose audience holds the user.
    pub(crate) steps: SmallVec<[(u16, StepIndex); 8]>,
    /// Journeys the user is in (including as control).
    pub(crate) journeys: SmallVec<[u16; 4]>,
    /// Standalone audiences the user is a member of.
    pub(crate) audiences: SmallVec<[u16; 4]>,
}

/// Everything criteria read.
pub(crate) struct Scope<'a> {
    pub(crate) now: Millis,
    pub(crate) profile: &'a Profile,
    /// The engine's computed attributes, by id.
    pub(crate) attributes: &'a [AttributeSpec],
    /// Sequence number of the event that caused entry (events after it count for `entry`).
    pub(crate) entry_seq: Option<u32>,
    /// Sequence number when the step whose children are chosen was reached.
    pub(crate) step_seq: Option<u32>,
    pub(crate) members: &'a Memberships,
}

impl Scope<'_> {
    /// Whether the criterion holds now.
    pub(crate) fn holds(&self, c: &Crit) -> bool {
        match c {
            Crit::All(parts) => parts.iter().all(|p| self.holds(p)),
            Crit::Any(parts) => parts.iter().any(|p| self.holds(p)),
            Crit::Not(inner) => !self.holds(inner),
            Crit::Const(b) => *b,
            Crit::Event {
                counter,
                count,
                within,
                since,
            } => count.holds(self.count(*counter, *within, *since).0),
            Crit::Trait {
                slot,
                op,
                value,
                held_for,
            } => {
                let matches = compare(*op, self.trait_of(*slot), value.as_ref());
                match held_for {
                    Some(d) if matches => self.now - self.trait_since(*slot) >= *d,
                    _ => matches,
                }
            }
            Crit::Missing { op, value } => compare(*op, None, value.as_ref()),
            Crit::Attribute { id, op, value } => {
                let actual = self.profile.attribute(*id, self.attributes, self.now);
                compare(*op, actual.as_ref(), value.as_ref())
            }
            Crit::MemberOf { journey, step, is } => {
                let member = match step {
                    Some(s) => self.members.steps.contains(&(*journey, *s)),
                    None => self.members.journeys.contains(journey),
                };
                member == *is
            }
            Crit::InAudience { audience, is } => self.members.audiences.contains(audience) == *is,
            Crit::Consent { purpose, granted } => {
                let given = self.profile.consent.iter().any(|(p, g)| p == purpose && *g);
                given == *granted
            }
            Crit::Input(ids) => self.profile.inputs.iter().any(|i| ids.contains(i)),
        }
    }

    /// The earliest instant after now at which the criterion's value may change by the
    /// passing of time alone (a window slides past an event, a `for` matures).
    pub(crate) fn next_change(&self, c: &Crit) -> Option<Millis> {
        match c {
            Crit::All(parts) | Crit::Any(parts) => {
                parts.iter().filter_map(|p| self.next_change(p)).min()
            }
            Crit::Not(inner) => self.next_change(inner),
            Crit::Event {
                counter,
                within,
                since,
                ..
            } => self.count(*counter, *within, *since).1,
            Crit::Attribute { id, .. } => {
                self.profile
                    .attribute_change(*id, self.attributes, self.now)
            }
            Crit::Trait {
                slot,
                op,
                value,
                held_for: Some(d),
            } => {
                let matures = self.trait_since(*slot).saturating_add(*d);
                (matures > self.now && compare(*op, self.trait_of(*slot), value.as_ref()))
                    .then_some(matures)
            }
            _ => None,
        }
    }

    /// A trait's current value (`None` when never set; `Null` once removed).
    fn trait_of(&self, slot: u32) -> Option<&serde_json::Value> {
        self.profile.trait_value(slot).map(|t| &t.value)
    }

    /// Since when a trait has had its current value; a trait never set has been missing
    /// since the profile's first event.
    fn trait_since(&self, slot: u32) -> Millis {
        self.profile
            .trait_value(slot)
            .map_or(self.profile.first_seen, |t| t.since)
    }

    /// The number of counted events (up to the counter's capacity) and when the oldest
    /// counted one leaves the sliding window.
    fn count(
        &self,
        counter: u32,
        within: Option<i64>,
        since: Option<Since>,
    ) -> (u32, Option<Millis>) {
        let floor = match since {
            Some(Since::Entry) => self.entry_seq,
            Some(Since::Step) => self.step_seq.or(self.entry_seq),
            None => None,
        };
        let mut n = 0;
        let mut expires = None;
        for hit in self.profile.hits(counter) {
            if floor.is_some_and(|f| hit.seq <= f) {
                continue;
            }
            if let Some(w) = within {
                let leaves = hit.at.saturating_add(w);
                if leaves <= self.now {
                    continue;
                }
                expires = Some(expires.map_or(leaves, |e: Millis| e.min(leaves)));
            }
            n += 1;
        }
        (n, expires)
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
