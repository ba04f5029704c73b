//! Property tests: no input, however hostile, makes the readers or normalizers panic, and
//! whatever they accept is well-formed.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use waymark_engine::MessageKind;

use crate::mparticle::{normalize_all, read_batches};
use crate::segment::{Clock, Endpoint, parse, parse_history_line, read_envelope};
use crate::{Limits, decode_body};

const KEYS: &[&str] = &[
    "type",
    "userId",
    "anonymousId",
    "previousId",
    "groupId",
    "event",
    "name",
    "category",
    "properties",
    "traits",
    "context",
    "integrations",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "messageId",
    "writeKey",
    "batch",
    "email",
    "events",
    "event_type",
    "data",
    "event_name",
    "screen_name",
    "product_action",
    "promotion_action",
    "impressions",
    "action",
    "custom_attributes",
    "timestamp_unixtime_ms",
    "source_message_id",
    "source_request_id",
    "user_identities",
    "customerid",
    "customer_id",
    "mpid",
    "user_attributes",
    "deleted_user_attributes",
    "consent_state",
    "gdpr",
    "ccpa",
    "consented",
    "device_info",
    "input",
    "application_info",
    "ip",
    "environment",
];

const WORDS: &[&str] = &[
    "identify",
    "track",
    "page",
    "screen",
    "group",
    "alias",
    "custom_event",
    "screen_view",
    "session_start",
    "session_end",
    "commerce_event",
    "crash_report",
    "purchase",
    "add_to_cart",
    "2026-01-05T12:00:00Z",
    "2026-01-05T12:00:00.123456+02:00",
    "u1",
    "",
    "1700000000000",
    "-1",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(WORDS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    let key = prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => ".{0,6}",
    ];
    leaf.prop_recursive(6, 96, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..10)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn endpoints() -> [Endpoint; 7] {
    [
        Endpoint::Batch,
        Endpoint::Single(MessageKind::Identify),
        Endpoint::Single(MessageKind::Track),
        Endpoint::Single(MessageKind::Page),
        Endpoint::Single(MessageKind::Screen),
        Endpoint::Single(MessageKind::Group),
        Endpoint::Single(MessageKind::Alias),
    ]
}

/// Runs every reader over `body`; whatever is accepted must be well-formed, and every
/// message is either kept or rejected.
fn exercise(body: &[u8], limits: &Limits) {
    const RECEIVED: i64 = 1_700_000_000_000;
    for endpoint in endpoints() {
        if let Ok(envelope) = read_envelope(endpoint, body, limits) {
            let parsed = envelope.into_messages(RECEIVED, "in");
            assert!(!parsed.messages.is_empty() || !parsed.rejected.is_empty());
            for m in parsed.messages {
                assert!(m.identity.profile_key().is_some());
                assert_eq!(m.event.input.as_deref(), Some("in"));
                assert!(m.event.at <= RECEIVED + crate::event_time::MAX_AHEAD);
                assert!(m.event.at >= crate::event_time::EARLIEST);
            }
            for r in parsed.rejected {
                assert!(r.excerpt.len() <= crate::rejection::EXCERPT_BYTES);
            }
        }
    }
    for bulk in [false, true] {
        if let Ok(batches) = read_batches(bulk, body, limits) {
            for m in normalize_all(batches, bulk, RECEIVED, "in").messages {
                assert!(m.identity.profile_key().is_some());
                assert!(m.event.at >= crate::event_time::EARLIEST);
            }
        }
    }
}

/// Valid messages and batches, to be mutated.
fn templates() -> Vec<Value> {
    vec![
        json!({"type":"track","event":"E","userId":"u","timestamp":"2026-01-05T12:00:00Z","properties":{"a":1}}),
        json!({"type":"identify","anonymousId":"a","traits":{"email":"e@x"},"context":{"traits":{"plan":"p"}}}),
        json!({"type":"page","userId":7,"name":"Home","category":"Docs","sentAt":"2026-01-05T12:00:01Z"}),
        json!({"type":"group","userId":"u","groupId":"g","traits":{"name":"Acme"}}),
        json!({"type":"alias","userId":"u","previousId":"p"}),
        json!({"mpid":1,"user_identities":{"customerid":"c"},"user_attributes":{"a":[1]},
               "consent_state":{"gdpr":{"m":{"consented":true}}},
               "events":[{"event_type":"custom_event","data":{"event_name":"E","custom_attributes":{"k":1}}},
                         {"event_type":"commerce_event","data":{"product_action":{"action":"purchase"}}}]}),
    ]
}

/// A template with some top-level keys (and some keys of its first nested object) replaced.
fn arb_mutant() -> impl Strategy<Value = Value> {
    let edit = || (prop::sample::select(KEYS), arb_json());
    (
        0..templates().len(),
        prop::collection::vec(edit(), 0..3),
        prop::collection::vec(edit(), 0..3),
    )
        .prop_map(|(i, top, nested)| {
            let mut v = templates().swap_remove(i);
            if let Some(obj) = v.as_object_mut() {
                for (k, val) in top {
                    obj.insert(k.to_string(), val);
                }
                if let Some(Value::Array(events)) = obj.get_mut("events")
                    && let Some(Value::Object(first)) = events.first_mut()
                {
                    for (k, val) in nested {
                        first.insert(k.to_string(), val);
                    }
                }
            }
            v
        })
}

proptest! {
    #[test]
    fn mutated_valid_messages_never_panic(value in arb_mutant()) {
        let limits = Limits::default();
        exercise(value.to_string().as_bytes(), &limits);
        exercise(json!({"batch": [value.clone()], "sentAt": "2026-01-05T12:00:00Z"}).to_string().as_bytes(), &limits);
    }

    #[test]
    fn random_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&body, &Limits::default());
        let _ = decode_body(Some("gzip"), &body, 4096);
        let mut gz = vec![0x1f, 0x8b, 0x08, 0x00];
        gz.extend(&body);
        let _ = decode_body(Some("gzip"), &gz, 4096);
    }

    #[test]
    fn random_json_never_panics(value in arb_json()) {
        let limits = Limits::default();
        exercise(value.to_string().as_bytes(), &limits);
        exercise(json!({"batch": [value.clone()]}).to_string().as_bytes(), &limits);
        exercise(json!({"batch": value.clone(), "sentAt": "2026-01-05T12:00:00Z"}).to_string().as_bytes(), &limits);
        exercise(json!([{"mpid": 1, "events": [value.clone()]}]).to_string().as_bytes(), &limits);
        exercise(json!({"mpid": 1, "events": [value]}).to_string().as_bytes(), &limits);
    }

    #[test]
    fn random_messages_in_a_valid_envelope_never_panic(
        items in prop::collection::vec(arb_json(), 1..4),
        context in arb_json(),
    ) {
        let body = json!({"batch": items, "context": context, "writeKey": "wk"});
        exercise(body.to_string().as_bytes(), &Limits::default());
    }
}

proptest! {
    /// A history line read directly gives what parsing its JSON and then the message gives:
    /// the same message, or the same error.
    #[test]
    fn history_lines_read_as_parsed_json(value in arb_mutant()) {
        let line = value.to_string();
        let direct = parse_history_line(&line, Clock::AsGiven).map_err(|e| e.to_string());
        let json: Value = serde_json::from_str(&line).unwrap();
        let input = json.get("input").and_then(Value::as_str);
        let via_value = parse(&json, Clock::AsGiven, input).map_err(|e| format!("{e} [{}]", e.code()));
        prop_assert_eq!(direct, via_value);
    }
}
