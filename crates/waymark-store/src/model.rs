//! The records the store keeps and returns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use waymark_engine::time::Millis;

/// A workspace: a tenant's space holding inputs, profiles and events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Workspace {
    /// Stable id, used in URLs (`[a-z0-9_-]`, 1–64 characters).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// The platform or feed an input stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// iOS apps.
    Ios,
    /// Android apps.
    Android,
    /// Web sites.
    Web,
    /// Server-side sources.
    Server,
    /// Bulk feeds and imports.
    Feed,
}

/// An input: a source of events with its own write key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Input {
    /// The workspace it belongs to.
    pub workspace: String,
    /// Stable id within the workspace.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Platform or feed.
    pub kind: InputKind,
    /// The secret write key clients send (Segment: Basic user; mParticle: the API key).
    pub write_key: String,
    /// mParticle's API secret, when the input accepts mParticle's Events API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Who an admin token acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "scope", content = "workspace")]
pub enum TokenScope {
    /// Everything in the account.
    Account,
    /// One workspace's data only.
    Workspace(String),
}

/// An admin API token. The store keeps only a SHA-256 hash of the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminToken {
    /// Hex SHA-256 of the bearer secret.
    pub secret_sha256: String,
    /// Display name.
    pub name: String,
    /// What it may reach.
    pub scope: TokenScope,
}

/// Internal id of a profile within a workspace.
pub type ProfileId = u64;

/// A profile: identifiers, traits with their history, consent and counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Internal id.
    pub id: ProfileId,
    /// The workspace.
    pub workspace: String,
    /// The app's user id (at most one: two user ids are never merged).
    pub user_id: Option<String>,
    /// Every anonymous id seen for this user, first seen first.
    pub anonymous_ids: Vec<String>,
    /// Other identifiers by type (`email`, mParticle identities such as `customer_id`, `mpid`).
    pub identities: BTreeMap<String, String>,
    /// Current traits (merged by top-level key, last write by event time wins).
    pub traits: Map<String, Value>,
    /// Per trait: since when it has had its current value, and the event time of its last write.
    pub trait_times: BTreeMap<String, TraitTimes>,
    /// Consent per purpose.
    pub consent: BTreeMap<String, bool>,
    /// Per purpose: the event time of the consent write that set it (last write by event
    /// time wins, as for traits).
    #[serde(default)]
    pub consent_written: BTreeMap<String, Millis>,
    /// Event time of the first event.
    pub first_seen: Millis,
    /// Event time of the latest event.
    pub last_seen: Millis,
    /// Number of events stored.
    pub event_count: u64,
    /// Profiles merged into this one (their events are this profile's events).
    pub merged_from: Vec<ProfileId>,
}

/// When a trait took its current value and when it was last written (event times).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraitTimes {
    /// Since when the trait has had its current value.
    pub since: Millis,
    /// Event time of the latest write that was applied.
    pub written: Millis,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The sender's message id.
    pub message_id: Option<String>,
    /// Call type (`track`, `identify`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Event name for criteria (`Order Completed`, `Page Viewed`; none for identify).
    pub name: Option<String>,
    /// Event time (after skew correction).
    pub timestamp: Millis,
    /// When the server received it.
    pub received_at: Millis,
    /// The input that sent it.
    pub input: Option<String>,
    /// `userId` as sent.
    pub user_id: Option<String>,
    /// `anonymousId` as sent.
    pub anonymous_id: Option<String>,
    /// `previousId` as sent (alias calls carry one; absent otherwise, and in events stored
    /// before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<String>,
    /// Properties.
    pub properties: Value,
    /// Context.
    pub context: Value,
    /// Traits carried by the message (identify traits merged with `context.traits`).
    pub traits: Map<String, Value>,
    /// The client's time was out of bounds (SPEC §2) and `timestamp` is the receipt time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timestamp_adjusted: bool,
}

/// Where an event stands in its profile's history: event time, then the workspace's
/// arrival number. Pages of events are cut at one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventPosition {
    /// Event time.
    pub at: Millis,
    /// Arrival number.
    pub seq: u64,
}

/// An event with the profile that owns it, as [`Store::for_each_event_by_arrival`]
/// visits it.
///
/// [`Store::for_each_event_by_arrival`]: crate::Store::for_each_event_by_arrival
#[derive(Debug, Clone, PartialEq)]
pub struct ArrivedEvent {
    /// The workspace's event sequence number (arrival order).
    pub seq: u64,
    /// The profile that owns the event now.
    pub profile: ProfileId,
    /// That profile's current `userId`.
    pub user_id: Option<String>,
    /// That profile's first anonymous id.
    pub anonymous_id: Option<String>,
    /// The event.
    pub event: StoredEvent,
}

/// One write of [`Store::write_documents`]: a JSON document by collection and id.
///
/// [`Store::write_documents`]: crate::Store::write_documents
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentWrite {
    /// The collection (`journeys`, `outputs`, `list/out1`, …).
    pub collection: String,
    /// The document's id within its collection.
    pub id: String,
    /// The new body; `None` deletes the document.
    pub body: Option<Value>,
}

/// A message that failed validation inside a readable request: not stored as an event, but
/// kept so that the workspace can see what its clients send wrong (SPEC §2).
///
/// Only a bounded excerpt of the message is kept, and a workspace keeps its latest
/// [`MAX_REJECTED_KEPT`] records (counts are kept in full).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedMessage {
    /// Position in the workspace's record, increasing (assigned by the store); newer
    /// records have larger ones.
    pub seq: u64,
    /// The input whose key sent it.
    pub input: String,
    /// When the server received it.
    pub received_at: Millis,
    /// The stable reason code (`bad_field_type`, `no_user_anon_id`, …).
    pub code: String,
    /// Why, for a person, with where in the body (`batch[3]: …`).
    pub message: String,
    /// The start of the message as received (at most a few hundred bytes).
    pub excerpt: String,
}

impl RejectedMessage {
    /// Whether its excerpt or reason names one of `identifiers` as a JSON string (quoted,
    /// so `u1` does not match `u12`): such a record goes when that user is forgotten.
    pub fn mentions(&self, identifiers: &[String]) -> bool {
        identifiers.iter().any(|id| {
            let quoted = Value::String(id.clone()).to_string();
            self.excerpt.contains(&quoted) || self.message.contains(&quoted)
        })
    }
}

impl Profile {
    /// Every identifier that names this profile: its user id, anonymous ids and other
    /// identities (email, …).
    pub fn identifiers(&self) -> Vec<String> {
        self.user_id
            .iter()
            .chain(&self.anonymous_ids)
            .chain(self.identities.values())
            .cloned()
            .collect()
    }
}

/// How many rejected messages a workspace keeps; older ones are dropped as new ones come.
pub const MAX_REJECTED_KEPT: u64 = 10_000;
