//! The invariants, each a function over one run's transitions that says what went wrong.

use std::collections::{BTreeSet, HashMap};

use jiff::tz::TimeZone;
use serde_json::Value;
use waymark_engine::hash::{is_control, random_branch};
use waymark_engine::model::{Branching, QuietFallback, Reentry, StepKind, Until, Wait};
use waymark_engine::time::{DailyWindow, DaySet, Millis, next_local_time, parse_time_zone};
use waymark_engine::trace::simulate;
use waymark_engine::{Change, TransitionKind, UserIndex};

use crate::generators::Scenario;
use crate::run::{Run, run, run_journey};

pub type Check = Result<(), String>;

fn starts_or_alternates(previous: Option<Change>, change: Change) -> bool {
    match previous {
        None => change == Change::Entered,
        Some(p) => p != change,
    }
}

/// Property 1: Per (user, step), per user for the journey, and per (user, step, connection) for
/// deliveries, changes alternate entered, exited, entered, … starting with entered.
pub fn alternation(run: &Run) -> Check {
    let mut steps: HashMap<(UserIndex, u16), Change> = HashMap::new();
    let mut journey: HashMap<UserIndex, Change> = HashMap::new();
    let mut deliveries: HashMap<(UserIndex, u16, u16), Change> = HashMap::new();
    for (k, t) in run.transitions.iter().enumerate() {
        let (previous, change, what) = match t.kind {
            TransitionKind::Step { step, change } => {
                (steps.insert((t.user, step), change), change, "step")
            }
            TransitionKind::Journey(change) => (journey.insert(t.user, change), change, "journey"),
            TransitionKind::Delivery {
                step,
                connection,
                action,
            } => (
                deliveries.insert((t.user, step, connection), action),
                action,
                "delivery",
            ),
            TransitionKind::Control | TransitionKind::Goal | TransitionKind::Converted { .. } => {
                continue;
            }
        };
        if !starts_or_alternates(previous, change) {
            return Err(run.fail(
                k,
                format!("{what} line `{}` after `{:?}`", change.as_str(), previous),
            ));
        }
    }
    Ok(())
}

/// What a replay of the transitions knows of one user.
#[derive(Debug, Default, Clone)]
struct Replay {
    in_journey: bool,
    control: bool,
    entries: u32,
    audience: BTreeSet<usize>,
}

impl Replay {
    fn apply(&mut self, kind: TransitionKind) {
        match kind {
            TransitionKind::Journey(Change::Entered) => {
                self.in_journey = true;
                self.control = false;
                self.entries += 1;
            }
            TransitionKind::Journey(Change::Exited) => self.in_journey = false,
            TransitionKind::Control => self.control = true,
            TransitionKind::Step {
                step,
                change: Change::Entered,
            } => {
                self.audience.insert(usize::from(step));
            }
            TransitionKind::Step {
                step,
                change: Change::Exited,
            } => {
                self.audience.remove(&usize::from(step));
            }
            TransitionKind::Goal
            | TransitionKind::Converted { .. }
            | TransitionKind::Delivery { .. } => {}
        }
    }
}

/// Property 2: Audiences are path-closed: at the end of every instant, a user in a step's
/// audience is in its parent's audience, a user at any step is in the journey, and a user in
/// the journey (not control) is in the entry's audience.
pub fn path_closed(run: &Run) -> Check {
    let tree = &run.tree;
    let mut users: HashMap<UserIndex, Replay> = HashMap::new();
    let mut touched: BTreeSet<UserIndex> = BTreeSet::new();
    let n = run.transitions.len();
    for (k, t) in run.transitions.iter().enumerate() {
        users.entry(t.user).or_default().apply(t.kind);
        touched.insert(t.user);
        let instant_ends = k + 1 == n || run.transitions[k + 1].at != t.at;
        if !instant_ends {
            continue;
        }
        for u in std::mem::take(&mut touched) {
            let r = &users[&u];
            let key = run.engine.user_key(u);
            for &s in &r.audience {
                if let Some(p) = tree.parent[s]
                    && !r.audience.contains(&p)
                {
                    let message = format!(
                        "at the end of the instant, {key} is in the audience of {} but not of its parent {}",
                        tree.ids[s], tree.ids[p]
                    );
                    return Err(run.fail(k, message));
                }
            }
            if !r.audience.is_empty() && !r.in_journey {
                let message = format!(
                    "at the end of the instant, {key} is in step audiences {:?} but not in the journey",
                    r.audience.iter().map(|s| &tree.ids[*s]).collect::<Vec<_>>()
                );
                return Err(run.fail(k, message));
            }
            if r.in_journey && !r.control && !r.audience.contains(&0) {
                let message = format!(
                    "at the end of the instant, {key} is in the journey but not in the entry's audience"
                );
                return Err(run.fail(k, message));
            }
        }
    }
    Ok(())
}

