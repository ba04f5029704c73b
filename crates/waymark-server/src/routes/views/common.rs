//! Shapes several resources share.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema};
use serde::Serialize;
use serde_json::Value;

/// Who owns a journey, audience or output: the account (`"account"`) or one workspace
/// (`{"workspace": "<id>"}`), as the runtime's `Owner` serializes.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Owner {
    /// Made with the account token.
    Account,
    /// Made with a workspace's token.
    Workspace(String),
}

impl From<&waymark_runtime::Owner> for Owner {
    fn from(owner: &waymark_runtime::Owner) -> Self {
        match owner {
            waymark_runtime::Owner::Account => Self::Account,
            waymark_runtime::Owner::Workspace(ws) => Self::Workspace(ws.clone()),
        }
    }
}

/// Deliveries per status (`pending`, `failed`, `delivered`, `dead`, `discarded`).
pub(crate) type DeliveryCounts = BTreeMap<String, u64>;

/// Marks the nullable properties of an answer required unless they have a `default`
/// (`#[serde(default)]`): answers write `null` for a missing value rather than leaving the
/// field out, but schemars calls every `Option` field optional, and the UI's types should
/// tell "always there, maybe null" from "maybe absent". schemars writes a `default` only
/// for types that serialize, so a field that may be absent and whose type does not is
/// described as its inner type (`#[schemars(with = "T")]`) or as a plain `Vec`;
/// `tests/it/schemas.rs` catches a field this makes required that answers leave out.
pub(crate) fn present(schema: &mut Schema) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let mut required: Vec<Value> = schema
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (name, property) in properties {
        let name = Value::String(name.clone());
        if nullable(property) && property.get("default").is_none() && !required.contains(&name) {
            required.push(name);
        }
    }
    schema.insert("required".into(), Value::Array(required));
}

/// Whether a property's schema admits `null` (`Option` fields).
fn nullable(property: &Value) -> bool {
    let null = Value::from("null");
    match property.get("type") {
        Some(Value::Array(types)) => types.contains(&null),
        _ => property
            .get("anyOf")
            .and_then(Value::as_array)
            .is_some_and(|branches| branches.iter().any(|b| b.get("type") == Some(&null))),
    }
}
