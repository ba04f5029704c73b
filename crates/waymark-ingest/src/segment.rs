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
//! empty strings count as missing; an id of any other JSON type (`"userId": {"a":1}`,
//! `"messageId": true`) fails the message. `integrations` is merged and validated but not
//! kept: [`Message`] has no place for it. A message without a `messageId` keeps none here:
//! the server gives it a new one (SPEC §2), `waymark import` one derived from the file.

use serde_json::{Map, Value};
use waymark_engine::time::Millis;
use waymark_engine::{Event, Identity, Message, MessageKind};

use crate::rejection::{Item, Parsed, Rejection, excerpt};
use crate::{IngestError, Limits, json};

/// How the event time is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Use `timestamp` as given (simulation and imports).
    AsGiven,
    /// Segment's skew correction against the instant the server received the message:
    /// `receivedAt − (sentAt − timestamp)` when `sentAt` is present; else `timestamp`;
    /// else `receivedAt`; then bounded by [`crate::event_time::bound`].
    ReceivedAt(Millis),
}

/// Normalizes one Segment-spec message. `input` is the input that sent it, when known.
pub fn parse(msg: &Value, clock: Clock, input: Option<&str>) -> Result<Message, IngestError> {
    let obj = msg.as_object().ok_or(IngestError::NotAnObject)?;
    normalize(obj.clone(), clock, input, None)
}

/// Normalizes one line of an NDJSON history file (`waymark simulate`, `waymark audiences`):
/// a Segment-spec message whose optional top-level `input` string names the input that
/// sent it. The same as [`parse`] of the line's JSON with that input, but it reads only the
/// fields a message is made of, straight into their places, so that reading a history of
/// millions of lines does not build and copy a JSON tree for each: first with a one-pass
/// reader of the usual line (`fast_history.rs`), then, for a line it leaves (an escape, a
/// field repeated, …), with serde; lines that do not read
/// cleanly that way either (not an object, a field repeated) go through [`parse`], which
/// says what is wrong. The line is text: its UTF-8 was checked once, as a whole, by the
/// caller.
pub fn parse_history_line(line: &str, clock: Clock) -> Result<Message, LineError> {
    let mut fields = Fields::default();
    if fast::fields(line, &mut fields) {
        finish_history_line(&mut fields, clock)
    } else {
        parse_history_line_serde(line, clock)
    }
}

/// [`parse_history_line`] through serde only: the reference the fast reading is held to.
pub(crate) fn parse_history_line_serde(line: &str, clock: Clock) -> Result<Message, LineError> {
    match serde_json::from_str::<Fields>(line) {
        Ok(mut fields) => finish_history_line(&mut fields, clock),
        Err(_) => {
            let value: Value = serde_json::from_str(line).map_err(LineError::Json)?;
            let input = value.get("input").and_then(Value::as_str);
            parse(&value, clock, input).map_err(LineError::Message)
        }
    }
}

/// A history line's message from its fields (its `input` names the input).
fn finish_history_line(fields: &mut Fields<'_>, clock: Clock) -> Result<Message, LineError> {
    let input = fields.input.take();
    let input = input.as_ref().and_then(Value::as_str);
    normalize_fields(fields, clock, input, None).map_err(LineError::Message)
}

/// Why a history line was not read.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// Not JSON.
    #[error("invalid JSON: {0}")]
    Json(serde_json::Error),
    /// JSON, but not a valid message.
    #[error("{0} [{code}]", code = .0.code())]
    Message(IngestError),
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
    /// The messages, unchecked beyond their size and JSON.
    items: Vec<Item>,
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
/// A body that cannot be read as a whole fails, in this order of checks:
/// - its size: over `max_batch_bytes` → "batch_too_large" (Batch); over
///   `max_message_bytes` → "message_too_large" (Single, the body is the message);
/// - nesting deeper than `max_depth` → "too_deep" (an iterative scan before parsing);
/// - well-formed JSON → else "invalid_json"; a key repeated within an object, anywhere →
///   "duplicate_key";
/// - Batch: the body is an object whose `batch` is a non-empty array → else "invalid_batch";
///   at most `max_batch_messages` items → else "too_many_messages"; envelope `sentAt`
///   RFC 3339 → else "bad_timestamp"; `context`, `integrations` objects → else
///   "bad_field_type"; items' `writeKey`s agree with the request's → else
///   "write_key_mismatch";
/// - Single: the body is an object → else "not_an_object".
///
/// A batch item whose text as received is over `max_message_bytes` is measured exactly as
/// a single-message body is, and is rejected by [`Envelope::into_messages`] with
/// "message_too_large"; items are otherwise validated there.
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
            let text = json::text(json, limits.max_depth)?;
            let value = json::parse_str(text)?;
            let obj = value.as_object().ok_or(IngestError::NotAnObject)?;
            let write_key = write_key(obj)?;
            Ok(Envelope {
                write_key,
                single: Some(kind),
                items: vec![Item {
                    value: Ok(value),
                    excerpt: excerpt(text),
                }],
                sent_at: None,
                context: Map::new(),
                integrations: Map::new(),
            })
        }
        Endpoint::Batch => read_batch(json, limits),
    }
}

