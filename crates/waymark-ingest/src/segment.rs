//! Segment-spec messages (`identify`, `track`, `page`, `screen`, `group`, `alias`) to events.

use serde_json::{Map, Value};
use waymark_engine::time::{Millis, parse_instant};
use waymark_engine::{Event, Identity, Message, MessageKind};

use crate::IngestError;

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
    let type_name = obj.get("type").and_then(Value::as_str).unwrap_or("");
    let kind = MessageKind::parse(type_name)
        .ok_or_else(|| IngestError::UnknownType(type_name.to_string()))?;
    let user_id = id_field(obj, "userId");
    let anonymous_id = id_field(obj, "anonymousId");
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(IngestError::MissingId);
    }
    let context = object_field(obj, "context")?;
    let mut properties = object_field(obj, "properties")?;
    let name = match kind {
        MessageKind::Track => Some(
            obj.get("event")
                .and_then(Value::as_str)
                .filter(|e| !e.is_empty())
                .ok_or(IngestError::MissingEvent)?
                .to_string(),
        ),
        MessageKind::Page | MessageKind::Screen => {
            if let Some(name) = obj.get("name").filter(|n| n.is_string()) {
                properties.entry("name").or_insert_with(|| name.clone());
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
        _ => None,
    };
    let mut traits = match context.get("traits") {
        Some(Value::Object(t)) => t.clone(),
        _ => Map::new(),
    };
    if kind == MessageKind::Identify {
        traits.extend(object_field(obj, "traits")?);
    }
    let received_at = match clock {
        Clock::AsGiven => None,
        Clock::ReceivedAt(at) => Some(at),
    };
    let at = event_time(obj, clock)?;
    Ok(Message {
        message_id: id_field(obj, "messageId"),
        kind,
        identity: Identity {
            user_id,
            anonymous_id,
            previous_id: id_field(obj, "previousId"),
            others: Vec::new(),
        },
        received_at: received_at.unwrap_or(at),
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

fn id_field(obj: &Map<String, Value>, field: &str) -> Option<String> {
    match obj.get(field)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn object_field(
    obj: &Map<String, Value>,
    field: &'static str,
) -> Result<Map<String, Value>, IngestError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
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

fn event_time(obj: &Map<String, Value>, clock: Clock) -> Result<Millis, IngestError> {
    let timestamp = match time_field(obj, "timestamp")? {
        Some(t) => Some(t),
        None => time_field(obj, "originalTimestamp")?,
    };
    match clock {
        Clock::AsGiven => timestamp.ok_or(IngestError::MissingTimestamp),
        Clock::ReceivedAt(received) => match (timestamp, time_field(obj, "sentAt")?) {
            (Some(t), Some(sent)) => Ok(received.saturating_sub(sent.saturating_sub(t))),
            (Some(t), None) => Ok(t),
            (None, _) => Ok(received),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(s: &str) -> Millis {
        parse_instant(s).unwrap()
    }

    #[test]
    fn track_page_screen_names() {
        let t = parse(
            &json!({"type":"track","event":"Order Completed","userId":"u1","timestamp":"2026-01-05T12:00:00Z","properties":{"total":5}}),
            Clock::AsGiven,
            None,
        )
        .unwrap();
        assert_eq!(t.event.name.as_deref(), Some("Order Completed"));
        assert_eq!(t.identity.profile_key(), Some("u1"));
        let p = parse(
            &json!({"type":"page","name":"Home","anonymousId":"a1","timestamp":"2026-01-05T12:00:00Z"}),
            Clock::AsGiven,
            Some("web"),
        )
        .unwrap();
        assert_eq!(p.event.name.as_deref(), Some("Page Viewed"));
        assert_eq!(p.event.properties["name"], "Home");
        assert_eq!(p.identity.profile_key(), Some("a1"));
        assert_eq!(p.event.input.as_deref(), Some("web"));
        let s = parse(
            &json!({"type":"screen","name":"Main","userId":null,"anonymousId":"a1","timestamp":"2026-01-05T12:00:00Z"}),
            Clock::AsGiven,
            None,
        )
        .unwrap();
        assert_eq!(s.event.name.as_deref(), Some("Screen Viewed"));
    }

    #[test]
    fn identify_merges_context_traits_with_traits_winning() {
        let m = parse(
            &json!({"type":"identify","userId":"u1","timestamp":"2026-01-05T12:00:00Z",
                    "traits":{"plan":"pro"},"context":{"traits":{"plan":"free","email":"a@b"}}}),
            Clock::AsGiven,
            None,
        )
        .unwrap();
        assert_eq!(m.event.traits["plan"], "pro");
        assert_eq!(m.event.traits["email"], "a@b");
        assert_eq!(m.event.name, None);
    }

    #[test]
    fn skew_correction() {
        let msg = json!({"type":"track","event":"E","userId":"u",
            "timestamp":"2026-01-05T12:00:00Z","sentAt":"2026-01-05T12:00:10Z"});
        let m = parse(&msg, Clock::ReceivedAt(at("2026-01-05T12:05:00Z")), None).unwrap();
        assert_eq!(m.event.at, at("2026-01-05T12:04:50Z"));
        let bare = json!({"type":"track","event":"E","userId":"u"});
        let m = parse(&bare, Clock::ReceivedAt(at("2026-01-05T12:05:00Z")), None).unwrap();
        assert_eq!(m.event.at, at("2026-01-05T12:05:00Z"));
    }

    #[test]
    fn bad_messages_name_the_problem() {
        let cases = [
            (json!([]), "not_an_object"),
            (json!({"type":"explode","userId":"u"}), "unknown_type"),
            (
                json!({"type":"track","event":"E","timestamp":"2026-01-05T12:00:00Z"}),
                "no_user_anon_id",
            ),
            (
                json!({"type":"track","userId":"u","timestamp":"2026-01-05T12:00:00Z"}),
                "missing_event",
            ),
            (
                json!({"type":"track","event":"E","userId":"u"}),
                "missing_timestamp",
            ),
            (
                json!({"type":"track","event":"E","userId":"u","timestamp":"noon"}),
                "bad_timestamp",
            ),
            (
                json!({"type":"track","event":"E","userId":"u","timestamp":"2026-01-05T12:00:00Z","properties":[1]}),
                "bad_field_type",
            ),
        ];
        for (msg, code) in cases {
            let err = parse(&msg, Clock::AsGiven, None).unwrap_err();
            assert_eq!(err.code(), code, "{msg}");
        }
    }
}
