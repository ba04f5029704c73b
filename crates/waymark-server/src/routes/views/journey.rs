//! Journeys: list lines, one journey with its versions, per-version figures, simulation.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use waymark_engine::model::Journey;
use waymark_engine::time::format_instant;
use waymark_engine::trace::TraceLine;
use waymark_runtime::journeys::references::Problem;
use waymark_runtime::journeys::{JourneyAnswer, JourneyDoc, VersionDoc, rules};
use waymark_runtime::shared::Progress;
use waymark_runtime::stats::{self, DeliveryFigures, Rate, StepConnection, Uplift};

use super::common::{DeliveryCounts, Owner, present};

/// `GET /api/journeys`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct JourneyList {
    pub(crate) journeys: Vec<JourneyLine>,
}

impl JourneyList {
    pub(crate) fn new(lines: Vec<waymark_runtime::journeys::JourneyLine>) -> Self {
        Self {
            journeys: lines.into_iter().map(JourneyLine::from).collect(),
        }
    }
}

/// One line of the journey list: a summary, or (for the account token) a journey whose
/// stored document cannot be read.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum JourneyLine {
    Summary(JourneySummary),
    Corrupt(CorruptJourney),
}

impl From<waymark_runtime::journeys::JourneyLine> for JourneyLine {
    fn from(line: waymark_runtime::journeys::JourneyLine) -> Self {
        use waymark_runtime::journeys::JourneyLine as Line;
        match line {
            Line::Journey(doc) => Self::Summary(JourneySummary::from(&doc)),
            Line::Unreadable { id, error } => Self::Corrupt(CorruptJourney {
                id,
                error: ErrorCode {
                    code: error.code.to_string(),
                    message: error.message,
                },
            }),
        }
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct JourneySummary {
    id: String,
    name: Option<String>,
    status: VersionStatus,
    version: u32,
    draft_version: Option<u32>,
    owner: Owner,
    /// Audience credits its latest version uses (steps with an active connection).
    credits: u64,
}

impl From<&JourneyDoc> for JourneySummary {
    fn from(doc: &JourneyDoc) -> Self {
        let latest = doc.latest();
        Self {
            id: doc.id.clone(),
            name: latest.definition.name().map(str::to_string),
            status: doc.status().into(),
            version: latest.version,
            draft_version: doc.draft_version(),
            owner: (&doc.owner).into(),
            credits: credits(latest),
        }
    }
}

/// A stored journey that fails to load, listed so that an operator sees it.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct CorruptJourney {
    id: String,
    error: ErrorCode,
}

#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct ErrorCode {
    code: String,
    message: String,
}

/// A version's lifecycle state.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum VersionStatus {
    Draft,
    Published,
    Stopped,
}

impl From<waymark_runtime::journeys::VersionStatus> for VersionStatus {
    fn from(status: waymark_runtime::journeys::VersionStatus) -> Self {
        use waymark_runtime::journeys::VersionStatus as Status;
        match status {
            Status::Draft => Self::Draft,
            Status::Published => Self::Published,
            Status::Stopped => Self::Stopped,
        }
    }
}

/// Audience credits a version uses (none for a draft the engine's model does not read).
fn credits(version: &VersionDoc) -> u64 {
    version
        .definition
        .model()
        .map_or(0, |journey| rules::active_audiences(&journey) as u64)
}

/// A journey with its versions, keys, audience statuses and backfill progress; `GET` adds
/// the names that do not resolve.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct JourneyView {
    id: String,
    name: Option<String>,
    status: VersionStatus,
    version: u32,
    latest_status: VersionStatus,
    draft_version: Option<u32>,
    owner: Owner,
    versions: Vec<VersionView>,
    /// The latest version's journey JSON (SPEC §6).
    #[schemars(with = "Journey")]
    definition: Value,
    /// Stable keys per step id.
    keys: BTreeMap<String, String>,
    /// Per step id: `active` (an active connection at or below it) or `estimated`.
    audiences: BTreeMap<String, String>,
    credits: u64,
    backfill: Option<Backfill>,
    created_at: String,
    /// Names the journey uses that do not resolve (only on `GET /api/journeys/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<ReferenceProblem>")]
    problems: Option<Vec<ReferenceProblem>>,
}

impl JourneyView {
    /// The version edits reach.
    pub(crate) fn version(&self) -> u32 {
        self.version
    }
}

