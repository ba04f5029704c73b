//! mParticle's Events API: `/v2/events` (one batch) and `/v2/bulkevents` (an array of
//! batches), normalized into messages.
//!
//! A batch is one user's: its identity comes from `user_identities` and `mpid`:
//! - `user_identities.customer_id` (or `customerid`, as the Python SDK sends it) becomes
//!   [`Identity::user_id`]; every identity is also added to [`Identity::others`] as
//!   `(type, value)`, with `customerid` written `customer_id`;
//! - `mpid` (a number, or a string of one) becomes [`Identity::anonymous_id`] as its decimal
//!   text, and `("mpid", value)` in the others.
//!
//! The batch's `context` object, `device_info`, `application_info`, `ip`, `environment` and
//! `consent_state` (as `consent.categoryPreferences {purpose: consented}`, GDPR purposes
//! then CCPA's `data_sale_opt_out` taken literally) go into every message's context, with the
//! event's `event_type`, `custom_event_type`, `session_uuid` and `session_id`.
//!
//! Events, by `event_type`:
//! - `custom_event`: a track named `data.event_name`;
//! - `screen_view`: a screen, `Screen Viewed`, with `name` = `data.screen_name`;
//! - `session_start` / `session_end`: tracks `Session Start` / `Session End`;
//! - `commerce_event`: a track `eCommerce - <Action>` with the product action's `action` in
//!   Title Case (`purchase` → `eCommerce - Purchase`, `add_to_cart` →
//!   `eCommerce - Add To Cart`) and the product action's other fields as properties; without
//!   one, `eCommerce - Promotion <Action>` from `promotion_action`, or
//!   `eCommerce - Impression` when only `impressions` are sent;
//! - the other mParticle types (`crash_report`, `opt_out`, `push_registration`,
//!   `application_state_transition`, `push_message`, `network_performance`, `breadcrumb`,
//!   `uninstall`, `user_attribute_change`, `user_identity_change`, `profile`, `first_run`):
//!   a track named after the type in Title Case (`application_state_transition` →
//!   `Application State Transition`), whose properties also take the type-specific fields of
//!   `data`.
//!
//! Properties are `data.custom_attributes`; the time is `data.timestamp_unixtime_ms`
//! (`received_at` when absent), bounded by [`crate::event_time::bound`]; the message id is
//! `data.source_message_id`, else `"<source_request_id>:<index>"` when the batch has a
//! `source_request_id`, else none (the server then gives it a new one). Either id of
//! another JSON type than a string fails the message.
//!
//! An event that fails validation is rejected and the batch's other events are kept; a
//! batch-level field that fails (no identity, a bad `context`) rejects each of its events.
//! Non-empty `user_attributes` (and `deleted_user_attributes`, as `null` traits) become a
//! synthetic identify placed first, at the batch's earliest event time, with message id
//! `"<source_request_id>:user_attributes"` when there is a request id.

use serde_json::{Map, Value};
use waymark_engine::time::Millis;
use waymark_engine::{Event, Identity, Message, MessageKind};

use crate::rejection::{Item, Parsed, Rejection, excerpt};
use crate::{IngestError, Limits, json};

/// The most batches one `/v2/bulkevents` request may carry (mParticle's limit).
pub const MAX_BULK_BATCHES: usize = 100;

/// Event types named after themselves (a track with the type in Title Case).
const OTHER_EVENT_TYPES: [&str; 12] = [
    "crash_report",
    "opt_out",
    "push_registration",
    "application_state_transition",
    "push_message",
    "network_performance",
    "breadcrumb",
    "uninstall",
    "user_attribute_change",
    "user_identity_change",
    "profile",
    "first_run",
];

/// `data` fields common to every event type, not copied into the properties of the types
/// named after themselves.
const COMMON_DATA_FIELDS: [&str; 6] = [
    "timestamp_unixtime_ms",
    "source_message_id",
    "session_uuid",
    "session_id",
    "custom_attributes",
    "custom_flags",
];

/// One batch as read: its fields but `events`, and each event as received.
#[derive(Debug, Clone, PartialEq)]
pub struct RawBatch {
    fields: Map<String, Value>,
    events: Vec<Item>,
    excerpt: String,
}

