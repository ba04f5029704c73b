//! The engine: users' state, the timer queue ordered by due time, and the loop that applies
//! events and fires timers in time order (timers due at or before an event's instant fire
//! before it).

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::catalog::Catalog;
use crate::compile::{CompileError, CompiledAudience, CompiledJourney, compile_all};
use crate::eval::Memberships;
use crate::event::Event;
use crate::journey_state::{JourneyState, Status};
use crate::journey_states::JourneyStates;
use crate::machine::{Machine, Trigger};
use crate::model::{Audience, ComputedAttribute, Criteria, Journey};
use crate::profile::{Applied, Profile};
use crate::time::{Millis, OptionalMillis};
use crate::transition::{Transition, UserIndex};

#[path = "engine_attributes.rs"]
mod attributes;
#[path = "engine_audiences.rs"]
mod audiences;
#[path = "engine_checkpoint.rs"]
mod checkpoint;
#[path = "engine_lifecycle.rs"]
mod lifecycle;
#[path = "engine_live.rs"]
mod live;
#[path = "engine_release.rs"]
mod release;
pub use attributes::AttributeValue;
pub use audiences::AudienceMember;
use audiences::AudienceState;
pub use checkpoint::{CHECKPOINT_VERSION, CheckpointError};
pub use lifecycle::{Activation, NewSlots};
use lifecycle::{Lifecycle, Phase};
pub use live::{StepCounts, StepMember, UserJourney};

/// One user's whole state.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UserState {
    profile: Profile,
    journeys: JourneyStates,
    audiences: Vec<AudienceState>,
    /// The user's pending timer, also present in the engine's queue.
    timer: OptionalMillis,
    /// Removed (deleted or merged away): its key no longer names it.
    removed: bool,
    /// Kept from entering (the user is in an older version of the journey).
    entry_blocked: bool,
}

/// Runs journeys and standalone audiences over a time-ordered stream of events on a clock
/// it is given, with one profile per user that all of them read.
///
/// Its whole state is what a checkpoint encodes (`engine_checkpoint.rs`): a field added
/// here is kept across restarts unless it is marked `skip` and rebuilt there. The serde
/// impls are the checkpoint's body: read one with [`Engine::from_checkpoint`], which checks
/// it and rebuilds what is skipped, not with serde directly.
#[derive(Debug, Serialize, Deserialize)]
pub struct Engine {
    catalog: Catalog,
    journeys: Vec<CompiledJourney>,
    audiences: Vec<CompiledAudience>,
    /// Audience indices in evaluation order (an audience after those it reads).
    audience_order: Vec<u16>,
    /// Some audience reads a journey's membership: audiences are evaluated again after the
    /// journeys when those changed.
    audiences_read_journeys: bool,
    uses_membership: bool,
    /// Per journey: when and for whom it runs.
    lifecycles: Vec<Lifecycle>,
    /// Journeys added to start later, by start instant.
    activations: BTreeSet<(Millis, u16)>,
    /// The models run, which `member_of` in a journey added later may name.
    #[serde(with = "crate::wire::definitions")]
    journey_models: Vec<Journey>,
    #[serde(with = "crate::wire::definitions")]
    audience_models: Vec<Audience>,
    /// When the event being applied was received, when the caller says so (only during
    /// one call).
    #[serde(skip)]
    receipt: Option<Millis>,
    /// Written apart by a checkpoint, without the keys of removed users (a deleted
    /// profile's identifier must not outlive its deletion on disk).
    #[serde(skip)]
    keys: Vec<Box<str>>,
    /// Profile key (its UTF-8 bytes) to user. Every event looks a user up: keys of up to
    /// 16 bytes are kept in the table itself, so that finding one does not also fetch the
    /// key from elsewhere in memory; and foldhash, because SipHash costs a noticeable share
    /// of applying an event, while foldhash's per-map random seed still keeps keys chosen
    /// by a client from colliding on purpose. Rebuilt from `keys` when a checkpoint is read.
    #[serde(skip)]
    index: HashMap<SmallVec<[u8; 16]>, UserIndex, foldhash::fast::RandomState>,
    users: Vec<UserState>,
    timers: BTreeSet<(Millis, UserIndex)>,
    clock: Millis,
    /// Held journeys released to start in slices (`engine_release.rs`).
    #[serde(skip)]
    sliced_starts: Vec<u16>,
    /// The start under way in slices. Never in a checkpoint: one is written only once it is
    /// over.
    #[serde(skip)]
    releasing: Option<release::Release>,
}

