//! Small answers: health, ingestion, suppressions.

use schemars::JsonSchema;
use serde::Serialize;

/// `GET /healthz`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Health {
    /// `ok`.
    pub(crate) status: &'static str,
}

/// An accepted Segment call.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Ingested {
    /// Always true.
    pub(crate) success: bool,
}

/// `GET /api/workspaces/{ws}/suppressions`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Suppressed {
    /// Identifiers whose messages are dropped.
    pub(crate) suppressed: Vec<String>,
}
