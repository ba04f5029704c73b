//! Journeys: list lines, one journey with its versions, per-version figures, simulation.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use waymark_engine::model::Journey;
use waymark_engine::trace::TraceLine;
use waymark_runtime::stats::{Rate, Uplift};

use super::common::{DeliveryCounts, Owner, present};

/// `GET /api/journeys`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct JourneyList {
    /// Built by the runtime as JSON lines (`waymark_runtime::view::journey_summary`).
    #[schemars(with = "Vec<JourneyLine>")]
    pub(crate) journeys: Vec<Value>,
}

/// One line of the journey list: a summary, or (for the account token) a journey whose
/// stored document cannot be read.
#[derive(JsonSchema)]
#[serde(untagged)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
enum JourneyLine {
    Summary(JourneySummary),
    Corrupt(CorruptJourney),
}

#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct JourneySummary {
    id: String,
    name: Option<String>,
    status: VersionStatus,
    version: u32,
    draft_version: Option<u32>,
    owner: Owner,
    /// Audience credits its latest version uses (steps with an active connection).
    credits: u64,
}

/// A stored journey that fails to load, listed so that an operator sees it.
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct CorruptJourney {
    id: String,
    error: ErrorCode,
}

#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct ErrorCode {
    code: String,
    message: String,
}

/// A version's lifecycle state.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[expect(dead_code, reason = "only its JSON Schema is used")]
enum VersionStatus {
    Draft,
    Published,
    Stopped,
}

/// A journey with its versions, keys, audience statuses and backfill progress
/// (`waymark_runtime::view::journey`); `GET` adds the names that do not resolve.
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
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
    definition: Journey,
    /// Stable keys per step id.
    keys: BTreeMap<String, String>,
    /// Per step id: `active` (an active connection at or below it) or `estimated`.
    audiences: BTreeMap<String, String>,
    credits: u64,
    backfill: Option<Backfill>,
    created_at: String,
    /// Names the journey uses that do not resolve (only on `GET /api/journeys/{id}`).
    #[serde(default)]
    problems: Vec<ReferenceProblem>,
}

#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct VersionView {
    version: u32,
    status: VersionStatus,
    published_at: Option<String>,
    closed_at: Option<String>,
    stopped_at: Option<String>,
    historical: bool,
}

/// How far a historical publish has replayed stored events.
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct Backfill {
    /// `running` or `done`.
    state: String,
    processed: u64,
    total: u64,
}

/// A name a journey uses that does not resolve (`unknown_input`, `unknown_output`, …).
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct ReferenceProblem {
    code: String,
    name: String,
    message: String,
}

/// `GET /api/journeys/{id}/stats`: every version's figures, and deliveries per output.
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct JourneyStats {
    id: String,
    versions: Vec<VersionStats>,
    deliveries_by_output: BTreeMap<String, DeliveryCounts>,
}

/// One version's figures (also an audience's, under `stats`).
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
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
    #[serde(default)]
    conversion: Option<waymark_runtime::stats::Conversion>,
    steps: Vec<StepStats>,
}

#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
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
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(super) struct ConnectionStats {
    id: String,
    output: String,
    active: bool,
    deliveries: DeliveryCounts,
    /// The latest failed attempt of this connection's deliveries (null: none failed).
    last_error: Option<LastError>,
}

/// A delivery failure: when the record holding it was written, and the error.
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
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
