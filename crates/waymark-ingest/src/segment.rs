//! Segment-spec messages (`identify`, `track`, `page`, `screen`, `group`, `alias`) to
//! messages, and the HTTP tracking API's request bodies (`/v1/batch`, `/v1/import`, the
//! single-message paths) to envelopes of such messages.
//!
//! What each call becomes:
//! - `track`: the event named by `event`.
//! - `page` / `screen`: `Page Viewed` / `Screen Viewed`, with `name` (and `category`) copied
//!   into the properties unless they already hold one.
//! - `identify`: no event name; traits are `context.traits` overlaid with `traits`
//!   (RudderStack sends identify traits only in `context.traits`).
//! - `group`: no event name; the properties carry `groupId` and the group's `traits` (the
//!   user's traits are not changed by them).
//! - `alias`: no event name; `previousId` goes to [`Identity::previous_id`].
//!
//! Every message's traits also take `context.traits`; a string `email` among them is added
//! to [`Identity::others`] as `("email", value)`. `null` ids, `category`, `properties`,
//! `traits` and `context` are tolerated; ids may be numbers (kept as their decimal text);
//! empty strings count as missing. `integrations` is merged and validated but not kept:
//! [`Message`] has no place for it.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use waymark_engine::time::{Millis, parse_instant};
use waymark_engine::{Event, Identity, Message, MessageKind};

use crate::{IngestError, Limits, json};

/// How the event time is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Use `timestamp` as given (simulation and imports).
    AsGiven,
    /// Segment's skew correction against the instant the server received the message:
    /// `receivedAt − (sentAt − timestamp)` when `sentAt` is present; else `timestamp`;
    /// else `receivedAt`.
    ReceivedAt(Millis),
}

/// Normalizes one Segment-spec message. `input` is the input that sent it, when known.
pub fn parse(msg: &Value, clock: Clock, input: Option<&str>) -> Result<Message, IngestError> {
    let obj = msg.as_object().ok_or(IngestError::NotAnObject)?;
    normalize(obj.clone(), clock, input, None)
}

/// Which Segment path was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/batch` and `/v1/import`: `{"batch": [...], ...}`.
    Batch,
    /// `/v1/track` etc. and the browser short paths `/v1/t`, `/v1/i` …: one message, whose
    /// `type` defaults to this one.
    Single(MessageKind),
}

/// A request body parsed and checked, before the write key is resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The write key found in the body: the envelope's `writeKey`, else the first item's
    /// (for a single-message endpoint, the message's own). `None` when the body has none;
    /// the server then needs Basic auth.
    pub write_key: Option<String>,
    /// The endpoint's type, for single-message endpoints.
    single: Option<MessageKind>,
    /// The messages, unchecked beyond their size.
    items: Vec<Value>,
    /// The envelope's `sentAt`, used by items that have none.
    sent_at: Option<Millis>,
    /// The envelope's `context`, merged into each item.
    context: Map<String, Value>,
    /// The envelope's `integrations`, merged into each item.
    integrations: Map<String, Value>,
}