/// Property 3: Control users (a `control` line for that entry) have no step and no delivery
/// lines during that entry; `control` comes right after `journey entered`, exactly for the
/// users the stable hash holds out.
pub fn control(run: &Run, s: &Scenario) -> Check {
    let percent = s.journey.settings.control_group.map_or(0.0, |c| c.percent);
    let mut control: BTreeSet<(UserIndex, u32)> = BTreeSet::new();
    let mut last: HashMap<UserIndex, usize> = HashMap::new();
    for (k, t) in run.transitions.iter().enumerate() {
        let key = run.engine.user_key(t.user);
        match t.kind {
            TransitionKind::Control => {
                let after_entry =
                    last.get(&t.user)
                        .map(|&i| &run.transitions[i])
                        .is_some_and(|p| {
                            p.kind == TransitionKind::Journey(Change::Entered)
                                && p.at == t.at
                                && p.entry == t.entry
                        });
                if !after_entry {
                    return Err(
                        run.fail(k, "`control` not right after the user's `journey entered`")
                    );
                }
                if !is_control(&s.journey.id, key, percent) {
                    return Err(run.fail(
                        k,
                        format!("{key} is control but the hash at {percent} % says not"),
                    ));
                }
                control.insert((t.user, t.entry));
            }
            TransitionKind::Step { .. } | TransitionKind::Delivery { .. }
                if control.contains(&(t.user, t.entry)) =>
            {
                let message = format!(
                    "{key} is control in entry {} but has a step or delivery line",
                    t.entry
                );
                return Err(run.fail(k, message));
            }
            TransitionKind::Journey(Change::Entered) => {
                let held_out = is_control(&s.journey.id, key, percent);
                let next_is_control = run.transitions[k + 1..]
                    .iter()
                    .find(|n| n.user == t.user)
                    .is_some_and(|n| n.kind == TransitionKind::Control);
                if held_out != next_is_control {
                    let message = format!(
                        "{key} entered; the hash at {percent} % says control = {held_out}, the engine says {next_is_control}"
                    );
                    return Err(run.fail(k, message));
                }
            }
            _ => {}
        }
        last.insert(t.user, k);
    }
    Ok(())
}

/// Property 4: The same input gives the same transitions, the same trace from `simulate`, and
/// `simulate` equals a direct run with every connection active.
pub fn determinism(s: &Scenario) -> Check {
    let a = run(s);
    let b = run(s);
    if a.transitions != b.transitions {
        return Err(format!(
            "two runs differ:\nfirst:\n{}\nsecond:\n{}",
            a.render(),
            b.render()
        ));
    }
    let first = simulate(&s.journey, s.events.clone(), Some(s.until)).map_err(|e| e.to_string())?;
    let second =
        simulate(&s.journey, s.events.clone(), Some(s.until)).map_err(|e| e.to_string())?;
    if first != second {
        return Err(format!("two simulations differ:\n{first:#?}\n{second:#?}"));
    }
    let mut all_active = s.journey.clone();
    activate_all(&mut all_active);
    let direct = run_journey(&all_active, &s.events, s.until);
    let lines: Vec<_> = direct
        .transitions
        .iter()
        .filter_map(|t| direct.line(t))
        .collect();
    if lines != first {
        return Err(format!(
            "simulate differs from a direct run with every connection active:\nsimulate:\n{first:#?}\ndirect:\n{}",
            direct.render()
        ));
    }
    Ok(())
}

fn activate_all(j: &mut waymark_engine::model::Journey) {
    fn steps(list: &mut [waymark_engine::model::Step]) {
        for s in list {
            s.connections.iter_mut().for_each(|c| c.active = true);
            steps(&mut s.steps);
        }
    }
    j.entry.connections.iter_mut().for_each(|c| c.active = true);
    steps(&mut j.entry.steps);
}

