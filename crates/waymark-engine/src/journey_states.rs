//! One user's states in every journey an engine runs, kept sparse: only the journeys the
//! user is in, was in, or is waiting on hold a [`JourneyState`]; every other journey costs
//! the user two bits (B3, docs/benchmarks.md: a state per user and journey, held whether
//! or not the user was ever in it, was most of the engine's memory, and adding a journey
//! grew every user).
//!
//! A journey with no state reads as a vacant one — [`JourneyState::vacant`]: out, never
//! entered, criteria not holding, nothing due — so the machine runs on it exactly as on a
//! stored one; a state that comes back vacant is dropped again.

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::journey_state::{JourneyState, Status};

/// Flags per journey: bits `2j` (the machine has run for the user since the journey's
/// rules last changed) and `2j + 1` (the user is awake in it). Two words inline hold 64
/// journeys without a heap allocation.
type Flags = SmallVec<[u64; 2]>;

/// The states of one user, by journey index.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct JourneyStates {
    /// The states that are not vacant, in journey order. Grown one at a time: a doubling
    /// vector would keep room for as many states again in every user.
    held: Vec<JourneyState>,
    flags: Flags,
}

impl JourneyStates {
    /// The user's state in journey `j`, unless it is vacant.
    pub(crate) fn get(&self, j: u16) -> Option<&JourneyState> {
        self.find(j).ok().map(|i| &self.held[i])
    }

    /// Whether the user is in journey `j` (at steps or as control).
    pub(crate) fn status(&self, j: u16) -> Status {
        self.get(j).map_or(Status::Out, |st| st.status)
    }

    /// The states that are not vacant, in journey order.
    pub(crate) fn held(&self) -> &[JourneyState] {
        &self.held
    }

    /// Runs `change` on the user's state in journey `j` (a vacant one when none is held)
    /// and keeps the result only if it is not vacant.
    pub(crate) fn update<R>(&mut self, j: u16, change: impl FnOnce(&mut JourneyState) -> R) -> R {
        self.update_at(j, self.find(j), change).0
    }

    /// Where journey `j`'s state is held (`Ok`) or would go (`Err`), searching forward from
    /// `from`: a loop over the journeys in order passes the position after the previous
    /// journey, and walks the user's states once instead of searching for each.
    pub(crate) fn seek(&self, j: u16, from: usize) -> Result<usize, usize> {
        let mut i = from.min(self.held.len());
        while i < self.held.len() && self.held[i].journey < j {
            i += 1;
        }
        match self.held.get(i) {
            Some(st) if st.journey == j => Ok(i),
            _ => Err(i),
        }
    }

    /// The state at a position [`JourneyStates::seek`] found.
    pub(crate) fn at(&self, found: Result<usize, usize>) -> Option<&JourneyState> {
        found.ok().map(|i| &self.held[i])
    }

    /// [`JourneyStates::update`] at the position [`JourneyStates::seek`] found for `j`;
    /// also returns the position after journey `j`'s state (where the next seek starts).
    pub(crate) fn update_at<R>(
        &mut self,
        j: u16,
        found: Result<usize, usize>,
        change: impl FnOnce(&mut JourneyState) -> R,
    ) -> (R, usize) {
        match found {
            Ok(i) => {
                let result = change(&mut self.held[i]);
                if self.held[i].is_vacant() {
                    self.held.remove(i);
                    (result, i)
                } else {
                    (result, i + 1)
                }
            }
            Err(i) => {
                let mut st = JourneyState::vacant(j);
                let result = change(&mut st);
                if st.is_vacant() {
                    (result, i)
                } else {
                    self.held.reserve_exact(1);
                    self.held.insert(i, st);
                    (result, i + 1)
                }
            }
        }
    }

    /// Whether the machine of journey `j` has run for the user since its rules changed.
    pub(crate) fn evaluated(&self, j: u16) -> bool {
        self.bit(2 * usize::from(j))
    }

    pub(crate) fn set_evaluated(&mut self, j: u16, value: bool) {
        self.set_bit(2 * usize::from(j), value);
    }

