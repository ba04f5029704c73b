//! Segment's HTTP tracking API at `/v1/*`: auth, every endpoint, what the real clients send,
//! gzip, null ids, traits, context, skew correction, deduplication and identity merging.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

// ---------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn batch_with_basic_auth_is_stored_and_answered_exactly() {
    let app = App::new();
    let resp = app
        .send(post("/v1/batch").basic(WEB_KEY, "").json(&json!({"batch": [
            identify("u1", json!({"plan": "pro"})),
            track("u1", "Signed Up"),
        ]})))
        .await;
    resp.assert_success();
    let profile = app.profile(SHOP, "u1").await;
    assert_eq!(profile["user_id"], "u1");
    assert_eq!(profile["traits"], json!({"plan": "pro"}));
    assert_eq!(profile["event_count"], 2);
    let events = app.events(SHOP, "u1").await;
    assert_eq!(names(&events), ["identify", "Signed Up"]);
    for event in &events {
        assert_eq!(event["input"], "web", "{event}");
    }
    // Nothing reached the other workspace.
    app.send(get(&format!("/api/workspaces/{OTHER}/profiles/u1")).bearer(ACCOUNT_TOKEN))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn write_key_in_the_body_alone_is_enough() {
    let app = App::new();
    app.send(post("/v1/batch").json(&json!({
        "writeKey": SERVER_KEY,
        "batch": [track("u1", "A")],
    })))
    .await
    .assert_success();
    let events = app.events(SHOP, "u1").await;
    assert_eq!(names(&events), ["A"]);
    assert_eq!(events[0]["input"], "server");
}

#[tokio::test]
async fn write_key_in_an_item_alone_is_enough() {
    let app = App::new();
    let mut item = track("u1", "A");
    item["writeKey"] = json!(OTHER_KEY);
    app.send(post("/v1/batch").json(&json!({"batch": [item]})))
        .await
        .assert_success();
    assert_eq!(names(&app.events(OTHER, "u1").await), ["A"]);
}

#[tokio::test]
async fn write_key_in_header_and_body_agreeing_is_accepted() {
    // segment-python and analytics-node send both.
    let app = App::new();
    app.send(post("/v1/batch").basic(WEB_KEY, "").json(&json!({
        "writeKey": WEB_KEY,
        "batch": [track("u1", "A")],
    })))
    .await
    .assert_success();
    assert_eq!(app.snapshot().event_count(), 1);
}

