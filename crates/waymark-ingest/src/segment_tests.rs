//! Tests of Segment-spec normalization and request envelopes, on the bodies the real
//! clients sent (`tests/fixtures/`, copied from `shared/reference/captures/`).

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::json;

use super::*;
use crate::decode_body;
use waymark_engine::time::parse_instant;

const SEGMENT_PYTHON: &str = include_str!("../tests/fixtures/segment_python_batch.json");
const RUDDER: &str = include_str!("../tests/fixtures/rudder_batch.json");
const ANALYTICS_NODE: &str = include_str!("../tests/fixtures/analytics_node_batch.json");

fn at(s: &str) -> Millis {
    parse_instant(s).unwrap()
}

fn limits() -> Limits {
    Limits::default()
}

fn batch(body: &Value) -> Result<Vec<Message>, IngestError> {
    read_envelope(Endpoint::Batch, body.to_string().as_bytes(), &limits())?
        .into_messages(at("2026-01-05T12:00:00Z"), "web")
        .all_valid()
}

fn single(kind: MessageKind, body: &Value) -> Result<Vec<Message>, IngestError> {
    read_envelope(
        Endpoint::Single(kind),
        body.to_string().as_bytes(),
        &limits(),
    )?
    .into_messages(at("2026-01-05T12:00:00Z"), "web")
    .all_valid()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

// ---- parse (one message) -------------------------------------------------------------

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
    assert_eq!(m.identity.others, vec![("email".into(), "a@b".into())]);
}

#[test]
fn skew_correction() {
    let msg = json!({"type":"track","event":"E","userId":"u",
        "timestamp":"2026-01-05T12:00:00Z","sentAt":"2026-01-05T12:00:10Z"});
    let m = parse(&msg, Clock::ReceivedAt(at("2026-01-05T12:05:00Z")), None).unwrap();
    assert_eq!(m.event.at, at("2026-01-05T12:04:50Z"));
    assert_eq!(m.received_at, at("2026-01-05T12:05:00Z"));
    let bare = json!({"type":"track","event":"E","userId":"u"});
    let m = parse(&bare, Clock::ReceivedAt(at("2026-01-05T12:05:00Z")), None).unwrap();
    assert_eq!(m.event.at, at("2026-01-05T12:05:00Z"));
    let no_sent =
        json!({"type":"track","event":"E","userId":"u","timestamp":"2026-01-05T12:00:00+01:00"});
    let m = parse(
        &no_sent,
        Clock::ReceivedAt(at("2026-01-05T12:05:00Z")),
        None,
    )
    .unwrap();
    assert_eq!(m.event.at, at("2026-01-05T11:00:00Z"));
}

#[test]
fn bad_messages_name_the_problem() {
    let t = "2026-01-05T12:00:00Z";
    let cases = [
        (json!([]), "not_an_object"),
        (json!({"userId":"u","timestamp":t}), "missing_type"),
        (
            json!({"type":null,"userId":"u","timestamp":t}),
            "missing_type",
        ),
        (json!({"type":"explode","userId":"u"}), "unknown_type"),
        (json!({"type":7,"userId":"u"}), "unknown_type"),
        (
            json!({"type":"track","event":"E","timestamp":t}),
            "no_user_anon_id",
        ),
        (
            json!({"type":"track","event":"E","userId":"","anonymousId":null,"timestamp":t}),
            "no_user_anon_id",
        ),
        (
            json!({"type":"track","userId":"u","timestamp":t}),
            "missing_event",
        ),
        (
            json!({"type":"track","event":"","userId":"u","timestamp":t}),
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
            json!({"type":"track","event":"E","userId":"u","timestamp":12}),
            "bad_timestamp",
        ),
        (
            json!({"type":"track","event":"E","userId":"u","timestamp":t,"sentAt":"later"}),
            "bad_timestamp",
        ),
        (
            json!({"type":"track","event":"E","userId":"u","timestamp":t,"properties":[1]}),
            "bad_field_type",
        ),
        (
            json!({"type":"track","event":"E","userId":"u","timestamp":t,"context":"x"}),
            "bad_field_type",
        ),
        (
            json!({"type":"identify","userId":"u","timestamp":t,"traits":"x"}),
            "bad_field_type",
        ),
        (
            json!({"type":"track","event":"E","userId":"u","timestamp":t,"integrations":[]}),
            "bad_field_type",
        ),
        (
            json!({"type":"alias","userId":"u","timestamp":t}),
            "missing_previous_id",
        ),
        (
            json!({"type":"alias","anonymousId":"a","previousId":"p","timestamp":t}),
            "missing_user_id",
        ),
        (
            json!({"type":"group","userId":"u","timestamp":t}),
            "missing_group_id",
        ),
        (
            json!({"type":"group","userId":"u","groupId":"","timestamp":t}),
            "missing_group_id",
        ),
    ];
    for (msg, code) in cases {
        let err = parse(&msg, Clock::AsGiven, None).unwrap_err();
        assert_eq!(err.code(), code, "{msg}");
    }
}

