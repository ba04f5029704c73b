//! Computed attributes.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use waymark_engine::model::ComputedAttribute;
use waymark_engine::time::format_instant;
use waymark_runtime::attributes::AttributeDoc;

/// `GET /api/workspaces/{ws}/attributes`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AttributeList {
    pub(crate) attributes: Vec<AttributeView>,
}

/// A computed attribute: its definition (SPEC §5) with its workspace and times.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AttributeView {
    /// The definition as stored (the user's JSON).
    #[serde(flatten)]
    #[schemars(with = "ComputedAttribute")]
    definition: Map<String, Value>,
    workspace: String,
    created_at: String,
    updated_at: String,
}

impl From<AttributeDoc> for AttributeView {
    fn from(doc: AttributeDoc) -> Self {
        let mut definition = match doc.definition {
            Value::Object(fields) => fields,
            _ => Map::new(),
        };
        // The view's own fields win over the definition's.
        for field in ["workspace", "created_at", "updated_at"] {
            definition.remove(field);
        }
        Self {
            definition,
            workspace: doc.workspace,
            created_at: format_instant(doc.created_at),
            updated_at: format_instant(doc.updated_at),
        }
    }
}