/// Parses `/v2/events` (one batch object) or `/v2/bulkevents` (an array of at most
/// [`MAX_BULK_BATCHES`] batches) with the same JSON/depth/size checks as Segment bodies:
/// body over `max_batch_bytes` → "batch_too_large"; nesting over `max_depth` → "too_deep";
/// malformed → "invalid_json"; a key repeated in an object → "duplicate_key"; the wrong
/// shape (not an object / not an array, an empty bulk array, a batch that is not an object,
/// `events` not an array) → "invalid_batch"; over [`MAX_BULK_BATCHES`] →
/// "too_many_batches"; more than `max_batch_messages` events in all → "too_many_messages".
/// Errors inside a bulk body name the batch (`[2]: …`). An event whose text as received is
/// over `max_message_bytes` is rejected by [`normalize`] ("message_too_large").
pub fn read_batches(
    bulk: bool,
    json: &[u8],
    limits: &Limits,
) -> Result<Vec<RawBatch>, IngestError> {
    if json.len() > limits.max_batch_bytes {
        return Err(IngestError::BatchTooLarge {
            limit: limits.max_batch_bytes,
        });
    }
    let text = json::text(json, limits.max_depth)?;
    let raw: &serde_json::value::RawValue =
        serde_json::from_str(text).map_err(|e| IngestError::InvalidJson(e.to_string()))?;
    let raw_batches = if bulk {
        let batches = json::raw_array(raw)?.ok_or_else(|| {
            IngestError::InvalidBatch("/v2/bulkevents takes a JSON array of batches".into())
        })?;
        if batches.is_empty() {
            return Err(IngestError::InvalidBatch(
                "the bulk array holds no batch".into(),
            ));
        }
        if batches.len() > MAX_BULK_BATCHES {
            return Err(IngestError::TooManyBatches {
                count: batches.len(),
                limit: MAX_BULK_BATCHES,
            });
        }
        batches
    } else {
        vec![raw]
    };
    let mut batches = Vec::with_capacity(raw_batches.len());
    let mut count = 0usize;
    for (i, raw) in raw_batches.into_iter().enumerate() {
        let place = |e: IngestError| if bulk { e.at(format!("[{i}]")) } else { e };
        let batch = read_batch(raw.get(), limits).map_err(place)?;
        count += batch.events.len();
        batches.push(batch);
    }
    if count > limits.max_batch_messages {
        return Err(IngestError::TooManyMessages {
            count,
            limit: limits.max_batch_messages,
        });
    }
    Ok(batches)
}

/// One batch of [`read_batches`].
fn read_batch(text: &str, limits: &Limits) -> Result<RawBatch, IngestError> {
    let Some(members) = json::raw_object(text)? else {
        return Err(IngestError::InvalidBatch(
            "a batch must be a JSON object".into(),
        ));
    };
    let mut fields = Map::new();
    let mut events = Vec::new();
    for (key, raw) in members {
        if key != "events" {
            fields.insert(key, json::parse_str(raw.get())?);
            continue;
        }
        if raw.get() == "null" {
            continue;
        }
        let raw_events = json::raw_array(raw)?
            .ok_or_else(|| IngestError::InvalidBatch("`events` must be an array".into()))?;
        if raw_events.len() > limits.max_batch_messages {
            return Err(IngestError::TooManyMessages {
                count: raw_events.len(),
                limit: limits.max_batch_messages,
            });
        }
        events = raw_events
            .iter()
            .map(|raw| Item::read(raw.get(), limits.max_message_bytes))
            .collect::<Result<_, _>>()?;
    }
    Ok(RawBatch {
        fields,
        events,
        excerpt: excerpt(text),
    })
}

/// Normalizes every batch of one request; in a bulk request the rejections name their
/// batch (`[2].events[0]`).
pub fn normalize_all(
    batches: Vec<RawBatch>,
    bulk: bool,
    received_at: Millis,
    input: &str,
) -> Parsed {
    let mut all = Parsed::default();
    for (i, batch) in batches.into_iter().enumerate() {
        let mut parsed = normalize(batch, received_at, input);
        if bulk {
            for rejection in &mut parsed.rejected {
                rejection.path = if rejection.path.is_empty() {
                    format!("[{i}]")
                } else {
                    format!("[{i}].{}", rejection.path)
                };
            }
        }
        all.extend(parsed);
    }
    all
}