impl From<JourneyAnswer> for JourneyView {
    fn from(answer: JourneyAnswer) -> Self {
        let JourneyAnswer {
            doc,
            backfill,
            problems,
        } = answer;
        let status = doc.status().into();
        let draft_version = doc.draft_version();
        let latest = doc.latest();
        let (version, latest_status) = (latest.version, latest.status.into());
        let name = latest.definition.name().map(str::to_string);
        // A draft the engine's model does not read has no audiences to show.
        let audiences = latest
            .definition
            .model()
            .map(|journey| rules::audience_statuses(&journey))
            .unwrap_or_default()
            .into_iter()
            .map(|(step, status)| (step, status.to_string()))
            .collect();
        let credits = credits(latest);
        let versions = doc.versions.iter().map(VersionView::from).collect();
        let definition = latest.definition.json().clone();
        Self {
            id: doc.id,
            name,
            status,
            version,
            latest_status,
            draft_version,
            owner: (&doc.owner).into(),
            versions,
            definition,
            keys: doc.keys,
            audiences,
            credits,
            backfill: backfill.map(Backfill::from),
            created_at: format_instant(doc.created_at),
            problems: problems.map(|p| p.into_iter().map(ReferenceProblem::from).collect()),
        }
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct VersionView {
    version: u32,
    status: VersionStatus,
    published_at: Option<String>,
    closed_at: Option<String>,
    stopped_at: Option<String>,
    historical: bool,
}

impl From<&VersionDoc> for VersionView {
    fn from(v: &VersionDoc) -> Self {
        Self {
            version: v.version,
            status: v.status.into(),
            published_at: v.published_at.map(format_instant),
            closed_at: v.closed_at.map(format_instant),
            stopped_at: v.stopped_at.map(format_instant),
            historical: v.historical,
        }
    }
}

/// How far a historical publish has replayed stored events.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct Backfill {
    /// `running` or `done`.
    state: String,
    processed: u64,
    total: u64,
}

impl From<Progress> for Backfill {
    fn from(p: Progress) -> Self {
        let state = if p.processed >= p.total {
            "done"
        } else {
            "running"
        };
        Self {
            state: state.to_string(),
            processed: p.processed as u64,
            total: p.total as u64,
        }
    }
}

/// A name a journey uses that does not resolve (`unknown_input`, `unknown_output`, …).
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct ReferenceProblem {
    code: String,
    name: String,
    message: String,
}

impl From<Problem> for ReferenceProblem {
    fn from(p: Problem) -> Self {
        Self {
            code: p.code.to_string(),
            name: p.name,
            message: p.message,
        }
    }
}

/// `GET /api/journeys/{id}/stats`: every version's figures, and deliveries per output.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct JourneyStats {
    id: String,
    versions: Vec<VersionStats>,
    deliveries_by_output: BTreeMap<String, DeliveryCounts>,
}

impl From<stats::JourneyStats> for JourneyStats {
    fn from(s: stats::JourneyStats) -> Self {
        let deliveries = &s.deliveries;
        Self {
            versions: s
                .versions
                .into_iter()
                .map(|v| VersionStats::new(v, deliveries))
                .collect(),
            deliveries_by_output: deliveries.by_output(),
            id: s.id,
        }
    }
}

/// One version's figures (also an audience's, under `stats`).
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(super) struct VersionStats {
    version: u32,
    /// `running`, or how it ended.
    state: String,
    in_journey: u64,
    control: u64,
    entered: u64,
    exited: u64,
    goal: u64,
    /// Absent from the figures of versions stopped before conversion was counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    conversion: Option<waymark_runtime::stats::Conversion>,
    steps: Vec<StepStats>,
}

impl VersionStats {
    /// A version's figures with its connections' deliveries.
    fn new(v: stats::VersionStats, deliveries: &DeliveryFigures) -> Self {
        let version = v.version;
        Self {
            version,
            state: v.state,
            in_journey: v.in_journey,
            control: v.control,
            entered: v.entered,
            exited: v.exited,
            goal: v.goal,
            conversion: v.conversion,
            steps: v
                .steps
                .into_iter()
                .map(|s| StepStats {
                    connections: ConnectionStats::all(&s.connections, version, deliveries),
                    step: s.step,
                    key: s.key,
                    at: s.at,
                    audience: s.audience,
                    entered: s.entered,
                    exited: s.exited,
                    parent: s.parent,
                    conversion_from_parent: s.conversion_from_parent,
                    goals: s.goals,
                    goal_rate: s.goal_rate,
                    uplift: s.uplift,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct StepStats {
    step: String,
    key: Option<String>,
    /// Profiles at the step now.
    at: u64,
    /// Profiles in the step's audience now.
    audience: u64,
    entered: u64,
    exited: u64,
    /// The parent step's id (null for the entry).
    parent: Option<String>,
    /// Entries over the parent's entries.
    conversion_from_parent: Option<f64>,
    /// Goal conversions of users who passed the step.
    goals: u64,
    /// Goal conversions over entries, with a Wilson 95 % interval.
    goal_rate: Option<Rate>,
    /// Goal rate minus control's, with a Newcombe 95 % interval.
    uplift: Option<Uplift>,
    connections: Vec<ConnectionStats>,
}

/// A connection with its delivery counts.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(super) struct ConnectionStats {
    id: String,
    output: String,
    active: bool,
    deliveries: DeliveryCounts,
    /// The latest failed attempt of this connection's deliveries (null: none failed).
    last_error: Option<LastError>,
}

impl ConnectionStats {
    /// `connections` of `version`, each with its deliveries.
    pub(super) fn all(
        connections: &[StepConnection],
        version: u32,
        deliveries: &DeliveryFigures,
    ) -> Vec<Self> {
        connections
            .iter()
            .map(|c| {
                let of = deliveries.of(version, c);
                Self {
                    id: c.id.clone(),
                    output: c.output.clone(),
                    active: c.active,
                    deliveries: of.counts,
                    last_error: of.last_error.map(|e| LastError {
                        at: format_instant(e.at),
                        message: e.message.clone(),
                    }),
                }
            })
            .collect()
    }
}

/// A delivery failure: when the record holding it was written, and the error.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct LastError {
    at: String,
    message: String,
}

/// `POST /api/journeys/{id}/simulate`: the NDJSON trace of SPEC §12 as a list.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct Trace {
    pub(crate) trace: Vec<TraceLine>,
}
