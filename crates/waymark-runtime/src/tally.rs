//! What a running journey version has counted from its transitions: entries and exits per
//! step and for the journey, goal conversions per branch passed, and entries per hour
//! (SPEC §11). Counted per workspace engine (a partition's checkpoint keeps its part) and
//! in sum; kept, with a stopped version's final figures, after the run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use waymark_engine::time::Millis;
use waymark_engine::{Change, Transition, TransitionKind};

/// One hour in milliseconds: entries are counted per UTC hour (days add hours up).
pub const HOUR_MS: Millis = 3_600_000;

/// Totals of one step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTotals {
    /// Entries into the step's audience.
    pub entered: u64,
    /// Exits from it.
    pub exited: u64,
    /// Goal conversions of users in the step's audience when they converted (the branch
    /// passed, SPEC §7).
    #[serde(default)]
    pub goals: u64,
}

/// Journey-level totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyTotals {
    /// Entries, control included.
    pub entered: u64,
    /// Exits.
    pub exited: u64,
    /// Entries held out as control.
    pub control: u64,
    /// Goal conversions, control included.
    pub goal: u64,
}

/// Entries in one hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourEntries {
    /// Entries, control included.
    pub entered: u64,
    /// Of which held out as control.
    pub control: u64,
}

/// Everything counted, steps by index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Step totals by index.
    pub steps: Vec<StepTotals>,
    /// Journey totals.
    pub journey: JourneyTotals,
    /// Entries by the start of their UTC hour.
    pub hours: BTreeMap<Millis, HourEntries>,
}

/// A [`Tally`] with steps named by id, as stored (checkpoints, stopped versions): step
/// indices change with edits and engines, ids do not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedTally {
    /// Step totals by step id.
    pub steps: Vec<(String, StepTotals)>,
    /// Journey totals.
    pub journey: JourneyTotals,
    /// Entries by hour start.
    pub hours: Vec<(Millis, HourEntries)>,
}

impl Tally {
    /// An empty tally of `steps` steps.
    pub fn new(steps: usize) -> Self {
        Self {
            steps: vec![StepTotals::default(); steps],
            ..Self::default()
        }
    }

    /// Counts transitions of one journey.
    pub fn add(&mut self, transitions: &[Transition]) {
        for t in transitions {
            match t.kind {
                TransitionKind::Step { step, change } => {
                    if let Some(s) = self.steps.get_mut(usize::from(step)) {
                        match change {
                            Change::Entered => s.entered += 1,
                            Change::Exited => s.exited += 1,
                        }
                    }
                }
                TransitionKind::Journey(Change::Entered) => {
                    self.journey.entered += 1;
                    self.hour(t.at).entered += 1;
                }
                TransitionKind::Journey(Change::Exited) => self.journey.exited += 1,
                TransitionKind::Control => {
                    self.journey.control += 1;
                    self.hour(t.at).control += 1;
                }
                TransitionKind::Goal => self.journey.goal += 1,
                TransitionKind::Converted { step } => {
                    if let Some(s) = self.steps.get_mut(usize::from(step)) {
                        s.goals += 1;
                    }
                }
                TransitionKind::Delivery { .. } => {}
            }
        }
    }

    fn hour(&mut self, at: Millis) -> &mut HourEntries {
        self.hours
            .entry(at.div_euclid(HOUR_MS) * HOUR_MS)
            .or_default()
    }

    /// Adds another tally of the same steps.
    pub fn merge(&mut self, other: &Tally) {
        if self.steps.len() < other.steps.len() {
            self.steps.resize(other.steps.len(), StepTotals::default());
        }
        for (sum, t) in self.steps.iter_mut().zip(&other.steps) {
            sum.entered += t.entered;
            sum.exited += t.exited;
            sum.goals += t.goals;
        }
        let j = &mut self.journey;
        j.entered += other.journey.entered;
        j.exited += other.journey.exited;
        j.control += other.journey.control;
        j.goal += other.journey.goal;
        for (hour, e) in &other.hours {
            let sum = self.hours.entry(*hour).or_default();
            sum.entered += e.entered;
            sum.control += e.control;
        }
    }

    /// The tally with steps named by `ids` (index order).
    pub fn saved(&self, ids: &[String]) -> SavedTally {
        SavedTally {
            steps: ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), self.steps.get(i).copied().unwrap_or_default()))
                .collect(),
            journey: self.journey,
            hours: self.hours.iter().map(|(h, e)| (*h, *e)).collect(),
        }
    }

    /// A saved tally with steps placed by `ids` (index order); a step no longer there is
    /// left out, as an edit leaves it out, and a new one starts at zero.
    pub fn restored(saved: &SavedTally, ids: &[String]) -> Self {
        let steps = ids
            .iter()
            .map(|id| {
                saved
                    .steps
                    .iter()
                    .find(|(s, _)| s == id)
                    .map(|(_, t)| *t)
                    .unwrap_or_default()
            })
            .collect();
        Self {
            steps,
            journey: saved.journey,
            hours: saved.hours.iter().copied().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(at: Millis, kind: TransitionKind) -> Transition {
        Transition {
            at,
            user: 0,
            journey: 0,
            entry: 1,
            kind,
        }
    }

    #[test]
    fn entries_fall_in_their_utc_hour_and_control_is_counted_apart() {
        let mut tally = Tally::new(2);
        tally.add(&[
            t(HOUR_MS + 5, TransitionKind::Journey(Change::Entered)),
            t(HOUR_MS + 5, TransitionKind::Control),
            t(2 * HOUR_MS - 1, TransitionKind::Journey(Change::Entered)),
            t(2 * HOUR_MS, TransitionKind::Journey(Change::Entered)),
        ]);
        let hours: Vec<_> = tally.hours.into_iter().collect();
        assert_eq!(
            hours,
            vec![
                (
                    HOUR_MS,
                    HourEntries {
                        entered: 2,
                        control: 1
                    }
                ),
                (
                    2 * HOUR_MS,
                    HourEntries {
                        entered: 1,
                        control: 0
                    }
                ),
            ]
        );
    }

    #[test]
    fn conversions_count_for_each_branch_passed() {
        let mut tally = Tally::new(3);
        tally.add(&[
            t(1, TransitionKind::Goal),
            t(1, TransitionKind::Converted { step: 0 }),
            t(1, TransitionKind::Converted { step: 2 }),
        ]);
        let goals: Vec<u64> = tally.steps.iter().map(|s| s.goals).collect();
        assert_eq!(goals, [1, 0, 1]);
        assert_eq!(tally.journey.goal, 1);
    }

    #[test]
    fn a_saved_tally_follows_its_steps_by_id() {
        let mut tally = Tally::new(2);
        tally.add(&[t(
            1,
            TransitionKind::Step {
                step: 1,
                change: Change::Entered,
            },
        )]);
        let saved = tally.saved(&["entry".into(), "b".into()]);
        let moved = Tally::restored(&saved, &["entry".into(), "new".into(), "b".into()]);
        assert_eq!(moved.steps[2].entered, 1);
        assert_eq!(moved.steps[1], StepTotals::default());
        let mut sum = Tally::new(3);
        sum.merge(&moved);
        sum.merge(&moved);
        assert_eq!(sum.steps[2].entered, 2);
    }
}