#[test]
fn ids_may_be_numbers_and_nulls_are_tolerated() {
    let m = parse(
        &json!({"type":"page","userId":42,"anonymousId":null,"category":null,"properties":null,
                "context":null,"name":null,"timestamp":"2026-01-05T12:00:00Z"}),
        Clock::AsGiven,
        None,
    )
    .unwrap();
    assert_eq!(m.identity.user_id.as_deref(), Some("42"));
    assert_eq!(m.identity.anonymous_id, None);
    assert_eq!(m.event.properties, json!({}));
    let g = parse(
        &json!({"type":"group","userId":"u","groupId":7,"traits":{"name":"Acme","email":"g@acme"},
                "timestamp":"2026-01-05T12:00:00Z"}),
        Clock::AsGiven,
        None,
    )
    .unwrap();
    assert_eq!(
        g.event.properties,
        json!({"groupId":"7","traits":{"name":"Acme","email":"g@acme"}})
    );
    // Group traits describe the group, not the user.
    assert!(g.event.traits.is_empty());
    assert!(g.identity.others.is_empty());
}

// ---- the captured clients -------------------------------------------------------------

#[test]
fn segment_python_batch_of_seven() {
    let env = read_envelope(Endpoint::Batch, SEGMENT_PYTHON.as_bytes(), &limits()).unwrap();
    assert_eq!(env.write_key.as_deref(), Some("WK_SEGMENT_TEST"));
    // Received 300 ms after the client's sentAt (12:06:25.181).
    let received = at("2026-11-22T12:06:25.481Z");
    let msgs = env.into_messages(received, "server").all_valid().unwrap();
    let kinds: Vec<_> = msgs.iter().map(|m| m.kind).collect();
    use MessageKind::*;
    assert_eq!(kinds, [Identify, Track, Page, Screen, Group, Alias, Track]);
    for m in &msgs {
        assert_eq!(m.event.input.as_deref(), Some("server"));
        assert_eq!(m.received_at, received);
    }
    let [identify, track, page, screen, group, alias, old] = &msgs[..] else {
        unreachable!()
    };
    assert_eq!(
        identify.message_id.as_deref(),
        Some("7dbfea54-6b86-43db-81e8-7d37a5b99006")
    );
    assert_eq!(identify.identity.user_id.as_deref(), Some("user-1"));
    assert_eq!(identify.identity.anonymous_id, None);
    assert_eq!(identify.event.traits["plan"], "pro");
    assert_eq!(
        identify.identity.others,
        vec![("email".into(), "a@example.com".into())]
    );
    // timestamp 12:06:24.681, sentAt 12:06:25.181: 500 ms before receipt.
    assert_eq!(identify.event.at, at("2026-11-22T12:06:24.981Z"));
    assert_eq!(track.event.name.as_deref(), Some("Order Completed"));
    assert_eq!(track.event.properties["revenue"], 42.5);
    assert_eq!(track.event.context["ip"], "127.0.0.1");
    assert_eq!(page.event.name.as_deref(), Some("Page Viewed"));
    assert_eq!(
        page.event.properties,
        json!({"url":"http://x/","name":"Home","category":"Docs"})
    );
    assert_eq!(screen.event.name.as_deref(), Some("Screen Viewed"));
    assert_eq!(screen.identity.user_id, None);
    assert_eq!(screen.identity.anonymous_id.as_deref(), Some("anon-9"));
    assert_eq!(screen.event.properties, json!({"name":"Main"}));
    assert_eq!(group.event.properties["groupId"], "grp-1");
    assert_eq!(alias.identity.previous_id.as_deref(), Some("anon-9"));
    assert_eq!(alias.identity.user_id.as_deref(), Some("user-1"));
    assert_eq!(old.message_id.as_deref(), Some("fixed-mid-1"));
    assert_eq!(old.event.name.as_deref(), Some("Old"));
    // A historical timestamp keeps its distance from sentAt.
    let skew = at("2026-11-22T12:06:25.181Z") - at("2024-01-02T03:04:05Z");
    assert_eq!(old.event.at, received - skew);
}