/// Normalizes one mParticle batch into Messages (see the module documentation). An event
/// that fails is rejected as `events[2]`; when the batch itself fails (its identity, its
/// context, its user attributes), every event is rejected with that error, or the batch
/// once (path empty) when it has none.
pub fn normalize(batch: RawBatch, received_at: Millis, input: &str) -> Parsed {
    let RawBatch {
        fields,
        events,
        excerpt,
    } = batch;
    let shared = batch_identity(&fields).and_then(|identity| {
        let context = batch_context(&fields)?;
        let traits = user_attributes(&fields)?;
        Ok((identity, context, traits))
    });
    let (identity, context, traits) = match shared {
        Ok(shared) => shared,
        Err(error) => {
            let rejected = if events.is_empty() {
                vec![Rejection::new(String::new(), error, &excerpt)]
            } else {
                events
                    .into_iter()
                    .enumerate()
                    .map(|(i, event)| Rejection {
                        path: format!("events[{i}]"),
                        error: error.clone(),
                        excerpt: event.excerpt,
                    })
                    .collect()
            };
            return Parsed {
                messages: Vec::new(),
                rejected,
            };
        }
    };
    let request_id = match fields.get("source_request_id") {
        Some(Value::String(r)) if !r.is_empty() => Some(r.as_str()),
        _ => None,
    };
    let batch = Batch {
        identity: &identity,
        context: &context,
        request_id,
        received_at,
        input,
    };
    let mut parsed = Parsed {
        messages: Vec::with_capacity(events.len() + 1),
        rejected: Vec::new(),
    };
    for (i, event) in events.into_iter().enumerate() {
        match event.value.and_then(|value| batch.event_message(&value, i)) {
            Ok(message) => parsed.messages.push(message),
            Err(error) => parsed.rejected.push(Rejection {
                path: format!("events[{i}]"),
                error,
                excerpt: event.excerpt,
            }),
        }
    }
    if !traits.is_empty() {
        let (at, timestamp_adjusted) = parsed
            .messages
            .iter()
            .map(|m| (m.event.at, m.timestamp_adjusted))
            .min()
            .unwrap_or((received_at, false));
        let identify = Message {
            message_id: request_id.map(|r| format!("{r}:user_attributes")),
            kind: MessageKind::Identify,
            identity,
            received_at,
            timestamp_adjusted,
            event: Event {
                at,
                name: None,
                properties: Value::Object(Map::new()),
                context: Value::Object(context),
                traits,
                input: Some(input.to_string()),
            },
        };
        parsed.messages.insert(0, identify);
    }
    parsed
}

/// What every message of one batch shares.
struct Batch<'a> {
    identity: &'a Identity,
    context: &'a Map<String, Value>,
    request_id: Option<&'a str>,
    received_at: Millis,
    input: &'a str,
}

impl Batch<'_> {
    /// The message for the event at `index` of the batch's `events`.
    fn event_message(&self, event: &Value, index: usize) -> Result<Message, IngestError> {
        let event = event
            .as_object()
            .ok_or_else(|| IngestError::InvalidBatch("an event must be a JSON object".into()))?;
        let event_type = match event.get("event_type") {
            Some(Value::String(t)) => t.as_str(),
            None | Some(Value::Null) => return Err(IngestError::UnknownEventType(String::new())),
            Some(other) => return Err(IngestError::UnknownEventType(other.to_string())),
        };
        let empty = Map::new();
        let data = match event.get("data") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(data)) => data,
            Some(_) => return Err(bad_field("data", "an object")),
        };
        let mut properties = match data.get("custom_attributes") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(attrs)) => attrs.clone(),
            Some(_) => return Err(bad_field("data.custom_attributes", "an object")),
        };
        let (kind, name) = match event_type {
            "custom_event" => {
                let name = data
                    .get("event_name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                    .ok_or(IngestError::MissingEventName(
                        "a custom_event needs a `data.event_name`",
                    ))?;
                (MessageKind::Track, name.to_string())
            }
            "screen_view" => {
                if let Some(screen) = data.get("screen_name").filter(|n| n.is_string()) {
                    properties.entry("name").or_insert_with(|| screen.clone());
                }
                (MessageKind::Screen, "Screen Viewed".to_string())
            }
            "session_start" => (MessageKind::Track, "Session Start".to_string()),
            "session_end" => (MessageKind::Track, "Session End".to_string()),
            "commerce_event" => (MessageKind::Track, commerce(data, &mut properties)?),
            other if OTHER_EVENT_TYPES.contains(&other) => {
                for (key, value) in data {
                    if !COMMON_DATA_FIELDS.contains(&key.as_str()) {
                        properties
                            .entry(key.as_str())
                            .or_insert_with(|| value.clone());
                    }
                }
                (MessageKind::Track, title_case(other))
            }
            other => return Err(IngestError::UnknownEventType(other.to_string())),
        };
        let (at, timestamp_adjusted) = match event_time(data)? {
            Some(at) => crate::event_time::bound(at, self.received_at),
            None => (self.received_at, false),
        };
        let message_id = match data.get("source_message_id") {
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            None | Some(Value::Null) | Some(Value::String(_)) => {
                self.request_id.map(|r| format!("{r}:{index}"))
            }
            Some(_) => return Err(bad_field("data.source_message_id", "a string")),
        };
        let mut context = self.context.clone();
        context.insert("event_type".into(), Value::String(event_type.to_string()));
        for field in ["custom_event_type", "session_uuid", "session_id"] {
            if let Some(value) = data.get(field).filter(|v| !v.is_null()) {
                context.insert(field.into(), value.clone());
            }
        }
        Ok(Message {
            message_id,
            kind,
            identity: self.identity.clone(),
            received_at: self.received_at,
            timestamp_adjusted,
            event: Event {
                at,
                name: Some(name),
                properties: Value::Object(properties),
                context: Value::Object(context),
                traits: Map::new(),
                input: Some(self.input.to_string()),
            },
        })
    }
}