impl Engine {
    /// An engine running these journeys (as published; `member_of` may refer to any of them).
    pub fn new(journeys: &[Journey]) -> Result<Self, CompileError> {
        Self::with_audiences(journeys, &[])
    }

    /// An engine running these journeys and standalone audiences over one profile per
    /// user; `member_of` may refer to any of them.
    pub fn with_audiences(
        journeys: &[Journey],
        audiences: &[Audience],
    ) -> Result<Self, CompileError> {
        Self::with_definitions(journeys, audiences, &[])
    }

    /// An engine running these journeys and standalone audiences over one profile per
    /// user that keeps these computed attributes, which `attribute` criteria read (an
    /// unknown name reads as missing).
    pub fn with_definitions(
        journeys: &[Journey],
        audiences: &[Audience],
        attributes: &[ComputedAttribute],
    ) -> Result<Self, CompileError> {
        let mut catalog = Catalog::default();
        let compiled = compile_all(journeys, audiences, attributes, &mut catalog)?;
        let mut mentions = false;
        journeys
            .iter()
            .for_each(|j| journey_criteria(j, &mut |c| mentions |= reads_membership(c)));
        let mut audiences_read_journeys = false;
        for a in audiences {
            mentions |= reads_membership(&a.criteria);
            a.criteria.visit(&mut |c| {
                if let Criteria::MemberOf(m) = c {
                    let names_audience = matches!(
                        &m.target,
                        crate::model::MemberTarget::Audience { audience }
                            if audiences.iter().any(|a| a.id == *audience)
                    );
                    audiences_read_journeys |= !names_audience;
                }
            });
        }
        Ok(Self {
            catalog,
            journeys: compiled.journeys,
            audiences: compiled.audiences,
            audience_order: compiled.audience_order,
            audiences_read_journeys,
            uses_membership: mentions,
            lifecycles: vec![Lifecycle::from_start(); journeys.len()],
            activations: BTreeSet::new(),
            journey_models: journeys.to_vec(),
            audience_models: audiences.to_vec(),
            receipt: None,
            keys: Vec::new(),
            index: HashMap::default(),
            users: Vec::new(),
            timers: BTreeSet::new(),
            clock: Millis::MIN,
            sliced_starts: Vec::new(),
            releasing: None,
        })
    }

    /// The compiled journey at `index` (for step and connection ids).
    pub fn journey(&self, index: u16) -> &CompiledJourney {
        &self.journeys[usize::from(index)]
    }

    /// The profile key of a user index.
    pub fn user_key(&self, user: UserIndex) -> &str {
        &self.keys[user as usize]
    }

    /// How many users the engine holds.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The engine's clock: the latest instant it has processed.
    pub fn clock(&self) -> Millis {
        self.clock
    }

    /// The earliest pending timer.
    pub fn next_timer(&self) -> Option<Millis> {
        self.timers.first().map(|(at, _)| *at)
    }

    /// Fires every timer due at or before `until`, in due order, and moves the clock there.
    /// Journeys added to start by then start in turn (after the timers due at the same
    /// instant).
    pub fn advance_to(&mut self, until: Millis, out: &mut Vec<Transition>) {
        loop {
            let timer = self.timers.first().copied().filter(|t| t.0 <= until);
            let start = self.activations.first().copied().filter(|a| a.0 <= until);
            match (timer, start) {
                (Some((at, user)), start) if start.is_none_or(|s| at <= s.0) => {
                    if self.awaits_release(user) {
                        // Its release comes first, and sets the user's timer anew.
                        self.release_user(user, out);
                        continue;
                    }
                    self.timers.pop_first();
                    self.users[user as usize].timer = OptionalMillis::NONE;
                    self.clock = self.clock.max(at);
                    self.settle_timer(user, out);
                }
                (_, Some((at, journey))) => {
                    self.activations.pop_first();
                    self.clock = self.clock.max(at);
                    self.start_journey(journey, out);
                }
                _ => break,
            }
        }
        self.clock = self.clock.max(until);
    }

    /// Applies one event of user `key` at `max(event.at, clock)`, after firing the timers
    /// due by then.
    pub fn apply(&mut self, key: &str, event: &Event, out: &mut Vec<Transition>) {
        self.advance_to(event.at, out);
        let user = self.user_index(key);
        self.release_user(user, out);
        let received = self.receipt.unwrap_or(self.clock);
        let state = &mut self.users[user as usize];
        for (j, life) in self.lifecycles.iter().enumerate() {
            if life.phase == Phase::Running && life.per_user_wake {
                state.journeys.wake(j as u16);
            }
        }
        let applied = state.profile.apply(event, &mut self.catalog, received);
        self.settle_event(user, &applied, out);
    }

