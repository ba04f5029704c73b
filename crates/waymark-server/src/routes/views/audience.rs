//! Standalone audiences and their members.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use waymark_engine::model::{Connection, Criteria};
use waymark_engine::time::format_instant;
use waymark_runtime::{AudienceAnswer, AudienceFigures};

use super::common::{DeliveryCounts, Owner, present};
use super::journey::ConnectionStats;

/// `GET /api/audiences`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct AudienceList {
    pub(crate) audiences: Vec<AudienceView>,
}

/// An audience: its definition (SPEC §6), key, owner, times, size and figures.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct AudienceView {
    /// The audience JSON as made (its `id`, inputs resolved to `workspace/input`).
    #[serde(flatten)]
    #[schemars(with = "AudienceDefinition")]
    definition: Map<String, Value>,
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

impl From<AudienceAnswer> for AudienceView {
    fn from(answer: AudienceAnswer) -> Self {
        let size = answer.size();
        let AudienceAnswer { doc, figures } = answer;
        let mut definition = match doc.definition {
            Value::Object(fields) => fields,
            _ => Map::new(),
        };
        // The view's own fields win over the definition's.
        for field in [
            "key",
            "owner",
            "created_at",
            "updated_at",
            "status",
            "size",
            "stats",
        ] {
            definition.remove(field);
        }
        definition.insert("id".into(), Value::String(doc.id));
        Self {
            definition,
            key: doc.key,
            owner: (&doc.owner).into(),
            created_at: format_instant(doc.created_at),
            updated_at: format_instant(doc.updated_at),
            status: "live".into(),
            size,
            stats: figures.into(),
        }
    }
}

/// What an audience's definition holds (SPEC §6).
#[derive(JsonSchema)]
#[schemars(transform = present)]
#[expect(
    dead_code,
    reason = "only its JSON Schema is used: the definition is the user's JSON"
)]
struct AudienceDefinition {
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
}

/// An audience's figures: size now, joins and leaves since the runtime started, and each
/// connection with its delivery counts.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct AudienceStats {
    size: u64,
    entered: u64,
    exited: u64,
    connections: Vec<ConnectionStats>,
    /// Absent while the audience has no engine running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    deliveries_by_output: Option<BTreeMap<String, DeliveryCounts>>,
}

impl From<Option<AudienceFigures>> for AudienceStats {
    fn from(figures: Option<AudienceFigures>) -> Self {
        let Some(AudienceFigures { stats, deliveries }) = figures else {
            return Self {
                size: 0,
                entered: 0,
                exited: 0,
                connections: Vec::new(),
                deliveries_by_output: None,
            };
        };
        let connections = stats.steps.first().map_or_else(Vec::new, |step| {
            ConnectionStats::all(&step.connections, stats.version, &deliveries)
        });
        Self {
            size: stats.in_journey,
            entered: stats.entered,
            exited: stats.exited,
            connections,
            deliveries_by_output: Some(deliveries.by_output()),
        }
    }
}

/// `GET /api/audiences/{id}/members`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct AudienceMembersPage {
    pub(crate) members: Vec<AudienceMember>,
    /// Pass as `cursor` for the next page; `null` at the end.
    pub(crate) next_cursor: Option<u64>,
}

/// A profile in an audience.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct AudienceMember {
    workspace: String,
    key: String,
    user_id: Option<String>,
    anonymous_id: Option<String>,
    entry_number: u32,
    entered_at: Option<String>,
}

impl From<waymark_runtime::AudienceMember> for AudienceMember {
    fn from(m: waymark_runtime::AudienceMember) -> Self {
        Self {
            workspace: m.workspace,
            key: m.key,
            user_id: m.user_id,
            anonymous_id: m.anonymous_id,
            entry_number: m.entry_number,
            entered_at: Some(format_instant(m.entered_at)),
        }
    }
}
