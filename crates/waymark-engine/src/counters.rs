//! A profile's event counters: the latest matching events of each counter the user has
//! any for.
//!
//! Every hit of every counter sits in one vector, grouped by counter: a vector of hits per
//! counter cost an allocation (and the allocator's rounding) for each of the millions of
//! counters with more than one hit, about a fifth of a million users' engine state
//! (B3, docs/benchmarks.md). Groups are short, so finding one is a walk over the counts.

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
    /// Counter id and how many hits it has, by id.
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
        self.groups.windows(2).all(|w| w[0].0 < w[1].0)
            && self.groups.iter().all(|&(_, n)| n > 0)
            && self.groups.iter().map(|&(_, n)| n as usize).sum::<usize>() == self.hits.len()
    }

    /// The hits of a counter, oldest first.
    pub(crate) fn hits(&self, counter: u32) -> &[Hit] {
        match self.find(counter) {
            Ok((i, start)) => &self.hits[start..start + self.groups[i].1 as usize],
            Err(_) => &[],
        }
    }

    /// Adds a hit to a counter in time order (a late event never evicts a newer one),
    /// keeping at most `capacity` hits, the latest.
    pub(crate) fn add(&mut self, counter: u32, hit: Hit, capacity: u32) {
        let (i, start) = match self.find(counter) {
            Ok(found) => found,
            Err(found) => {
                // One at a time: a doubling vector would keep room for nothing in every user.
                self.groups.reserve_exact(1);
                self.groups.insert(found.0, (counter, 0));
                found
            }
        };
        let len = self.groups[i].1 as usize;
        let group = &self.hits[start..start + len];
        let slot = start + group.partition_point(|h| h.at <= hit.at);
        if len < capacity as usize {
            self.hits.reserve_exact(1);
            self.hits.insert(slot, hit);
            self.groups[i].1 += 1;
        } else if slot > start {
            // Full: the oldest goes, the hit takes its place in order.
            self.hits.remove(start);
            self.hits.insert(slot - 1, hit);
        } else if len == 0 {
            // A counter that keeps nothing: no group for it.
            self.groups.remove(i);
        }
    }

    /// The group of a counter and where its hits start; or where it would go.
    fn find(&self, counter: u32) -> Result<(usize, usize), (usize, usize)> {
        let mut start = 0;
        for (i, &(id, n)) in self.groups.iter().enumerate() {
            if id == counter {
                return Ok((i, start));
            }
            if id > counter {
                return Err((i, start));
            }
            start += n as usize;
        }
        Err((self.groups.len(), start))
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