/// [`read_envelope`] for `/v1/batch` and `/v1/import`.
fn read_batch(json: &[u8], limits: &Limits) -> Result<Envelope, IngestError> {
    if json.len() > limits.max_batch_bytes {
        return Err(IngestError::BatchTooLarge {
            limit: limits.max_batch_bytes,
        });
    }
    let text = json::text(json, limits.max_depth)?;
    let Some(members) = json::raw_object(text)? else {
        return Err(IngestError::InvalidBatch(
            "the body must be a JSON object with a `batch` array".into(),
        ));
    };
    let mut raw_items = None;
    let mut body = Map::new();
    for (key, raw) in members {
        if key == "batch" {
            raw_items = Some(raw);
        } else {
            body.insert(key, json::parse_str(raw.get())?);
        }
    }
    let raw_items = match raw_items {
        Some(raw) if raw.get() != "null" => json::raw_array(raw)?
            .ok_or_else(|| IngestError::InvalidBatch("`batch` must be an array".into()))?,
        _ => {
            return Err(IngestError::InvalidBatch(
                "the body needs a `batch` array of messages".into(),
            ));
        }
    };
    if raw_items.is_empty() {
        return Err(IngestError::InvalidBatch("`batch` is empty".into()));
    }
    if raw_items.len() > limits.max_batch_messages {
        return Err(IngestError::TooManyMessages {
            count: raw_items.len(),
            limit: limits.max_batch_messages,
        });
    }
    let items = raw_items
        .iter()
        .map(|raw| Item::read(raw.get(), limits.max_message_bytes))
        .collect::<Result<Vec<_>, _>>()?;
    let sent_at = time_field(body.get("sentAt").map(Text::of).as_ref(), "sentAt")?;
    let context = take_object(body.remove("context"), "context")?;
    let integrations = take_object(body.remove("integrations"), "integrations")?;
    let mut key = write_key(&body)?;
    for (i, item) in items.iter().enumerate() {
        let Ok(Value::Object(obj)) = &item.value else {
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

impl Envelope {
    /// Normalizes every item (envelope context/integrations merged into each item — item
    /// keys win, top-level keys only; envelope sentAt used when the item has none; skew
    /// correction with `received_at`, then [`crate::event_time::bound`]; `input` stamped). An item
    /// that fails validation is rejected, named by its index (`batch[3]`), and the others
    /// are kept: one bad message never sinks its batch. For Single endpoints, the
    /// endpoint's type is used when the body has no "type" (and a mismatching "type" is an
    /// error "type_mismatch").
    ///
    /// A message without a `messageId` keeps none: the caller gives it a new one.
    pub fn into_messages(mut self, received_at: Millis, input: &str) -> Parsed {
        let items = std::mem::take(&mut self.items);
        let batch = self.single.is_none();
        let mut parsed = Parsed {
            messages: Vec::with_capacity(items.len()),
            rejected: Vec::new(),
        };
        for (i, item) in items.into_iter().enumerate() {
            let message = item
                .value
                .and_then(|value| self.item_message(value, received_at, input));
            match message {
                Ok(message) => parsed.messages.push(message),
                Err(error) => parsed.rejected.push(Rejection {
                    path: if batch {
                        format!("batch[{i}]")
                    } else {
                        String::new()
                    },
                    error,
                    excerpt: item.excerpt,
                }),
            }
        }
        parsed
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
        normalize(
            obj,
            Clock::ReceivedAt(received_at),
            Some(input),
            self.sent_at,
        )
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

/// The message's call type: `type` must name one.
fn message_kind(value: Option<&Text<'_>>) -> Result<MessageKind, IngestError> {
    match value {
        None | Some(Text::Json(Value::Null)) => Err(IngestError::MissingType),
        Some(Text::Str(name)) => {
            MessageKind::parse(name).ok_or_else(|| IngestError::UnknownType(name.to_string()))
        }
        Some(Text::Json(other)) => Err(IngestError::UnknownType(other.to_string())),
    }
}

/// Normalizes one message object; `fallback_sent_at` is the envelope's `sentAt`.
fn normalize(
    obj: Map<String, Value>,
    clock: Clock,
    input: Option<&str>,
    fallback_sent_at: Option<Millis>,
) -> Result<Message, IngestError> {
    normalize_fields(&mut Fields::from_map(obj), clock, input, fallback_sent_at)
}

/// Normalizes the fields of one message (see [`normalize`]).
fn normalize_fields(
    f: &mut Fields<'_>,
    clock: Clock,
    input: Option<&str>,
    fallback_sent_at: Option<Millis>,
) -> Result<Message, IngestError> {
    let kind = message_kind(f.kind.as_ref())?;
    let message_id = id_field(f.message_id.take(), "messageId")?;
    let user_id = id_field(f.user_id.take(), "userId")?;
    let anonymous_id = id_field(f.anonymous_id.take(), "anonymousId")?;
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(IngestError::MissingId);
    }
    let previous_id = id_field(f.previous_id.take(), "previousId")?;
    if kind == MessageKind::Alias {
        if previous_id.is_none() {
            return Err(IngestError::MissingPreviousId);
        }
        if user_id.is_none() {
            return Err(IngestError::MissingUserId);
        }
    }
    let group_id = match kind {
        MessageKind::Group => {
            Some(id_field(f.group_id.take(), "groupId")?.ok_or(IngestError::MissingGroupId)?)
        }
        _ => None,
    };
    let (at, timestamp_adjusted) = event_time(f, clock, fallback_sent_at)?;
    let context = take_object(f.context.take(), "context")?;
    let mut properties = take_object(f.properties.take(), "properties")?;
    let own_traits = match kind {
        MessageKind::Identify | MessageKind::Group => take_object(f.traits.take(), "traits")?,
        _ => Map::new(),
    };
    if let Some(integrations) = &f.integrations
        && !matches!(integrations, Value::Null | Value::Object(_))
    {
        return Err(IngestError::NotAnObjectField("integrations"));
    }
    let mut traits = match context.get("traits") {
        Some(Value::Object(t)) => t.clone(),
        _ => Map::new(),
    };
    let name = match kind {
        MessageKind::Track => Some(match f.event.take() {
            Some(Value::String(e)) if !e.is_empty() => e,
            _ => return Err(IngestError::MissingEvent),
        }),
        MessageKind::Page | MessageKind::Screen => {
            for (field, value) in [("name", f.name.take()), ("category", f.category.take())] {
                if let Some(value) = value.filter(Value::is_string) {
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
        message_id,
        timestamp_adjusted,
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

/// An identifier: a non-empty string, or a number as its decimal text; absent, `null` and
/// `""` are none, any other JSON type fails the message ("bad_field_type").
fn id_field(value: Option<Value>, field: &'static str) -> Result<Option<String>, IngestError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok((!s.is_empty()).then_some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(IngestError::BadFieldType {
            field: field.to_string(),
            expected: "a string or a number",
        }),
    }
}

/// `field`'s value, which must be an object or absent/`null` (an empty map).
fn take_object(
    value: Option<Value>,
    field: &'static str,
) -> Result<Map<String, Value>, IngestError> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(IngestError::NotAnObjectField(field)),
    }
}

fn time_field(
    value: Option<&Text<'_>>,
    field: &'static str,
) -> Result<Option<Millis>, IngestError> {
    match value {
        None | Some(Text::Json(Value::Null)) => Ok(None),
        Some(Text::Str(s)) => fast::instant(s)
            .map(Some)
            .ok_or_else(|| IngestError::BadTimestamp {
                field,
                value: s.to_string(),
            }),
        Some(Text::Json(other)) => Err(IngestError::BadTimestamp {
            field,
            value: other.to_string(),
        }),
    }
}

/// The event time, and whether it was adjusted to bounds.
fn event_time(
    f: &Fields<'_>,
    clock: Clock,
    fallback_sent_at: Option<Millis>,
) -> Result<(Millis, bool), IngestError> {
    let timestamp = match time_field(f.timestamp.as_ref(), "timestamp")? {
        Some(t) => Some(t),
        None => time_field(f.original_timestamp.as_ref(), "originalTimestamp")?,
    };
    let sent_at = time_field(f.sent_at.as_ref(), "sentAt")?.or(fallback_sent_at);
    match clock {
        Clock::AsGiven => Ok((timestamp.ok_or(IngestError::MissingTimestamp)?, false)),
        Clock::ReceivedAt(received) => {
            let at = match (timestamp, sent_at) {
                (Some(t), Some(sent)) => received.saturating_sub(sent.saturating_sub(t)),
                (Some(t), None) => t,
                (None, _) => received,
            };
            Ok(crate::event_time::bound(at, received))
        }
    }
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;

#[path = "segment_fields.rs"]
mod fields;

#[path = "fast_history.rs"]
mod fast;
use fields::{Fields, Text};