#[tokio::test]
async fn write_keys_in_header_and_body_differing_are_401() {
    let app = App::new();
    let body = |key: &str| json!({"writeKey": key, "batch": [track("u1", "A")]});
    // Two valid keys of different workspaces: neither may take the batch.
    app.rejects(
        post("/v1/batch").basic(WEB_KEY, "").json(&body(OTHER_KEY)),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Two valid keys of the same workspace.
    app.rejects(
        post("/v1/batch").basic(WEB_KEY, "").json(&body(SERVER_KEY)),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // A valid header and an unknown body key, and the other way round.
    app.rejects(
        post("/v1/batch").basic(WEB_KEY, "").json(&body("wk_nope")),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.rejects(
        post("/v1/batch").basic("wk_nope", "").json(&body(WEB_KEY)),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // The same on a single-message endpoint.
    let mut msg = track("u1", "A");
    msg["writeKey"] = json!(OTHER_KEY);
    app.rejects(
        post("/v1/track").basic(WEB_KEY, "").json(&msg),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(app.snapshot().event_count(), 0);
    app.assert_no_profile(SHOP, "u1").await;
    app.assert_no_profile(OTHER, "u1").await;
}

#[tokio::test]
async fn an_item_write_key_differing_from_the_request_is_rejected() {
    let app = App::new();
    let mut odd = track("u1", "B");
    odd["writeKey"] = json!(OTHER_KEY);
    let resp = app
        .rejects(
            post("/v1/batch").json(&json!({
                "writeKey": WEB_KEY,
                "batch": [track("u1", "A"), odd],
            })),
            StatusCode::BAD_REQUEST,
            "write_key_mismatch",
        )
        .await;
    assert!(resp.message().contains("batch[1]"), "{}", resp.text());
}

#[tokio::test]
async fn unknown_write_key_is_401() {
    let app = App::new();
    let batch = json!({"batch": [track("u1", "A")]});
    app.rejects(
        post("/v1/batch").basic("wk_unknown", "").json(&batch),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.rejects(
        post("/v1/batch").json(&json!({"writeKey": "wk_unknown", "batch": [track("u1", "A")]})),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // An admin token is not a write key.
    app.rejects(
        post("/v1/batch").basic(ACCOUNT_TOKEN, "").json(&batch),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // A write key is case-sensitive.
    app.rejects(
        post("/v1/batch")
            .basic(&WEB_KEY.to_uppercase(), "")
            .json(&batch),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.assert_no_profile(SHOP, "u1").await;
}

#[tokio::test]
async fn missing_write_key_is_401() {
    let app = App::new();
    let batch = json!({"batch": [track("u1", "A")]});
    app.rejects(
        post("/v1/batch").json(&batch),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Empty and null keys count as missing.
    app.rejects(
        post("/v1/batch").json(&json!({"writeKey": "", "batch": [track("u1", "A")]})),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.rejects(
        post("/v1/batch").json(&json!({"writeKey": null, "batch": [track("u1", "A")]})),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Basic with an empty user, and a bearer token with no key in the body.
    app.rejects(
        post("/v1/batch").basic("", "").json(&batch),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.rejects(
        post("/v1/batch").bearer("some-oauth-token").json(&batch),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.rejects(
        post("/v1/track").json(&track("u1", "A")),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.assert_no_profile(SHOP, "u1").await;
}

#[tokio::test]
async fn oauth_bearer_with_write_key_in_the_body_is_accepted() {
    // wire.md §0.2: `Bearer <token>` together with `writeKey` in the body.
    let app = App::new();
    app.send(
        post("/v1/batch")
            .bearer("an-oauth-access-token")
            .json(&json!({"writeKey": WEB_KEY, "batch": [track("u1", "A")]})),
    )
    .await
    .assert_success();
    assert_eq!(names(&app.events(SHOP, "u1").await), ["A"]);
}

// ---------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn import_takes_a_batch_body() {
    let app = App::new();
    app.send(
        post("/v1/import")
            .basic(WEB_KEY, "")
            .json(&json!({"batch": [
                track("u1", "Old Order"),
                track("u1", "Older Order"),
            ]})),
    )
    .await
    .assert_success();
    assert_eq!(
        names(&app.events(SHOP, "u1").await).len(),
        2,
        "both imported"
    );
}

#[tokio::test]
async fn single_message_paths_take_one_message_each() {
    let app = App::new();
    let at = |s: u32| format!("2026-01-01T00:00:{s:02}Z");
    let calls = [
        (
            "/v1/identify",
            json!({"userId": "u1", "traits": {"plan": "pro"}, "timestamp": at(1)}),
        ),
        (
            "/v1/track",
            json!({"userId": "u1", "event": "Order Completed", "timestamp": at(2)}),
        ),
        (
            "/v1/page",
            json!({"userId": "u1", "name": "Home", "timestamp": at(3)}),
        ),
        (
            "/v1/screen",
            json!({"userId": "u1", "name": "Main", "timestamp": at(4)}),
        ),
        (
            "/v1/group",
            json!({"userId": "u1", "groupId": "g1", "traits": {"name": "Acme"}, "timestamp": at(5)}),
        ),
        (
            "/v1/alias",
            json!({"userId": "u1", "previousId": "anon-1", "timestamp": at(6)}),
        ),
        // Browser short paths (analytics.js 2.0 sends text/plain).
        (
            "/v1/t",
            json!({"userId": "u1", "event": "Short Track", "timestamp": at(7)}),
        ),
        (
            "/v1/i",
            json!({"userId": "u1", "traits": {"seats": 3}, "timestamp": at(8)}),
        ),
        (
            "/v1/p",
            json!({"userId": "u1", "name": "Docs", "timestamp": at(9)}),
        ),
        (
            "/v1/s",
            json!({"userId": "u1", "name": "Cart", "timestamp": at(10)}),
        ),
        (
            "/v1/g",
            json!({"userId": "u1", "groupId": "g2", "timestamp": at(11)}),
        ),
        (
            "/v1/a",
            json!({"userId": "u1", "previousId": "anon-2", "timestamp": at(12)}),
        ),
    ];
    for (path, body) in &calls {
        let req = if path.len() == 5 {
            post(path)
                .basic(WEB_KEY, "")
                .header("content-type", "text/plain")
                .raw(body.to_string())
        } else {
            post(path).basic(WEB_KEY, "").json(body)
        };
        let resp = app.send(req).await;
        assert_eq!(resp.status, StatusCode::OK, "{path}: {}", resp.text());
        resp.assert_success();
    }
    let events = app.events(SHOP, "u1").await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "identify", "track", "page", "screen", "group", "alias", "track", "identify", "page",
            "screen", "group", "alias"
        ]
    );
    assert_eq!(
        names(&events),
        [
            "identify",
            "Order Completed",
            "Page Viewed",
            "Screen Viewed",
            "group",
            "alias",
            "Short Track",
            "identify",
            "Page Viewed",
            "Screen Viewed",
            "group",
            "alias"
        ]
    );
    assert_eq!(events[2]["properties"]["name"], "Home");
    assert_eq!(events[3]["properties"]["name"], "Main");
    assert_eq!(events[4]["properties"]["groupId"], "g1");
    let profile = app.profile(SHOP, "u1").await;
    assert_eq!(profile["traits"], json!({"plan": "pro", "seats": 3}));
    assert_eq!(profile["event_count"], 12);
    // Both aliases point at the user.
    for anon in ["anon-1", "anon-2"] {
        assert_eq!(app.profile(SHOP, anon).await["user_id"], "u1", "{anon}");
    }
}

#[tokio::test]
async fn single_message_path_with_write_key_in_the_body() {
    let app = App::new();
    app.send(post("/v1/track").json(&json!({
        "writeKey": WEB_KEY, "userId": "u1", "event": "A",
    })))
    .await
    .assert_success();
    assert_eq!(names(&app.events(SHOP, "u1").await), ["A"]);
}

#[tokio::test]
async fn single_message_path_with_another_type_is_rejected() {
    let app = App::new();
    let rejected = app
        .rejects_message(
            post("/v1/track")
                .basic(WEB_KEY, "")
                .json(&json!({"type": "identify", "userId": "u1"})),
            StatusCode::BAD_REQUEST,
            "type_mismatch",
        )
        .await;
    assert_eq!(rejected.excerpt, r#"{"type":"identify","userId":"u1"}"#);
    // The matching type is fine.
    app.send(
        post("/v1/identify")
            .basic(WEB_KEY, "")
            .json(&json!({"type": "identify", "userId": "u1"})),
    )
    .await
    .assert_success();
}

#[tokio::test]
async fn batch_items_need_a_known_type() {
    let app = App::new();
    app.rejects_message(
        post("/v1/batch")
            .basic(WEB_KEY, "")
            .json(&json!({"batch": [{"userId": "u1", "event": "A"}]})),
        StatusCode::OK,
        "missing_type",
    )
    .await;
    app.rejects_message(
        post("/v1/batch")
            .basic(WEB_KEY, "")
            .json(&json!({"batch": [{"type": "purchase", "userId": "u1"}]})),
        StatusCode::OK,
        "unknown_type",
    )
    .await;
}

// ---------------------------------------------------------------------------------------
// What the real clients send (wire.md §2, replayed from the captures)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn captured_segment_python_batch() {
    let app = App::new();
    let body = fixture("segment_python.json");
    let sent_at = millis(body["sentAt"].as_str().unwrap());
    let before = now();
    app.send(
        post("/v1/batch")
            // The captured header, verbatim.
            .header("authorization", "Basic V0tfU0VHTUVOVF9URVNUOg==")
            .header("user-agent", "analytics-python/2.4.0")
            .json(&body),
    )
    .await
    .assert_success();
    let after = now();
    // The alias merged anon-9 into user-1: one profile, by either id.
    let profile = app.profile(SHOP, "user-1").await;
    assert_eq!(profile, app.profile(SHOP, "anon-9").await);
    assert_eq!(profile["anonymous_ids"], json!(["anon-9"]));
    assert_eq!(
        profile["traits"],
        json!({"email": "a@example.com", "plan": "pro"})
    );
    assert_eq!(profile["identities"]["email"], "a@example.com");
    assert_eq!(profile["event_count"], 7);
    let events = app.events(SHOP, "user-1").await;
    let mut sorted = names(&events);
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "Old",
            "Order Completed",
            "Page Viewed",
            "Screen Viewed",
            "alias",
            "group",
            "identify"
        ]
    );
    // Every event is skew-corrected against the envelope's sentAt.
    for (event, item) in events_by_message_id(&events, &body["batch"]) {
        let received = millis(event["receivedAt"].as_str().unwrap());
        assert!(before <= received && received <= after, "{event}");
        let ts = millis(item["timestamp"].as_str().unwrap());
        assert_eq!(
            millis(event["timestamp"].as_str().unwrap()),
            received - (sent_at - ts),
            "{event}"
        );
        assert_eq!(event["input"], "python");
    }
    // `Old` was sent 2024-01-02 while the batch went out 2026-11-22: it stays ~3 years old.
    let old = events.iter().find(|e| e["event"] == "Old").unwrap();
    assert_eq!(old["messageId"], "fixed-mid-1");
    let page = events.iter().find(|e| e["event"] == "Page Viewed").unwrap();
    assert_eq!(
        page["properties"],
        json!({"url": "http://x/", "name": "Home", "category": "Docs"})
    );
}

/// Pairs each stored event with the batch item of the same `messageId`.
fn events_by_message_id<'a>(events: &'a [Value], items: &'a Value) -> Vec<(&'a Value, &'a Value)> {
    let items = items.as_array().unwrap();
    assert_eq!(events.len(), items.len());
    events
        .iter()
        .map(|e| {
            let item = items
                .iter()
                .find(|i| i["messageId"] == e["messageId"])
                .unwrap_or_else(|| panic!("no item for {e}"));
            (e, item)
        })
        .collect()
}

#[tokio::test]
async fn captured_rudder_gzip_batch_with_context_traits() {
    // Rudder: Basic only, gzip by default, identify traits in context.traits.
    let app = App::new();
    let body = fixture("rudder.json");
    app.send(
        post("/v1/batch")
            .header("authorization", "Basic V0tfUlVEREVSOg==")
            .header("user-agent", "analytics-python/2.1.9")
            .gzip_json(&body),
    )
    .await
    .assert_success();
    let profile = app.profile(SHOP, "user-1").await;
    assert_eq!(profile["traits"], json!({"email": "a@example.com"}));
    assert_eq!(profile["identities"]["email"], "a@example.com");
    let events = app.events(SHOP, "user-1").await;
    assert_eq!(names(&events), ["identify", "Order Completed"]);
    assert_eq!(events[0]["traits"], json!({"email": "a@example.com"}));
    assert_eq!(events[1]["properties"], json!({"revenue": 42.5}));
    assert!(events.iter().all(|e| e["input"] == "rudder"));
}

#[tokio::test]
async fn captured_analytics_node_batch() {
    let app = App::new();
    let body = fixture("analytics_node.json");
    app.send(
        post("/v1/batch")
            .header("authorization", "Basic V0tfTk9ERTo=")
            .header("x-retry-count", "2")
            .json(&body),
    )
    .await
    .assert_success();
    let n = body["batch"].as_array().unwrap().len();
    let profile = app.profile(SHOP, "user-1").await;
    assert_eq!(profile["event_count"], n);
    assert_eq!(profile["anonymous_ids"], json!(["anon-9"]));
    assert_eq!(profile, app.profile(SHOP, "anon-9").await);
    // A retry of the same body (the client re-sends on 429/503) stores nothing new.
    app.send(
        post("/v1/batch")
            .header("authorization", "Basic V0tfTk9ERTo=")
            .json(&body),
    )
    .await
    .assert_success();
    assert_eq!(app.events(SHOP, "user-1").await.len(), n);
}

// ---------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn gzip_bodies_are_accepted() {
    let app = App::new();
    app.send(
        post("/v1/batch")
            .basic(WEB_KEY, "")
            .gzip_json(&json!({"batch": [track("u1", "A")]})),
    )
    .await
    .assert_success();
    // x-gzip and upper case, on a single-message path, with the key in the gzipped body.
    let json =
        serde_json::to_vec(&json!({"writeKey": WEB_KEY, "userId": "u1", "event": "B"})).unwrap();
    app.send(
        post("/v1/track")
            .header("content-type", "application/json; charset=utf-8")
            .header("content-encoding", "X-GZIP")
            .raw(gzip(&json)),
    )
    .await
    .assert_success();
    assert_eq!(names(&app.events(SHOP, "u1").await), ["A", "B"]);
}

#[tokio::test]
async fn null_ids_are_tolerated_when_the_other_is_present() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([
            {"type": "track", "event": "A", "userId": "u1", "anonymousId": null, "messageId": mid()},
            {"type": "screen", "name": "Main", "userId": null, "anonymousId": "anon-1",
             "category": null, "properties": null, "context": null, "messageId": mid()},
            {"type": "alias", "previousId": "anon-2", "userId": "u2", "anonymousId": null,
             "messageId": mid()},
        ]),
    )
    .await;
    assert_eq!(app.profile(SHOP, "u1").await["anonymous_ids"], json!([]));
    let anon = app.profile(SHOP, "anon-1").await;
    assert_eq!(anon["user_id"], Value::Null);
    assert_eq!(anon["anonymous_ids"], json!(["anon-1"]));
    assert_eq!(names(&app.events(SHOP, "anon-1").await), ["Screen Viewed"]);
    assert_eq!(names(&app.events(SHOP, "u2").await), ["alias"]);
}

#[tokio::test]
async fn numeric_ids_are_kept_as_text() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([{"type": "track", "event": "A", "userId": 42, "messageId": mid()}]),
    )
    .await;
    assert_eq!(app.profile(SHOP, "42").await["user_id"], "42");
}

#[tokio::test]
async fn identify_traits_merge_context_traits_and_traits() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([
            // Rudder style: only context.traits.
            {"type": "identify", "userId": "u1", "messageId": mid(),
             "timestamp": "2026-01-01T00:00:00Z",
             "context": {"traits": {"email": "a@example.com", "plan": "free"}}},
            // Both: top-level traits win over context.traits.
            {"type": "identify", "userId": "u1", "messageId": mid(),
             "timestamp": "2026-01-01T00:00:01Z",
             "context": {"traits": {"plan": "basic", "seats": 1}},
             "traits": {"plan": "pro"}},
        ]),
    )
    .await;
    let profile = app.profile(SHOP, "u1").await;
    assert_eq!(
        profile["traits"],
        json!({"email": "a@example.com", "plan": "pro", "seats": 1})
    );
    assert_eq!(profile["identities"]["email"], "a@example.com");
    assert_eq!(
        profile["trait_since"]["plan"], "2026-01-01T00:00:01Z",
        "{profile}"
    );
}

#[tokio::test]
async fn envelope_context_and_integrations_are_merged_into_items() {
    let app = App::new();
    app.send(post("/v1/batch").basic(WEB_KEY, "").json(&json!({
        "context": {"ip": "10.0.0.1", "library": {"name": "envelope"}, "locale": "de-DE"},
        "integrations": {"All": false},
        "batch": [
            {"type": "track", "userId": "u1", "event": "A", "messageId": mid(),
             "timestamp": "2026-01-01T00:00:00Z",
             "context": {"library": {"name": "item"}}},
            {"type": "track", "userId": "u1", "event": "B", "messageId": mid(),
             "timestamp": "2026-01-01T00:00:01Z"},
        ],
    })))
    .await
    .assert_success();
    let events = app.events(SHOP, "u1").await;
    assert_eq!(names(&events), ["A", "B"]);
    // The item's own keys win; the envelope's others are added.
    assert_eq!(
        events[0]["context"],
        json!({"ip": "10.0.0.1", "library": {"name": "item"}, "locale": "de-DE"})
    );
    assert_eq!(
        events[1]["context"],
        json!({"ip": "10.0.0.1", "library": {"name": "envelope"}, "locale": "de-DE"})
    );
}

#[tokio::test]
async fn envelope_context_traits_reach_the_profile() {
    let app = App::new();
    app.send(post("/v1/batch").basic(WEB_KEY, "").json(&json!({
        "context": {"traits": {"company": "Acme"}},
        "batch": [{"type": "identify", "userId": "u1", "messageId": mid()}],
    })))
    .await
    .assert_success();
    assert_eq!(
        app.profile(SHOP, "u1").await["traits"],
        json!({"company": "Acme"})
    );
}

// ---------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn skew_correction_uses_sent_at() {
    let app = App::new();
    let before = now();
    app.send(post("/v1/batch").basic(WEB_KEY, "").json(&json!({
        // The device's clock is years off; the event happened 10 s before sending.
        "sentAt": "2020-01-01T00:00:10.000+00:00",
        "batch": [
            {"type": "track", "userId": "u1", "event": "Envelope", "messageId": mid(),
             "timestamp": "2020-01-01T00:00:00.000+00:00"},
            // An item's own sentAt wins over the envelope's (here: 2.5 s, µs precision).
            {"type": "track", "userId": "u1", "event": "Own", "messageId": mid(),
             "timestamp": "2020-01-01T01:00:00.000000+01:00",
             "sentAt": "2020-01-01T00:00:02.500Z"},
            // No timestamp: receivedAt.
            {"type": "track", "userId": "u1", "event": "Untimed", "messageId": mid()},
        ],
    })))
    .await
    .assert_success();
    let after = now();
    let events = app.events(SHOP, "u1").await;
    let get = |name: &str| {
        let e = events.iter().find(|e| e["event"] == name).unwrap();
        let ts = millis(e["timestamp"].as_str().unwrap());
        let received = millis(e["receivedAt"].as_str().unwrap());
        assert!(before <= received && received <= after, "{e}");
        (ts, received)
    };
    let (ts, received) = get("Envelope");
    assert_eq!(ts, received - 10_000);
    assert!((before - 10_000..=after - 10_000).contains(&ts));
    let (ts, received) = get("Own");
    assert_eq!(ts, received - 2_500);
    let (ts, received) = get("Untimed");
    assert_eq!(ts, received);
}

#[tokio::test]
async fn without_sent_at_the_timestamp_is_kept() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([
            {"type": "track", "userId": "u1", "event": "A", "messageId": mid(),
             "timestamp": "2026-11-22T12:06:35.838568+00:00"},
            {"type": "track", "userId": "u1", "event": "B", "messageId": mid(),
             "originalTimestamp": "2026-11-22T13:06:49.961+01:00"},
        ]),
    )
    .await;
    let events = app.events(SHOP, "u1").await;
    assert_eq!(
        millis(events[0]["timestamp"].as_str().unwrap()),
        millis("2026-11-22T12:06:35.838Z")
    );
    assert_eq!(
        millis(events[1]["timestamp"].as_str().unwrap()),
        millis("2026-11-22T12:06:49.961Z")
    );
}

