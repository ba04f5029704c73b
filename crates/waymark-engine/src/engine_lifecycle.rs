//! Journeys joining and leaving an engine that is already running (one live engine for
//! every journey version, issue 9): a journey added later starts at its publication
//! instant, with counters that count from then on unless it is `historical`; its new
//! counters and trait slots can be filled from stored history; it can be closed to new
//! entrants and stopped on its own.
//!
//! Added journeys behave as if each ran in an engine of its own that saw the same events
//! (what the runtime did before): before its start a journey does not run; without
//! `historical`, a user's machine first runs on the user's first event from the start on;
//! with it, everyone is evaluated at the start. Journeys with one id are versions of one
//! journey: a user in an older one cannot enter a newer one until they have left it, and
//! `member_of` that id reads the latest. A journey that names, with `member_of`, one added
//! later reads it from then on.

use serde_json::Value;
use smallvec::SmallVec;

use super::{Engine, earliest};
use crate::compile::StepIndex;
use crate::compile::{CompileError, MAX_TARGETS, compile_added};
use crate::event::Event;
use crate::journey_state::{JourneyState, Phase as Wait, Position, Status};
use crate::journey_states::JourneyStates;
use crate::machine::{Machine, Trigger};
use crate::model::Journey;
use crate::profile::TraitValue;
use crate::time::Millis;
use crate::transition::{Transition, UserIndex};

/// How a journey added to a running engine starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    /// Its publication: before this instant it does not run.
    pub at: Millis,
    /// Whether its event conditions count what was received before `at`. The counters it
    /// adds are then empty for the users the engine already holds: fill them with
    /// [`Engine::backfill_event`] before the clock reaches `at`.
    pub historical: bool,
}

/// Where a journey stands in the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Phase {
    /// Added, waiting for its start.
    Waiting,
    Running,
    /// Stopped: it never runs again; its users left.
    Stopped,
}

/// One journey's place in the engine's life.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Lifecycle {
    pub(crate) phase: Phase,
    /// A user's machine runs only once the user is awake in this journey (added journeys
    /// without `historical`: from the user's first event after the start).
    pub(crate) per_user_wake: bool,
    pub(crate) historical: bool,
    /// From when its counters count (`None`: all history).
    pub(crate) counting_from: Option<Millis>,
    /// Earlier versions (journeys with the same id): a user in one does not enter this one
    /// (SPEC §9: they finish where they are).
    pub(crate) older: SmallVec<[u16; 2]>,
}

impl Lifecycle {
    /// A journey given to [`Engine::new`]: running from the start, for everyone.
    pub(crate) fn from_start() -> Self {
        Self {
            phase: Phase::Running,
            per_user_wake: false,
            historical: true,
            counting_from: None,
            older: SmallVec::new(),
        }
    }

    /// Whether a user's machine runs in this journey (`j`).
    pub(crate) fn runs_for(&self, states: &JourneyStates, j: u16) -> bool {
        self.phase == Phase::Running && (!self.per_user_wake || states.awake(j))
    }
}

/// What a journey added to a running engine made that the users held have no values for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSlots {
    /// Counters to fill from history ([`Engine::backfill_event`]); empty unless the
    /// journey is `historical`.
    pub counters: Vec<u32>,
    /// Trait paths to fill from the stored profiles ([`Engine::backfill_trait`]).
    pub traits: Vec<String>,
}

impl NewSlots {
    /// Whether nothing needs filling.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty() && self.traits.is_empty()
    }
}

