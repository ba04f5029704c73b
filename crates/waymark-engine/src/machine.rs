//! The membership state machine of SPEC §7 for one user in one journey at one instant:
//! leaving, entering, moving between steps, waits, splits, quiet hours, frequency cap and
//! deliveries. It emits transitions and computes the user's next timer.

use jiff::tz::TimeZone;
use smallvec::SmallVec;

use crate::catalog::AttributeSpec;
use crate::compile::{CompiledJourney, StepIndex, StepNode, WaitRule};
use crate::eval::{Memberships, Scope};
use crate::hash::{is_control, random_branch};
use crate::journey_state::{AudienceEntry, JourneyState, Phase, Position, Status};
use crate::model::{Branching, EntryOn, QuietFallback, Reentry, StepKind};
use crate::profile::Profile;
use crate::time::{Millis, next_local_time, parse_instant};
use crate::transition::{Change, Transition, TransitionKind, UserIndex};

/// More rounds than any valid journey needs at one instant; a guard against loops.
const MAX_ROUNDS: usize = 10_000;

/// What made the engine look at the user.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Trigger<'a> {
    /// A timer came due.
    Timer,
    /// An event was applied; it was added to these counters.
    Event { counters: &'a [u32] },
}

/// One user, one journey, one instant.
pub(crate) struct Machine<'a> {
    pub(crate) journey: &'a CompiledJourney,
    pub(crate) journey_index: u16,
    pub(crate) zones: &'a [TimeZone],
    pub(crate) attributes: &'a [AttributeSpec],
    pub(crate) user: UserIndex,
    pub(crate) user_key: &'a str,
    pub(crate) profile: &'a Profile,
    pub(crate) members: &'a Memberships,
    /// The user may not enter (they are in another version of the journey).
    pub(crate) entry_blocked: bool,
    pub(crate) now: Millis,
    pub(crate) out: &'a mut Vec<Transition>,
}

