//! JSON shapes of profiles and events in the admin API (times as RFC 3339).

use serde::Serialize;
use serde_json::{Map, Value};
use waymark_engine::time::format_instant;
use waymark_store::{Profile, StoredEvent};

/// A profile as the admin API (and `waymark export`) shows it.
#[derive(Debug, Serialize)]
pub struct ProfileView {
    user_id: Option<String>,
    anonymous_ids: Vec<String>,
    identities: Value,
    traits: Map<String, Value>,
    /// Per trait: since when it has had its current value.
    trait_since: Map<String, Value>,
    consent: Value,
    first_seen: String,
    last_seen: String,
    event_count: u64,
    merged_profiles: usize,
    /// What the engines know of it: computed attributes, audiences, journeys.
    #[serde(flatten)]
    state: waymark_runtime::ProfileState,
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
        Self { state, ..self }
    }
}

impl From<Profile> for ProfileView {
    fn from(p: Profile) -> Self {
        let trait_since = p
            .trait_times
            .iter()
            .filter(|(k, _)| p.traits.contains_key(*k))
            .map(|(k, t)| (k.clone(), Value::String(format_instant(t.since))))
            .collect();
        Self {
            user_id: p.user_id,
            anonymous_ids: p.anonymous_ids,
            identities: serde_json::to_value(p.identities).unwrap_or(Value::Null),
            traits: p.traits,
            trait_since,
            consent: serde_json::to_value(p.consent).unwrap_or(Value::Null),
            first_seen: format_instant(p.first_seen),
            last_seen: format_instant(p.last_seen),
            event_count: p.event_count,
            merged_profiles: p.merged_from.len(),
            state: Default::default(),
        }
    }
}

/// An event as the API shows it.
#[derive(Debug, Serialize)]
pub(crate) struct EventView {
    #[serde(rename = "type")]
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
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
    #[serde(skip_serializing_if = "std::ops::Not::not")]
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
