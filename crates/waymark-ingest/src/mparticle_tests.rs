//! Tests of mParticle batches, on the bodies the real Python SDK sent
//! (`tests/fixtures/`, copied from `shared/reference/captures/mp.log`).

use serde_json::json;

use super::*;

const EVENTS: &str = include_str!("../tests/fixtures/mparticle_events.json");
const BULK: &str = include_str!("../tests/fixtures/mparticle_bulkevents.json");

const RECEIVED: Millis = 1_700_000_100_000;

fn limits() -> Limits {
    Limits::default()
}

fn one(batch: Value) -> Result<Vec<Message>, IngestError> {
    let batches = read_batches(false, batch.to_string().as_bytes(), &limits())?;
    normalize_all(batches, false, RECEIVED, "ios").all_valid()
}

fn with_events(events: Value) -> Value {
    json!({"mpid": 1, "environment": "production", "events": events})
}

#[test]
fn captured_events_batch() {
    let batches = read_batches(false, EVENTS.as_bytes(), &limits()).unwrap();
    assert_eq!(batches.len(), 1);
    let msgs = normalize(batches[0].clone(), RECEIVED, "ios")
        .all_valid()
        .unwrap();
    let summary: Vec<_> = msgs
        .iter()
        .map(|m| {
            (
                m.kind,
                m.event.name.as_deref(),
                m.message_id.as_deref(),
                m.event.at,
            )
        })
        .collect();
    use MessageKind::*;
    assert_eq!(
        summary,
        [
            (
                Identify,
                None,
                Some("req-abc:user_attributes"),
                1_699_999_999_000
            ),
            (
                Track,
                Some("Session Start"),
                Some("req-abc:0"),
                1_699_999_999_000
            ),
            (
                Track,
                Some("Added to Cart"),
                Some("src-1"),
                1_700_000_000_000
            ),
            (Screen, Some("Screen Viewed"), Some("req-abc:2"), RECEIVED),
            (
                Track,
                Some("eCommerce - Purchase"),
                Some("req-abc:3"),
                RECEIVED
            ),
        ]
    );
    for m in &msgs {
        assert_eq!(m.identity.user_id.as_deref(), Some("cust-1"));
        assert_eq!(m.identity.anonymous_id.as_deref(), Some("12345"));
        assert_eq!(m.event.input.as_deref(), Some("ios"));
        assert_eq!(m.received_at, RECEIVED);
        assert_eq!(m.event.context["environment"], "development");
    }
    let mut others = msgs[0].identity.others.clone();
    others.sort();
    assert_eq!(
        others,
        [
            ("customer_id".to_string(), "cust-1".to_string()),
            ("email".into(), "a@example.com".into()),
            ("mpid".into(), "12345".into()),
        ]
    );
    assert_eq!(
        Value::Object(msgs[0].event.traits.clone()),
        json!({"plan":"pro","tags":["a","b"]})
    );
    assert_eq!(msgs[1].event.context["session_id"], 111);
    assert_eq!(msgs[1].event.context["event_type"], "session_start");
    assert_eq!(msgs[2].event.properties, json!({"sku":"X1"}));
    assert_eq!(msgs[2].event.context["custom_event_type"], "transaction");
    assert_eq!(msgs[3].event.properties, json!({"name":"Home"}));
    assert_eq!(
        msgs[4].event.properties,
        json!({"transaction_id":"T1","total_amount":9.99,
               "products":[{"id":"sku1","name":"Widget","price":9.99,"quantity":1}]})
    );
}