// ---------------------------------------------------------------------------------------
// Deduplication
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_repeated_batch_is_acknowledged_and_stored_once() {
    let app = App::new();
    let batch = json!([
        track("u1", "A"),
        track("u1", "B"),
        identify("u1", json!({"x": 1}))
    ]);
    app.batch_ok(WEB_KEY, batch.clone()).await;
    let once = app.snapshot();
    assert_eq!(once.event_count(), 3);
    app.batch_ok(WEB_KEY, batch.clone()).await;
    // Through another input of the same workspace and another endpoint: still a repeat.
    app.batch_ok(SERVER_KEY, batch.clone()).await;
    app.send(post("/v1/track").basic(WEB_KEY, "").json(&batch[0]))
        .await
        .assert_success();
    assert_eq!(app.snapshot(), once);
    assert_eq!(app.profile(SHOP, "u1").await["event_count"], 3);
    // A batch mixing a repeat and a new message stores only the new one.
    app.batch_ok(WEB_KEY, json!([batch[0], track("u1", "C")]))
        .await;
    assert_eq!(
        names(&app.events(SHOP, "u1").await),
        ["A", "B", "identify", "C"]
    );
}

#[tokio::test]
async fn message_ids_are_deduplicated_per_workspace() {
    let app = App::new();
    let msg = track("u1", "A");
    app.batch_ok(WEB_KEY, json!([msg])).await;
    app.batch_ok(OTHER_KEY, json!([msg])).await;
    assert_eq!(names(&app.events(SHOP, "u1").await), ["A"]);
    assert_eq!(names(&app.events(OTHER, "u1").await), ["A"]);
}

