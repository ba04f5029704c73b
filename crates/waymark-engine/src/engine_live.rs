//! What a live runtime needs beyond simulation: history that only feeds profiles (before a
//! journey's publication), evaluating everyone at once (historical backfill), stopping,
//! identity changes (a new key, a removed user), and counts of who is where.

use smallvec::SmallVec;

use super::{Engine, UserState};
use crate::event::Event;
use crate::journey_state::{JourneyState, Status};
use crate::machine::Trigger;
use crate::time::{Millis, OptionalMillis};
use crate::transition::{Transition, UserIndex};

/// How many users one step holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCounts {
    /// Users at the step itself.
    pub at: u64,
    /// Users in the step's audience (at it or at any step below it).
    pub audience: u64,
}

/// A user in a step's audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepMember {
    /// The user.
    pub user: UserIndex,
    /// Which entry into the journey this is (1 for the first).
    pub entry_number: u32,
    /// When the user entered the step's audience.
    pub entered_at: Millis,
}

/// Where one user stands in one journey (a profile's view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserJourney {
    /// In the journey now (as control: `control`).
    pub inside: bool,
    /// Held out as control.
    pub control: bool,
    /// How many times the user has entered.
    pub entries: u32,
    /// When the user last entered.
    pub entered_at: Millis,
    /// When the user last left, if they did.
    pub left_at: Option<Millis>,
    /// Whether the goal was reached in the current (or last) entry.
    pub goal_reached: bool,
    /// The steps whose audience the user is in, with since when, in the order entered.
    pub audience: Vec<(u16, Millis)>,
    /// The steps the user is at, with since when.
    pub at: Vec<(u16, Millis)>,
}

impl Engine {
    /// Where the user with this key stands in journey `journey`; `None` when they never
    /// entered it.
    pub fn user_journey(&self, key: &str, journey: u16) -> Option<UserJourney> {
        let user = *self.index.get(key.as_bytes())?;
        let state = &self.users[user as usize];
        let st = state.journeys.get(journey)?;
        if state.removed || st.entries == 0 {
            return None;
        }
        Some(UserJourney {
            inside: st.status != Status::Out,
            control: st.status == Status::Control,
            entries: st.entries,
            entered_at: st.entered_at,
            left_at: st.left_at.get(),
            goal_reached: st.goal_reached,
            audience: st.audience.iter().map(|a| (a.step, a.entered_at)).collect(),
            at: st
                .positions
                .iter()
                .map(|p| (p.step, p.reached_at))
                .collect(),
        })
    }

    /// Applies an event to the user's profile only: no journey is evaluated and the clock
    /// does not move. For history that precedes a journey's publication.
    pub fn observe(&mut self, key: &str, event: &Event) {
        self.debug_assert_settled();
        let user = self.user_index(key);
        self.users[user as usize]
            .profile
            .apply(event, &mut self.catalog, Millis::MIN);
    }

    /// Fires the timers due by `at`, then evaluates every user at `at`: publication with a
    /// historical backfill, where everyone who qualifies then enters then.
    pub fn settle_everyone(&mut self, at: Millis, out: &mut Vec<Transition>) {
        self.advance_to(at, out);
        self.finish_release(out);
        for user in 0..self.users.len() as UserIndex {
            if !self.users[user as usize].removed {
                self.settle(user, Trigger::Timer, out);
            }
        }
    }

    /// Stops the journeys and audiences at `at` (after the timers due by then): every user
    /// still in one leaves it, and no timer remains.
    pub fn stop(&mut self, at: Millis, out: &mut Vec<Transition>) {
        self.advance_to(at, out);
        self.finish_release(out);
        for user in 0..self.users.len() as UserIndex {
            if !self.users[user as usize].removed {
                self.leave_all(user, out);
            }
        }
        self.timers.clear();
        self.users
            .iter_mut()
            .for_each(|u| u.timer = OptionalMillis::NONE);
    }

    /// Gives the user `old` the key `new` (an anonymous profile that learnt its user id).
    /// Returns `false`, changing nothing, when `old` names nobody or `new` already names
    /// someone.
    pub fn rename(&mut self, old: &str, new: &str) -> bool {
        if self.index.contains_key(new.as_bytes()) {
            return false;
        }
        let Some(user) = self.index.remove(old.as_bytes()) else {
            return false;
        };
        self.keys[user as usize] = new.into();
        self.index
            .insert(SmallVec::from_slice(new.as_bytes()), user);
        true
    }

