//! The invariants, each a function over one run's transitions that says what went wrong.

use std::collections::{BTreeSet, HashMap};

use waymark_engine::hash::is_control;
use waymark_engine::model::StepKind;
use waymark_engine::time::Millis;
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

/// 1. Per (user, step), per user for the journey, and per (user, step, connection) for
/// deliveries, changes alternate entered, exited, entered, … starting with entered.
pub fn alternation(run: &Run) -> Check {
    let mut steps: HashMap<(UserIndex, u16), Change> = HashMap::new();
    let mut journey: HashMap<UserIndex, Change> = HashMap::new();
    let mut deliveries: HashMap<(UserIndex, u16, u16), Change> = HashMap::new();
    for (k, t) in run.transitions.iter().enumerate() {
        let (previous, change, what) = match t.kind {
            TransitionKind::Step { step, change } => (steps.insert((t.user, step), change), change, "step"),
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
            TransitionKind::Control | TransitionKind::Goal => continue,
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
            TransitionKind::Goal | TransitionKind::Delivery { .. } => {}
        }
    }
}

/// 2. Audiences are path-closed: at the end of every instant, a user in a step's audience is
/// in its parent's audience, a user at any step is in the journey, and a user in the journey
/// (not control) is in the entry's audience.
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
                let message = format!("at the end of the instant, {key} is in step audiences {:?} but not in the journey",
                    r.audience.iter().map(|s| &tree.ids[*s]).collect::<Vec<_>>());
                return Err(run.fail(k, message));
            }
            if r.in_journey && !r.control && !r.audience.contains(&0) {
                let message = format!("at the end of the instant, {key} is in the journey but not in the entry's audience");
                return Err(run.fail(k, message));
            }
        }
    }
    Ok(())
}

/// 3. Control users (a `control` line for that entry) have no step and no delivery lines
/// during that entry; `control` comes right after `journey entered`, exactly for the users
/// the stable hash holds out.
pub fn control(run: &Run, s: &Scenario) -> Check {
    let percent = s.journey.settings.control_group.map_or(0.0, |c| c.percent);
    let mut control: HashMap<(UserIndex, u32), bool> = HashMap::new();
    let mut last: HashMap<UserIndex, usize> = HashMap::new();
    for (k, t) in run.transitions.iter().enumerate() {
        let key = run.engine.user_key(t.user);
        match t.kind {
            TransitionKind::Control => {
                let after_entry = last.get(&t.user).map(|&i| &run.transitions[i]).is_some_and(|p| {
                    p.kind == TransitionKind::Journey(Change::Entered) && p.at == t.at && p.entry == t.entry
                });
                if !after_entry {
                    return Err(run.fail(k, "`control` not right after the user's `journey entered`"));
                }
                if !is_control(&s.journey.id, key, percent) {
                    return Err(run.fail(k, format!("{key} is control but the hash at {percent} % says not")));
                }
                control.insert((t.user, t.entry), true);
            }
            TransitionKind::Step { .. } | TransitionKind::Delivery { .. } => {
                if control.get(&(t.user, t.entry)).copied().unwrap_or(false) {
                    return Err(run.fail(k, format!("{key} is control in entry {} but has a step or delivery line", t.entry)));
                }
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

/// 4. The same input gives the same transitions, the same trace from `simulate`, and
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
    let second = simulate(&s.journey, s.events.clone(), Some(s.until)).map_err(|e| e.to_string())?;
    if first != second {
        return Err(format!("two simulations differ:\n{first:#?}\n{second:#?}"));
    }
    let mut all_active = s.journey.clone();
    activate_all(&mut all_active);
    let direct = run_journey(&all_active, &s.events, s.until);
    let lines: Vec<_> = direct.transitions.iter().map(|t| direct.line(t)).collect();
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

/// 5. Every delivery is for an active connection, and follows the step line of the same
/// change for that user and step at the same instant in the same entry.
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
                let active = tree.active[usize::from(step)].get(usize::from(connection)).copied();
                if active != Some(true) {
                    return Err(run.fail(k, format!("delivery on a connection that is not active ({active:?})")));
                }
                let ok = last_step_line
                    .get(&(t.user, step))
                    .is_some_and(|&(at, entry, change)| at == t.at && entry == t.entry && change == action);
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

/// 6. Transitions come in non-decreasing time, none before the first event or after `until`.
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

/// 7. Leaving: at `journey exited` the user is in no step audience (every step was exited
/// before it); step, delivery and goal lines only while the user is in the journey, with
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
                    return Err(run.fail(k, format!("entry number {} after {} entries", t.entry, r.entries)));
                }
            }
            TransitionKind::Journey(Change::Exited) => {
                if !r.audience.is_empty() {
                    let left: Vec<_> = r.audience.iter().map(|s| &tree.ids[*s]).collect();
                    return Err(run.fail(k, format!("{key} leaves the journey still in the audiences of {left:?}")));
                }
            }
            _ => {
                if !r.in_journey {
                    return Err(run.fail(k, format!("{key} has a line while not in the journey")));
                }
            }
        }
        if !matches!(t.kind, TransitionKind::Journey(Change::Entered)) && t.entry != r.entries {
            return Err(run.fail(k, format!("line of entry {} during entry {}", t.entry, r.entries)));
        }
        match t.kind {
            TransitionKind::Goal => {
                if let Some(first) = goals.insert((t.user, t.entry), k) {
                    return Err(run.fail(k, format!("second goal line in one entry (first at #{first})")));
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
                    return Err(run.fail(k, format!("{key} reached an exit step but did not leave at that instant")));
                }
            }
            _ => {}
        }
        users.get_mut(&t.user).unwrap().apply(t.kind);
    }
    Ok(())
}
