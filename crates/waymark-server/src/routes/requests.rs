//! JSON Schemas of request bodies that the handlers read field by field (ingestion calls,
//! patches, options) rather than into one Rust type, so that the OpenAPI document
//! describes every body (SPEC §13).

use std::borrow::Cow;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value};
use waymark_engine::time::Millis;

use super::views::DeliverySettings;

/// A patch of a `T`: any of its top-level fields, each replacing the current value (the
/// runtime merges a patch field by field, then checks the whole as a `T`).
pub(crate) struct Patch<T>(PhantomData<T>);

impl<T: JsonSchema> JsonSchema for Patch<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}Patch", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = T::json_schema(generator);
        schema.remove("required");
        schema
    }
}

/// `POST /api/outputs` (SPEC §7): the fields its kind needs; a webhook without `secret`
/// gets a new one, answered once.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct NewOutput {
    id: String,
    name: Option<String>,
    /// `webhook`, `segment`, `file` or `list`.
    kind: String,
    /// Webhook receiver.
    url: Option<String>,
    /// Webhook signing secret (`whsec_…`).
    secret: Option<String>,
    /// Segment-compatible endpoint.
    endpoint: Option<String>,
    /// The Segment write key to send with.
    write_key: Option<String>,
    /// File output's path.
    path: Option<String>,
    disabled: Option<bool>,
    /// Delivery settings to override.
    delivery: Option<DeliverySettings>,
    /// `"account"` or `{"workspace": "<id>"}`; the caller's by default.
    owner: Option<Value>,
}

/// `POST /api/outputs/{id}/rotate`: the new secret (webhook) or write key (Segment); a
/// webhook without one gets a new secret.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct Rotate {
    secret: Option<String>,
    write_key: Option<String>,
}

/// `POST /api/journeys/{id}/publish`.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct PublishOptions {
    /// Replay stored history into the new version first; the entry's `historical` by
    /// default.
    historical: Option<bool>,
}

/// `POST /api/journeys/{id}/clone`.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct CloneOptions {
    /// The copy's id; a free one derived from the original's by default.
    id: Option<String>,
}

/// `POST /api/journeys/{id}/simulate`: events to run the journey over (stored history by
/// default), and the time to run timers up to.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct SimulateOptions {
    /// Segment messages, each with an optional `input` id.
    events: Option<Vec<SegmentMessage>>,
    /// RFC 3339.
    until: Option<String>,
}

/// `POST /v1/{call}`: one Segment message, or (`/v1/batch`, `/v1/import`) a batch.
#[derive(JsonSchema)]
#[serde(untagged)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) enum SegmentCall {
    Batch(SegmentBatch),
    Single(SegmentMessage),
}

/// A Segment batch.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct SegmentBatch {
    batch: Vec<SegmentMessage>,
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    #[serde(rename = "sentAt")]
    sent_at: Option<String>,
    /// Merged under each message's own context.
    context: Option<Map<String, Value>>,
    integrations: Option<Map<String, Value>>,
}

/// A Segment message (SPEC §2): `identify`, `track`, `page`, `screen`, `group` or `alias`.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct SegmentMessage {
    /// The call; set by the path on single calls.
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "userId")]
    user_id: Option<String>,
    #[serde(rename = "anonymousId")]
    anonymous_id: Option<String>,
    #[serde(rename = "messageId")]
    message_id: Option<String>,
    /// The track event's name.
    event: Option<String>,
    /// The page or screen's name.
    name: Option<String>,
    properties: Option<Map<String, Value>>,
    traits: Option<Map<String, Value>>,
    context: Option<Map<String, Value>>,
    /// RFC 3339.
    timestamp: Option<String>,
    #[serde(rename = "groupId")]
    group_id: Option<String>,
    #[serde(rename = "previousId")]
    previous_id: Option<String>,
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
}

/// `POST /v2/events`: one mParticle batch.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct MparticleBatch {
    events: Option<Vec<MparticleEvent>>,
    user_identities: Option<Map<String, Value>>,
    user_attributes: Option<Map<String, Value>>,
    mpid: Option<Value>,
    environment: Option<String>,
    /// Consent per purpose (GDPR, CCPA).
    consent_state: Option<Map<String, Value>>,
    device_info: Option<Map<String, Value>>,
    application_info: Option<Map<String, Value>>,
    source_request_id: Option<String>,
    timestamp_unixtime_ms: Option<Millis>,
}

/// One mParticle event: its type and its data.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct MparticleEvent {
    /// `custom_event`, `screen_view`, `commerce_event`, …
    event_type: String,
    data: Option<Map<String, Value>>,
}