    /// Removes a user at the clock: they leave every journey they are in (the transitions
    /// are emitted under their index, whose key stays readable) and their state is dropped.
    /// A later event with the same key starts a new user. Returns `false` when the key
    /// names nobody.
    pub fn remove(&mut self, key: &str, out: &mut Vec<Transition>) -> bool {
        let Some(user) = self.index.remove(key.as_bytes()) else {
            return false;
        };
        // What the start under way does for them comes before they leave.
        self.release_user(user, out);
        self.leave_all(user, out);
        self.set_timer(user, None);
        self.users[user as usize] = UserState {
            removed: true,
            ..UserState::default()
        };
        true
    }

    /// Closes the journeys to new entrants from `at` on (a newer version was published);
    /// users already in them finish there.
    pub fn close_entries(&mut self, at: Millis) {
        self.debug_assert_settled();
        for j in &mut self.journeys {
            j.end_at = Some(j.end_at.map_or(at, |e| e.min(at)));
        }
    }

    /// How many users have a pending timer.
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    /// Keeps a user from entering, or lets them again: the runtime blocks users who are in
    /// an older version of the same journey (SPEC §9: they finish there).
    pub fn set_entry_blocked(&mut self, key: &str, blocked: bool) {
        self.debug_assert_settled();
        match self.index.get(key.as_bytes()) {
            Some(&user) => self.users[user as usize].entry_blocked = blocked,
            None if blocked => {
                let user = self.user_index(key);
                self.users[user as usize].entry_blocked = true;
            }
            None => {}
        }
    }

    /// Whether the user is in any of the engine's journeys (at steps or as control).
    pub fn is_in_journey(&self, key: &str) -> bool {
        self.index.get(key.as_bytes()).is_some_and(|&u| {
            self.users[u as usize]
                .journeys
                .held()
                .iter()
                .any(|st| st.status != Status::Out)
        })
    }

    /// The keys of every user in the engine's journeys.
    pub fn members(&self) -> Vec<&str> {
        self.index
            .iter()
            .filter(|(_, u)| {
                self.users[**u as usize]
                    .journeys
                    .held()
                    .iter()
                    .any(|st| st.status != Status::Out)
            })
            .map(|(_, u)| &*self.keys[*u as usize])
            .collect()
    }

    /// Per step of a journey, by step index: users at it and in its audience.
    pub fn step_counts(&self, journey: u16) -> Vec<StepCounts> {
        let j = self.journey(journey);
        let mut counts = vec![StepCounts::default(); j.steps.len()];
        for state in self.live_states(journey) {
            for p in &state.positions {
                counts[usize::from(p.step)].at += 1;
            }
            for a in &state.audience {
                counts[usize::from(a.step)].audience += 1;
            }
        }
        counts
    }

    /// Users in a journey: `(in at steps, control)`.
    pub fn journey_counts(&self, journey: u16) -> (u64, u64) {
        self.live_states(journey)
            .fold((0, 0), |(within, control), st| match st.status {
                Status::In => (within + 1, control),
                Status::Control => (within, control + 1),
                Status::Out => (within, control),
            })
    }

    /// The users in a step's audience with their entry number and entry time, in user order.
    pub fn step_members(&self, journey: u16, step: u16) -> Vec<StepMember> {
        self.users
            .iter()
            .enumerate()
            .filter(|(_, u)| !u.removed)
            .filter_map(|(i, u)| {
                let st = u.journeys.get(journey)?;
                if st.status != Status::In {
                    return None;
                }
                let entry = st.audience.iter().find(|a| a.step == step)?;
                Some(StepMember {
                    user: i as UserIndex,
                    entry_number: st.entries,
                    entered_at: entry.entered_at,
                })
            })
            .collect()
    }

    fn live_states(&self, journey: u16) -> impl Iterator<Item = &JourneyState> {
        self.users
            .iter()
            .filter(|u| !u.removed)
            .filter_map(move |u| u.journeys.get(journey))
    }