/// The name of a commerce event, with its action's fields added to `properties`.
fn commerce(
    data: &Map<String, Value>,
    properties: &mut Map<String, Value>,
) -> Result<String, IngestError> {
    let with_action = |field: &str| match data.get(field) {
        Some(Value::Object(action)) => action
            .get("action")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
            .map(|a| (a.to_string(), action)),
        _ => None,
    };
    let name = if let Some((action, fields)) = with_action("product_action") {
        copy_fields(fields, properties);
        format!("eCommerce - {}", title_case(&action))
    } else if let Some((action, fields)) = with_action("promotion_action") {
        copy_fields(fields, properties);
        format!("eCommerce - Promotion {}", title_case(&action))
    } else if let Some(impressions) = data.get("impressions").filter(|v| !v.is_null()) {
        properties.insert("impressions".into(), impressions.clone());
        "eCommerce - Impression".to_string()
    } else {
        return Err(IngestError::MissingEventName(
            "a commerce_event needs a `data.product_action.action` (or a promotion_action or impressions)",
        ));
    };
    if let Some(currency) = data.get("currency_code").filter(|v| v.is_string()) {
        properties
            .entry("currency_code")
            .or_insert_with(|| currency.clone());
    }
    Ok(name)
}

/// Copies an action's fields but `action` into the properties (they win).
fn copy_fields(action: &Map<String, Value>, properties: &mut Map<String, Value>) {
    for (key, value) in action {
        if key != "action" {
            properties.insert(key.clone(), value.clone());
        }
    }
}

/// `add_to_cart` → `Add To Cart`: words split at `_`, `-` and spaces, each capitalized.
fn title_case(text: &str) -> String {
    let words: Vec<String> = text
        .split(['_', '-', ' '])
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        })
        .collect();
    words.join(" ")
}

/// `data.timestamp_unixtime_ms`: Unix milliseconds as a number or a string of digits.
fn event_time(data: &Map<String, Value>) -> Result<Option<Millis>, IngestError> {
    let value = match data.get("timestamp_unixtime_ms") {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value,
    };
    let millis = match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 9.0e15)
                .map(|f| f.trunc() as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match millis {
        Some(ms) if jiff::Timestamp::from_millisecond(ms).is_ok() => Ok(Some(ms)),
        _ => Err(IngestError::BadTimestamp {
            field: "timestamp_unixtime_ms",
            value: value.to_string(),
        }),
    }
}