#[tokio::test]
async fn identical_calls_without_message_ids_are_two_events() {
    // SPEC §2: a message without a messageId gets a new one, as Segment does; it is never
    // deduplicated by its content.
    let app = App::new();
    let body = json!({"batch": [
        {"type": "track", "userId": "u1", "event": "A", "timestamp": "2026-01-01T00:00:00Z"},
    ]});
    for _ in 0..2 {
        app.send(post("/v1/batch").basic(WEB_KEY, "").json(&body))
            .await
            .assert_success();
    }
    let single = json!({"userId": "u1", "event": "A", "timestamp": "2026-01-01T00:00:00Z"});
    for _ in 0..2 {
        app.send(post("/v1/track").basic(WEB_KEY, "").json(&single))
            .await
            .assert_success();
    }
    let events = app.events(SHOP, "u1").await;
    assert_eq!(events.len(), 4);
    let ids: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| e["messageId"].as_str().expect("a messageId is given"))
        .collect();
    assert_eq!(ids.len(), 4, "{events:#?}");
    assert!(
        ids.iter().all(|id| id.starts_with("wm-") && id.len() == 35),
        "{ids:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn alias_merges_the_anonymous_profile_into_the_user() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([
            {"type": "page", "anonymousId": "anon-1", "name": "Home", "messageId": mid(),
             "timestamp": "2026-01-01T00:00:00Z"},
            {"type": "identify", "anonymousId": "anon-1", "messageId": mid(),
             "timestamp": "2026-01-01T00:00:01Z", "traits": {"cart": 2}},
        ]),
    )
    .await;
    app.batch_ok(
        SERVER_KEY,
        json!([
            {"type": "identify", "userId": "u1", "traits": {"plan": "pro"}, "messageId": mid(),
             "timestamp": "2026-01-01T00:00:02Z"},
            {"type": "track", "userId": "u1", "event": "Order Completed", "messageId": mid(),
             "timestamp": "2026-01-01T00:00:03Z"},
        ]),
    )
    .await;
    assert_eq!(app.snapshot().profiles.len(), 2);
    app.send(post("/v1/alias").basic(WEB_KEY, "").json(&json!({
        "previousId": "anon-1", "userId": "u1", "timestamp": "2026-01-01T00:00:04Z",
    })))
    .await
    .assert_success();
    // One profile, by either id, with both ids and every event.
    assert_eq!(app.snapshot().profiles.len(), 1);
    let profile = app.profile(SHOP, "u1").await;
    assert_eq!(profile, app.profile(SHOP, "anon-1").await);
    assert_eq!(profile["user_id"], "u1");
    assert_eq!(profile["anonymous_ids"], json!(["anon-1"]));
    assert_eq!(profile["traits"], json!({"cart": 2, "plan": "pro"}));
    assert_eq!(profile["event_count"], 5);
    assert_eq!(profile["merged_profiles"], 1);
    let events = app.events(SHOP, "u1").await;
    assert_eq!(events, app.events(SHOP, "anon-1").await);
    assert_eq!(
        names(&events),
        [
            "Page Viewed",
            "identify",
            "identify",
            "Order Completed",
            "alias"
        ]
    );
    // Later events of the anonymous id reach the merged profile.
    app.batch_ok(
        WEB_KEY,
        json!([{"type": "track", "anonymousId": "anon-1", "event": "Later", "messageId": mid()}]),
    )
    .await;
    assert_eq!(app.profile(SHOP, "u1").await["event_count"], 6);
    assert_eq!(app.snapshot().profiles.len(), 1);
}