/// Parses the JSON body: for Batch `{"batch":[...], "writeKey"?, "sentAt"?, "context"?,
/// "integrations"?}`; for Single one message object (its own writeKey/sentAt).
///
/// Checks, in order:
/// - the body's size: over `max_batch_bytes` → "batch_too_large" (Batch); over
///   `max_message_bytes` → "message_too_large" (Single, the body is the message);
/// - nesting deeper than `max_depth` → "too_deep" (an iterative scan before parsing);
/// - well-formed JSON → else "invalid_json";
/// - Batch: the body is an object whose `batch` is a non-empty array → else "invalid_batch";
///   at most `max_batch_messages` items → else "too_many_messages"; each item's compact JSON
///   at most `max_message_bytes` → else "message_too_large" (`batch[i]: …`); envelope
///   `sentAt` RFC 3339 → else "bad_timestamp"; `context`, `integrations` objects → else
///   "bad_field_type"; items' `writeKey`s agree with the request's → else
///   "write_key_mismatch";
/// - Single: the body is an object → else "not_an_object".
///
/// Items are otherwise validated by [`Envelope::into_messages`].
pub fn read_envelope(
    endpoint: Endpoint,
    json: &[u8],
    limits: &Limits,
) -> Result<Envelope, IngestError> {
    match endpoint {
        Endpoint::Single(kind) => {
            if json.len() > limits.max_message_bytes {
                return Err(IngestError::MessageTooLarge {
                    limit: limits.max_message_bytes,
                });
            }
            let value = json::parse(json, limits.max_depth)?;
            let obj = value.as_object().ok_or(IngestError::NotAnObject)?;
            let write_key = write_key(obj)?;
            Ok(Envelope {
                write_key,
                single: Some(kind),
                items: vec![value],
                sent_at: None,
                context: Map::new(),
                integrations: Map::new(),
            })
        }
        Endpoint::Batch => {
            if json.len() > limits.max_batch_bytes {
                return Err(IngestError::BatchTooLarge {
                    limit: limits.max_batch_bytes,
                });
            }
            let Value::Object(mut body) = json::parse(json, limits.max_depth)? else {
                return Err(IngestError::InvalidBatch(
                    "the body must be a JSON object with a `batch` array".into(),
                ));
            };
            let items = match body.remove("batch") {
                Some(Value::Array(items)) => items,
                None | Some(Value::Null) => {
                    return Err(IngestError::InvalidBatch(
                        "the body needs a `batch` array of messages".into(),
                    ));
                }
                Some(_) => {
                    return Err(IngestError::InvalidBatch("`batch` must be an array".into()));
                }
            };
            if items.is_empty() {
                return Err(IngestError::InvalidBatch("`batch` is empty".into()));
            }
            if items.len() > limits.max_batch_messages {
                return Err(IngestError::TooManyMessages {
                    count: items.len(),
                    limit: limits.max_batch_messages,
                });
            }
            for (i, item) in items.iter().enumerate() {
                if !json::fits(item, limits.max_message_bytes) {
                    return Err(IngestError::MessageTooLarge {
                        limit: limits.max_message_bytes,
                    }
                    .at(format!("batch[{i}]")));
                }
            }
            let sent_at = time_field(&body, "sentAt")?;
            let context = take_object(&mut body, "context")?;
            let integrations = take_object(&mut body, "integrations")?;
            let mut key = write_key(&body)?;
            for (i, item) in items.iter().enumerate() {
                let Some(obj) = item.as_object() else {
                    continue;
                };
                let own = write_key(obj).map_err(|e| e.at(format!("batch[{i}]")))?;
                match (&key, own) {
                    (_, None) => {}
                    (None, Some(own)) => key = Some(own),
                    (Some(key), Some(own)) if *key == own => {}
                    (Some(_), Some(_)) => {
                        return Err(IngestError::WriteKeyMismatch.at(format!("batch[{i}]")));
                    }
                }
            }
            Ok(Envelope {
                write_key: key,
                single: None,
                items,
                sent_at,
                context,
                integrations,
            })
        }
    }
}

impl Envelope {
    /// Normalizes every item (envelope context/integrations merged into each item — item
    /// keys win, top-level keys only; envelope sentAt used when the item has none; skew
    /// correction with `received_at`; `input` stamped). A batch is accepted or rejected
    /// whole: the first bad item fails it with an error whose message names its index, e.g.
    /// `"batch[3]: a message needs a userId or an anonymousId"`. For Single endpoints, the
    /// endpoint's type is used when the body has no "type" (and a mismatching "type" is an
    /// error "type_mismatch").
    ///
    /// A message without a usable `messageId` gets `"wm-"` + the first 32 hex digits of
    /// SHA-256 over its canonical JSON (keys sorted, after the merge and the endpoint's type,
    /// without `sentAt` and `messageId`), so a retry of the same body, whose `sentAt` changes,
    /// gets the same id and is deduplicated. When the message has no `timestamp` (nor
    /// `originalTimestamp`) a retry cannot be told from a repeat, so `received_at` is hashed
    /// too: repeats are then never lost, at the price of not deduplicating such retries.
    pub fn into_messages(
        mut self,
        received_at: Millis,
        input: &str,
    ) -> Result<Vec<Message>, IngestError> {
        let items = std::mem::take(&mut self.items);
        let batch = self.single.is_none();
        let mut messages = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let message = self.item_message(item, received_at, input);
            messages.push(message.map_err(|e| {
                if batch {
                    e.at(format!("batch[{i}]"))
                } else {
                    e
                }
            })?);
        }
        Ok(messages)
    }

    fn item_message(
        &self,
        item: Value,
        received_at: Millis,
        input: &str,
    ) -> Result<Message, IngestError> {
        let Value::Object(mut obj) = item else {
            return Err(IngestError::NotAnObject);
        };
        if let Some(kind) = self.single {
            match obj.get("type") {
                None | Some(Value::Null) => {
                    obj.insert("type".into(), Value::String(kind.as_str().into()));
                }
                Some(Value::String(t)) if t == kind.as_str() => {}
                Some(other) => {
                    return Err(IngestError::TypeMismatch {
                        endpoint: kind.as_str(),
                        found: other
                            .as_str()
                            .map_or_else(|| other.to_string(), str::to_string),
                    });
                }
            }
        }
        merge_defaults(&mut obj, "context", &self.context);
        merge_defaults(&mut obj, "integrations", &self.integrations);
        let derived = id_field(&obj, "messageId")
            .is_none()
            .then(|| derived_message_id(&obj, received_at));
        let mut message = normalize(
            obj,
            Clock::ReceivedAt(received_at),
            Some(input),
            self.sent_at,
        )?;
        if message.message_id.is_none() {
            message.message_id = derived;
        }
        Ok(message)
    }
}