    fn user_index(&mut self, key: &str) -> UserIndex {
        if let Some(i) = self.index.get(key.as_bytes()) {
            return *i;
        }
        let i = self.users.len() as UserIndex;
        self.keys.push(key.into());
        self.index.insert(SmallVec::from_slice(key.as_bytes()), i);
        self.users.push(UserState {
            audiences: vec![AudienceState::default(); self.audiences.len()],
            ..UserState::default()
        });
        i
    }

    /// Evaluates every audience and runs every journey's state machine for one user at the
    /// clock, then re-arms the user's timer.
    fn settle(&mut self, user: UserIndex, trigger: Trigger<'_>, out: &mut Vec<Transition>) {
        let mut due = self.settle_audiences(user, out);
        let before = out.len();
        due = earliest(
            due,
            self.run_machines(user, out, |m, st| m.settle(st, trigger)),
        );
        if self.audiences_read_journeys && out.len() > before {
            due = earliest(due, self.settle_audiences(user, out));
        }
        self.set_timer(user, due);
    }

    /// [`Engine::settle`] when the user's timer fires, except that a journey's machine is
    /// left alone when its pending wake-up is later (it said nothing changes before then)
    /// and nothing else changed for the user at this instant.
    fn settle_timer(&mut self, user: UserIndex, out: &mut Vec<Transition>) {
        let start = out.len();
        let mut due = self.settle_audiences(user, out);
        let before = out.len();
        let now = self.clock;
        due = earliest(
            due,
            self.run_machines_where(
                user,
                out,
                |journey, last, emitted| {
                    emitted
                        || !last.evaluated
                        || journey.reads.membership
                        || last.due.is_some_and(|d| d <= now)
                },
                start,
                |m, st| m.settle(st, Trigger::Timer),
            ),
        );
        if self.audiences_read_journeys && out.len() > before {
            due = earliest(due, self.settle_audiences(user, out));
        }
        self.set_timer(user, due);
    }

    /// [`Engine::settle`] after an event, except that a journey's machine is left alone
    /// when nothing the event changed is read by the journey's rules, the machine has run
    /// for the user before, and nothing else changed for the user at this instant: its
    /// outcome would be the same as at its last run (time-dependent rules fire on timers,
    /// which come first), so its pending wake-up stands.
    fn settle_event(&mut self, user: UserIndex, applied: &Applied, out: &mut Vec<Transition>) {
        let start = out.len();
        let mut due = self.settle_audiences(user, out);
        let before = out.len();
        let trigger = Trigger::Event {
            counters: &applied.counters,
        };
        due = earliest(
            due,
            self.run_machines_where(
                user,
                out,
                |journey, last, emitted| {
                    emitted || !last.evaluated || applied.concerns(&journey.reads)
                },
                start,
                |m, st| m.settle(st, trigger),
            ),
        );
        if self.audiences_read_journeys && out.len() > before {
            due = earliest(due, self.settle_audiences(user, out));
        }
        self.set_timer(user, due);
    }

