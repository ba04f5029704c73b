//! An independent evaluation of the generated criteria (events A, B, C and page views with
//! filters, counts, windows and `since: entry`; traits with `for`) over a user's history, to
//! check that the engine acts on entry, exit and goal criteria when it should. Operators
//! are compared with the engine's own `compare` (their semantics are tested elsewhere).

use std::collections::BTreeSet;

use serde_json::Value;
use waymark_engine::compare::compare;
use waymark_engine::model::{
    Branching, Criteria, EntryOn, EventCondition, QuietFallback, Reentry, Since, StepKind,
    TraitCondition, Until, Wait,
};
use waymark_engine::time::{DaySet, Millis, format_instant, next_local_time};
use waymark_engine::{Change, Event, TransitionKind};

use crate::checks::Check;
use crate::generators::Scenario;
use crate::run::Run;

/// A user's history as of an instant.
struct View<'a> {
    /// The user's events applied so far (sequence number = index + 1).
    events: &'a [&'a Event],
    now: Millis,
    /// Only events after this sequence number count for `since: entry`.
    entry_seq: Option<usize>,
    /// Only events after this sequence number count for `since: step`.
    step_seq: Option<usize>,
    /// `since` for event conditions without one (`entry` in exit and goal criteria).
    default_since: Option<Since>,
    /// The journey's inputs (empty: all).
    inputs: &'a [String],
}

impl View<'_> {
    fn holds(&self, c: &Criteria) -> bool {
        match c {
            Criteria::All(parts) => parts.iter().all(|p| self.holds(p)),
            Criteria::Any(parts) => parts.iter().any(|p| self.holds(p)),
            Criteria::Not(inner) => !self.holds(inner),
            Criteria::Everyone => true,
            Criteria::Event(e) => e.count.holds(self.count(e)),
            Criteria::Trait(t) => self.trait_holds(t),
            other => unreachable!("not generated: {other:?}"),
        }
    }

    fn count(&self, e: &EventCondition) -> u32 {
        let floor = match e.since.or(self.default_since) {
            Some(Since::Entry) => self.entry_seq,
            // `since: step` outside a step's children falls back to `entry`.
            Some(Since::Step) => self.step_seq.or(self.entry_seq),
            None => None,
        };
        let counted = self.events.iter().enumerate().filter(|(i, ev)| {
            floor.is_none_or(|f| i + 1 > f)
                && ev.name.as_deref() == Some(e.event.as_str())
                && (self.inputs.is_empty()
                    || ev.input.as_ref().is_some_and(|i| self.inputs.contains(i)))
                && e.filters
                    .iter()
                    .all(|f| compare(f.op, ev.property(&f.property), f.value.as_ref()))
                && e.within.is_none_or(|w| ev.at > self.now - w.millis())
                && e.between.is_none_or(|b| b.from <= ev.at && ev.at <= b.to)
        });
        counted.count() as u32
    }

    /// The trait's value (`Null` once removed) and since when it has had it; a trait never
    /// set has been missing since the first event.
    fn trait_value(&self, path: &str) -> (Option<&Value>, Millis) {
        let mut current: Option<(&Value, Millis)> = None;
        for e in self.events {
            if let Some(v) = e.traits.get(path)
                && current.is_none_or(|(old, _)| old != v)
            {
                current = Some((v, e.at));
            }
        }
        match current {
            Some((v, since)) => (Some(v), since),
            None => (None, self.events.first().map_or(self.now, |e| e.at)),
        }
    }

    fn trait_holds(&self, t: &TraitCondition) -> bool {
        let (value, since) = self.trait_value(&t.path);
        compare(t.op, value, t.value.as_ref())
            && t.held_for.is_none_or(|d| self.now - since >= d.millis())
    }
}

/// How long after an event criteria may change with no new event: a `within` window
/// sliding past it, a trait's `for` maturing.
fn durations(c: &Criteria, out: &mut BTreeSet<Millis>) {
    c.visit(&mut |c| match c {
        Criteria::Event(e) => out.extend(e.within.map(|w| w.millis())),
        Criteria::Trait(t) => out.extend(t.held_for.map(|d| d.millis())),
        _ => {}
    });
}

/// Per user, what the replay knows at the end of an instant.
#[derive(Default)]
struct State {
    in_journey: bool,
    entered_at: Millis,
    entries: u32,
    goal: bool,
}