    /// Whether the user is awake in journey `j` (see `Lifecycle::per_user_wake`).
    pub(crate) fn awake(&self, j: u16) -> bool {
        self.bit(2 * usize::from(j) + 1)
    }

    pub(crate) fn wake(&mut self, j: u16) {
        self.set_bit(2 * usize::from(j) + 1, true);
    }

    /// Whether every state names a journey below `journeys`, once and in order, and the
    /// flags fit as many (a decoded checkpoint is checked before it runs).
    pub(crate) fn fits(&self, journeys: usize) -> bool {
        let ordered = self.held.windows(2).all(|w| w[0].journey < w[1].journey);
        let inside = self
            .held
            .last()
            .is_none_or(|st| usize::from(st.journey) < journeys);
        ordered && inside && self.flags.len() <= (2 * journeys).div_ceil(64)
    }

    fn find(&self, j: u16) -> Result<usize, usize> {
        self.held.binary_search_by_key(&j, |st| st.journey)
    }

    fn bit(&self, bit: usize) -> bool {
        self.flags
            .get(bit / 64)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }

    fn set_bit(&mut self, bit: usize, value: bool) {
        let word = bit / 64;
        if self.flags.len() <= word {
            if !value {
                return;
            }
            self.flags.resize(word + 1, 0);
        }
        if value {
            self.flags[word] |= 1 << (bit % 64);
        } else {
            self.flags[word] &= !(1 << (bit % 64));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_kept_only_while_it_is_not_vacant() {
        let mut states = JourneyStates::default();
        states.update(3, |st| st.entry_held = true);
        states.update(1, |st| st.status = Status::In);
        states.update(2, |_| ());
        let held: Vec<u16> = states.held().iter().map(|st| st.journey).collect();
        assert_eq!(held, [1, 3]);
        assert_eq!(states.status(1), Status::In);
        assert_eq!(states.status(2), Status::Out);
        states.update(3, |st| st.entry_held = false);
        assert!(states.get(3).is_none());
        assert!(states.fits(4));
        assert!(!states.fits(1));
    }

    #[test]
    fn seeking_forward_finds_what_a_search_finds() {
        let mut states = JourneyStates::default();
        for j in [2, 5, 9] {
            states.update(j, |st| st.entry_held = true);
        }
        let mut from = 0;
        for j in 0..12 {
            let found = states.seek(j, from);
            assert_eq!(found, states.find(j), "journey {j}");
            from = match found {
                Ok(i) => i + 1,
                Err(i) => i,
            };
        }
        let (_, after) = states.update_at(5, states.seek(5, 0), |st| st.entry_held = false);
        assert_eq!(
            (after, states.get(5)),
            (1, None),
            "a state made vacant goes"
        );
        let (_, after) = states.update_at(7, states.seek(7, 0), |st| st.entry_held = true);
        assert_eq!(after, 2);
    }

    #[test]
    fn flags_are_per_journey_and_start_clear() {
        let mut states = JourneyStates::default();
        assert!(!states.evaluated(40) && !states.awake(40));
        states.set_evaluated(40, true);
        states.wake(7);
        assert!(states.evaluated(40) && !states.awake(40));
        assert!(states.awake(7) && !states.evaluated(7));
        states.set_evaluated(40, false);
        assert!(!states.evaluated(40));
        states.set_evaluated(200, false);
        assert_eq!(
            states.flags.len(),
            2,
            "clearing a bit never grows the flags"
        );
    }

    #[test]
    fn a_member_at_one_step_costs_its_state_and_nothing_on_the_heap() {
        // The budget B3 is measured against (docs/benchmarks.md): a state per membership.
        assert!(std::mem::size_of::<JourneyState>() <= 136);
        let mut states = JourneyStates::default();
        states.update(0, |st| {
            st.status = Status::In;
            st.audience.push(crate::journey_state::AudienceEntry {
                step: 0,
                entered_at: 0,
                announced: false,
            });
            st.positions.push(crate::journey_state::Position {
                step: 0,
                reached_at: 0,
                reached_seq: 1,
                phase: crate::journey_state::Phase::Holding,
            });
        });
        let st = states.get(0).expect("held");
        assert!(!st.audience.spilled() && !st.positions.spilled());
    }
}
