//! Shapes several resources share.

use std::collections::BTreeMap;

use schemars::JsonSchema;

/// Who owns a journey, audience or output: the account (`"account"`) or one workspace
/// (`{"workspace": "<id>"}`), as the runtime's `Owner` serializes.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) enum Owner {
    /// Made with the account token.
    Account,
    /// Made with a workspace's token.
    Workspace(String),
}

/// Deliveries per status (`pending`, `failed`, `delivered`, `dead`, `discarded`).
pub(crate) type DeliveryCounts = BTreeMap<String, u64>;