#[test]
fn rudder_gzip_batch_with_identify_traits_in_context() {
    let body = gzip(RUDDER.as_bytes());
    let json = decode_body(Some("gzip"), &body, limits().max_batch_bytes).unwrap();
    let env = read_envelope(Endpoint::Batch, &json, &limits()).unwrap();
    // Rudder sends the key only as Basic auth.
    assert_eq!(env.write_key, None);
    let msgs = env
        .into_messages(at("2026-11-22T12:06:36.338Z"), "server")
        .all_valid()
        .unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].kind, MessageKind::Identify);
    assert_eq!(msgs[0].event.traits["email"], "a@example.com");
    assert_eq!(
        msgs[0].identity.others,
        vec![("email".into(), "a@example.com".into())]
    );
    // Microsecond timestamps: 12:06:35.838568 sent at 12:06:36.338772, received at .338.
    assert_eq!(msgs[0].event.at, at("2026-11-22T12:06:35.838Z"));
    assert_eq!(msgs[1].event.name.as_deref(), Some("Order Completed"));
    assert_eq!(
        msgs[1].message_id.as_deref(),
        Some("b17c0bfd-1559-4251-a3af-9c5640c1c88e")
    );
}

#[test]
fn analytics_node_batch_with_metadata_and_page_category() {
    let env = read_envelope(Endpoint::Batch, ANALYTICS_NODE.as_bytes(), &limits()).unwrap();
    assert_eq!(env.write_key.as_deref(), Some("WK_NODE"));
    let received = at("2026-11-22T12:06:52.144Z");
    let msgs = env.into_messages(received, "node").all_valid().unwrap();
    assert_eq!(msgs.len(), 7);
    let page = &msgs[2];
    assert_eq!(page.kind, MessageKind::Page);
    assert_eq!(page.identity.anonymous_id.as_deref(), Some("anon-9"));
    assert_eq!(
        page.event.properties,
        json!({"url":"http://x/","category":"Docs","name":"Home"})
    );
    assert_eq!(
        page.message_id.as_deref(),
        Some("node-next-1795349209962-6f35d9b8-8811-4349-b024-643d875786c5")
    );
    assert_eq!(msgs[4].kind, MessageKind::Alias);
    assert_eq!(msgs[4].identity.previous_id.as_deref(), Some("anon-9"));
    // The retry's sentAt (12:06:52.144) is also the receipt: event times are as sent.
    assert_eq!(msgs[0].event.at, at("2026-11-22T12:06:49.961Z"));
    assert_eq!(msgs[6].event.at, at("2024-01-02T03:04:05Z"));
}

// ---- envelopes ---------------------------------------------------------------------------

#[test]
fn envelope_context_and_sent_at_apply_to_items() {
    let body = json!({
        "writeKey": "wk",
        "sentAt": "2026-01-05T12:00:10Z",
        "context": {"ip": "1.2.3.4", "library": {"name": "env"}, "traits": {"plan": "free"}},
        "integrations": {"All": false},
        "batch": [
            {"type":"track","event":"A","userId":"u","timestamp":"2026-01-05T12:00:00Z",
             "context":{"library":{"name":"own"}}},
            {"type":"identify","userId":"u","timestamp":"2026-01-05T12:00:00Z",
             "sentAt":"2026-01-05T12:00:01Z","traits":{"email":"e@x"}},
            {"type":"track","event":"C","userId":"u","context":null}
        ]
    });
    let received = at("2026-01-05T13:00:00Z");
    let env = read_envelope(Endpoint::Batch, body.to_string().as_bytes(), &limits()).unwrap();
    assert_eq!(env.write_key.as_deref(), Some("wk"));
    let msgs = env.into_messages(received, "web").all_valid().unwrap();
    // Item keys win; the envelope fills the rest.
    assert_eq!(
        msgs[0].event.context,
        json!({"ip":"1.2.3.4","library":{"name":"own"},"traits":{"plan":"free"}})
    );
    // Envelope sentAt: 10 s of skew.
    assert_eq!(msgs[0].event.at, at("2026-01-05T12:59:50Z"));
    // The item's own sentAt wins: 1 s of skew.
    assert_eq!(msgs[1].event.at, at("2026-01-05T12:59:59Z"));
    // Envelope context.traits reach identify traits; the item's traits win.
    assert_eq!(
        msgs[1].event.traits,
        json!({"plan":"free","email":"e@x"})
            .as_object()
            .cloned()
            .unwrap()
    );
    assert_eq!(msgs[2].event.context["ip"], "1.2.3.4");
    // No timestamp: the receipt.
    assert_eq!(msgs[2].event.at, received);
}

