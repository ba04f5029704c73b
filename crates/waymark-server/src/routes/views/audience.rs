//! Standalone audiences and their members.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use waymark_engine::model::{Connection, Criteria};

use super::common::{DeliveryCounts, Owner, present};
use super::journey::ConnectionStats;

/// `GET /api/audiences`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct AudienceList {
    /// Built by the runtime, one per audience.
    #[schemars(with = "Vec<AudienceView>")]
    pub(crate) audiences: Vec<Value>,
}

/// An audience: its definition (SPEC §6), key, owner, times, size and figures.
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct AudienceView {
    id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    /// Absent when the audience reads every input.
    #[serde(default)]
    inputs: Vec<String>,
    criteria: Criteria,
    /// Absent when the audience has none.
    #[serde(default)]
    connections: Vec<Connection>,
    /// The stable key deliveries name it by.
    key: String,
    owner: Owner,
    created_at: String,
    updated_at: String,
    /// Always `live`.
    status: String,
    /// Members now.
    size: u64,
    stats: AudienceStats,
}

/// An audience's figures: size now, joins and leaves since the runtime started, and each
/// connection with its delivery counts.
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct AudienceStats {
    size: u64,
    entered: u64,
    exited: u64,
    connections: Vec<ConnectionStats>,
    /// Absent while the audience has no engine running.
    #[serde(default)]
    deliveries_by_output: Option<BTreeMap<String, DeliveryCounts>>,
}

/// `GET /api/audiences/{id}/members`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct AudienceMembersPage {
    #[schemars(with = "Vec<AudienceMember>")]
    pub(crate) members: Vec<Value>,
    /// Pass as `cursor` for the next page; `null` at the end.
    pub(crate) next_cursor: Option<u64>,
}

/// A profile in an audience.
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct AudienceMember {
    workspace: String,
    key: String,
    user_id: Option<String>,
    anonymous_id: Option<String>,
    entry_number: u32,
    entered_at: Option<String>,
}
