//! What the engines know of one profile, for its page (SPEC §11, §13): its computed
//! attributes' values now, the audiences it is in, and where it stands in each running
//! journey version.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use waymark_engine::time::Millis;
use waymark_store::TokenScope;

use super::Core;
use crate::RuntimeError;

/// A profile's memberships and computed values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileState {
    /// Computed attribute values now, by name (`null`: missing).
    pub attributes: BTreeMap<String, Value>,
    /// The standalone audiences the profile is in.
    pub audiences: Vec<ProfileAudience>,
    /// Every running journey version the profile has entered.
    pub journeys: Vec<ProfileJourney>,
}

/// One audience a profile is in.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileAudience {
    /// The audience id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Since when.
    pub entered_at: Millis,
    /// Which membership this is (1 the first time).
    pub entry_number: u32,
}

/// Where a profile stands in one journey version.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileJourney {
    /// The journey id.
    pub journey_id: String,
    /// The version.
    pub version: u32,
    /// `in`, `control` or `out` (left).
    pub status: &'static str,
    /// How many times the profile entered.
    pub entries: u32,
    /// When it last entered.
    pub entered_at: Millis,
    /// When it last left, if it did.
    pub left_at: Option<Millis>,
    /// Whether it reached the goal.
    pub goal_reached: bool,
    /// The steps whose audience it is in now, in the order entered, with since when.
    pub steps: Vec<ProfileStep>,
    /// The steps it is at now.
    pub at: Vec<ProfileStep>,
}

/// A step and since when.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileStep {
    /// The step id.
    pub step: String,
    /// Since when.
    pub since: Millis,
}

impl Core {
    /// The engines' view of the profile whose key is `key` in `workspace` (empty when no
    /// engine runs for the workspace), showing only the journeys and audiences a caller
    /// with `scope` may see (a workspace token never learns of the account's).
    pub(crate) fn profile_state(
        &self,
        scope: &TokenScope,
        workspace: &str,
        key: &str,
    ) -> Result<ProfileState, RuntimeError> {
        let Some(p) = self.partitions.get(workspace) else {
            return Ok(ProfileState::default());
        };
        let engine = &p.engine;
        let now = self.clock.now();
        let mut state = ProfileState {
            attributes: engine
                .attribute_names()
                .map(|n| (n.to_string(), Value::Null))
                .collect(),
            ..ProfileState::default()
        };
        for v in engine.attribute_values(key, now).unwrap_or_default() {
            state
                .attributes
                .insert(v.name.to_string(), v.value.unwrap_or(Value::Null));
        }
        let visible_audiences: Vec<_> = self
            .audience_docs()?
            .into_iter()
            .filter(|a| a.owner.visible_to(scope))
            .collect();
        let audiences: BTreeMap<String, String> = visible_audiences
            .iter()
            .map(|a| (a.id.clone(), a.name().to_string()))
            .collect();
        let audience_versions: BTreeSet<(String, u32)> = visible_audiences
            .iter()
            .map(|a| (a.id.clone(), a.generation))
            .collect();
        let visible_journeys: BTreeSet<String> = self
            .journey_docs()?
            .into_iter()
            .filter(|j| j.owner.visible_to(scope))
            .map(|j| j.id)
            .collect();
        for r in &self.runners {
            let Some(&j) = r.indices.get(workspace) else {
                continue;
            };
            let Some(u) = engine.user_journey(key, j) else {
                continue;
            };
            if audience_versions.contains(&(r.journey_id.clone(), r.version)) {
                if u.inside {
                    state.audiences.push(ProfileAudience {
                        id: r.journey_id.clone(),
                        name: audiences.get(&r.journey_id).cloned().unwrap_or_default(),
                        entered_at: u.entered_at,
                        entry_number: u.entries,
                    });
                }
                continue;
            }
            if !visible_journeys.contains(&r.journey_id) {
                continue;
            }
            let step = |(s, since): &(u16, i64)| ProfileStep {
                step: r.step_ids.get(usize::from(*s)).cloned().unwrap_or_default(),
                since: *since,
            };
            state.journeys.push(ProfileJourney {
                journey_id: r.journey_id.clone(),
                version: r.version,
                status: match (u.inside, u.control) {
                    (true, true) => "control",
                    (true, false) => "in",
                    (false, _) => "out",
                },
                entries: u.entries,
                entered_at: u.entered_at,
                left_at: u.left_at,
                goal_reached: u.goal_reached,
                steps: u.audience.iter().map(step).collect(),
                at: u.at.iter().map(step).collect(),
            });
        }
        Ok(state)
    }
}