#[test]
fn write_key_comes_from_the_envelope_or_the_items() {
    let item = |wk: Option<&str>| {
        let mut v = json!({"type":"track","event":"E","userId":"u"});
        if let Some(wk) = wk {
            v["writeKey"] = json!(wk);
        }
        v
    };
    let read = |body: Value| read_envelope(Endpoint::Batch, body.to_string().as_bytes(), &limits());
    assert_eq!(read(json!({"batch":[item(None)]})).unwrap().write_key, None);
    assert_eq!(
        read(json!({"batch":[item(None), item(Some("k1"))]}))
            .unwrap()
            .write_key
            .as_deref(),
        Some("k1")
    );
    assert_eq!(
        read(json!({"writeKey":"k1","batch":[item(Some("k1"))]}))
            .unwrap()
            .write_key
            .as_deref(),
        Some("k1")
    );
    let err = read(json!({"writeKey":"k1","batch":[item(None), item(Some("k2"))]})).unwrap_err();
    assert_eq!(err.code(), "write_key_mismatch");
    assert!(err.to_string().starts_with("batch[1]: "), "{err}");
    let err = read(json!({"writeKey":5,"batch":[item(None)]})).unwrap_err();
    assert_eq!(err.code(), "bad_field_type");
    let single = read_envelope(
        Endpoint::Single(MessageKind::Track),
        br#"{"event":"E","userId":"u","writeKey":"wk"}"#,
        &limits(),
    )
    .unwrap();
    assert_eq!(single.write_key.as_deref(), Some("wk"));
}

#[test]
fn single_endpoints_default_the_type_and_reject_a_mismatch() {
    let msgs = single(MessageKind::Track, &json!({"event":"E","userId":"u"})).unwrap();
    assert_eq!(msgs[0].kind, MessageKind::Track);
    let msgs = single(
        MessageKind::Page,
        &json!({"type":"page","anonymousId":"a","name":"Home"}),
    )
    .unwrap();
    assert_eq!(msgs[0].event.properties["name"], "Home");
    let err = single(MessageKind::Track, &json!({"type":"identify","userId":"u"})).unwrap_err();
    assert_eq!(err.code(), "type_mismatch");
    assert_eq!(
        err.to_string(),
        "this endpoint takes `track` messages, but the message's type is `identify`"
    );
    // Errors of a single message carry no index.
    let err = single(MessageKind::Track, &json!({"userId":"u"})).unwrap_err();
    assert_eq!(err, IngestError::MissingEvent);
    let err = read_envelope(Endpoint::Single(MessageKind::Track), b"[1]", &limits()).unwrap_err();
    assert_eq!(err.code(), "not_an_object");
}

#[test]
fn a_bad_item_is_rejected_and_the_others_kept() {
    let ok = |event: &str| json!({"type":"track","event":event,"userId":"u"});
    let bad = json!({"type":"track","event":"E"});
    let body = json!({"batch":[ok("A"), ok("B"), bad, 5, ok("C")]});
    let parsed = read_envelope(Endpoint::Batch, body.to_string().as_bytes(), &limits())
        .unwrap()
        .into_messages(at("2026-01-05T12:00:00Z"), "web");
    let names: Vec<_> = parsed
        .messages
        .iter()
        .map(|m| m.event.name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["A", "B", "C"]);
    let rejected: Vec<_> = parsed
        .rejected
        .iter()
        .map(|r| (r.path.as_str(), r.error.code(), r.located().to_string()))
        .collect();
    assert_eq!(
        rejected,
        [
            (
                "batch[2]",
                "no_user_anon_id",
                "batch[2]: a message needs a userId or an anonymousId".to_string()
            ),
            (
                "batch[3]",
                "not_an_object",
                "batch[3]: a message must be a JSON object".to_string()
            ),
        ]
    );
    assert_eq!(parsed.rejected[0].excerpt, bad.to_string());
    assert_eq!(parsed.rejected[1].excerpt, "5");
}