/// The batch's identity from `user_identities` and `mpid` (a `source_request_id` that is
/// not a string fails it too: the ids of every event derive from it).
fn batch_identity(obj: &Map<String, Value>) -> Result<Identity, IngestError> {
    if !matches!(
        obj.get("source_request_id"),
        None | Some(Value::Null) | Some(Value::String(_))
    ) {
        return Err(bad_field("source_request_id", "a string"));
    }
    let mut others: Vec<(String, String)> = Vec::new();
    let mut customer_id = None;
    match obj.get("user_identities") {
        None | Some(Value::Null) => {}
        Some(Value::Object(ids)) => {
            // The documented name first, so it wins over the Python SDK's `customerid`.
            let mut names: Vec<&String> = ids.keys().collect();
            names.sort_by_key(|name| (name.as_str() != "customer_id", name.as_str()));
            for name in names {
                let value = match ids.get(name.as_str()) {
                    Some(Value::String(s)) if !s.is_empty() => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    None | Some(Value::Null) | Some(Value::String(_)) => continue,
                    Some(_) => {
                        return Err(bad_field(&format!("user_identities.{name}"), "a string"));
                    }
                };
                let kind = if name == "customerid" {
                    "customer_id"
                } else {
                    name.as_str()
                };
                if kind == "customer_id" && customer_id.is_none() {
                    customer_id = Some(value.clone());
                }
                if !others.iter().any(|(k, v)| k == kind && *v == value) {
                    others.push((kind.to_string(), value));
                }
            }
        }
        Some(_) => return Err(bad_field("user_identities", "an object")),
    }
    let mpid = match obj.get("mpid") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_i64()
                .map(|i| i.to_string())
                .or_else(|| n.as_u64().map(|u| u.to_string()))
                .ok_or_else(|| bad_field("mpid", "an integer"))?,
        ),
        Some(Value::String(s)) => {
            let s = s.trim();
            Some(
                s.parse::<i64>()
                    .map(|i| i.to_string())
                    .or_else(|_| s.parse::<u64>().map(|u| u.to_string()))
                    .map_err(|_| bad_field("mpid", "an integer"))?,
            )
        }
        Some(_) => return Err(bad_field("mpid", "an integer")),
    };
    if customer_id.is_none() && mpid.is_none() {
        return Err(IngestError::MissingMparticleId);
    }
    if let Some(mpid) = &mpid {
        others.push(("mpid".into(), mpid.clone()));
    }
    Ok(Identity {
        user_id: customer_id,
        anonymous_id: mpid,
        previous_id: None,
        others,
    })
}

/// The context every message of the batch carries.
fn batch_context(obj: &Map<String, Value>) -> Result<Map<String, Value>, IngestError> {
    let mut context = match obj.get("context") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c.clone(),
        Some(_) => return Err(bad_field("context", "an object")),
    };
    for field in ["device_info", "application_info"] {
        match obj.get(field) {
            None | Some(Value::Null) => {}
            Some(value @ Value::Object(_)) => {
                context.insert(field.into(), value.clone());
            }
            Some(_) => return Err(bad_field(field, "an object")),
        }
    }
    for field in ["ip", "environment"] {
        if let Some(value) = obj.get(field).filter(|v| v.is_string()) {
            context.insert(field.into(), value.clone());
        }
    }
    let preferences = consent(obj)?;
    if !preferences.is_empty() {
        let mut consent = Map::new();
        consent.insert("categoryPreferences".into(), Value::Object(preferences));
        context.insert("consent".into(), Value::Object(consent));
    }
    Ok(context)
}

/// `consent_state.{gdpr,ccpa}.<purpose>.consented` as `{purpose: bool}`.
fn consent(obj: &Map<String, Value>) -> Result<Map<String, Value>, IngestError> {
    let mut preferences = Map::new();
    let state = match obj.get("consent_state") {
        None | Some(Value::Null) => return Ok(preferences),
        Some(Value::Object(state)) => state,
        Some(_) => return Err(bad_field("consent_state", "an object")),
    };
    for regulation in ["gdpr", "ccpa"] {
        match state.get(regulation) {
            None | Some(Value::Null) => {}
            Some(Value::Object(purposes)) => {
                for (purpose, status) in purposes {
                    if let Some(granted) = status.get("consented").and_then(Value::as_bool) {
                        preferences.insert(purpose.clone(), Value::Bool(granted));
                    }
                }
            }
            Some(_) => {
                return Err(bad_field(
                    &format!("consent_state.{regulation}"),
                    "an object",
                ));
            }
        }
    }
    Ok(preferences)
}

/// `user_attributes` (values kept as sent, lists as arrays) and `deleted_user_attributes`
/// (as `null`).
fn user_attributes(obj: &Map<String, Value>) -> Result<Map<String, Value>, IngestError> {
    let mut traits = match obj.get("user_attributes") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(attrs)) => attrs.clone(),
        Some(_) => return Err(bad_field("user_attributes", "an object")),
    };
    match obj.get("deleted_user_attributes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(names)) => {
            for name in names {
                let Some(name) = name.as_str() else {
                    return Err(bad_field("deleted_user_attributes", "an array of strings"));
                };
                traits.entry(name).or_insert(Value::Null);
            }
        }
        Some(_) => return Err(bad_field("deleted_user_attributes", "an array of strings")),
    }
    Ok(traits)
}

fn bad_field(field: &str, expected: &'static str) -> IngestError {
    IngestError::BadFieldType {
        field: field.to_string(),
        expected,
    }
}

#[cfg(test)]
#[path = "mparticle_tests.rs"]
mod tests;