/// Property 5: Every delivery is for an active connection, and follows the step line of the
/// same change for that user and step at the same instant in the same entry.
pub fn deliveries(run: &Run) -> Check {
    let tree = &run.tree;
    let mut last_step_line: HashMap<(UserIndex, u16), (Millis, u32, Change)> = HashMap::new();
    for (k, t) in run.transitions.iter().enumerate() {
        match t.kind {
            TransitionKind::Step { step, change } => {
                last_step_line.insert((t.user, step), (t.at, t.entry, change));
            }
            TransitionKind::Delivery {
                step,
                connection,
                action,
            } => {
                let active = tree.active[usize::from(step)]
                    .get(usize::from(connection))
                    .copied();
                if active != Some(true) {
                    return Err(run.fail(
                        k,
                        format!("delivery on a connection that is not active ({active:?})"),
                    ));
                }
                let ok = last_step_line
                    .get(&(t.user, step))
                    .is_some_and(|&(at, entry, change)| {
                        at == t.at && entry == t.entry && change == action
                    });
                if !ok {
                    let message = format!(
                        "delivery `{}` not preceded by the step line `{}` at the same instant (last step line: {:?})",
                        action.as_str(),
                        action.as_str(),
                        last_step_line.get(&(t.user, step))
                    );
                    return Err(run.fail(k, message));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Property 6: Transitions come in non-decreasing time, none before the first event or after
/// `until`.
pub fn time_order(run: &Run, s: &Scenario) -> Check {
    let first = s.events.first().map_or(Millis::MIN, |(_, e)| e.at);
    let mut previous = Millis::MIN;
    for (k, t) in run.transitions.iter().enumerate() {
        if t.at < previous {
            return Err(run.fail(k, "transition earlier than the one before it"));
        }
        if t.at < first || t.at > s.until {
            return Err(run.fail(k, "transition outside [first event, until]"));
        }
        previous = t.at;
    }
    Ok(())
}

/// Property 7: Leaving: at `journey exited` the user is in no step audience (every step was
/// exited before it); step, delivery and goal lines only while the user is in the journey, with
/// that entry's number; step exits go innermost first; reaching an exit step is followed by
/// `journey exited` at the same instant.
pub fn leaving(run: &Run) -> Check {
    let tree = &run.tree;
    let mut users: HashMap<UserIndex, Replay> = HashMap::new();
    let mut goals: HashMap<(UserIndex, u32), usize> = HashMap::new();
    for (k, t) in run.transitions.iter().enumerate() {
        let r = users.entry(t.user).or_default();
        let key = run.engine.user_key(t.user);
        match t.kind {
            TransitionKind::Journey(Change::Entered) => {
                if t.entry != r.entries + 1 {
                    return Err(run.fail(
                        k,
                        format!("entry number {} after {} entries", t.entry, r.entries),
                    ));
                }
            }
            TransitionKind::Journey(Change::Exited) => {
                if !r.audience.is_empty() {
                    let left: Vec<_> = r.audience.iter().map(|s| &tree.ids[*s]).collect();
                    return Err(run.fail(
                        k,
                        format!("{key} leaves the journey still in the audiences of {left:?}"),
                    ));
                }
            }
            _ => {
                if !r.in_journey {
                    return Err(run.fail(k, format!("{key} has a line while not in the journey")));
                }
            }
        }
        if !matches!(t.kind, TransitionKind::Journey(Change::Entered)) && t.entry != r.entries {
            return Err(run.fail(
                k,
                format!("line of entry {} during entry {}", t.entry, r.entries),
            ));
        }
        match t.kind {
            TransitionKind::Goal => {
                if let Some(first) = goals.insert((t.user, t.entry), k) {
                    return Err(run.fail(
                        k,
                        format!("second goal line in one entry (first at #{first})"),
                    ));
                }
            }
            TransitionKind::Step {
                step,
                change: Change::Exited,
            } => {
                let step = usize::from(step);
                if let Some(&below) = r.audience.iter().find(|&&s| tree.is_below(s, step)) {
                    let message = format!(
                        "{key} exits {} while still in the audience of {} below it",
                        tree.ids[step], tree.ids[below]
                    );
                    return Err(run.fail(k, message));
                }
            }
            TransitionKind::Step {
                step,
                change: Change::Entered,
            } if tree.kind[usize::from(step)] == Some(StepKind::Exit) => {
                let leaves = run.transitions[k + 1..]
                    .iter()
                    .take_while(|n| n.at == t.at)
                    .any(|n| n.user == t.user && n.kind == TransitionKind::Journey(Change::Exited));
                if !leaves {
                    return Err(run.fail(
                        k,
                        format!("{key} reached an exit step but did not leave at that instant"),
                    ));
                }
            }
            _ => {}
        }
        users.get_mut(&t.user).unwrap().apply(t.kind);
    }
    Ok(())
}

/// Per user, the journey's entries: (entry number, entered at, left at).
fn stays(run: &Run) -> HashMap<UserIndex, Vec<(u32, Millis, Option<Millis>)>> {
    let mut out: HashMap<UserIndex, Vec<(u32, Millis, Option<Millis>)>> = HashMap::new();
    for t in &run.transitions {
        match t.kind {
            TransitionKind::Journey(Change::Entered) => {
                out.entry(t.user).or_default().push((t.entry, t.at, None))
            }
            TransitionKind::Journey(Change::Exited) => {
                if let Some(last) = out.get_mut(&t.user).and_then(|v| v.last_mut()) {
                    last.2 = Some(t.at);
                }
            }
            _ => {}
        }
    }
    out
}

/// Property 9: The journey-wide rules: entries only inside `start_at`/`end_at`, from the
/// journey's inputs, as `reentry` allows; nobody stays past `settings.timeout`; the goal only
/// within `goal.within`, and with `exit_on_goal` the user leaves at once.
pub fn settings_rules(run: &Run, s: &Scenario) -> Check {
    let entry = &s.journey.entry;
    let settings = &s.journey.settings;
    for (user, list) in stays(run) {
        let key = run.engine.user_key(user);
        let find = |entry_number: u32, journey: Change| {
            run.transitions
                .iter()
                .position(|t| {
                    t.user == user
                        && t.entry == entry_number
                        && t.kind == TransitionKind::Journey(journey)
                })
                .unwrap()
        };
        let mut previous_left: Option<Millis> = None;
        for &(n, entered, left) in &list {
            let k = find(n, Change::Entered);
            if entry.start_at.is_some_and(|s| entered < s)
                || entry.end_at.is_some_and(|e| entered >= e)
            {
                return Err(run.fail(k, format!("{key} entered outside start_at/end_at")));
            }
            if !s.journey.inputs.is_empty() {
                let from_inputs = s.events.iter().any(|(u, e)| {
                    u == key
                        && e.at <= entered
                        && e.input
                            .as_ref()
                            .is_some_and(|i| s.journey.inputs.contains(i))
                });
                if !from_inputs {
                    return Err(run.fail(
                        k,
                        format!("{key} entered without an event from the journey's inputs"),
                    ));
                }
            }
            match entry.reentry {
                Reentry::Never if n > 1 => {
                    return Err(run.fail(k, "a second entry with reentry `never`"));
                }
                Reentry::Cooldown(d) => {
                    if let Some(l) = previous_left
                        && entered < l + d.millis()
                    {
                        return Err(run.fail(
                            k,
                            format!("re-entry before the cooldown of {d} after leaving"),
                        ));
                    }
                }
                _ => {}
            }
            if let Some(timeout) = settings.timeout.map(|d| entered + d.millis()) {
                let stayed_too_long = match left {
                    Some(l) => l > timeout,
                    None => s.until >= timeout,
                };
                if stayed_too_long {
                    return Err(run.fail(
                        k,
                        format!("{key} is still in the journey after its timeout ({left:?})"),
                    ));
                }
            }
            previous_left = left;
        }
    }
    let stays = stays(run);
    for (k, t) in run.transitions.iter().enumerate() {
        if t.kind != TransitionKind::Goal {
            continue;
        }
        let goal = settings
            .goal
            .as_ref()
            .ok_or_else(|| run.fail(k, "a goal line without a goal"))?;
        let &(_, entered, left) = stays[&t.user].iter().find(|(n, ..)| *n == t.entry).unwrap();
        if goal.within.is_some_and(|w| t.at > entered + w.millis()) {
            return Err(run.fail(k, "goal reached after `within`"));
        }
        if goal.exit_on_goal && left != Some(t.at) {
            return Err(run.fail(
                k,
                format!("goal with exit_on_goal, but the user left at {left:?}"),
            ));
        }
    }
    Ok(())
}

/// Property 10: How children are chosen, where it needs no criteria: a `random` step sends the
/// user to the child the stable hash picks, and no child of a wait step is entered before the
/// wait (a duration or an instant) has passed.
pub fn branching_rules(run: &Run, s: &Scenario) -> Check {
    let tree = &run.tree;
    let mut entered_at: HashMap<(UserIndex, usize), Millis> = HashMap::new();
    for (k, t) in run.transitions.iter().enumerate() {
        let TransitionKind::Step {
            step,
            change: Change::Entered,
        } = t.kind
        else {
            continue;
        };
        let step = usize::from(step);
        entered_at.insert((t.user, step), t.at);
        let Some(parent) = tree.parent[step] else {
            continue;
        };
        let key = run.engine.user_key(t.user);
        if tree.branching[parent] == Branching::Random {
            let siblings = &tree.children[parent];
            let weights: Vec<u32> = siblings.iter().map(|c| tree.weight[*c]).collect();
            let pick =
                random_branch(&s.journey.id, &tree.ids[parent], key, &weights).map(|i| siblings[i]);
            if pick != Some(step) {
                let message = format!(
                    "random step {} sent {key} to {}, the hash picks {:?}",
                    tree.ids[parent],
                    tree.ids[step],
                    pick.map(|p| &tree.ids[p])
                );
                return Err(run.fail(k, message));
            }
        }
        let reached = entered_at[&(t.user, parent)];
        let wait_end = match &tree.wait[parent] {
            Some(Wait::Duration(d)) => Some(reached + d.millis()),
            Some(Wait::Until(Until::At { at })) => Some(*at),
            _ => None,
        };
        if wait_end.is_some_and(|end| t.at < end) {
            let message = format!(
                "a child of wait step {} entered before the wait ends",
                tree.ids[parent]
            );
            return Err(run.fail(k, message));
        }
    }
    Ok(())
}

/// A user's effective time zone name after each of their events, the first entry being the
/// zone before any: trait `timezone` (a valid one; `null` removes it), else the latest valid
/// `context.timezone`, else the journey's, else UTC.
pub fn zone_history(s: &Scenario, user: &str) -> Vec<(Millis, String)> {
    let valid = |name: &str| parse_time_zone(name).is_ok().then(|| name.to_string());
    let journey_zone = s
        .journey
        .settings
        .timezone
        .as_deref()
        .and_then(valid)
        .unwrap_or_else(|| "UTC".into());
    let (mut from_trait, mut from_context): (Option<String>, Option<String>) = (None, None);
    let mut out = vec![(Millis::MIN, journey_zone.clone())];
    for (u, e) in s
        .events
        .iter()
        .filter(|(u, e)| u == user && e.at <= s.until)
    {
        debug_assert_eq!(u, user);
        match e.traits.get("timezone") {
            Some(Value::String(name)) => from_trait = valid(name).or(from_trait),
            Some(Value::Null) => from_trait = None,
            _ => {}
        }
        if let Some(Value::String(name)) = e.context.get("timezone") {
            from_context = valid(name).or(from_context);
        }
        let zone = from_trait.clone().or_else(|| from_context.clone());
        out.push((e.at, zone.unwrap_or_else(|| journey_zone.clone())));
    }
    out
}

/// The zones a user may have had at instant `at`: before, between and after their events
/// at that instant (the transitions do not tell which of them came first).
pub fn zones_at(history: &[(Millis, String)], at: Millis) -> Vec<TimeZone> {
    let before = history.iter().rposition(|(t, _)| *t < at).unwrap_or(0);
    history[before..]
        .iter()
        .take_while(|(t, _)| *t <= at)
        .map(|(_, name)| parse_time_zone(name).unwrap())
        .collect()
}

/// Whether the user's zone changed in `(from, to]`.
pub fn zone_changed(history: &[(Millis, String)], from: Millis, to: Millis) -> bool {
    history
        .windows(2)
        .any(|w| w[1].0 > from && w[1].0 <= to && w[0].1 != w[1].1)
}

/// Property 11: Deliveries are complete and send steps keep quiet hours and the frequency cap:
/// a step entered is followed at once by an `entered` delivery on each of its active
/// connections (a send step's may be withheld: capped or quiet), a step exited by an `exited`
/// delivery on each connection its entry was delivered to; a send step is never entered inside
/// quiet hours with `delay`, delivers nothing inside them with `skip`, and delivers exactly
/// when the user is under the cap.
pub fn send_rules(run: &Run, s: &Scenario) -> Check {
    let tree = &run.tree;
    let settings = &s.journey.settings;
    let mut announced: HashMap<(UserIndex, u16), bool> = HashMap::new();
    let mut passages: HashMap<UserIndex, Vec<Millis>> = HashMap::new();
    let ts = &run.transitions;
    for (k, t) in ts.iter().enumerate() {
        let TransitionKind::Step { step, change } = t.kind else {
            continue;
        };
        let key = run.engine.user_key(t.user);
        let active: Vec<u16> = tree.active[usize::from(step)]
            .iter()
            .enumerate()
            .filter(|(_, a)| **a)
            .map(|(c, _)| c as u16)
            .collect();
        let following: Vec<u16> = ts[k + 1..]
            .iter()
            .map_while(|n| match n.kind {
                TransitionKind::Delivery {
                    step: s,
                    connection,
                    action,
                } if n.user == t.user && s == step && action == change && n.at == t.at => {
                    Some(connection)
                }
                _ => None,
            })
            .collect();
        let delivered = !following.is_empty();
        if delivered && following != active {
            return Err(run.fail(
                k,
                format!("deliveries on {following:?}, active connections are {active:?}"),
            ));
        }
        if change == Change::Exited {
            if announced.remove(&(t.user, step)).unwrap_or(false) != delivered {
                return Err(run.fail(k, "exit deliveries do not match the entry's"));
            }
            continue;
        }
        announced.insert((t.user, step), delivered);
        if active.is_empty() {
            continue;
        }
        if tree.kind[usize::from(step)] != Some(StepKind::Send) {
            if !delivered {
                return Err(run.fail(k, "no delivery for a step with active connections"));
            }
            continue;
        }
        // A send step with active connections.
        let quiet = settings.quiet_hours.map(|q| {
            let window = DailyWindow {
                start: q.start,
                end: q.end,
            };
            let inside: Vec<bool> = zones_at(&zone_history(s, key), t.at)
                .iter()
                .map(|z| window.closes_after(t.at, z).is_some())
                .collect();
            let inside = if inside.iter().all(|x| *x) {
                Some(true)
            } else if inside.iter().any(|x| *x) {
                None
            } else {
                Some(false)
            };
            (inside, q.fallback)
        });
        let mine = passages.entry(t.user).or_default();
        let capped = settings.frequency_cap.is_some_and(|cap| {
            let recent = mine
                .iter()
                .filter(|p| **p > t.at - cap.per.millis())
                .count();
            recent >= cap.max as usize
        });
        let expected = match quiet {
            Some((Some(true), QuietFallback::Delay)) => {
                return Err(run.fail(
                    k,
                    format!("{key} reached a send step inside quiet hours (delay)"),
                ));
            }
            Some((Some(true), QuietFallback::Skip)) => Some(false),
            Some((None, _)) => None,
            _ => Some(!capped),
        };
        if expected.is_some_and(|e| e != delivered) || (delivered && capped) {
            let message = format!(
                "send step delivered = {delivered}, expected {expected:?} (capped = {capped}, quiet = {quiet:?})"
            );
            return Err(run.fail(k, message));
        }
        if delivered {
            mine.push(t.at);
        }
    }
    Ok(())
}

/// Property 12: Waits end on time: a user who reached a wait step at `r` and is still in its
/// audience when the wait ends moves on at exactly that instant, when a child that passes at
/// once can take them (`wait`, `exit`, or a `send` step that quiet hours cannot delay; under
/// `random`, whichever child the hash picks). Duration and `until.at` waits always;
/// `until.time` waits when the user's time zone is known and does not change during the wait.
pub fn waits_end_on_time(run: &Run, s: &Scenario) -> Check {
    let tree = &run.tree;
    let delays = s
        .journey
        .settings
        .quiet_hours
        .is_some_and(|q| q.fallback == QuietFallback::Delay);
    let passes_at_once = |c: usize| match tree.kind[c] {
        Some(StepKind::Wait | StepKind::Exit) => true,
        Some(StepKind::Send) => !delays,
        _ => false,
    };
    let ts = &run.transitions;
    for (k, t) in ts.iter().enumerate() {
        let TransitionKind::Step {
            step,
            change: Change::Entered,
        } = t.kind
        else {
            continue;
        };
        let w = usize::from(step);
        let Some(wait) = &tree.wait[w] else {
            continue;
        };
        let key = run.engine.user_key(t.user);
        let children = &tree.children[w];
        let moves_at_once = if tree.branching[w] == Branching::Random {
            let weights: Vec<u32> = children.iter().map(|c| tree.weight[*c]).collect();
            random_branch(&s.journey.id, &tree.ids[w], key, &weights).is_some_and(|i| {
                let c = children[i];
                tree.kind[c] != Some(StepKind::Send) || !delays
            })
        } else {
            children.iter().any(|c| passes_at_once(*c))
        };
        if !moves_at_once {
            continue;
        }
        let end = match wait {
            Wait::Duration(d) => t.at + d.millis(),
            Wait::Until(Until::At { at }) => t.at.max(*at),
            Wait::Until(Until::LocalTime { time, days }) => {
                let history = zone_history(s, key);
                let ends: BTreeSet<Millis> = zones_at(&history, t.at)
                    .iter()
                    .map(|z| next_local_time(t.at, *time, DaySet::of(days), z))
                    .collect();
                let &[end] = ends.iter().copied().collect::<Vec<_>>().as_slice() else {
                    continue;
                };
                if zone_changed(&history, t.at, end) {
                    continue;
                }
                end
            }
            Wait::Until(Until::Trait { .. }) => continue,
        };
        if end > s.until {
            continue;
        }
        let later = &ts[k + 1..];
        let left_before = later.iter().any(|n| {
            n.user == t.user
                && n.at <= end
                && n.kind
                    == TransitionKind::Step {
                        step,
                        change: Change::Exited,
                    }
        });
        if left_before {
            continue;
        }
        let moved = later.iter().any(|n| {
            n.user == t.user
                && n.at == end
                && matches!(n.kind, TransitionKind::Step { step: c, change: Change::Entered } if children.contains(&usize::from(c)))
        });
        if !moved {
            let message = format!(
                "{key} reached wait step {} and is still there, but no child was entered when the wait ended at {}",
                tree.ids[w],
                waymark_engine::time::format_instant(end)
            );
            return Err(run.fail(k, message));
        }
    }
    Ok(())
}

/// Property 15: right after a goal line, one `Converted` per step whose audience the user is
/// in at that moment (none for control), and no `Converted` anywhere else: the per-branch
/// goal statistics count exactly the branches passed.
pub fn conversions(run: &Run) -> Check {
    let mut users: HashMap<UserIndex, Replay> = HashMap::new();
    let mut expected: Option<(UserIndex, BTreeSet<usize>)> = None;
    for (k, t) in run.transitions.iter().enumerate() {
        if let TransitionKind::Converted { step } = t.kind {
            let step = usize::from(step);
            match &mut expected {
                Some((user, left)) if *user == t.user && left.contains(&step) => {
                    left.remove(&step);
                    continue;
                }
                _ => return Err(run.fail(k, "a conversion that no goal line calls for")),
            }
        }
        if let Some((_, left)) = expected.take()
            && !left.is_empty()
        {
            let missing: Vec<_> = left.iter().map(|s| &run.tree.ids[*s]).collect();
            return Err(run.fail(k, format!("no conversion for the steps {missing:?}")));
        }
        let replay = users.entry(t.user).or_default();
        replay.apply(t.kind);
        if t.kind == TransitionKind::Goal {
            expected = Some((t.user, replay.audience.clone()));
        }
    }
    match expected {
        Some((_, left)) if !left.is_empty() => Err(run.fail(
            run.transitions.len() - 1,
            "the run ends before every conversion of its last goal",
        )),
        _ => Ok(()),
    }
}
