//! Computed attributes.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use waymark_engine::model::ComputedAttribute;

/// `GET /api/workspaces/{ws}/attributes`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AttributeList {
    /// Built by the runtime, one per attribute.
    #[schemars(with = "Vec<AttributeView>")]
    pub(crate) attributes: Vec<Value>,
}

/// A computed attribute: its definition (SPEC §5) with its workspace and times.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct AttributeView {
    #[serde(flatten)]
    definition: ComputedAttribute,
    workspace: String,
    created_at: String,
    updated_at: String,
}
