//! `GET /api/account`.

use schemars::JsonSchema;
use serde::Serialize;

/// The account's limits and audience credits.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AccountView {
    /// The runtime's figures (`Runtime::account`).
    #[serde(flatten)]
    pub(crate) credits: Credits,
    /// How many workspaces there are.
    pub(crate) workspaces: usize,
    pub(crate) limits: IngestLimits,
}

/// Audience credits and journey limits.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Credits {
    active_audience_limit: u64,
    activated_audiences: u64,
    available_audiences: u64,
    published_journeys_per_workspace: u64,
    max_steps: u64,
}

impl From<waymark_runtime::Credits> for Credits {
    fn from(c: waymark_runtime::Credits) -> Self {
        Self {
            active_audience_limit: c.active_audience_limit as u64,
            activated_audiences: c.activated_audiences as u64,
            available_audiences: c.available_audiences as u64,
            published_journeys_per_workspace: c.published_journeys_per_workspace as u64,
            max_steps: c.max_steps as u64,
        }
    }
}

/// Size limits on ingested messages (SPEC §2).
#[derive(Serialize, JsonSchema)]
pub(crate) struct IngestLimits {
    pub(crate) max_message_bytes: usize,
    pub(crate) max_batch_bytes: usize,
    pub(crate) max_batch_messages: usize,
}
