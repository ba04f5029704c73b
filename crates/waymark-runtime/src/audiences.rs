//! Standalone audiences as stored (SPEC §6): named criteria whose membership is kept live,
//! with connections like a step's.
//!
//! An audience runs in the workspace engines as what SPEC §6 says it is: a journey with a
//! live entry (`on: qualify`), re-entry after exit and no steps, evaluated over stored
//! history when made. [`AudienceDoc::as_journey`] gives that journey, whose id is the
//! audience's: `{"member_of": {"audience": ID}}` then reads "in that journey", and every
//! delivery, list, count and CSV path of journeys serves audiences unchanged. Journey and
//! audience ids therefore share one namespace (the API refuses a taken id).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use waymark_engine::model::{AUDIENCE_ENTRY_STEP, Audience};
use waymark_engine::time::Millis;

use crate::RuntimeError;
use crate::journeys::doc::Published;
use crate::journeys::{Definition, JourneyDoc, VersionDoc, VersionStatus};
use crate::owner::Owner;

/// The collection audiences are stored in.
pub const COLLECTION: &str = "audiences";

/// The id of the one step an audience's journey has.
pub const ENTRY_STEP: &str = AUDIENCE_ENTRY_STEP;

/// A stored audience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudienceDoc {
    /// The audience id (also the id of the journey it runs as).
    pub id: String,
    /// The audience JSON of SPEC §6, inputs resolved to `workspace/input`.
    pub definition: Value,
    /// Its output key, made once from the first name and kept across renames.
    pub key: String,
    /// Who owns it.
    pub owner: Owner,
    /// When it was made: it runs, over stored history, from then on.
    pub created_at: Millis,
    /// When it was last changed.
    pub updated_at: Millis,
    /// Per connection id: since when it has been active (changes before are not delivered
    /// when history is replayed).
    #[serde(default)]
    pub active_since: BTreeMap<String, Millis>,
    /// How many times an audience with this id has been made: the version number of the
    /// journey it runs as, so that the deliveries of an audience made again after a
    /// deletion never share an outbox id with the deleted one's.
    #[serde(default = "first")]
    pub generation: u32,
    /// When it was deleted: the record stays, as a tombstone, only to count generations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Millis>,
}

fn first() -> u32 {
    1
}

impl AudienceDoc {
    /// An audience as read back from the store; an unreadable record is an error naming it.
    pub fn from_stored(id: &str, value: Value) -> Result<Self, RuntimeError> {
        serde_json::from_value(value).map_err(|e| {
            RuntimeError::new(
                500,
                "corrupt_audience",
                format!("the stored audience `{id}` is unreadable: {e}"),
            )
        })
    }

    /// The audience's name.
    pub fn name(&self) -> &str {
        self.definition
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The audience as the engine's model (the estimator runs audiences natively); `None`
    /// when the stored definition does not read as one.
    pub fn model(&self) -> Option<Audience> {
        let d = &self.definition;
        Some(Audience {
            id: self.id.clone(),
            name: self.name().to_string(),
            description: None,
            inputs: serde_json::from_value(d.get("inputs").cloned().unwrap_or_else(|| json!([])))
                .ok()?,
            criteria: serde_json::from_value(d.get("criteria")?.clone()).ok()?,
            connections: Vec::new(),
        })
    }

    /// The journey the audience runs as, and its one version (published when the audience
    /// was made, `historical`: members are whoever the criteria hold for then). A
    /// definition that does not read as an audience is an error naming it.
    pub fn as_journey(&self) -> Result<(JourneyDoc, VersionDoc), RuntimeError> {
        let unreadable = |why: String| {
            RuntimeError::new(
                500,
                "corrupt_audience",
                format!("the audience `{}` is unreadable: {why}", self.id),
            )
        };
        let audience: Audience = serde_json::from_value(self.definition.clone())
            .map_err(|e| unreadable(e.to_string()))?;
        // The runner's version is the generation; the journey keeps the model's own.
        let journey = Audience {
            id: self.id.clone(),
            ..audience
        }
        .into_journey();
        let published = Published::built(journey).map_err(|e| unreadable(e.to_string()))?;
        let version = VersionDoc {
            version: self.generation,
            status: VersionStatus::Published,
            definition: Definition::Published(Box::new(published)),
            published_at: Some(self.created_at),
            historical: true,
            closed_at: None,
            stopped_at: None,
            active_since: self.active_since.clone(),
            final_stats: None,
            final_tally: None,
        };
        let journey = JourneyDoc {
            id: self.id.clone(),
            versions: vec![version.clone()],
            keys: BTreeMap::from([(ENTRY_STEP.to_string(), self.key.clone())]),
            created_at: self.created_at,
            owner: self.owner.clone(),
        };
        Ok((journey, version))
    }
}

#[cfg(test)]
mod tests {
    use waymark_engine::model::{Journey, Reentry};

    use super::*;

    fn doc() -> AudienceDoc {
        AudienceDoc {
            id: "vip".into(),
            definition: json!({
                "id": "vip", "name": "VIP", "inputs": ["ws/web"],
                "criteria": {"event": "Order Completed", "count": {"op": ">=", "value": 3}},
                "connections": [{"id": "c1", "output": "hook", "active": true, "mode": "event"}],
            }),
            key: "a_vip_cba53b".into(),
            owner: Owner::Workspace("ws".into()),
            created_at: 1_000,
            updated_at: 1_000,
            active_since: BTreeMap::new(),
            generation: 1,
            deleted_at: None,
        }
    }

    #[test]
    fn an_audience_runs_as_a_valid_journey_with_a_live_entry_and_no_steps() {
        let (journey, version) = doc().as_journey().unwrap();
        let typed = version.definition.journey().unwrap();
        assert!(typed.entry.live && typed.entry.historical);
        assert_eq!(typed.entry.reentry, Reentry::AfterExit);
        assert!(typed.entry.steps.is_empty());
        assert_eq!(typed.entry.connections.len(), 1);
        assert_eq!(typed.inputs, vec!["ws/web".to_string()]);
        assert_eq!(journey.keys[ENTRY_STEP], "a_vip_cba53b");
        assert_eq!(version.published_at, Some(1_000));
        // Written out, the journey is one the validator takes and that reads back equal.
        let written = version.definition.json();
        let problems = waymark_engine::validate::validate_journey(
            written,
            &waymark_engine::validate::Limits::default(),
        );
        assert!(problems.is_empty(), "{problems:?}");
        let read: Journey = serde_json::from_value(written.clone()).unwrap();
        assert_eq!(&read, typed);
    }

    #[test]
    fn an_audience_that_does_not_read_is_an_error_naming_it() {
        let mut broken = doc();
        broken.definition["criteria"] = json!({"no_such_kind": 1});
        let err = broken.as_journey().unwrap_err();
        assert_eq!(err.code, "corrupt_audience");
        assert!(err.message.contains("`vip`"), "{err}");
    }
}
