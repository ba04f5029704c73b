//! One journey version's figures (SPEC §11): who is where, entries and exits per step and
//! for the journey, each step's conversion from its parent, and goal conversion per branch
//! and for control with the uplift against control.
//!
//! Conversion counts entries, not people: a user who enters twice is two trials. Control
//! is compared at the entry, as CleverTap does: every user in the journey outside control
//! is in the entry's audience, so the entry's conversions are the journey's and the rest of
//! the goal conversions are control's. A branch's conversions are those of users in its
//! audience when they converted (the branches they passed, SPEC §7; with `live`
//! branching, the branch they are in at that moment).

use serde::{Deserialize, Serialize};

use super::interval::{Rate, Uplift};
use crate::tally::Tally;

/// One version's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VersionStats {
    /// The version number.
    pub version: u32,
    /// `running`, or how it ended (`stopped`).
    pub state: String,
    /// Users in the journey now, outside control.
    pub in_journey: u64,
    /// Users in the journey now as control.
    pub control: u64,
    /// Entries, control included.
    pub entered: u64,
    /// Exits.
    pub exited: u64,
    /// Goal conversions, control included.
    pub goal: u64,
    /// Goal conversion in the journey and in control, and the uplift. Absent from figures
    /// kept by versions stopped before it was counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<Conversion>,
    /// Per step, in the engine's order (the entry first).
    pub steps: Vec<StepStats>,
}

/// Goal conversion in the journey and in control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Conversion {
    /// Entries outside control.
    pub journey: Arm,
    /// Entries held out as control.
    pub control: Arm,
    /// The journey's rate minus control's; none until both have entries.
    pub uplift: Option<Uplift>,
}

/// Entries of one group and how many reached the goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Arm {
    /// Entries.
    pub entries: u64,
    /// Of which reached the goal.
    pub goals: u64,
    /// Goals over entries; none without entries.
    pub rate: Option<Rate>,
}

/// One step's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepStats {
    /// Step id.
    pub step: String,
    /// The step's output key.
    pub key: Option<String>,
    /// The parent step's id (none for the entry).
    #[serde(default)]
    pub parent: Option<String>,
    /// Profiles at the step now.
    pub at: u64,
    /// Profiles in the step's audience now.
    pub audience: u64,
    /// Entries into the step's audience.
    pub entered: u64,
    /// Exits from it.
    pub exited: u64,
    /// Entries here over entries into the parent; none for the entry or when the parent
    /// has none.
    #[serde(default)]
    pub conversion_from_parent: Option<f64>,
    /// Goal conversions of users who passed the step.
    #[serde(default)]
    pub goals: u64,
    /// Those conversions over the step's entries.
    #[serde(default)]
    pub goal_rate: Option<Rate>,
    /// The step's goal rate minus control's.
    #[serde(default)]
    pub uplift: Option<Uplift>,
    /// The step's connections (their deliveries are counted apart, in the outbox).
    pub connections: Vec<StepConnection>,
}

/// A step's connection: the output it feeds and whether it is active.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepConnection {
    /// The connection id.
    pub id: String,
    /// The output it delivers to.
    pub output: String,
    /// Whether it uses an audience credit and sends.
    pub active: bool,
}

/// What is live about a step: who is there now, and its connections.
pub struct StepNow {
    /// Profiles at the step.
    pub at: u64,
    /// Profiles in its audience.
    pub audience: u64,
    /// Its connections.
    pub connections: Vec<StepConnection>,
}

/// The steps of a version: ids, keys and parents by index.
pub struct StepTree<'a> {
    /// Step ids by index.
    pub ids: &'a [String],
    /// Output keys by index.
    pub keys: Vec<Option<String>>,
    /// Parents by index.
    pub parents: &'a [Option<u16>],
}

impl VersionStats {
    /// The figures of a version from what it counted and who is where now.
    pub fn build(
        version: u32,
        state: &str,
        (in_journey, control): (u64, u64),
        tree: StepTree<'_>,
        now: Vec<StepNow>,
        tally: &Tally,
    ) -> Self {
        let j = &tally.journey;
        let entered = |i: usize| tally.steps.get(i).map_or(0, |t| t.entered);
        let in_goals = tally.steps.first().map_or(0, |t| t.goals);
        let control_arm = Arm::of(j.goal.saturating_sub(in_goals), j.control);
        let steps = now
            .into_iter()
            .enumerate()
            .map(|(i, now)| {
                let totals = tally.steps.get(i).copied().unwrap_or_default();
                let parent = tree.parents.get(i).copied().flatten().map(usize::from);
                StepStats {
                    step: tree.ids[i].clone(),
                    key: tree.keys[i].clone(),
                    parent: parent.map(|p| tree.ids[p].clone()),
                    at: now.at,
                    audience: now.audience,
                    entered: totals.entered,
                    exited: totals.exited,
                    conversion_from_parent: parent.and_then(|p| share(totals.entered, entered(p))),
                    goals: totals.goals,
                    goal_rate: Rate::of(totals.goals, totals.entered),
                    uplift: Uplift::of(
                        totals.goals,
                        totals.entered,
                        control_arm.goals,
                        control_arm.entries,
                    ),
                    connections: now.connections,
                }
            })
            .collect();
        let journey_arm = Arm::of(in_goals, j.entered.saturating_sub(j.control));
        Self {
            version,
            state: state.to_string(),
            in_journey,
            control,
            entered: j.entered,
            exited: j.exited,
            goal: j.goal,
            conversion: Some(Conversion {
                uplift: Uplift::of(
                    journey_arm.goals,
                    journey_arm.entries,
                    control_arm.goals,
                    control_arm.entries,
                ),
                journey: journey_arm,
                control: control_arm,
            }),
            steps,
        }
    }
}

impl Arm {
    fn of(goals: u64, entries: u64) -> Self {
        Self {
            entries,
            goals,
            rate: Rate::of(goals, entries),
        }
    }
}

/// `part / whole`, none when `whole` is 0.
pub fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}
