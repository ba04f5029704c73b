//! Journeys: the entry step, the step tree, connections and settings.

use serde::{Deserialize, Serialize};

use super::criteria::{Criteria, optional_instant};
use crate::time::{ClockTime, Day, Duration, Millis, SignedDuration};

/// A journey (SPEC §6).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Journey {
    /// Stable id; part of every hash and delivery id.
    pub id: String,
    /// Display name (at most 73 characters).
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Inputs whose events count; all inputs when empty.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// The root step.
    pub entry: EntryStep,
    /// Journey-wide rules.
    #[serde(default)]
    pub settings: Settings,
    /// Version number (stamped by the server; 1 for a file).
    #[serde(default = "first_version")]
    pub version: u32,
}

pub(super) fn first_version() -> u32 {
    1
}

/// The entry step: who enters, when, and how they move on.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryStep {
    /// Always `entry`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Entry criteria; none means every profile enters when it first appears.
    pub criteria: Option<Criteria>,
    /// Enter when the criteria turn true (`qualify`) or on each matching event (`event`).
    #[serde(default)]
    pub on: EntryOn,
    /// Leave as soon as the entry criteria stop holding.
    #[serde(default)]
    pub live: bool,
    /// On publish, evaluate the criteria over stored history.
    #[serde(default)]
    pub historical: bool,
    /// Whether and when a user who left may enter again.
    #[serde(default)]
    pub reentry: Reentry,
    /// No entries before this instant.
    #[serde(
        default,
        deserialize_with = "optional_instant",
        serialize_with = "super::criteria::write_optional_instant"
    )]
    #[schemars(with = "Option<String>")]
    pub start_at: Option<Millis>,
    /// No entries at or after this instant.
    #[serde(
        default,
        deserialize_with = "optional_instant",
        serialize_with = "super::criteria::write_optional_instant"
    )]
    #[schemars(with = "Option<String>")]
    pub end_at: Option<Millis>,
    /// Outputs that hear of the entry step's audience.
    #[serde(default)]
    pub connections: Vec<Connection>,
    /// How the children are chosen.
    #[serde(default)]
    pub branching: Branching,
    /// With `wait` branching: when the `remaining` child takes over.
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Duration>,
    /// Children, left to right.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// What makes a user enter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EntryOn {
    /// When the entry criteria turn from false to true.
    #[default]
    Qualify,
    /// On each event matching an event condition of the entry criteria while they hold.
    Event,
}

/// Whether a user who left may enter again.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Reentry {
    /// Only users who never entered.
    #[default]
    Never,
    /// Any time after leaving.
    AfterExit,
    /// This long after leaving.
    Cooldown(#[schemars(with = "String")] Duration),
}

/// A step below the entry.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique within the journey.
    pub id: String,
    /// Display name (at most 170 characters).
    pub name: String,
    /// What the step does.
    #[serde(rename = "type")]
    pub kind: StepKind,
    /// Milestone criteria (its guard).
    pub criteria: Option<Criteria>,
    /// What a wait step waits for.
    pub wait: Option<Wait>,
    /// Share of users, as a child of a `random` step.
    pub weight: Option<u32>,
    /// Outputs that hear of this step's audience.
    #[serde(default)]
    pub connections: Vec<Connection>,
    /// How the children are chosen.
    #[serde(default)]
    pub branching: Branching,
    /// With `wait` branching: when the `remaining` child takes over.
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Duration>,
    /// Children, left to right.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// The kind of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Reached when its criteria hold.
    Milestone,
    /// The path of users no sibling took.
    Remaining,
    /// Holds the user for a time.
    Wait,
    /// Carries connections.
    Send,
    /// Leaves the journey.
    Exit,
}

/// How a step's children are chosen.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Branching {
    /// Stay until a child's guard holds; leftmost wins.
    #[default]
    Wait,
    /// Decide once on arrival: leftmost holding, else remaining, else stay.
    Decide,
    /// Every holding child, else remaining.
    All,
    /// One child by weight, by a stable hash.
    Random,
    /// At the leftmost holding child for exactly as long as it holds.
    Live,
}

/// What a wait step waits for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Wait {
    /// A fixed time after reaching the step.
    Duration(#[schemars(with = "String")] Duration),
    /// A local time, a fixed instant, or a time held in a trait.
    Until(Until),
}

/// The moment a wait ends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum Until {
    /// The next such local time, on one of `days`, in the user's time zone.
    LocalTime {
        /// Local clock time.
        #[schemars(with = "String")]
        time: ClockTime,
        /// Allowed days (every day when empty).
        #[serde(default)]
        #[schemars(with = "Vec<String>")]
        days: Vec<Day>,
    },
    /// A fixed instant.
    At {
        /// The instant.
        #[serde(
            deserialize_with = "super::criteria::required_instant",
            serialize_with = "super::criteria::write_instant"
        )]
        #[schemars(with = "String")]
        at: Millis,
    },
    /// The time held in a trait, plus an offset.
    Trait {
        /// Trait path holding an RFC 3339 time.
        #[serde(rename = "trait")]
        path: String,
        /// Added to the trait's time (negative: before it).
        #[schemars(with = "Option<String>")]
        offset: Option<SignedDuration>,
    },
}

/// A link from a step's audience to an output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Unique within the journey.
    pub id: String,
    /// The output's id.
    pub output: String,
    /// Only active connections deliver.
    pub active: bool,
    /// How membership is sent.
    pub mode: ConnectionMode,
    /// Trait paths (`plan`, `address.city`) whose values every message of this connection
    /// carries, so that downstream tools can personalise (SPEC §8).
    #[serde(default)]
    pub traits: Vec<String>,
}

/// How a connection sends membership changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionMode {
    /// `track` `Audience Entered` / `Audience Exited`.
    Event,
    /// `identify` with a boolean trait.
    Identify,
    /// Add to and remove from a list.
    List,
}

/// Journey-wide rules.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Leave at once when this holds.
    pub exit: Option<Criteria>,
    /// The longest a user stays in the journey.
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Duration>,
    /// What counts as converting.
    pub goal: Option<Goal>,
    /// Share of entrants held out.
    pub control_group: Option<ControlGroup>,
    /// No sends inside this local-time window.
    pub quiet_hours: Option<QuietHours>,
    /// At most this many delivering sends per user per period.
    pub frequency_cap: Option<FrequencyCap>,
    /// Time zone for users without a `timezone` trait or context.
    pub timezone: Option<String>,
}

/// The journey's goal.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    /// Converting means these criteria hold.
    pub criteria: Criteria,
    /// Only within this long after entry.
    #[schemars(with = "Option<String>")]
    pub within: Option<Duration>,
    /// Leave the journey on converting.
    #[serde(default)]
    pub exit_on_goal: bool,
}

/// The control group.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlGroup {
    /// Percent of entrants, 0–50.
    pub percent: f64,
}

/// Quiet hours for send steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Local time the window opens.
    #[schemars(with = "String")]
    pub start: ClockTime,
    /// Local time the window closes.
    #[schemars(with = "String")]
    pub end: ClockTime,
    /// What happens to a user who would reach a send step inside the window.
    pub fallback: QuietFallback,
}

/// What quiet hours do to a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuietFallback {
    /// Wait at the parent until the window ends.
    Delay,
    /// Pass through without deliveries.
    Skip,
}

/// The frequency cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrequencyCap {
    /// Most delivering sends in any window of `per`.
    pub max: u32,
    /// The sliding window.
    #[schemars(with = "String")]
    pub per: Duration,
}