#[tokio::test]
async fn a_message_with_both_ids_merges_them() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([{"type": "track", "anonymousId": "anon-1", "event": "A", "messageId": mid()}]),
    )
    .await;
    app.batch_ok(WEB_KEY, json!([track("u1", "B")])).await;
    app.batch_ok(
        WEB_KEY,
        json!([{"type": "identify", "userId": "u1", "anonymousId": "anon-1", "messageId": mid()}]),
    )
    .await;
    let profile = app.profile(SHOP, "anon-1").await;
    assert_eq!(profile["user_id"], "u1");
    assert_eq!(profile["event_count"], 3);
    assert_eq!(app.snapshot().profiles.len(), 1);
}

#[tokio::test]
async fn two_user_ids_are_never_merged() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([
            {"type": "identify", "userId": "u1", "anonymousId": "anon-1", "messageId": mid(),
             "traits": {"name": "One"}},
            identify("u2", json!({"name": "Two"})),
        ]),
    )
    .await;
    // An alias between two user ids, and the first user's anonymous id sent with the
    // second user's id: neither merges the users.
    app.send(post("/v1/alias").basic(WEB_KEY, "").json(&json!({
        "previousId": "u1", "userId": "u2",
    })))
    .await
    .assert_success();
    app.batch_ok(
        WEB_KEY,
        json!([{"type": "track", "userId": "u2", "anonymousId": "anon-1", "event": "X",
                "messageId": mid()}]),
    )
    .await;
    let one = app.profile(SHOP, "u1").await;
    let two = app.profile(SHOP, "u2").await;
    assert_eq!(one["user_id"], "u1");
    assert_eq!(two["user_id"], "u2");
    assert_eq!(one["traits"], json!({"name": "One"}));
    assert_eq!(two["traits"], json!({"name": "Two"}));
    assert_eq!(one["merged_profiles"], 0);
    assert_eq!(two["merged_profiles"], 0);
    assert_eq!(app.snapshot().profiles.len(), 2);
    assert_eq!(app.profile(SHOP, "anon-1").await["user_id"], "u1");
    assert_eq!(app.events(SHOP, "u1").await.len(), 1);
}

