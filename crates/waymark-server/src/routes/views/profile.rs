//! JSON shapes of profiles and events in the admin API (times as RFC 3339).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use waymark_engine::time::format_instant;
use waymark_store::{Profile, StoredEvent};

use super::common::present;

/// A profile as the admin API (and `waymark export`) shows it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(transform = present)]
pub struct ProfileView {
    user_id: Option<String>,
    anonymous_ids: Vec<String>,
    /// Other identifiers by type (`email`, mParticle identities).
    identities: BTreeMap<String, String>,
    traits: Map<String, Value>,
    /// Per trait: since when it has had its current value.
    trait_since: BTreeMap<String, String>,
    /// Consent per purpose.
    consent: BTreeMap<String, bool>,
    first_seen: String,
    last_seen: String,
    event_count: u64,
    merged_profiles: usize,
    /// What the engines know of it: computed attributes, audiences, journeys.
    #[serde(flatten)]
    state: EngineState,
}

impl ProfileView {
    /// The profile's key in the engines: its userId, else its first anonymousId.
    pub(crate) fn key(&self) -> Option<&str> {
        self.user_id
            .as_deref()
            .or(self.anonymous_ids.first().map(String::as_str))
    }

    /// Adds what the engines know of the profile.
    pub(crate) fn with_state(self, state: waymark_runtime::ProfileState) -> Self {
        Self {
            state: state.into(),
            ..self
        }
    }
}

impl From<Profile> for ProfileView {
    fn from(p: Profile) -> Self {
        let trait_since = p
            .trait_times
            .iter()
            .filter(|(k, _)| p.traits.contains_key(*k))
            .map(|(k, t)| (k.clone(), format_instant(t.since)))
            .collect();
        Self {
            user_id: p.user_id,
            anonymous_ids: p.anonymous_ids,
            identities: p.identities,
            traits: p.traits,
            trait_since,
            consent: p.consent,
            first_seen: format_instant(p.first_seen),
            last_seen: format_instant(p.last_seen),
            event_count: p.event_count,
            merged_profiles: p.merged_from.len(),
            state: Default::default(),
        }
    }
}

/// An event as the API shows it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct EventView {
    #[serde(rename = "type")]
    kind: String,
    /// The track event's name (absent for other calls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    event: Option<String>,
    #[serde(rename = "messageId")]
    message_id: Option<String>,
    timestamp: String,
    #[serde(rename = "receivedAt")]
    received_at: String,
    input: Option<String>,
    #[serde(rename = "userId")]
    user_id: Option<String>,
    #[serde(rename = "anonymousId")]
    anonymous_id: Option<String>,
    properties: Value,
    context: Value,
    traits: Map<String, Value>,
    /// Present (true) when the client's time was out of bounds and `timestamp` is the
    /// receipt time (SPEC §2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    timestamp_adjusted: bool,
}

impl From<StoredEvent> for EventView {
    fn from(e: StoredEvent) -> Self {
        Self {
            kind: e.kind,
            event: e.name,
            message_id: e.message_id,
            timestamp: format_instant(e.timestamp),
            received_at: format_instant(e.received_at),
            input: e.input,
            user_id: e.user_id,
            anonymous_id: e.anonymous_id,
            properties: e.properties,
            context: e.context,
            traits: e.traits,
            timestamp_adjusted: e.timestamp_adjusted,
        }
    }
}

/// What the engines know of a profile (the runtime's `ProfileState`).
#[derive(Debug, Default, Serialize, JsonSchema)]
#[schemars(transform = present)]
struct EngineState {
    /// Computed attribute values now, by name (`null`: missing).
    attributes: BTreeMap<String, Value>,
    /// The standalone audiences the profile is in.
    audiences: Vec<ProfileAudience>,
    /// Every running journey version the profile has entered.
    journeys: Vec<ProfileJourney>,
}

impl From<waymark_runtime::ProfileState> for EngineState {
    fn from(s: waymark_runtime::ProfileState) -> Self {
        Self {
            attributes: s.attributes,
            audiences: s.audiences.into_iter().map(ProfileAudience::from).collect(),
            journeys: s.journeys.into_iter().map(ProfileJourney::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(transform = present)]
struct ProfileAudience {
    id: String,
    name: String,
    entered_at: Option<String>,
    entry_number: u32,
}

impl From<waymark_runtime::ProfileAudience> for ProfileAudience {
    fn from(a: waymark_runtime::ProfileAudience) -> Self {
        Self {
            id: a.id,
            name: a.name,
            entered_at: Some(format_instant(a.entered_at)),
            entry_number: a.entry_number,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(transform = present)]
struct ProfileJourney {
    journey_id: String,
    version: u32,
    /// `in`, `control` or `out` (left).
    status: String,
    entries: u32,
    entered_at: Option<String>,
    left_at: Option<String>,
    goal_reached: bool,
    /// The steps whose audience it is in now, in the order entered.
    steps: Vec<ProfileStep>,
    /// The steps it is at now.
    at: Vec<ProfileStep>,
}

impl From<waymark_runtime::ProfileJourney> for ProfileJourney {
    fn from(j: waymark_runtime::ProfileJourney) -> Self {
        Self {
            journey_id: j.journey_id,
            version: j.version,
            status: j.status.to_string(),
            entries: j.entries,
            entered_at: Some(format_instant(j.entered_at)),
            left_at: j.left_at.map(format_instant),
            goal_reached: j.goal_reached,
            steps: j.steps.into_iter().map(ProfileStep::from).collect(),
            at: j.at.into_iter().map(ProfileStep::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(transform = present)]
struct ProfileStep {
    step: String,
    since: Option<String>,
}

impl From<waymark_runtime::ProfileStep> for ProfileStep {
    fn from(s: waymark_runtime::ProfileStep) -> Self {
        Self {
            step: s.step,
            since: Some(format_instant(s.since)),
        }
    }
}

/// `GET /api/workspaces/{ws}/profiles`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct ProfilesPage {
    pub(crate) profiles: Vec<ProfileView>,
    /// Pass as `cursor` for the next page; `null` at the end.
    pub(crate) next_cursor: Option<String>,
}

/// `GET /api/workspaces/{ws}/profiles/{user_id}/events`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct EventsPage {
    pub(crate) events: Vec<EventView>,
    /// Pass as `cursor` for the next page; `null` at the end.
    pub(crate) next_cursor: Option<String>,
}