/// Property 13: Criteria are acted on: at the end of every instant (every event and transition
/// instant of the user, every moment a window slides past one of their events or a `for`
/// matures, and `until`), a user in the journey does not satisfy the exit criteria, has a goal
/// line once the goal holds within `within`, and (live entry) still satisfies the entry
/// criteria; with `on: qualify`, `reentry: never` and no entry window or inputs, a user who
/// satisfies the entry criteria has entered.
///
/// Which event caused an entry at an instant with several events is not in the trace, so
/// `since: entry` conditions flag a failure only when every candidate agrees.
pub fn criteria_are_followed(run: &Run, s: &Scenario) -> Check {
    let j = &s.journey;
    let entry = &j.entry;
    let settings = &j.settings;
    let mut lengths = BTreeSet::new();
    for c in entry.criteria.iter().chain(&settings.exit) {
        durations(c, &mut lengths);
    }
    if let Some(g) = &settings.goal {
        durations(&g.criteria, &mut lengths);
    }
    let qualify_checked = entry.on == EntryOn::Qualify
        && entry.reentry == Reentry::Never
        && entry.start_at.is_none()
        && entry.end_at.is_none()
        && j.inputs.is_empty();
    for user in 0..run.engine.user_count() as u32 {
        let key = run.engine.user_key(user);
        let events: Vec<&Event> = s
            .events
            .iter()
            .filter(|(u, e)| u == key && e.at <= s.until)
            .map(|(_, e)| e)
            .collect();
        let transitions: Vec<usize> = (0..run.transitions.len())
            .filter(|k| run.transitions[*k].user == user)
            .collect();
        let mut instants: BTreeSet<Millis> = BTreeSet::new();
        instants.insert(s.until);
        for e in &events {
            instants.insert(e.at);
            instants.extend(lengths.iter().map(|d| e.at + d));
        }
        for &k in &transitions {
            let at = run.transitions[k].at;
            instants.insert(at);
            if let Some(w) = settings.goal.as_ref().and_then(|g| g.within) {
                instants.insert(at + w.millis());
            }
        }
        let first = events.first().map_or(s.until, |e| e.at);
        let mut state = State::default();
        let mut next = 0;
        for &now in instants.range(first..=s.until) {
            while let Some(&k) = transitions.get(next)
                && run.transitions[k].at <= now
            {
                let t = &run.transitions[k];
                match t.kind {
                    TransitionKind::Journey(Change::Entered) => {
                        state = State {
                            in_journey: true,
                            entered_at: t.at,
                            entries: t.entry,
                            goal: false,
                        };
                    }
                    TransitionKind::Journey(Change::Exited) => state.in_journey = false,
                    TransitionKind::Goal => state.goal = true,
                    _ => {}
                }
                next += 1;
            }
            let applied = events.partition_point(|e| e.at <= now);
            let view = |entry_seq: Option<usize>| View {
                events: &events[..applied],
                now,
                entry_seq,
                step_seq: None,
                default_since: entry_seq.map(|_| Since::Entry),
                inputs: &j.inputs,
            };
            let at = format_instant(now);
            let last = transitions[..next].last().copied().unwrap_or(0);
            if state.in_journey {
                let e = state.entered_at;
                let seqs =
                    events.partition_point(|x| x.at < e)..=events.partition_point(|x| x.at <= e);
                let always = |c: &Criteria| seqs.clone().all(|seq| view(Some(seq)).holds(c));
                if let Some(exit) = &settings.exit
                    && always(exit)
                {
                    return Err(run.fail(
                        last,
                        format!(
                            "{key} is still in the journey at {at} though the exit criteria hold"
                        ),
                    ));
                }
                if let Some(goal) = &settings.goal
                    && !state.goal
                    && goal.within.is_none_or(|w| now <= e + w.millis())
                    && always(&goal.criteria)
                {
                    return Err(run.fail(
                        last,
                        format!(
                            "{key} has no goal line at {at} though the goal holds (entry {})",
                            state.entries
                        ),
                    ));
                }
                if entry.live
                    && let Some(c) = &entry.criteria
                    && !view(None).holds(c)
                {
                    return Err(run.fail(last, format!("{key} is still in the live journey at {at} though the entry criteria fail")));
                }
            }
            if qualify_checked
                && state.entries == 0
                && entry.criteria.as_ref().is_none_or(|c| view(None).holds(c))
            {
                return Err(run.fail(last, format!("{key} qualifies at {at} but never entered")));
            }
        }
    }
    Ok(())
}