#[tokio::test]
async fn event_times_out_of_bounds_become_the_receipt_time_and_are_flagged() {
    let app = App::new();
    let before = now();
    app.batch_ok(
        WEB_KEY,
        json!([
            {"type": "identify", "userId": "t1", "traits": {"plan": "future"},
             "timestamp": "3000-01-01T00:00:00Z", "messageId": mid()},
            // Skew correction would place this one in year 4049.
            {"type": "track", "userId": "t1", "event": "Skewed",
             "timestamp": "3000-01-01T00:00:00Z", "sentAt": "1977-01-01T00:00:00Z",
             "messageId": mid()},
            {"type": "track", "userId": "t1", "event": "Ancient",
             "timestamp": "1999-12-31T23:59:59Z", "messageId": mid()},
        ]),
    )
    .await;
    let after = now();
    let events = app.events(SHOP, "t1").await;
    assert_eq!(events.len(), 3);
    for e in &events {
        let at = millis(e["timestamp"].as_str().unwrap());
        assert!((before..=after).contains(&at), "{e}");
        assert_eq!(e["timestamp_adjusted"], true, "{e}");
        assert_eq!(e["timestamp"], e["receivedAt"], "{e}");
    }
    // The future identify did not lock the trait: a later one still wins.
    app.batch_ok(WEB_KEY, json!([identify("t1", json!({"plan": "present"}))]))
        .await;
    assert_eq!(app.profile(SHOP, "t1").await["traits"]["plan"], "present");
    let latest = app.events(SHOP, "t1").await;
    assert!(
        latest[3].get("timestamp_adjusted").is_none(),
        "{}",
        latest[3]
    );
}