impl Engine {
    /// Adds a journey that starts at `activation.at` (at once when the clock is past it)
    /// and returns its index with the slots the users held lack. A journey with the id of
    /// one the engine holds is its newer version.
    pub fn add_journey(
        &mut self,
        journey: &Journey,
        activation: Activation,
    ) -> Result<(u16, NewSlots), CompileError> {
        self.debug_assert_settled();
        if self.journeys.len() >= MAX_TARGETS {
            return Err(CompileError::TooManyTargets);
        }
        let (counters_before, traits_before) =
            (self.catalog.counters.len(), self.catalog.trait_paths.len());
        let counting_from = (!activation.historical).then_some(activation.at);
        self.journey_models.push(journey.clone());
        let compiled = compile_added(
            journey,
            &self.journey_models,
            &self.audience_models,
            &mut self.catalog,
            counting_from,
        );
        let compiled = match compiled {
            Ok(c) => c,
            Err(e) => {
                self.journey_models.pop();
                return Err(e);
            }
        };
        let index = self.journeys.len() as u16;
        let older = self.journeys[..usize::from(index)]
            .iter()
            .enumerate()
            .filter(|(_, j)| j.id == journey.id)
            .map(|(i, _)| i as u16)
            .collect();
        self.journeys.push(compiled);
        self.lifecycles.push(Lifecycle {
            phase: Phase::Waiting,
            per_user_wake: true,
            historical: activation.historical,
            counting_from,
            older,
        });
        self.relink(&journey.id)?;
        self.uses_membership |= super::journey_reads_membership(journey);
        self.activations.insert((activation.at, index));
        let new = NewSlots {
            counters: if activation.historical {
                (counters_before as u32..self.catalog.counters.len() as u32).collect()
            } else {
                Vec::new()
            },
            traits: self.catalog.trait_paths[traits_before..].to_vec(),
        };
        Ok((index, new))
    }

    /// Compiles again the other journeys whose `member_of` names `id`, so that they read
    /// its latest version (their counters are found again, not made anew).
    fn relink(&mut self, id: &str) -> Result<(), CompileError> {
        let last = self.journeys.len() - 1;
        for k in 0..last {
            let model = &self.journey_models[k];
            if model.id == id || !super::journey_names(model, id) {
                continue;
            }
            let end_at = self.journeys[k].end_at;
            let mut compiled = compile_added(
                model,
                &self.journey_models,
                &self.audience_models,
                &mut self.catalog,
                self.lifecycles[k].counting_from,
            )?;
            compiled.end_at = end_at;
            self.journeys[k] = compiled;
        }
        Ok(())
    }

    /// Replaces journey `j`'s definition in place (an edit a running version takes: names,
    /// connections, leaf steps added or removed), keeping every user's place by step id: a
    /// position or audience entry at a removed step goes, and a user left at no step holds
    /// at the deepest step whose audience they are still in. Returns the slots to fill;
    /// then [`Engine::settle_journey`] evaluates its users under the new definition.
    pub fn replace_journey(&mut self, j: u16, journey: &Journey) -> Result<NewSlots, CompileError> {
        self.debug_assert_settled();
        let k = usize::from(j);
        let (counters_before, traits_before) =
            (self.catalog.counters.len(), self.catalog.trait_paths.len());
        let old_model = std::mem::replace(&mut self.journey_models[k], journey.clone());
        let compiled = compile_added(
            journey,
            &self.journey_models,
            &self.audience_models,
            &mut self.catalog,
            self.lifecycles[k].counting_from,
        );
        let mut compiled = match compiled {
            Ok(c) => c,
            Err(e) => {
                self.journey_models[k] = old_model;
                return Err(e);
            }
        };
        compiled.end_at = self.journeys[k].end_at;
        let map: Vec<Option<StepIndex>> = (0..self.journeys[k].steps.len())
            .map(|i| {
                let id = &self.journeys[k].steps[i].id;
                compiled
                    .steps
                    .iter()
                    .position(|s| &s.id == id)
                    .map(|p| p as StepIndex)
            })
            .collect();
        self.journeys[k] = compiled;
        self.uses_membership |= super::journey_reads_membership(journey);
        for state in self.users.iter_mut().filter(|u| !u.removed) {
            // Its rules changed: its next event runs its machine whatever it concerns.
            state.journeys.set_evaluated(j, false);
            if state.journeys.status(j) != Status::Out {
                state.journeys.update(j, |st| remap(st, &map));
            }
        }
        Ok(NewSlots {
            counters: (counters_before as u32..self.catalog.counters.len() as u32).collect(),
            traits: self.catalog.trait_paths[traits_before..].to_vec(),
        })
    }

    /// Evaluates every user in journey `j` at the clock (after [`Engine::replace_journey`]).
    pub fn settle_journey(&mut self, j: u16, out: &mut Vec<Transition>) {
        self.settle_users(j, false, out);
    }

    /// Evaluates every user the engine holds in journey `j` at the clock, those outside it
    /// too (after [`Engine::replace_journey`] changed who may enter: a standalone audience's
    /// new criteria take everyone they hold for at once).
    pub fn settle_journey_for_everyone(&mut self, j: u16, out: &mut Vec<Transition>) {
        self.settle_users(j, true, out);
    }

