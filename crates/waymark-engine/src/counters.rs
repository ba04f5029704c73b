//! A profile's event counters: the latest matching events of each counter the user has
//! any for.
//!
//! Every hit of every counter sits in one vector, grouped by counter: a vector of hits per
//! counter cost an allocation (and the allocator's rounding) for each of the millions of
//! counters with more than one hit, about a fifth of a million users' engine state
//! (B3, docs/benchmarks.md).

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// One counted event: when it happened and the user's event sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Hit {
    pub(crate) at: Millis,
    pub(crate) seq: u32,
}

/// The hits of the counters a user has any for, each counter's oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counters {
    /// Counter id and where its hits end in `hits` (they start where the previous
    /// counter's end), by id: a counter's hits are found by one binary search.
    groups: Vec<(u32, u32)>,
    /// The hits, in the order of `groups`.
    hits: Vec<Hit>,
}

impl Counters {
    /// The counter ids with hits, ascending.
    pub(crate) fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.groups.iter().map(|&(id, _)| id)
    }

    /// Whether the groups are in id order, none empty, and account for every hit (a
    /// checkpoint is checked before it is trusted).
    pub(crate) fn is_consistent(&self) -> bool {
        let mut end = 0;
        let mut id = None;
        for &(next_id, next_end) in &self.groups {
            if id.is_some_and(|id| id >= next_id) || next_end <= end {
                return false;
            }
            (id, end) = (Some(next_id), next_end);
        }
        end as usize == self.hits.len()
    }

    /// The hits of a counter, oldest first.
    pub(crate) fn hits(&self, counter: u32) -> &[Hit] {
        match self.find(counter) {
            Ok(i) => &self.hits[self.start(i)..self.groups[i].1 as usize],
            Err(_) => &[],
        }
    }

    /// Adds a hit to a counter in time order (a late event never evicts a newer one),
    /// keeping at most `capacity` hits, the latest.
    pub(crate) fn add(&mut self, counter: u32, hit: Hit, capacity: u32) {
        let i = self.find(counter).unwrap_or_else(|i| {
            // One at a time: a doubling vector would keep room for nothing in every user.
            self.groups.reserve_exact(1);
            let start = self.start(i) as u32;
            self.groups.insert(i, (counter, start));
            i
        });
        let (start, end) = (self.start(i), self.groups[i].1 as usize);
        let slot = start + self.hits[start..end].partition_point(|h| h.at <= hit.at);
        if end - start < capacity as usize {
            if self.hits.len() == self.hits.capacity() {
                // A quarter more at a time: amortized like doubling (one more at a time
                // made `waymark audiences` 5 % slower), with less room kept per user.
                self.hits.reserve_exact(self.hits.len() / 4 + 1);
            }
            self.hits.insert(slot, hit);
            for group in &mut self.groups[i..] {
                group.1 += 1;
            }
        } else if slot > start {
            // Full: the oldest goes, the hit takes its place in order.
            self.hits.remove(start);
            self.hits.insert(slot - 1, hit);
        } else if end == start {
            // A counter that keeps nothing: no group for it.
            self.groups.remove(i);
        }
    }

    fn find(&self, counter: u32) -> Result<usize, usize> {
        self.groups.binary_search_by_key(&counter, |&(id, _)| id)
    }

    /// Where the hits of group `i` start (or of a group inserted at `i`).
    fn start(&self, i: usize) -> usize {
        i.checked_sub(1)
            .map_or(0, |prev| self.groups[prev].1 as usize)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The same hits kept the plain way: a sorted vector per counter.
    fn model(adds: &[(u32, Millis)], capacity: u32) -> Vec<(u32, Vec<Hit>)> {
        let mut counters: Vec<(u32, Vec<Hit>)> = Vec::new();
        for (seq, &(counter, at)) in adds.iter().enumerate() {
            let hit = Hit {
                at,
                seq: seq as u32,
            };
            let i = match counters.binary_search_by_key(&counter, |c| c.0) {
                Ok(i) => i,
                Err(i) => {
                    counters.insert(i, (counter, Vec::new()));
                    i
                }
            };
            let hits = &mut counters[i].1;
            let slot = hits.partition_point(|h| h.at <= hit.at);
            hits.insert(slot, hit);
            if hits.len() > capacity as usize {
                hits.remove(0);
            }
        }
        counters.retain(|c| !c.1.is_empty());
        counters
    }

    proptest! {
        #[test]
        fn counters_keep_what_a_vector_per_counter_keeps(
            adds in prop::collection::vec((0u32..6, 0i64..50), 0..60),
            capacity in 0u32..5,
        ) {
            let mut counters = Counters::default();
            for (seq, &(counter, at)) in adds.iter().enumerate() {
                counters.add(counter, Hit { at, seq: seq as u32 }, capacity);
            }
            prop_assert!(counters.is_consistent());
            let expected = model(&adds, capacity);
            prop_assert_eq!(counters.ids().collect::<Vec<_>>(),
                expected.iter().map(|c| c.0).collect::<Vec<_>>());
            for counter in 0..7 {
                let want = expected.iter().find(|c| c.0 == counter).map_or(&[][..], |c| &c.1[..]);
                prop_assert_eq!(counters.hits(counter), want);
            }
        }
    }

    #[test]
    fn a_late_hit_into_a_full_counter_is_dropped_and_a_newer_one_evicts_the_oldest() {
        let mut counters = Counters::default();
        for at in [10, 20] {
            counters.add(1, Hit { at, seq: 0 }, 2);
        }
        counters.add(1, Hit { at: 5, seq: 1 }, 2);
        let times = |c: &Counters| c.hits(1).iter().map(|h| h.at).collect::<Vec<_>>();
        assert_eq!(times(&counters), [10, 20]);
        counters.add(1, Hit { at: 15, seq: 2 }, 2);
        assert_eq!(times(&counters), [15, 20]);
        assert!(counters.is_consistent());
    }
}