    /// Every journey and audience the user is in, left at the clock (the caller sets the
    /// user's timer).
    fn leave_all(&mut self, user: UserIndex, out: &mut Vec<Transition>) {
        self.leave_audiences(user, out);
        self.run_machines(user, out, |machine, st| {
            if st.status != Status::Out {
                machine.leave(st);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use crate::model::Journey;
    use crate::transition::{Change, TransitionKind};

    use super::*;

    fn journey(doc: Value) -> Journey {
        serde_json::from_value(doc).expect("a valid journey")
    }

    fn event(at: Millis, name: Option<&str>, traits: Value) -> Event {
        Event {
            at,
            name: name.map(str::to_string),
            properties: json!({}),
            context: json!({}),
            traits: traits.as_object().cloned().unwrap_or_else(Map::new),
            input: None,
        }
    }

    fn trial_journey() -> Journey {
        journey(json!({
            "id": "j", "name": "J",
            "entry": {"id": "entry", "name": "Entry",
                "criteria": {"trait": "plan", "op": "eq", "value": "trial"},
                "steps": [{"id": "w", "name": "Wait", "type": "wait",
                           "wait": {"duration": "1h"}}]}
        }))
    }

    fn kinds(out: &[Transition]) -> Vec<TransitionKind> {
        out.iter().map(|t| t.kind).collect()
    }

    #[test]
    fn observed_history_enters_only_when_everyone_is_settled() {
        let mut engine = Engine::new(&[trial_journey()]).unwrap();
        engine.observe("u1", &event(10, None, json!({"plan": "trial"})));
        engine.observe("u2", &event(20, None, json!({"plan": "paid"})));
        assert_eq!(engine.next_timer(), None);
        let mut out = Vec::new();
        engine.settle_everyone(100, &mut out);
        assert_eq!(
            kinds(&out),
            vec![
                TransitionKind::Journey(Change::Entered),
                TransitionKind::Step {
                    step: 0,
                    change: Change::Entered
                },
                TransitionKind::Step {
                    step: 1,
                    change: Change::Entered
                },
            ]
        );
        assert!(out.iter().all(|t| t.at == 100 && t.user == 0));
        assert_eq!(engine.journey_counts(0), (1, 0));
        assert_eq!(
            engine.step_members(0, 1),
            vec![StepMember {
                user: 0,
                entry_number: 1,
                entered_at: 100
            }]
        );
        let counts = engine.step_counts(0);
        assert_eq!(counts[0], StepCounts { at: 0, audience: 1 });
        assert_eq!(counts[1], StepCounts { at: 1, audience: 1 });
    }

    #[test]
    fn stop_makes_everyone_leave_and_clears_timers() {
        let mut engine = Engine::new(&[trial_journey()]).unwrap();
        let mut out = Vec::new();
        engine.apply("u1", &event(10, None, json!({"plan": "trial"})), &mut out);
        assert!(engine.next_timer().is_some());
        out.clear();
        engine.stop(50, &mut out);
        assert_eq!(
            kinds(&out),
            vec![
                TransitionKind::Step {
                    step: 1,
                    change: Change::Exited
                },
                TransitionKind::Step {
                    step: 0,
                    change: Change::Exited
                },
                TransitionKind::Journey(Change::Exited),
            ]
        );
        assert_eq!(engine.next_timer(), None);
        assert_eq!(engine.journey_counts(0), (0, 0));
    }

    #[test]
    fn rename_keeps_state_and_refuses_a_taken_key() {
        let mut engine = Engine::new(&[trial_journey()]).unwrap();
        let mut out = Vec::new();
        engine.apply("anon", &event(10, None, json!({"plan": "trial"})), &mut out);
        engine.apply("other", &event(11, None, json!({})), &mut out);
        assert!(!engine.rename("anon", "other"));
        assert!(!engine.rename("nobody", "x"));
        assert!(engine.rename("anon", "u1"));
        // `anon` names nobody now, and `u1` is taken.
        assert!(!engine.rename("anon", "x"));
        assert!(!engine.rename("other", "u1"));
        assert_eq!(engine.user_key(0), "u1");
        assert_eq!(engine.journey_counts(0), (1, 0));
    }

    #[test]
    fn a_blocked_user_does_not_enter_until_unblocked() {
        let mut engine = Engine::new(&[trial_journey()]).unwrap();
        let mut out = Vec::new();
        engine.set_entry_blocked("u1", true);
        engine.apply("u1", &event(10, None, json!({"plan": "trial"})), &mut out);
        assert!(out.is_empty());
        assert!(!engine.is_in_journey("u1"));
        engine.set_entry_blocked("u1", false);
        engine.apply("u1", &event(20, None, json!({"plan": "paid"})), &mut out);
        engine.apply("u1", &event(30, None, json!({"plan": "trial"})), &mut out);
        assert!(engine.is_in_journey("u1"));
        assert_eq!(engine.members(), vec!["u1"]);
    }

    #[test]
    fn remove_leaves_then_forgets() {
        let mut engine = Engine::new(&[trial_journey()]).unwrap();
        let mut out = Vec::new();
        engine.apply("u1", &event(10, None, json!({"plan": "trial"})), &mut out);
        out.clear();
        assert!(engine.remove("u1", &mut out));
        assert_eq!(
            out.last().map(|t| t.kind),
            Some(TransitionKind::Journey(Change::Exited))
        );
        assert_eq!(engine.next_timer(), None);
        assert!(!engine.remove("u1", &mut out));
        // The same key later is a new user, who may enter again.
        out.clear();
        engine.apply("u1", &event(20, None, json!({"plan": "trial"})), &mut out);
        assert_eq!(out.first().map(|t| (t.user, t.entry)), Some((1, 1)));
        engine.settle_everyone(30, &mut Vec::new());
        assert_eq!(engine.journey_counts(0), (1, 0));
    }
}