impl Machine<'_> {
    /// Applies every rule that holds at this instant until nothing more changes.
    pub(crate) fn settle(&mut self, st: &mut JourneyState, trigger: Trigger<'_>) {
        let mut chance = match trigger {
            Trigger::Event { counters } => counters
                .iter()
                .any(|c| self.journey.entry_counters.contains(c)),
            Trigger::Timer => false,
        };
        for _ in 0..MAX_ROUNDS {
            if !self.round(st, &mut chance) {
                break;
            }
        }
    }

    fn round(&mut self, st: &mut JourneyState, chance: &mut bool) -> bool {
        if st.status != Status::Out {
            if self.leaves(st) {
                return true;
            }
            if st.status == Status::In && self.advance(st) {
                return true;
            }
        }
        self.try_enter(st, chance)
    }

    fn step(&self, index: StepIndex) -> &StepNode {
        &self.journey.steps[usize::from(index)]
    }

    fn zone(&self) -> &TimeZone {
        self.profile
            .zone_from_trait
            .or(self.profile.zone_from_context)
            .and_then(|z| self.zones.get(usize::from(z)))
            .unwrap_or(&self.journey.zone)
    }

    fn scope(&self, st: &JourneyState, step_seq: Option<u32>) -> Scope<'_> {
        Scope {
            now: self.now,
            profile: self.profile,
            attributes: self.attributes,
            entry_seq: (st.status != Status::Out).then_some(st.entry_seq),
            step_seq,
            members: self.members,
        }
    }

    fn emit(&mut self, st: &JourneyState, kind: TransitionKind) {
        self.out.push(Transition {
            at: self.now,
            user: self.user,
            journey: self.journey_index,
            entry: st.entries,
            kind,
        });
    }

    // ----- leaving -----

    /// Journey timeout, goal, exit criteria and live entry, in that order.
    fn leaves(&mut self, st: &mut JourneyState) -> bool {
        let j = self.journey;
        if let Some(t) = j.timeout
            && self.now >= st.entered_at.saturating_add(t)
        {
            self.leave(st);
            return true;
        }
        if let Some(goal) = &j.goal
            && !st.goal_reached
            && goal
                .within
                .is_none_or(|w| self.now <= st.entered_at.saturating_add(w))
            && self.scope(st, None).holds(&goal.criteria)
        {
            st.goal_reached = true;
            self.emit(st, TransitionKind::Goal);
            for passed in &st.audience {
                self.emit(st, TransitionKind::Converted { step: passed.step });
            }
            if goal.exit_on_goal {
                self.leave(st);
            }
            return true;
        }
        if let Some(exit) = &j.exit
            && self.scope(st, None).holds(exit)
        {
            self.leave(st);
            return true;
        }
        if j.live && !self.entry_holds(st) {
            self.leave(st);
            return true;
        }
        false
    }

    /// Leaves the journey: every audience exited, innermost first, then the journey.
    pub(crate) fn leave(&mut self, st: &mut JourneyState) {
        let audience = std::mem::take(&mut st.audience);
        for entry in audience.iter().rev() {
            self.exit_step(st, *entry);
        }
        self.emit(st, TransitionKind::Journey(Change::Exited));
        st.positions.clear();
        st.status = Status::Out;
        st.left_at = Some(self.now).into();
    }

    fn exit_step(&mut self, st: &JourneyState, entry: AudienceEntry) {
        self.emit(
            st,
            TransitionKind::Step {
                step: entry.step,
                change: Change::Exited,
            },
        );
        if entry.announced {
            self.deliver(st, entry.step, Change::Exited);
        }
    }

    /// Removes the user from `root`'s audience and everything below it.
    fn exit_subtree(&mut self, st: &mut JourneyState, root: StepIndex) {
        let j = self.journey;
        let mut k = st.audience.len();
        while k > 0 {
            k -= 1;
            let entry = st.audience[k];
            if j.in_subtree(root, entry.step) {
                st.audience.remove(k);
                self.exit_step(st, entry);
            }
        }
        st.positions.retain(|p| {
            let delayed_into =
                matches!(p.phase, Phase::Delayed { child } if j.in_subtree(root, child));
            !j.in_subtree(root, p.step) && !delayed_into
        });
    }

    // ----- entering -----

    /// Whether the entry criteria hold. A journey with `inputs` sees a profile only once it
    /// has sent an event from one of them, so until then its criteria do not hold.
    fn entry_holds(&self, st: &JourneyState) -> bool {
        let j = self.journey;
        let from_inputs = j
            .inputs
            .as_ref()
            .is_none_or(|ids| self.profile.inputs.iter().any(|i| ids.contains(i)));
        let scope = Scope {
            entry_seq: None,
            ..self.scope(st, None)
        };
        from_inputs && j.entry_criteria.as_ref().is_none_or(|c| scope.holds(c))
    }

    fn may_enter(&self, st: &JourneyState) -> bool {
        let j = self.journey;
        let in_window =
            j.start_at.is_none_or(|s| self.now >= s) && j.end_at.is_none_or(|e| self.now < e);
        let allowed = match j.reentry {
            Reentry::Never => st.entries == 0,
            Reentry::AfterExit => true,
            Reentry::Cooldown(d) => st
                .left_at
                .get()
                .is_none_or(|left| self.now >= left.saturating_add(d.millis())),
        };
        in_window && allowed && !self.entry_blocked
    }

    fn try_enter(&mut self, st: &mut JourneyState, chance: &mut bool) -> bool {
        if self.journey.reentry == Reentry::Never && st.entries > 0 {
            return false;
        }
        let holds = self.entry_holds(st);
        let rose = holds && !st.entry_held;
        st.entry_held = holds;
        if st.status != Status::Out || !self.may_enter(st) {
            return false;
        }
        let go = match self.journey.entry_on {
            EntryOn::Qualify => rose,
            EntryOn::Event => *chance && holds,
        };
        if !go {
            return false;
        }
        *chance = false;
        self.enter(st);
        true
    }

    fn enter(&mut self, st: &mut JourneyState) {
        st.entries += 1;
        st.entered_at = self.now;
        st.entry_seq = self.profile.seq;
        st.goal_reached = false;
        self.emit(st, TransitionKind::Journey(Change::Entered));
        let j = self.journey;
        if j.control_percent > 0.0 && is_control(&j.id, self.user_key, j.control_percent) {
            st.status = Status::Control;
            self.emit(st, TransitionKind::Control);
        } else {
            st.status = Status::In;
            self.reach(st, 0);
        }
    }

    // ----- moving through steps -----

    /// The user arrives at a step: its audience, its deliveries, and what happens next.
    fn reach(&mut self, st: &mut JourneyState, step: StepIndex) {
        self.emit(
            st,
            TransitionKind::Step {
                step,
                change: Change::Entered,
            },
        );
        let announced = self.deliver_on_entry(st, step);
        st.audience.push(AudienceEntry {
            step,
            entered_at: self.now,
            announced,
        });
        let node = self.step(step);
        let phase = match (&node.kind, &node.wait) {
            (Some(StepKind::Exit), _) => {
                self.leave(st);
                return;
            }
            (Some(StepKind::Wait), Some(_)) => Phase::Waiting,
            _ => Phase::Choosing,
        };
        st.positions.push(Position {
            step,
            reached_at: self.now,
            reached_seq: self.profile.seq,
            phase,
        });
    }

    /// When the wait of a step reached at `reached_at` passes, in the user's current time
    /// zone and traits (`None`: no valid time in the trait yet).
    fn wait_due(&self, rule: &WaitRule, reached_at: Millis) -> Option<Millis> {
        match rule {
            WaitRule::Duration(d) => Some(reached_at.saturating_add(*d)),
            WaitRule::At(at) => Some(*at),
            WaitRule::LocalTime { clock, days } => {
                Some(next_local_time(reached_at, *clock, *days, self.zone()))
            }
            WaitRule::Trait { slot, offset } => self
                .profile
                .trait_value(*slot)
                .and_then(|t| t.value.as_str())
                .and_then(parse_instant)
                .map(|t| t.saturating_add(*offset)),
        }
    }

    /// Looks at every position once; returns at the first change.
    fn advance(&mut self, st: &mut JourneyState) -> bool {
        (0..st.positions.len()).any(|i| self.step_position(st, i))
    }

    fn step_position(&mut self, st: &mut JourneyState, i: usize) -> bool {
        let pos = st.positions[i];
        match pos.phase {
            Phase::Waiting => {
                let due = self
                    .step(pos.step)
                    .wait
                    .as_ref()
                    .and_then(|rule| self.wait_due(rule, pos.reached_at));
                if due.is_none_or(|d| d > self.now) {
                    return false;
                }
                st.positions[i] = Position {
                    reached_at: self.now,
                    reached_seq: self.profile.seq,
                    phase: Phase::Choosing,
                    ..pos
                };
                true
            }
            Phase::Delayed { child } if self.quiet_delay(child).is_none() => {
                st.positions.remove(i);
                self.reach(st, child);
                true
            }
            Phase::Delayed { .. } | Phase::Holding => false,
            Phase::Live { child } => self.live_update(st, pos, child),
            Phase::Choosing => self.choose(st, i),
        }
    }

    /// Whether child `c` may be taken now (a milestone's criteria; others pass at once).
    fn passes(&self, c: StepIndex, scope: &Scope<'_>) -> bool {
        let node = self.step(c);
        match node.kind {
            Some(StepKind::Milestone) => node.guard.as_ref().is_none_or(|g| scope.holds(g)),
            Some(StepKind::Remaining) => false,
            _ => true,
        }
    }

    fn remaining_child(&self, node: &StepNode) -> Option<StepIndex> {
        node.children
            .iter()
            .copied()
            .find(|c| self.step(*c).is(StepKind::Remaining))
    }

    fn choose(&mut self, st: &mut JourneyState, i: usize) -> bool {
        let pos = st.positions[i];
        let node = self.step(pos.step);
        if node.children.is_empty() {
            st.positions[i].phase = Phase::Holding;
            return false;
        }
        let scope = self.scope(st, Some(pos.reached_seq));
        let remaining = self.remaining_child(node);
        let first_passing = node
            .children
            .iter()
            .copied()
            .find(|c| self.passes(*c, &scope));
        let targets: SmallVec<[StepIndex; 4]> = match node.branching {
            Branching::Wait => {
                let timed_out = node
                    .timeout
                    .is_some_and(|t| self.now >= pos.reached_at.saturating_add(t));
                match (first_passing, remaining) {
                    (Some(c), _) => smallvec::smallvec![c],
                    (None, Some(r)) if timed_out => smallvec::smallvec![r],
                    (None, None) if timed_out => {
                        self.leave(st);
                        return true;
                    }
                    _ => return false,
                }
            }
            Branching::Decide => first_passing.or(remaining).into_iter().collect(),
            Branching::All => {
                let all: SmallVec<[StepIndex; 4]> = node
                    .children
                    .iter()
                    .copied()
                    .filter(|c| self.passes(*c, &scope))
                    .collect();
                if all.is_empty() {
                    remaining.into_iter().collect()
                } else {
                    all
                }
            }
            Branching::Random => {
                let weights: SmallVec<[u32; 4]> =
                    node.children.iter().map(|c| self.step(*c).weight).collect();
                random_branch(&self.journey.id, &node.id, self.user_key, &weights)
                    .map(|k| node.children[k])
                    .into_iter()
                    .collect()
            }
            Branching::Live => {
                st.positions[i].phase = Phase::Live { child: None };
                let pos = st.positions[i];
                self.live_update(st, pos, None);
                return true;
            }
        };
        if targets.is_empty() {
            st.positions[i].phase = Phase::Holding;
            return false;
        }
        let parent = st.positions.remove(i);
        for t in targets {
            if st.status != Status::In {
                break;
            }
            self.move_into(st, parent, t);
        }
        true
    }

    /// Moves from `parent`'s step into child `t`, unless quiet hours hold the user back.
    fn move_into(&mut self, st: &mut JourneyState, parent: Position, t: StepIndex) {
        match self.quiet_delay(t) {
            Some(_) => st.positions.push(Position {
                phase: Phase::Delayed { child: t },
                ..parent
            }),
            None => self.reach(st, t),
        }
    }

    /// A `live` parent: the user is at the leftmost holding child, else `remaining`.
    fn live_update(
        &mut self,
        st: &mut JourneyState,
        pos: Position,
        current: Option<StepIndex>,
    ) -> bool {
        let node = self.step(pos.step);
        let scope = self.scope(st, Some(pos.reached_seq));
        let target = node
            .children
            .iter()
            .copied()
            .find(|c| self.passes(*c, &scope))
            .or_else(|| self.remaining_child(node));
        if target == current {
            return false;
        }
        if let Some(c) = current {
            self.exit_subtree(st, c);
        }
        if let Some(live) = st
            .positions
            .iter_mut()
            .find(|p| p.step == pos.step && matches!(p.phase, Phase::Live { .. }))
        {
            live.phase = Phase::Live { child: target };
        }
        if let Some(t) = target {
            self.move_into(st, pos, t);
        }
        true
    }

    // ----- deliveries, quiet hours, frequency cap -----

    /// With quiet hours set to delay, the end of the window when `t` is a send step that
    /// would be reached inside it.
    fn quiet_delay(&self, t: StepIndex) -> Option<Millis> {
        let (window, fallback) = self.journey.quiet.as_ref()?;
        if *fallback != QuietFallback::Delay || !self.step(t).is(StepKind::Send) {
            return None;
        }
        window.closes_after(self.now, self.zone())
    }

    /// Delivers a step's entry to its active connections; send steps respect quiet hours
    /// (skip) and the frequency cap. Returns whether anything was delivered.
    fn deliver_on_entry(&mut self, st: &mut JourneyState, step: StepIndex) -> bool {
        let node = self.step(step);
        if !node.connections.iter().any(|c| c.active) {
            return false;
        }
        if node.is(StepKind::Send) {
            if let Some((window, QuietFallback::Skip)) = &self.journey.quiet
                && window.closes_after(self.now, self.zone()).is_some()
            {
                return false;
            }
            if let Some((max, per)) = self.journey.frequency_cap {
                if st.sends.count_after(self.now.saturating_sub(per)) >= max as usize {
                    return false;
                }
                st.sends.record(self.now, max as usize);
            }
        }
        self.deliver(st, step, Change::Entered);
        true
    }

    fn deliver(&mut self, st: &JourneyState, step: StepIndex, action: Change) {
        let active: SmallVec<[u16; 2]> = self
            .step(step)
            .connections
            .iter()
            .enumerate()
            .filter(|(_, c)| c.active)
            .map(|(k, _)| k as u16)
            .collect();
        for connection in active {
            self.emit(
                st,
                TransitionKind::Delivery {
                    step,
                    connection,
                    action,
                },
            );
        }
    }

    // ----- timers -----

    /// The next instant after now at which this user's state in this journey may change
    /// with no new event.
    pub(crate) fn next_due(&self, st: &JourneyState) -> Option<Millis> {
        let j = self.journey;
        let mut due: Option<Millis> = None;
        let mut add = |t: Option<Millis>| {
            if let Some(t) = t.filter(|t| *t > self.now) {
                due = Some(due.map_or(t, |d| d.min(t)));
            }
        };
        let watch_entry =
            j.entry_on == EntryOn::Qualify && (j.reentry != Reentry::Never || st.entries == 0);
        let entry_scope = Scope {
            entry_seq: None,
            ..self.scope(st, None)
        };
        let entry_change = || {
            j.entry_criteria
                .as_ref()
                .and_then(|c| entry_scope.next_change(c))
        };
        if st.status == Status::Out {
            if watch_entry {
                add(entry_change());
            }
            return due;
        }
        let scope = self.scope(st, None);
        add(j.timeout.map(|t| st.entered_at.saturating_add(t)));
        if let Some(goal) = &j.goal
            && !st.goal_reached
        {
            add(scope.next_change(&goal.criteria));
        }
        if let Some(exit) = &j.exit {
            add(scope.next_change(exit));
        }
        if j.live || watch_entry {
            add(entry_change());
        }
        for pos in &st.positions {
            let node = self.step(pos.step);
            let step_scope = self.scope(st, Some(pos.reached_seq));
            let guards_change = || {
                node.children
                    .iter()
                    .filter_map(|c| self.step(*c).guard.as_ref())
                    .filter_map(|g| step_scope.next_change(g))
                    .min()
            };
            match pos.phase {
                Phase::Waiting => add(node
                    .wait
                    .as_ref()
                    .and_then(|rule| self.wait_due(rule, pos.reached_at))),
                Phase::Delayed { child } => add(self.quiet_delay(child)),
                Phase::Choosing => {
                    add(guards_change());
                    add(node.timeout.map(|t| pos.reached_at.saturating_add(t)));
                }
                Phase::Live { .. } => add(guards_change()),
                Phase::Holding => {}
            }
        }
        due
    }
}
