//! Standalone audiences (SPEC §6): named criteria whose membership is kept live, with
//! connections like a step's.

use serde::{Deserialize, Serialize};

use super::criteria::Criteria;
use super::journey::Connection;

/// A standalone audience: a user is a member exactly while its criteria hold.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Stable id; `{"member_of": {"audience": ID}}` refers to it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Inputs whose events count; all inputs when empty.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Who is a member.
    pub criteria: Criteria,
    /// Outputs that hear of members entering and leaving.
    #[serde(default)]
    pub connections: Vec<Connection>,
}
