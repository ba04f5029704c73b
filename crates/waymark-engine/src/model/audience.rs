//! Standalone audiences (SPEC §6): named criteria whose membership is kept live, with
//! connections like a step's.

use serde::{Deserialize, Serialize};

use super::criteria::Criteria;
use super::journey::{
    Branching, Connection, EntryOn, EntryStep, Journey, Reentry, Settings, first_version,
};

/// The id of the one step of the journey an audience is.
pub const AUDIENCE_ENTRY_STEP: &str = "entry";

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

impl Audience {
    /// The journey SPEC §6 says an audience is, and the live runtime runs it as: a live
    /// entry on qualify, re-entry after exit, `historical`, no steps, the audience's id (so
    /// that `member_of` the audience reads "in that journey").
    pub fn into_journey(self) -> Journey {
        Journey {
            id: self.id,
            name: self.name.clone(),
            description: None,
            inputs: self.inputs,
            entry: EntryStep {
                id: AUDIENCE_ENTRY_STEP.to_string(),
                name: self.name,
                criteria: Some(self.criteria),
                on: EntryOn::Qualify,
                live: true,
                historical: true,
                reentry: Reentry::AfterExit,
                start_at: None,
                end_at: None,
                connections: self.connections,
                branching: Branching::default(),
                timeout: None,
                steps: Vec::new(),
            },
            settings: Settings::default(),
            version: first_version(),
        }
    }
}