#[test]
fn malformed_ids_reject_the_message() {
    for (field, value) in [
        ("userId", json!({"a": 1})),
        ("anonymousId", json!([1])),
        ("messageId", json!(true)),
        ("previousId", json!(false)),
    ] {
        let mut msg = json!({"type":"track","event":"E","userId":"u","anonymousId":"a"});
        msg[field] = value;
        let err = batch(&json!({ "batch": [msg] })).unwrap_err();
        assert_eq!(err.code(), "bad_field_type", "{field}");
        assert!(err.to_string().contains(&format!("`{field}`")), "{err}");
    }
    let group = json!({"type":"group","userId":"u","groupId":{"id":1}});
    assert_eq!(
        batch(&json!({ "batch": [group] })).unwrap_err().code(),
        "bad_field_type"
    );
}

#[test]
fn repeated_keys_refuse_the_body() {
    let bodies: [&[u8]; 3] = [
        br#"{"writeKey":"a","writeKey":"b","batch":[{"type":"track","event":"E","userId":"u"}]}"#,
        br#"{"batch":[{"type":"track","event":"E","userId":"u","userId":"v"}]}"#,
        br#"{"batch":[{"type":"track","event":"E","userId":"u","properties":{"a":1,"a":2}}]}"#,
    ];
    for body in bodies {
        let err = read_envelope(Endpoint::Batch, body, &limits()).unwrap_err();
        assert_eq!(
            err.code(),
            "duplicate_key",
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let err = read_envelope(
        Endpoint::Single(MessageKind::Track),
        br#"{"writeKey":"a","writeKey":"b","event":"E","userId":"u"}"#,
        &limits(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "duplicate_key");
}

#[test]
fn event_times_are_bounded_by_the_receipt() {
    let received = at("2026-01-05T12:00:00Z");
    let time = |msg: Value| {
        let body = json!({ "batch": [msg] });
        let m = &read_envelope(Endpoint::Batch, body.to_string().as_bytes(), &limits())
            .unwrap()
            .into_messages(received, "web")
            .messages[0];
        (m.event.at, m.timestamp_adjusted)
    };
    let track = |extra: Value| {
        let mut m = json!({"type":"track","event":"E","userId":"u"});
        m.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        m
    };
    // An identify stamped in year 3000.
    assert_eq!(
        time(track(json!({"timestamp": "3000-01-01T00:00:00Z"}))),
        (received, true)
    );
    // Skew correction that would land in year 4049.
    assert_eq!(
        time(track(json!({"timestamp": "3000-01-01T00:00:00Z",
                           "sentAt": "1977-01-01T00:00:00Z"}))),
        (received, true)
    );
    assert_eq!(
        time(track(json!({"timestamp": "1999-12-31T23:59:59.999Z"}))),
        (received, true)
    );
    // Inside the bounds: kept, up to exactly 24 hours ahead and from exactly 2000.
    assert_eq!(
        time(track(json!({"timestamp": "2026-01-06T12:00:00Z"}))),
        (at("2026-01-06T12:00:00Z"), false)
    );
    assert_eq!(
        time(track(json!({"timestamp": "2000-01-01T00:00:00Z"}))),
        (at("2000-01-01T00:00:00Z"), false)
    );
    assert_eq!(
        time(track(json!({"timestamp": "2026-01-06T12:00:00.001Z"}))),
        (received, true)
    );
}

#[test]
fn every_envelope_error_code() {
    let cases: Vec<(&[u8], &str)> = vec![
        (b"{", "invalid_json"),
        (b"", "invalid_json"),
        (b"\xff", "invalid_json"),
        (b"[]", "invalid_batch"),
        (b"{}", "invalid_batch"),
        (br#"{"batch":null}"#, "invalid_batch"),
        (br#"{"batch":{}}"#, "invalid_batch"),
        (br#"{"batch":[]}"#, "invalid_batch"),
        (br#"{"batch":[{}],"sentAt":"soon"}"#, "bad_timestamp"),
        (br#"{"batch":[{}],"context":[]}"#, "bad_field_type"),
        (br#"{"batch":[{}],"integrations":1}"#, "bad_field_type"),
    ];
    for (body, code) in cases {
        let err = read_envelope(Endpoint::Batch, body, &limits()).unwrap_err();
        assert_eq!(err.code(), code, "{}", String::from_utf8_lossy(body));
    }
    let deep = format!("{{\"batch\":[{}{}]}}", "[".repeat(70), "]".repeat(70));
    assert_eq!(
        read_envelope(Endpoint::Batch, deep.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "too_deep"
    );
}

// ---- limits ------------------------------------------------------------------------------

/// A track message whose compact JSON is exactly `size` bytes.
fn message_of_size(size: usize) -> Value {
    let mut v = json!({"type":"track","event":"E","userId":"u","properties":{"pad":""}});
    let base = v.to_string().len();
    v["properties"]["pad"] = json!("x".repeat(size - base));
    assert_eq!(v.to_string().len(), size);
    v
}

#[test]
fn message_size_exactly_at_and_over_the_limit() {
    let max = limits().max_message_bytes;
    assert!(batch(&json!({"batch":[message_of_size(max)]})).is_ok());
    let body = json!({"batch":[message_of_size(100), message_of_size(max + 1)]});
    let parsed = read_envelope(Endpoint::Batch, body.to_string().as_bytes(), &limits())
        .unwrap()
        .into_messages(0, "web");
    assert_eq!(parsed.messages.len(), 1, "the small message is kept");
    let err = parsed.rejected[0].located();
    assert_eq!(err.code(), "message_too_large");
    assert!(err.to_string().starts_with("batch[1]: "), "{err}");
    assert_eq!(
        parsed.rejected[0].excerpt.len(),
        crate::rejection::EXCERPT_BYTES
    );
    // A single-message endpoint measures the body.
    assert!(single(MessageKind::Track, &message_of_size(max)).is_ok());
    assert_eq!(
        single(MessageKind::Track, &message_of_size(max + 1)).unwrap_err(),
        IngestError::MessageTooLarge { limit: max }
    );
}

#[test]
fn message_size_is_measured_as_received_on_both_paths() {
    let max = limits().max_message_bytes;
    // Compact, the message fits; as sent (pretty-printed), it is over the limit.
    let message = message_of_size(max - 100);
    let pretty = format!("{{{}{}", " ".repeat(101), &message.to_string()[1..]);
    assert_eq!(pretty.len(), max + 1);
    let err = read_envelope(
        Endpoint::Single(MessageKind::Track),
        pretty.as_bytes(),
        &limits(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "message_too_large");
    let body = format!(r#"{{"batch":[{pretty}]}}"#);
    let parsed = read_envelope(Endpoint::Batch, body.as_bytes(), &limits())
        .unwrap()
        .into_messages(0, "web");
    assert!(parsed.messages.is_empty());
    assert_eq!(parsed.rejected[0].error.code(), "message_too_large");
    // Exactly at the limit as sent: kept on both paths.
    let exact = format!("{}{}", " ".repeat(max - message.to_string().len()), message);
    assert_eq!(exact.len(), max);
    assert!(
        read_envelope(
            Endpoint::Single(MessageKind::Track),
            exact.as_bytes(),
            &limits()
        )
        .is_ok()
    );
    let body = format!(r#"{{"batch":[{exact}]}}"#);
    let parsed = read_envelope(Endpoint::Batch, body.as_bytes(), &limits())
        .unwrap()
        .into_messages(0, "web");
    assert_eq!((parsed.messages.len(), parsed.rejected.len()), (1, 0));
}

#[test]
fn batch_size_exactly_at_and_over_the_limit() {
    let max = limits().max_batch_bytes;
    let items: Vec<Value> = (0..20).map(|_| message_of_size(20_000)).collect();
    let mut body = json!({"batch": items}).to_string().into_bytes();
    assert!(body.len() < max);
    body.resize(max, b' ');
    let env = read_envelope(Endpoint::Batch, &body, &limits()).unwrap();
    assert_eq!(env.into_messages(0, "web").messages.len(), 20);
    body.push(b' ');
    assert_eq!(
        read_envelope(Endpoint::Batch, &body, &limits()).unwrap_err(),
        IngestError::BatchTooLarge { limit: max }
    );
}

#[test]
fn message_count_exactly_at_and_over_the_limit() {
    let max = limits().max_batch_messages;
    let ok = json!({"type":"track","event":"E","userId":"u"});
    let at_limit = json!({"batch": vec![ok.clone(); max]});
    assert_eq!(batch(&at_limit).unwrap().len(), max);
    let over = json!({"batch": vec![ok; max + 1]});
    assert_eq!(
        batch(&over).unwrap_err(),
        IngestError::TooManyMessages {
            count: max + 1,
            limit: max
        }
    );
}

#[test]
fn depth_exactly_at_and_over_the_limit() {
    let max = limits().max_depth;
    // The body is level 1, `batch` level 2, the item level 3.
    let nest = |levels: usize| {
        let inner = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        format!(
            r#"{{"batch":[{{"type":"track","event":"E","userId":"u","properties":{{"a":{inner}}}}}]}}"#
        )
    };
    let at_limit = nest(max - 4);
    assert!(read_envelope(Endpoint::Batch, at_limit.as_bytes(), &limits()).is_ok());
    let over = nest(max - 3);
    assert_eq!(
        read_envelope(Endpoint::Batch, over.as_bytes(), &limits()).unwrap_err(),
        IngestError::TooDeep { limit: max }
    );
}

#[test]
fn ten_thousand_levels_do_not_overflow_the_stack() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let objects = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let in_batch = format!("{{\"batch\":[{deep}]}}");
    let unlimited = Limits {
        max_depth: usize::MAX,
        max_batch_bytes: usize::MAX,
        max_message_bytes: usize::MAX,
        ..limits()
    };
    for body in [&deep, &objects, &in_batch] {
        for lim in [limits(), unlimited] {
            let err = read_envelope(Endpoint::Batch, body.as_bytes(), &lim).unwrap_err();
            // Without a depth limit the top level is scanned to its end: an array is not a
            // batch, and the innermost `{"a":}` is not JSON.
            assert!(
                matches!(err.code(), "too_deep" | "invalid_batch" | "invalid_json"),
                "{err}"
            );
            let err = read_envelope(Endpoint::Single(MessageKind::Track), body.as_bytes(), &lim)
                .unwrap_err();
            assert!(
                matches!(err.code(), "too_deep" | "message_too_large"),
                "{err}"
            );
        }
    }
}

// ---- message ids -------------------------------------------------------------------------

#[test]
fn a_missing_message_id_stays_missing_for_the_server_to_give() {
    let body = json!({"batch":[{"type":"track","event":"E","userId":"u"},
                               {"type":"track","event":"E","userId":"u","messageId":"m1"},
                               {"type":"track","event":"E","userId":"u","messageId":""}]});
    let ids: Vec<_> = batch(&body)
        .unwrap()
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    assert_eq!(ids, [None, Some("m1".to_string()), None]);
}

#[test]
fn history_lines_carry_their_input_and_fall_back_on_repeated_fields() {
    let line = r#"{"type":"track","userId":"u1","event":"E","input":"web","timestamp":"2026-01-05T12:00:00Z","extra":[1,{"a":null}]}"#;
    let msg = parse_history_line(line, Clock::AsGiven).unwrap();
    assert_eq!(msg.event.input.as_deref(), Some("web"));
    assert_eq!(msg.event.name.as_deref(), Some("E"));
    // A repeated key: the JSON tree keeps the last, and so does the line reader.
    let twice = r#"{"type":"track","userId":"u1","userId":"u2","event":"E","timestamp":"2026-01-05T12:00:00Z"}"#;
    let msg = parse_history_line(twice, Clock::AsGiven).unwrap();
    assert_eq!(msg.identity.user_id.as_deref(), Some("u2"));
    let err = parse_history_line("{not json", Clock::AsGiven).unwrap_err();
    assert!(err.to_string().starts_with("invalid JSON"), "{err}");
    let err = parse_history_line(r#"{"type":"track","userId":"u1"}"#, Clock::AsGiven).unwrap_err();
    assert!(
        err.to_string().ends_with("[missing_timestamp]") || err.to_string().contains('['),
        "{err}"
    );
}
