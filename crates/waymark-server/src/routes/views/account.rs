//! `GET /api/account`.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// The account's limits and audience credits.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AccountView {
    /// The runtime's figures (`Runtime::account`).
    #[serde(flatten)]
    #[schemars(with = "Credits")]
    pub(crate) credits: Map<String, Value>,
    /// How many workspaces there are.
    pub(crate) workspaces: usize,
    pub(crate) limits: IngestLimits,
}

/// Audience credits and journey limits.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct Credits {
    active_audience_limit: u64,
    activated_audiences: u64,
    available_audiences: u64,
    published_journeys_per_workspace: u64,
    max_steps: u64,
}

/// Size limits on ingested messages (SPEC §2).
#[derive(Serialize, JsonSchema)]
pub(crate) struct IngestLimits {
    pub(crate) max_message_bytes: usize,
    pub(crate) max_batch_bytes: usize,
    pub(crate) max_batch_messages: usize,
}
