//! A list output's memberships (SPEC §8), as stored in its `list/<output>` collection: one
//! per step key and profile, written when the profile enters the step's audience and
//! removed when it leaves.

use serde::{Deserialize, Serialize};
use waymark_engine::time::Millis;

/// One membership a list output holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMember {
    /// The profile key (userId, else anonymousId).
    pub key: String,
    /// The step's output key. Absent from memberships stored before a list kept one
    /// membership per step key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_key: Option<String>,
    /// The profile's userId, when known.
    pub user_id: Option<String>,
    /// The profile's anonymousId, when known.
    pub anonymous_id: Option<String>,
    /// When it entered the step's audience.
    pub entered_at: Millis,
    /// The journey (or audience) whose step it is.
    pub journey_id: String,
    /// The step.
    pub step_id: String,
}