    /// Calls `step` with the state machine of every journey for one user at the clock;
    /// returns when the journeys next need to look at the user.
    fn run_machines(
        &mut self,
        user: UserIndex,
        out: &mut Vec<Transition>,
        step: impl FnMut(&mut Machine<'_>, &mut JourneyState),
    ) -> Option<Millis> {
        let start = out.len();
        self.run_machines_where(user, out, |_, _, _| true, start, step)
    }

    /// [`Engine::run_machines`] for the journeys `runs` picks (given the journey, what its
    /// machine's last run for the user left and whether anything was emitted since
    /// `start`); a journey it leaves out keeps its pending wake-up.
    fn run_machines_where(
        &mut self,
        user: UserIndex,
        out: &mut Vec<Transition>,
        runs: impl Fn(&CompiledJourney, LastRun, bool) -> bool,
        start: usize,
        mut step: impl FnMut(&mut Machine<'_>, &mut JourneyState),
    ) -> Option<Millis> {
        let state = &mut self.users[user as usize];
        let key = &self.keys[user as usize];
        let mut due: Option<Millis> = None;
        // The user's held states, walked in journey order alongside the journeys.
        let mut cursor = 0;
        for (j, journey) in self.journeys.iter().enumerate() {
            let j = j as u16;
            let found = state.journeys.seek(j, cursor);
            cursor = match found {
                Ok(i) => i + 1,
                Err(i) => i,
            };
            let life = &self.lifecycles[usize::from(j)];
            if !life.runs_for(&state.journeys, j) {
                continue;
            }
            let last = LastRun {
                evaluated: state.journeys.evaluated(j),
                due: state.journeys.at(found).and_then(|st| st.due.get()),
            };
            if !runs(journey, last, out.len() > start) {
                due = earliest(due, last.due);
                continue;
            }
            let in_older = life
                .older
                .iter()
                .any(|&k| state.journeys.status(k) != Status::Out);
            let members = if self.uses_membership {
                memberships(&state.journeys, &state.audiences)
            } else {
                Memberships::default()
            };
            let mut machine = Machine {
                journey,
                journey_index: j,
                zones: &self.catalog.zones,
                attributes: &self.catalog.attributes,
                user,
                user_key: key,
                profile: &state.profile,
                members: &members,
                entry_blocked: state.entry_blocked || in_older,
                now: self.clock,
                out,
            };
            let (next, after) = state.journeys.update_at(j, found, |st| {
                step(&mut machine, st);
                let due = machine.next_due(st);
                st.due = due.into();
                due
            });
            cursor = after;
            state.journeys.set_evaluated(j, true);
            due = earliest(due, next);
        }
        due
    }

    /// Replaces a user's pending timer.
    fn set_timer(&mut self, user: UserIndex, due: Option<Millis>) {
        let state = &mut self.users[user as usize];
        if state.timer.get() != due {
            if let Some(old) = state.timer.get() {
                self.timers.remove(&(old, user));
            }
            if let Some(new) = due {
                self.timers.insert((new, user));
            }
            state.timer = due.into();
        }
    }
}

/// What a journey's machine left at its last run for a user.
#[derive(Debug, Clone, Copy)]
struct LastRun {
    /// Whether it has run since the journey's rules last changed.
    evaluated: bool,
    /// When it said it must look at the user next.
    due: Option<Millis>,
}

/// The earlier of two optional instants.
fn earliest(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The audiences a user is in, for `member_of`.
fn memberships(journeys: &JourneyStates, audiences: &[AudienceState]) -> Memberships {
    let mut m = Memberships::default();
    m.audiences.extend(
        audiences
            .iter()
            .enumerate()
            .filter(|(_, a)| a.member)
            .map(|(i, _)| i as u16),
    );
    for st in journeys.held() {
        if st.status != Status::Out {
            m.journeys.push(st.journey);
        }
        m.steps
            .extend(st.audience.iter().map(|e| (st.journey, e.step)));
    }
    m
}

/// Whether any criteria of a journey name journey `id` with `member_of`.
fn journey_names(j: &Journey, id: &str) -> bool {
    let mut found = false;
    journey_criteria(j, &mut |c| {
        c.visit(&mut |c| {
            if let Criteria::MemberOf(m) = c {
                found |= match &m.target {
                    crate::model::MemberTarget::Step { journey, .. } => journey == id,
                    crate::model::MemberTarget::Audience { audience } => audience == id,
                };
            }
        })
    });
    found
}

/// Whether any criteria of a journey read a membership (`member_of`).
fn journey_reads_membership(j: &Journey) -> bool {
    let mut found = false;
    journey_criteria(j, &mut |c| found |= reads_membership(c));
    found
}

/// Whether criteria read any membership (`member_of`).
fn reads_membership(c: &Criteria) -> bool {
    let mut found = false;
    c.visit(&mut |c| found |= matches!(c, Criteria::MemberOf(_)));
    found
}

/// Calls `look` with every top-level criteria of a journey.
fn journey_criteria(j: &Journey, look: &mut impl FnMut(&Criteria)) {
    let entry = &j.entry;
    entry.criteria.iter().for_each(&mut *look);
    j.settings.exit.iter().for_each(&mut *look);
    j.settings.goal.iter().for_each(|g| look(&g.criteria));
    fn steps(list: &[crate::model::Step], look: &mut impl FnMut(&Criteria)) {
        for s in list {
            s.criteria.iter().for_each(&mut *look);
            steps(&s.steps, look);
        }
    }
    steps(&entry.steps, look);
}