/// The sequence numbers the user's profile may have had at instant `at` (before, between or
/// after their events at that instant).
fn seqs_at(events: &[&Event], at: Millis) -> std::ops::RangeInclusive<usize> {
    events.partition_point(|e| e.at < at)..=events.partition_point(|e| e.at <= at)
}

/// What one visit of a user to a branching step may look like to the oracle.
struct Visit<'a> {
    run: &'a Run,
    s: &'a Scenario,
    events: &'a [&'a Event],
    /// The step and its children.
    step: usize,
    children: &'a [usize],
    /// Possible sequence numbers at entry and when the step was reached.
    entry_seqs: std::ops::RangeInclusive<usize>,
    step_seqs: std::ops::RangeInclusive<usize>,
}

impl Visit<'_> {
    /// Every way the children could be judged at the end of instant `now` with the first
    /// `applied` events (any of `prefixes`): for each, the children whose guard holds.
    fn passing(&self, now: Millis, prefixes: std::ops::RangeInclusive<usize>) -> Vec<Vec<usize>> {
        let tree = &self.run.tree;
        let mut out = Vec::new();
        for applied in prefixes {
            for entry_seq in self.entry_seqs.clone() {
                for step_seq in self.step_seqs.clone() {
                    let view = View {
                        events: &self.events[..applied],
                        now,
                        entry_seq: Some(entry_seq),
                        step_seq: Some(step_seq.min(applied)),
                        default_since: None,
                        inputs: &self.s.journey.inputs,
                    };
                    let passing = self
                        .children
                        .iter()
                        .copied()
                        .filter(|&c| match tree.kind[c] {
                            Some(StepKind::Milestone) => {
                                tree.criteria[c].as_ref().is_none_or(|g| view.holds(g))
                            }
                            Some(StepKind::Remaining) => false,
                            _ => true,
                        })
                        .collect();
                    out.push(passing);
                }
            }
        }
        out
    }

    fn remaining(&self) -> Option<usize> {
        self.children
            .iter()
            .copied()
            .find(|c| self.run.tree.kind[*c] == Some(StepKind::Remaining))
    }

    fn ids(&self, steps: &BTreeSet<usize>) -> Vec<&str> {
        steps
            .iter()
            .map(|s| self.run.tree.ids[*s].as_str())
            .collect()
    }
}

/// When a visit to a step that started at `entered` reaches the point where its children
/// are chosen; `None` when the oracle cannot tell.
fn reached_at(run: &Run, s: &Scenario, step: usize, key: &str, entered: Millis) -> Option<Millis> {
    match &run.tree.wait[step] {
        None => Some(entered),
        Some(Wait::Duration(d)) => Some(entered + d.millis()),
        Some(Wait::Until(Until::At { at })) => Some(entered.max(*at)),
        Some(Wait::Until(Until::LocalTime { time, days })) => {
            let history = crate::checks::zone_history(s, key);
            let ends: BTreeSet<Millis> = crate::checks::zones_at(&history, entered)
                .iter()
                .map(|z| next_local_time(entered, *time, DaySet::of(days), z))
                .collect();
            let end = *ends.first()?;
            (ends.len() == 1 && !crate::checks::zone_changed(&history, entered, end)).then_some(end)
        }
        Some(Wait::Until(Until::Trait { .. })) => None,
    }
}