#[test]
fn captured_bulk_body() {
    let batches = read_batches(true, BULK.as_bytes(), &limits()).unwrap();
    assert_eq!(batches.len(), 2);
    for batch in batches {
        assert_eq!(
            normalize(batch, RECEIVED, "ios").all_valid().unwrap().len(),
            5
        );
    }
    // One batch object is not a bulk body, and an array is not one batch.
    assert_eq!(
        read_batches(true, EVENTS.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "invalid_batch"
    );
    assert_eq!(
        read_batches(false, BULK.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "invalid_batch"
    );
}

#[test]
fn identities_customer_id_either_spelling_and_mpid_as_string() {
    let m = &one(
        json!({"user_identities":{"customer_id":"c1","other_id_2":"x"},"mpid":"-42",
        "events":[{"event_type":"session_end"}]}),
    )
    .unwrap()[0];
    assert_eq!(m.event.name.as_deref(), Some("Session End"));
    assert_eq!(m.identity.user_id.as_deref(), Some("c1"));
    assert_eq!(m.identity.anonymous_id.as_deref(), Some("-42"));
    assert!(
        m.identity
            .others
            .contains(&("other_id_2".into(), "x".into()))
    );
    // Both spellings: the documented one wins, and one identity is not listed twice.
    let m = &one(
        json!({"user_identities":{"customerid":"c2","customer_id":"c1"},
        "events":[{"event_type":"session_end"}]}),
    )
    .unwrap()[0];
    assert_eq!(m.identity.user_id.as_deref(), Some("c1"));
    assert_eq!(m.identity.anonymous_id, None);
    let m = &one(
        json!({"user_identities":{"customerid":"c1","customer_id":"c1"},
        "events":[{"event_type":"session_end"}]}),
    )
    .unwrap()[0];
    assert_eq!(
        m.identity.others,
        [("customer_id".to_string(), "c1".to_string())]
    );
    // mpid only.
    let m = &one(json!({"mpid": 18446744073709551615u64, "events":[{"event_type":"first_run"}]}))
        .unwrap()[0];
    assert_eq!(
        m.identity.anonymous_id.as_deref(),
        Some("18446744073709551615")
    );
    assert_eq!(m.identity.user_id, None);
}

#[test]
fn consent_device_and_application_go_into_every_context() {
    let batch = json!({
        "mpid": 7,
        "ip": "10.0.0.1",
        "device_info": {"platform": "iOS"},
        "application_info": {"application_version": "1.2"},
        "consent_state": {
            "gdpr": {"marketing": {"consented": true, "document": "v1"}, "analytics": {"consented": false}},
            "ccpa": {"data_sale_opt_out": {"consented": true}}
        },
        "user_attributes": {"plan": "pro"},
        "events": [{"event_type":"custom_event","data":{"event_name":"A"}}]
    });
    let msgs = one(batch).unwrap();
    assert_eq!(msgs.len(), 2);
    for m in &msgs {
        let c = &m.event.context;
        assert_eq!(c["ip"], "10.0.0.1");
        assert_eq!(c["device_info"]["platform"], "iOS");
        assert_eq!(c["application_info"]["application_version"], "1.2");
        assert_eq!(
            c["consent"],
            json!({"categoryPreferences":{"marketing":true,"analytics":false,"data_sale_opt_out":true}})
        );
    }
}

#[test]
fn event_names_by_type() {
    let name = |event: Value| {
        one(with_events(json!([event]))).unwrap()[0]
            .event
            .name
            .clone()
            .unwrap()
    };
    assert_eq!(
        name(
            json!({"event_type":"commerce_event","data":{"product_action":{"action":"add_to_cart"}}})
        ),
        "eCommerce - Add To Cart"
    );
    assert_eq!(
        name(json!({"event_type":"commerce_event","data":{"promotion_action":{"action":"click"}}})),
        "eCommerce - Promotion Click"
    );
    assert_eq!(
        name(json!({"event_type":"commerce_event","data":{"impressions":[]}})),
        "eCommerce - Impression"
    );
    assert_eq!(
        name(json!({"event_type":"application_state_transition"})),
        "Application State Transition"
    );
    assert_eq!(name(json!({"event_type":"crash_report"})), "Crash Report");
    assert_eq!(name(json!({"event_type":"opt_out"})), "Opt Out");
    // Type-specific data of the other types becomes properties; custom attributes win.
    let m = &one(with_events(
        json!([{"event_type":"application_state_transition",
        "data":{"application_transition_type":"application_background",
                "custom_attributes":{"application_transition_type":"mine"},
                "timestamp_unixtime_ms":"1700000000000","session_uuid":"s"}}]),
    ))
    .unwrap()[0];
    assert_eq!(
        m.event.properties,
        json!({"application_transition_type":"mine"})
    );
    assert_eq!(m.event.at, 1_700_000_000_000);
    assert_eq!(m.event.context["session_uuid"], "s");
    // Without source ids, no message id.
    assert_eq!(m.message_id, None);
}

#[test]
fn user_attributes_become_a_first_identify_at_the_earliest_time() {
    let msgs = one(json!({"mpid":1,
        "user_attributes":{"tags":["a","b"],"age":31},
        "deleted_user_attributes":["old","age"],
        "events":[
            {"event_type":"session_start","data":{"timestamp_unixtime_ms":1_700_000_002_000i64}},
            {"event_type":"session_end","data":{"timestamp_unixtime_ms":1_700_000_001_000i64}}]}))
    .unwrap();
    assert_eq!(msgs[0].kind, MessageKind::Identify);
    assert_eq!(msgs[0].event.at, 1_700_000_001_000);
    assert_eq!(msgs[0].message_id, None);
    assert_eq!(
        Value::Object(msgs[0].event.traits.clone()),
        json!({"tags":["a","b"],"age":31,"old":null})
    );
    // Only attributes, no events: at the receipt.
    let msgs = one(json!({"mpid":1,"user_attributes":{"a":1}})).unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].event.at, RECEIVED);
    // Empty attributes: no identify.
    assert!(
        one(json!({"mpid":1,"user_attributes":{},"events":[]}))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn every_normalize_error_code() {
    let event = |e: Value| with_events(json!([{"event_type":"session_start"}, e]));
    let cases = [
        (json!([]), "invalid_batch"),
        (json!({"mpid":1,"events":{}}), "invalid_batch"),
        (json!({"events":[]}), "no_user_anon_id"),
        (
            json!({"user_identities":{"email":"a@b"},"events":[]}),
            "no_user_anon_id",
        ),
        (json!({"mpid":1.5,"events":[]}), "bad_field_type"),
        (json!({"mpid":"abc","events":[]}), "bad_field_type"),
        (json!({"mpid":true,"events":[]}), "bad_field_type"),
        (json!({"mpid":1,"user_identities":[]}), "bad_field_type"),
        (
            json!({"mpid":1,"user_identities":{"email":{}}}),
            "bad_field_type",
        ),
        (json!({"mpid":1,"user_attributes":[]}), "bad_field_type"),
        (
            json!({"mpid":1,"deleted_user_attributes":[1]}),
            "bad_field_type",
        ),
        (
            json!({"mpid":1,"consent_state":{"gdpr":1}}),
            "bad_field_type",
        ),
        (json!({"mpid":1,"device_info":"x"}), "bad_field_type"),
        (
            event(json!({"event_type":"teleport"})),
            "unknown_event_type",
        ),
        (event(json!({"data":{}})), "unknown_event_type"),
        (
            event(json!({"event_type":"custom_event","data":{}})),
            "missing_event",
        ),
        (
            event(json!({"event_type":"commerce_event","data":{}})),
            "missing_event",
        ),
        (
            event(
                json!({"event_type":"custom_event","data":{"event_name":"A","custom_attributes":[]}}),
            ),
            "bad_field_type",
        ),
        (
            event(json!({"event_type":"session_start","data":[]})),
            "bad_field_type",
        ),
        (
            event(json!({"event_type":"session_start","data":{"timestamp_unixtime_ms":"noon"}})),
            "bad_timestamp",
        ),
        (
            event(json!({"event_type":"session_start","data":{"timestamp_unixtime_ms":1e300}})),
            "bad_timestamp",
        ),
        (
            event(json!({"event_type":"session_start","data":{"timestamp_unixtime_ms":i64::MAX}})),
            "bad_timestamp",
        ),
        (event(json!(3)), "invalid_batch"),
    ];
    for (batch, code) in cases {
        let err = one(batch.clone()).unwrap_err();
        assert_eq!(err.code(), code, "{batch}: {err}");
    }
    let err = one(event(json!({"event_type":"teleport"}))).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("events[1]: unknown event_type `teleport`"),
        "{err}"
    );
}

#[test]
fn read_batches_error_codes_and_limits() {
    let cases: Vec<(bool, &[u8], &str)> = vec![
        (false, b"{", "invalid_json"),
        (true, b"[", "invalid_json"),
        (false, b"[]", "invalid_batch"),
        (true, b"[]", "invalid_batch"),
        (true, b"[1]", "invalid_batch"),
        (true, br#"[{"events":1}]"#, "invalid_batch"),
    ];
    for (bulk, body, code) in cases {
        let err = read_batches(bulk, body, &limits()).unwrap_err();
        assert_eq!(err.code(), code, "{}", String::from_utf8_lossy(body));
    }
    let batch = json!({"mpid":1,"events":[{"event_type":"session_start"}]});
    // Batches per bulk request.
    let at_limit = Value::Array(vec![batch.clone(); MAX_BULK_BATCHES]).to_string();
    assert_eq!(
        read_batches(true, at_limit.as_bytes(), &limits())
            .unwrap()
            .len(),
        100
    );
    let over = Value::Array(vec![batch.clone(); MAX_BULK_BATCHES + 1]).to_string();
    assert_eq!(
        read_batches(true, over.as_bytes(), &limits()).unwrap_err(),
        IngestError::TooManyBatches {
            count: 101,
            limit: 100
        }
    );
    // Events per request, across batches.
    let small = Limits {
        max_batch_messages: 3,
        ..limits()
    };
    let two = Value::Array(vec![
        json!({"mpid":1,"events":[{"event_type":"session_start"}, {"event_type":"session_end"}]});
        2
    ])
    .to_string();
    assert_eq!(
        read_batches(true, two.as_bytes(), &small).unwrap_err(),
        IngestError::TooManyMessages { count: 4, limit: 3 }
    );
    let small = Limits {
        max_batch_messages: 4,
        ..limits()
    };
    assert!(read_batches(true, two.as_bytes(), &small).is_ok());
    // Event size.
    let event = json!({"event_type":"custom_event","data":{"event_name":"E"}});
    let size = event.to_string().len();
    let body = json!([{"mpid":1}, {"mpid":1,"events":[event]}]).to_string();
    let exact = Limits {
        max_message_bytes: size,
        ..limits()
    };
    assert!(read_batches(true, body.as_bytes(), &exact).is_ok());
    let under = Limits {
        max_message_bytes: size - 1,
        ..limits()
    };
    let batches = read_batches(true, body.as_bytes(), &under).unwrap();
    let parsed = normalize_all(batches, true, RECEIVED, "ios");
    assert!(parsed.messages.is_empty());
    let err = parsed.rejected[0].located();
    assert_eq!(err.code(), "message_too_large");
    assert!(err.to_string().starts_with("[1].events[0]: "), "{err}");
    // Body size.
    let mut body = EVENTS.as_bytes().to_vec();
    let exact = Limits {
        max_batch_bytes: body.len(),
        ..limits()
    };
    assert!(read_batches(false, &body, &exact).is_ok());
    body.push(b' ');
    assert_eq!(
        read_batches(false, &body, &exact).unwrap_err(),
        IngestError::BatchTooLarge {
            limit: body.len() - 1
        }
    );
    // Depth.
    let deep = format!("[{}{}]", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        read_batches(true, deep.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "too_deep"
    );
    let nested = |n: usize| format!(r#"{{"mpid":1,"x":{}{}}}"#, "[".repeat(n), "]".repeat(n));
    assert!(read_batches(false, nested(63).as_bytes(), &limits()).is_ok());
    assert_eq!(
        read_batches(false, nested(64).as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "too_deep"
    );
}

#[test]
fn time_is_unix_milliseconds_within_range() {
    let at = |ts: Value| {
        one(with_events(
            json!([{"event_type":"session_start","data":{"timestamp_unixtime_ms":ts}}]),
        ))
        .map(|m| m[0].event.at)
    };
    assert_eq!(at(json!(1_700_000_000_123i64)).unwrap(), 1_700_000_000_123);
    assert_eq!(at(json!(1_700_000_000_123.9)).unwrap(), 1_700_000_000_123);
    assert_eq!(at(json!(null)).unwrap(), RECEIVED);
    // Outside the bounds of SPEC §2: the receipt time, flagged.
    let adjusted = |ts: Value| {
        one(with_events(
            json!([{"event_type":"session_start","data":{"timestamp_unixtime_ms":ts}}]),
        ))
        .map(|m| (m[0].event.at, m[0].timestamp_adjusted))
        .unwrap()
    };
    assert_eq!(adjusted(json!(0)), (RECEIVED, true));
    assert_eq!(adjusted(json!(32_503_680_000_000i64)), (RECEIVED, true));
    assert_eq!(
        adjusted(json!(RECEIVED + 86_400_000)),
        (RECEIVED + 86_400_000, false)
    );
}

#[test]
fn a_bad_event_is_rejected_and_the_batch_kept() {
    let batches = read_batches(
        true,
        json!([
            {"mpid": 1, "events": [
                {"event_type": "custom_event", "data": {"event_name": "A"}},
                {"event_type": "custom_event", "data": {"source_message_id": true, "event_name": "B"}},
                {"event_type": "nope"}]},
            {"events": [{"event_type": "custom_event", "data": {"event_name": "C"}}]},
            {"mpid": 2, "events": [{"event_type": "custom_event", "data": {"event_name": "D"}}]}
        ])
        .to_string()
        .as_bytes(),
        &limits(),
    )
    .unwrap();
    let parsed = normalize_all(batches, true, RECEIVED, "ios");
    let names: Vec<_> = parsed
        .messages
        .iter()
        .map(|m| m.event.name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["A", "D"]);
    let rejected: Vec<_> = parsed
        .rejected
        .iter()
        .map(|r| (r.path.as_str(), r.error.code()))
        .collect();
    assert_eq!(
        rejected,
        [
            ("[0].events[1]", "bad_field_type"),
            ("[0].events[2]", "unknown_event_type"),
            ("[1].events[0]", "no_user_anon_id"),
        ]
    );
    assert_eq!(
        parsed.rejected[2].excerpt,
        r#"{"data":{"event_name":"C"},"event_type":"custom_event"}"#
    );
}