/// The body's `writeKey`: a non-empty string, or absent/`null`/empty.
fn write_key(obj: &Map<String, Value>) -> Result<Option<String>, IngestError> {
    match obj.get("writeKey") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok((!s.is_empty()).then(|| s.clone())),
        Some(_) => Err(IngestError::BadFieldType {
            field: "writeKey".into(),
            expected: "a string",
        }),
    }
}

/// Adds the envelope's top-level keys of `field` to the item's where it has none.
fn merge_defaults(obj: &mut Map<String, Value>, field: &str, defaults: &Map<String, Value>) {
    if defaults.is_empty() {
        return;
    }
    match obj.get_mut(field) {
        Some(Value::Object(own)) => {
            for (key, value) in defaults {
                if !own.contains_key(key) {
                    own.insert(key.clone(), value.clone());
                }
            }
        }
        None | Some(Value::Null) => {
            obj.insert(field.to_string(), Value::Object(defaults.clone()));
        }
        // Not an object: left for validation to reject.
        Some(_) => {}
    }
}

/// The id given to a message sent without one: `"wm-"` + 32 hex digits of SHA-256 over the
/// item's canonical JSON (keys sorted, `sentAt` and `messageId` left out), plus the receive
/// time when the item has no timestamp, so retries of the same body are recognised (see
/// [`Envelope::into_messages`]). Imports use it too, so a re-import stores nothing twice.
pub fn derived_message_id(obj: &Map<String, Value>, received_at: Millis) -> String {
    let mut hasher = Sha256::new();
    hash_object(obj, &["sentAt", "messageId"], &mut hasher);
    let has_time = ["timestamp", "originalTimestamp"]
        .iter()
        .any(|f| !matches!(obj.get(*f), None | Some(Value::Null)));
    if !has_time {
        hasher.update(format!("\n{received_at}"));
    }
    let digest = hasher.finalize();
    let mut id = String::with_capacity(35);
    id.push_str("wm-");
    for byte in &digest[..16] {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// Feeds `obj` as compact JSON with sorted keys, leaving out the top-level keys in `skip`.
fn hash_object(obj: &Map<String, Value>, skip: &[&str], hasher: &mut Sha256) {
    let mut entries: Vec<(&String, &Value)> = obj
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    hasher.update(b"{");
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            hasher.update(b",");
        }
        hasher.update(Value::String(key.clone()).to_string());
        hasher.update(b":");
        hash_value(value, hasher);
    }
    hasher.update(b"}");
}

/// Feeds a value as canonical JSON. Recursion is bounded by the body's checked depth.
fn hash_value(value: &Value, hasher: &mut Sha256) {
    match value {
        Value::Object(obj) => hash_object(obj, &[], hasher),
        Value::Array(items) => {
            hasher.update(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    hasher.update(b",");
                }
                hash_value(item, hasher);
            }
            hasher.update(b"]");
        }
        scalar => hasher.update(scalar.to_string()),
    }
}

/// The message's call type: `type` must name one.
fn message_kind(obj: &Map<String, Value>) -> Result<MessageKind, IngestError> {
    match obj.get("type") {
        None | Some(Value::Null) => Err(IngestError::MissingType),
        Some(Value::String(name)) => {
            MessageKind::parse(name).ok_or_else(|| IngestError::UnknownType(name.clone()))
        }
        Some(other) => Err(IngestError::UnknownType(other.to_string())),
    }
}