/// Property 14: Children are chosen by their guards (milestone criteria, evaluated
/// independently):
/// - `wait`: while a user stays at the step (no child entered yet), no child's guard holds
///   and its timeout has not passed; the child they move to is the leftmost whose guard
///   holds then (or `remaining` once timed out);
/// - `decide` / `all`: at the moment the step is reached, the leftmost holding child / every
///   holding child, else `remaining`, else none;
/// - `live`: at the end of every instant the user is at the leftmost holding child, else at
///   `remaining`, else at none.
///
/// Steps whose `send` children quiet hours may delay are left out, and so are waits whose
/// end the oracle cannot tell (a time zone that changes, `until.trait`).
pub fn branching_follows_criteria(run: &Run, s: &Scenario) -> Check {
    let tree = &run.tree;
    let delays = s
        .journey
        .settings
        .quiet_hours
        .is_some_and(|q| q.fallback == QuietFallback::Delay);
    let mut lengths = BTreeSet::new();
    for c in tree.criteria.iter().flatten() {
        durations(c, &mut lengths);
    }
    let ts = &run.transitions;
    for (k, t) in ts.iter().enumerate() {
        let TransitionKind::Step {
            step,
            change: Change::Entered,
        } = t.kind
        else {
            continue;
        };
        let p = usize::from(step);
        let children = &tree.children[p];
        let branching = tree.branching[p];
        if children.is_empty()
            || branching == Branching::Random
            || (delays
                && children
                    .iter()
                    .any(|c| tree.kind[*c] == Some(StepKind::Send)))
        {
            continue;
        }
        let key = run.engine.user_key(t.user);
        let Some(reached) = reached_at(run, s, p, key, t.at) else {
            continue;
        };
        let mine: Vec<usize> = (k + 1..ts.len())
            .filter(|i| ts[*i].user == t.user)
            .collect();
        // The visit lasts until the user leaves the step's audience.
        let end = mine.iter().copied().find(|i| {
            ts[*i].kind
                == TransitionKind::Step {
                    step,
                    change: Change::Exited,
                }
        });
        let end_at = end.map_or(Millis::MAX, |i| ts[i].at);
        if reached > s.until || reached > end_at {
            continue;
        }
        let visit_lines: Vec<usize> = mine
            .iter()
            .copied()
            .filter(|i| end.is_none_or(|e| *i < e))
            .collect();
        let events: Vec<&Event> = s
            .events
            .iter()
            .filter(|(u, e)| u == key && e.at <= s.until)
            .map(|(_, e)| e)
            .collect();
        let entered_at = ts[..=k]
            .iter()
            .rev()
            .find(|x| x.user == t.user && x.kind == TransitionKind::Journey(Change::Entered))
            .map_or(t.at, |x| x.at);
        let visit = Visit {
            run,
            s,
            events: &events,
            step: p,
            children,
            entry_seqs: seqs_at(&events, entered_at),
            step_seqs: seqs_at(&events, reached),
        };
        let child_entries: Vec<usize> = visit_lines
            .iter()
            .copied()
            .filter(|i| matches!(ts[*i].kind, TransitionKind::Step { step: c, change: Change::Entered } if children.contains(&usize::from(c))))
            .collect();
        let entered_child = |i: usize| match ts[i].kind {
            TransitionKind::Step { step, .. } => usize::from(step),
            _ => unreachable!(),
        };
        match branching {
            Branching::Wait => {
                let timeout = tree.timeout[p].map(|d| reached + d.millis());
                let moved = child_entries.first().map(|&i| (ts[i].at, entered_child(i)));
                let stay_until = moved
                    .map_or(end_at.min(s.until + 1), |(at, _)| at)
                    .min(end_at);
                // Instants while the user stays at the step.
                let mut instants: BTreeSet<Millis> = BTreeSet::new();
                instants.insert(reached);
                instants.extend(timeout);
                for e in &events {
                    instants.insert(e.at);
                    instants.extend(lengths.iter().map(|d| e.at + d));
                }
                for &now in instants.range(reached..stay_until) {
                    if now > s.until {
                        break;
                    }
                    let applied = events.partition_point(|e| e.at <= now);
                    if timeout.is_some_and(|t| now >= t) {
                        return Err(run.fail(
                            k,
                            format!(
                                "{key} is still at {} at {} after its timeout",
                                tree.ids[p],
                                format_instant(now)
                            ),
                        ));
                    }
                    if visit
                        .passing(now, applied..=applied)
                        .iter()
                        .all(|ps| !ps.is_empty())
                    {
                        let message = format!(
                            "{key} is still at {} at the end of {} though a child's guard holds",
                            tree.ids[p],
                            format_instant(now)
                        );
                        return Err(run.fail(k, message));
                    }
                }
                if let Some((at, child)) = moved {
                    let timed_out = timeout.is_some_and(|t| at >= t);
                    let ok =
                        visit
                            .passing(at, seqs_at(&events, at))
                            .iter()
                            .any(|ps| match ps.first() {
                                Some(first) => *first == child,
                                None => timed_out && Some(child) == visit.remaining(),
                            });
                    if !ok {
                        let message = format!(
                            "{key} moved from {} to {} at {}, which is not the leftmost child whose guard holds",
                            tree.ids[p],
                            tree.ids[child],
                            format_instant(at)
                        );
                        return Err(run.fail(k, message));
                    }
                }
            }
            Branching::Decide | Branching::All => {
                let chosen: BTreeSet<usize> = child_entries
                    .iter()
                    .copied()
                    .filter(|i| ts[*i].at == reached)
                    .map(entered_child)
                    .collect();
                if chosen.is_empty() && end_at == reached {
                    continue;
                }
                let remaining: BTreeSet<usize> = visit.remaining().into_iter().collect();
                let ok = visit
                    .passing(reached, seqs_at(&events, reached))
                    .iter()
                    .any(|ps| {
                        let expected: BTreeSet<usize> = match (branching, ps.first()) {
                            (_, None) => remaining.clone(),
                            (Branching::Decide, Some(first)) => [*first].into(),
                            // `all`, left to right: an exit step takes the user out of the
                            // journey, so the children after it are not entered (SPEC is silent).
                            _ => {
                                let exit = ps
                                    .iter()
                                    .position(|c| tree.kind[*c] == Some(StepKind::Exit));
                                ps[..exit.map_or(ps.len(), |e| e + 1)]
                                    .iter()
                                    .copied()
                                    .collect()
                            }
                        };
                        expected == chosen
                    });
                if !ok {
                    let message = format!(
                        "{:?} step {} sent {key} to {:?} at {}, not what the guards say",
                        branching,
                        tree.ids[p],
                        visit.ids(&chosen),
                        format_instant(reached)
                    );
                    return Err(run.fail(k, message));
                }
            }
            Branching::Live => {
                let mut instants: BTreeSet<Millis> = BTreeSet::new();
                instants.insert(reached);
                for e in &events {
                    instants.insert(e.at);
                    instants.extend(lengths.iter().map(|d| e.at + d));
                }
                instants.extend(visit_lines.iter().map(|i| ts[*i].at));
                for &now in instants.range(reached..end_at) {
                    if now > s.until {
                        break;
                    }
                    // Children in the audience at the end of `now`.
                    let mut at_children = BTreeSet::new();
                    for &i in visit_lines.iter().filter(|i| ts[**i].at <= now) {
                        if let TransitionKind::Step { step: c, change } = ts[i].kind
                            && children.contains(&usize::from(c))
                        {
                            match change {
                                Change::Entered => at_children.insert(usize::from(c)),
                                Change::Exited => at_children.remove(&usize::from(c)),
                            };
                        }
                    }
                    let still_in = !visit_lines.iter().any(|i| {
                        ts[*i].at <= now && ts[*i].kind == TransitionKind::Journey(Change::Exited)
                    });
                    if !still_in {
                        break;
                    }
                    let applied = events.partition_point(|e| e.at <= now);
                    let remaining: BTreeSet<usize> = visit.remaining().into_iter().collect();
                    let ok = visit.passing(now, applied..=applied).iter().any(|ps| {
                        let expected = ps.first().map_or(remaining.clone(), |c| [*c].into());
                        expected == at_children
                    });
                    if !ok {
                        let message = format!(
                            "{key} is at {:?} below live step {} at the end of {}, not at the leftmost holding child",
                            visit.ids(&at_children),
                            tree.ids[p],
                            format_instant(now)
                        );
                        return Err(run.fail(k, message));
                    }
                }
            }
            Branching::Random => {}
        }
        let _ = visit.step;
    }
    Ok(())
}

/// Whether generated criteria hold for a user at `now`, given their events up to then in
/// order, counting only events from `inputs` (all when empty) and holding only once the
/// user has sent one from them: a standalone audience's membership (SPEC §6).
pub fn audience_holds(
    events: &[&Event],
    now: Millis,
    criteria: &Criteria,
    inputs: &[String],
) -> bool {
    let seen = inputs.is_empty()
        || events
            .iter()
            .any(|e| e.input.as_ref().is_some_and(|i| inputs.contains(i)));
    let view = View {
        events,
        now,
        entry_seq: None,
        step_seq: None,
        default_since: None,
        inputs,
    };
    seen && view.holds(criteria)
}

/// How long after an event generated criteria may change with no new event.
pub fn criteria_durations(c: &Criteria) -> BTreeSet<Millis> {
    let mut out = BTreeSet::new();
    durations(c, &mut out);
    out
}