    fn settle_users(&mut self, j: u16, outside_too: bool, out: &mut Vec<Transition>) {
        self.finish_release(out);
        for user in 0..self.users.len() as UserIndex {
            let state = &self.users[user as usize];
            let runs = !state.removed
                && (outside_too || state.journeys.status(j) != Status::Out)
                && self.lifecycles[usize::from(j)].runs_for(&state.journeys, j);
            if runs {
                self.settle_one(user, j, out, |m, st| m.settle(st, Trigger::Timer));
            }
        }
    }

    /// Starts the journeys due by the clock (those added with a start already past).
    pub fn start_due(&mut self, out: &mut Vec<Transition>) {
        let clock = self.clock;
        self.advance_to(clock, out);
    }

    /// Starts journey `j` at the clock: with `historical`, everyone is evaluated now (or
    /// from now on in slices, when it was released so).
    pub(super) fn start_journey(&mut self, j: u16, out: &mut Vec<Transition>) {
        if self.lifecycles[usize::from(j)].phase != Phase::Waiting {
            return;
        }
        // A start under way is over before another journey runs.
        self.finish_release(out);
        self.lifecycles[usize::from(j)].phase = Phase::Running;
        let sliced = self.take_sliced_start(j);
        if !self.lifecycles[usize::from(j)].historical {
            return;
        }
        if sliced {
            self.begin_release(j);
            return;
        }
        for user in 0..self.users.len() as UserIndex {
            let state = &mut self.users[user as usize];
            if state.removed {
                continue;
            }
            state.journeys.wake(j);
            self.settle_one(user, j, out, |m, st| m.settle(st, Trigger::Timer));
        }
    }

    /// Keeps journey `j`, added and not started yet, from starting until
    /// [`Engine::release_journey`]: while its new slots are filled from history in the
    /// background, events are applied (its counters count them) but it does not run.
    pub fn hold_journey(&mut self, j: u16) {
        self.activations.retain(|&(_, k)| k != j);
    }

    /// Lets a held journey start at `at` (at once when the clock is past it; it starts on
    /// the next [`Engine::advance_to`]). A journey that is not waiting is left as it is.
    pub fn release_journey(&mut self, j: u16, at: Millis) {
        if self.lifecycles[usize::from(j)].phase == Phase::Waiting {
            self.activations.insert((at, j));
        }
    }

    /// Closes journey `j` to new entrants from `at` on (a newer version was published);
    /// its users finish there.
    pub fn close_journey_entries(&mut self, j: u16, at: Millis) {
        self.debug_assert_settled();
        let journey = &mut self.journeys[usize::from(j)];
        journey.end_at = Some(journey.end_at.map_or(at, |e| e.min(at)));
    }

    /// Stops journey `j` at `at` (after the timers due by then): everyone in it leaves it,
    /// and it never runs again.
    pub fn stop_journey(&mut self, j: u16, at: Millis, out: &mut Vec<Transition>) {
        self.advance_to(at, out);
        self.finish_release(out);
        self.activations.retain(|&(_, k)| k != j);
        self.take_sliced_start(j);
        for user in 0..self.users.len() as UserIndex {
            let st = &self.users[user as usize];
            if st.removed || st.journeys.status(j) == Status::Out {
                continue;
            }
            self.settle_one(user, j, out, |m, st| m.leave(st));
        }
        self.lifecycles[usize::from(j)].phase = Phase::Stopped;
    }

    /// How many journeys the engine holds, stopped ones included (their indices stay).
    pub fn journey_count(&self) -> usize {
        self.journeys.len()
    }

    /// The definition journey `j` runs, as added or last replaced (a restart compares it
    /// with the stored one to see an edit made after a checkpoint).
    pub fn journey_model(&self, j: u16) -> &Journey {
        &self.journey_models[usize::from(j)]
    }

    /// Whether journey `j` is stopped.
    pub fn is_stopped(&self, j: u16) -> bool {
        self.lifecycles[usize::from(j)].phase == Phase::Stopped
    }

