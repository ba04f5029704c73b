//! Computed attributes as a workspace defines them (SPEC §5), stored one document per
//! attribute in the workspace's collection. Every engine of the workspace keeps them for
//! every user; journeys and audiences read them with `{"attribute": NAME, ...}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use waymark_engine::model::ComputedAttribute;
use waymark_engine::time::Millis;

use crate::RuntimeError;

/// The collection of a workspace's computed attributes.
pub fn collection(workspace: &str) -> String {
    format!("attributes/{workspace}")
}

/// A stored computed attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeDoc {
    /// The workspace it belongs to.
    pub workspace: String,
    /// The definition of SPEC §5 (its `name` is the document's id).
    pub definition: Value,
    /// When it was defined.
    pub created_at: Millis,
    /// When its definition last changed.
    pub updated_at: Millis,
}

impl AttributeDoc {
    /// An attribute as read back from the store; an unreadable one is an error naming it.
    pub fn from_stored(name: &str, value: Value) -> Result<Self, RuntimeError> {
        let corrupt = |why: String| {
            RuntimeError::new(
                500,
                "corrupt_attribute",
                format!("the stored computed attribute `{name}` is unreadable: {why}"),
            )
        };
        let doc: Self = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
        doc.model().map_err(|e| corrupt(e.message))?;
        Ok(doc)
    }

    /// Its name.
    pub fn name(&self) -> &str {
        self.definition
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The engine's typed definition.
    pub fn model(&self) -> Result<ComputedAttribute, RuntimeError> {
        serde_json::from_value(self.definition.clone())
            .map_err(|e| RuntimeError::invalid("invalid_attribute", e.to_string()))
    }
}