/// Normalizes one message object; `fallback_sent_at` is the envelope's `sentAt`.
fn normalize(
    mut obj: Map<String, Value>,
    clock: Clock,
    input: Option<&str>,
    fallback_sent_at: Option<Millis>,
) -> Result<Message, IngestError> {
    let kind = message_kind(&obj)?;
    let user_id = id_field(&obj, "userId");
    let anonymous_id = id_field(&obj, "anonymousId");
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(IngestError::MissingId);
    }
    let previous_id = id_field(&obj, "previousId");
    if kind == MessageKind::Alias {
        if previous_id.is_none() {
            return Err(IngestError::MissingPreviousId);
        }
        if user_id.is_none() {
            return Err(IngestError::MissingUserId);
        }
    }
    let group_id = match kind {
        MessageKind::Group => Some(id_field(&obj, "groupId").ok_or(IngestError::MissingGroupId)?),
        _ => None,
    };
    let at = event_time(&obj, clock, fallback_sent_at)?;
    let context = take_object(&mut obj, "context")?;
    let mut properties = take_object(&mut obj, "properties")?;
    let own_traits = match kind {
        MessageKind::Identify | MessageKind::Group => take_object(&mut obj, "traits")?,
        _ => Map::new(),
    };
    if let Some(integrations) = obj.get("integrations")
        && !matches!(integrations, Value::Null | Value::Object(_))
    {
        return Err(IngestError::NotAnObjectField("integrations"));
    }
    let mut traits = match context.get("traits") {
        Some(Value::Object(t)) => t.clone(),
        _ => Map::new(),
    };
    let name = match kind {
        MessageKind::Track => Some(
            obj.get("event")
                .and_then(Value::as_str)
                .filter(|e| !e.is_empty())
                .ok_or(IngestError::MissingEvent)?
                .to_string(),
        ),
        MessageKind::Page | MessageKind::Screen => {
            for field in ["name", "category"] {
                if let Some(value) = obj.remove(field).filter(Value::is_string) {
                    properties.entry(field).or_insert(value);
                }
            }
            Some(
                if kind == MessageKind::Page {
                    "Page Viewed"
                } else {
                    "Screen Viewed"
                }
                .into(),
            )
        }
        MessageKind::Identify => {
            traits.extend(own_traits);
            None
        }
        MessageKind::Group => {
            if let Some(group_id) = group_id {
                properties.insert("groupId".into(), Value::String(group_id));
            }
            if !own_traits.is_empty() {
                properties.insert("traits".into(), Value::Object(own_traits));
            }
            None
        }
        MessageKind::Alias => None,
    };
    let mut others = Vec::new();
    if let Some(Value::String(email)) = traits.get("email")
        && !email.is_empty()
    {
        others.push(("email".to_string(), email.clone()));
    }
    let received_at = match clock {
        Clock::AsGiven => at,
        Clock::ReceivedAt(received) => received,
    };
    Ok(Message {
        message_id: id_field(&obj, "messageId"),
        kind,
        identity: Identity {
            user_id,
            anonymous_id,
            previous_id,
            others,
        },
        received_at,
        event: Event {
            at,
            name,
            properties: Value::Object(properties),
            context: Value::Object(context),
            traits,
            input: input.map(str::to_string),
        },
    })
}

/// An identifier: a non-empty string, or a number as its decimal text.
fn id_field(obj: &Map<String, Value>, field: &str) -> Option<String> {
    match obj.get(field)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Removes `field`, which must be an object or absent/`null` (an empty map).
fn take_object(
    obj: &mut Map<String, Value>,
    field: &'static str,
) -> Result<Map<String, Value>, IngestError> {
    match obj.remove(field) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(IngestError::NotAnObjectField(field)),
    }
}

fn time_field(
    obj: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<Millis>, IngestError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            parse_instant(s)
                .map(Some)
                .ok_or_else(|| IngestError::BadTimestamp {
                    field,
                    value: s.clone(),
                })
        }
        Some(other) => Err(IngestError::BadTimestamp {
            field,
            value: other.to_string(),
        }),
    }
}

fn event_time(
    obj: &Map<String, Value>,
    clock: Clock,
    fallback_sent_at: Option<Millis>,
) -> Result<Millis, IngestError> {
    let timestamp = match time_field(obj, "timestamp")? {
        Some(t) => Some(t),
        None => time_field(obj, "originalTimestamp")?,
    };
    let sent_at = time_field(obj, "sentAt")?.or(fallback_sent_at);
    match clock {
        Clock::AsGiven => timestamp.ok_or(IngestError::MissingTimestamp),
        Clock::ReceivedAt(received) => match (timestamp, sent_at) {
            (Some(t), Some(sent)) => Ok(received.saturating_sub(sent.saturating_sub(t))),
            (Some(t), None) => Ok(t),
            (None, _) => Ok(received),
        },
    }
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