    /// Adds a stored event of user `key`, received at `received`, to the counters in `new`
    /// only (a backfill): nothing is evaluated and the clock does not move. Events may come
    /// in any order; each counter keeps its latest.
    pub fn backfill_event(&mut self, key: &str, event: &Event, received: Millis, new: &NewSlots) {
        self.debug_assert_settled();
        if new.counters.is_empty() {
            return;
        }
        let user = self.user_index(key);
        let profile = &mut self.users[user as usize].profile;
        let input = event
            .input
            .as_deref()
            .and_then(|i| self.catalog.inputs.get(i));
        for id in self.catalog.matching_counters(event, input, received) {
            if new.counters.contains(&id) {
                profile.backfill_hit(id, event.at, &self.catalog);
            }
        }
    }

    /// The event names the counters in `new` count: a backfill needs only those events.
    pub fn counted_event_names(&self, new: &NewSlots) -> Vec<String> {
        let mut names: Vec<String> = new
            .counters
            .iter()
            .map(|&c| {
                let spec = &self.catalog.counters[c as usize];
                self.catalog.event_names.name(spec.name).to_string()
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Whether the engine holds a user with this key.
    pub fn has_user(&self, key: &str) -> bool {
        self.index.contains_key(key.as_bytes())
    }

    /// The keys of the users the engine holds (for backfills).
    pub fn user_keys(&self) -> impl Iterator<Item = &str> {
        self.index.values().map(|&u| self.user_key(u))
    }

    /// Sets a trait slot `add_journey` made for user `key` from the stored profile: its
    /// value, since when it has had it and when it was last written.
    pub fn backfill_trait(
        &mut self,
        key: &str,
        path: &str,
        value: Value,
        since: Millis,
        written: Millis,
    ) {
        self.debug_assert_settled();
        let Some(slot) = self.catalog.trait_paths.iter().position(|p| p == path) else {
            return;
        };
        let user = self.user_index(key);
        self.users[user as usize].profile.traits.set(
            slot as u32,
            TraitValue {
                value,
                since,
                written,
            },
        );
    }

    /// Applies one event of user `key` received at `received` (the live runtime's path:
    /// counters of journeys published without `historical` count by receipt).
    pub fn apply_received(
        &mut self,
        key: &str,
        event: &Event,
        received: Millis,
        out: &mut Vec<Transition>,
    ) {
        self.receipt = Some(received);
        self.apply(key, event, out);
        self.receipt = None;
    }

    /// Runs `action` on journey `j`'s machine for one user at the clock, evaluates the
    /// audiences again, and re-arms the user's timer.
    pub(super) fn settle_one(
        &mut self,
        user: UserIndex,
        j: u16,
        out: &mut Vec<Transition>,
        mut action: impl FnMut(&mut Machine<'_>, &mut JourneyState),
    ) {
        let journeys_due = self.run_machines(user, out, |m, st| {
            if m.journey_index == j {
                action(m, st);
            }
        });
        let audiences_due = self.settle_audiences(user, out);
        self.set_timer(user, earliest(journeys_due, audiences_due));
    }
}

/// Moves one user's state in a journey to new step indices (`map`: old index → new).
fn remap(st: &mut JourneyState, map: &[Option<StepIndex>]) {
    let to = |step: StepIndex| map.get(usize::from(step)).copied().flatten();
    st.audience.retain_mut(|a| match to(a.step) {
        Some(step) => {
            a.step = step;
            true
        }
        None => false,
    });
    st.positions.retain_mut(|p| {
        let Some(step) = to(p.step) else {
            return false;
        };
        p.step = step;
        p.phase = match p.phase {
            Wait::Live { child } => match child.map(to) {
                Some(None) => Wait::Holding,
                Some(Some(c)) => Wait::Live { child: Some(c) },
                None => Wait::Live { child: None },
            },
            Wait::Delayed { child } => {
                to(child).map_or(Wait::Holding, |c| Wait::Delayed { child: c })
            }
            other => other,
        };
        true
    });
    if st.status == Status::In
        && st.positions.is_empty()
        && let Some(deepest) = st.audience.last()
    {
        st.positions.push(Position {
            step: deepest.step,
            reached_at: deepest.entered_at,
            reached_seq: 0,
            phase: Wait::Holding,
        });
    }
}

#[cfg(test)]
#[path = "engine_lifecycle_tests.rs"]
pub(super) mod tests;
