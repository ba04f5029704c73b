//! mParticle's Events API: `/v2/events` and `/v2/bulkevents` with Basic `key:secret`,
//! answered 202; events named per SPEC §2.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

/// The Authorization header the mParticle Python SDK was captured sending (`MP_KEY:MP_SECRET`).
const CAPTURED_AUTH: &str = "Basic TVBfS0VZOk1QX1NFQ1JFVA==";

fn events(body: &Value) -> Req {
    post("/v2/events").basic(MP_KEY, MP_SECRET).json(body)
}

fn bulk(body: &Value) -> Req {
    post("/v2/bulkevents").basic(MP_KEY, MP_SECRET).json(body)
}

/// A batch of `customer` with these events.
fn batch(customer: &str, events: Value) -> Value {
    json!({"environment": "production", "user_identities": {"customer_id": customer},
           "events": events})
}

fn custom(name: &str) -> Value {
    json!({"event_type": "custom_event",
           "data": {"event_name": name, "source_message_id": mid(), "custom_event_type": "other"}})
}

fn assert_accepted(resp: &Resp) {
    resp.assert_status(StatusCode::ACCEPTED);
    assert!(resp.body.is_empty(), "202 has no body: {}", resp.text());
}

#[tokio::test]
async fn captured_events_request_is_accepted_and_named_per_spec() {
    let app = App::new();
    let body = fixture("mparticle_events.json");
    let before = now();
    let resp = app
        .send(
            post("/v2/events")
                .header("authorization", CAPTURED_AUTH)
                .header("accept", "application/json")
                .header("accept-encoding", "identity")
                .header("user-agent", "mParticle Python client/0.16.0")
                .json(&body),
        )
        .await;
    assert_accepted(&resp);
    let after = now();
    let profile = app.profile(SHOP, "cust-1").await;
    assert_eq!(profile["user_id"], "cust-1");
    assert_eq!(profile["anonymous_ids"], json!(["12345"]));
    assert_eq!(
        profile["identities"],
        json!({"customer_id": "cust-1", "email": "a@example.com", "mpid": "12345"})
    );
    assert_eq!(
        profile["traits"],
        json!({"plan": "pro", "tags": ["a", "b"]})
    );
    assert_eq!(profile["event_count"], 5);
    // The mpid reaches the same profile.
    assert_eq!(app.profile(SHOP, "12345").await, profile);
    let events = app.events(SHOP, "cust-1").await;
    assert_eq!(
        names(&events),
        [
            "identify",
            "Session Start",
            "Added to Cart",
            "Screen Viewed",
            "eCommerce - Purchase"
        ]
    );
    let by = |name: &str| events.iter().find(|e| e["event"] == name).unwrap();
    // session_start at its own time; the user attributes' identify at the earliest.
    assert_eq!(events[0]["timestamp"], "2023-11-14T22:13:19Z");
    assert_eq!(events[0]["messageId"], "req-abc:user_attributes");
    assert_eq!(by("Session Start")["timestamp"], "2023-11-14T22:13:19Z");
    assert_eq!(by("Session Start")["messageId"], "req-abc:0");
    let cart = by("Added to Cart");
    assert_eq!(cart["type"], "track");
    assert_eq!(cart["timestamp"], "2023-11-14T22:13:20Z");
    assert_eq!(cart["messageId"], "src-1");
    assert_eq!(cart["properties"], json!({"sku": "X1"}));
    assert_eq!(cart["context"]["custom_event_type"], "transaction");
    assert_eq!(cart["context"]["environment"], "development");
    let screen = by("Screen Viewed");
    assert_eq!(screen["type"], "screen");
    assert_eq!(screen["properties"], json!({"name": "Home"}));
    // No timestamp_unixtime_ms: the server's time.
    let ts = millis(screen["timestamp"].as_str().unwrap());
    assert!(before - 1000 <= ts && ts <= after + 1000, "{screen}");
    let purchase = by("eCommerce - Purchase");
    assert_eq!(purchase["properties"]["transaction_id"], "T1");
    assert_eq!(purchase["properties"]["total_amount"], 9.99);
    assert_eq!(purchase["properties"]["products"][0]["id"], "sku1");
    assert!(events.iter().all(|e| e["input"] == "mparticle"));
}

#[tokio::test]
async fn captured_bulk_request_is_accepted_and_deduplicated() {
    // The SDK's bulk capture holds the same batch twice: the second one repeats every id.
    let app = App::new();
    let body = fixture("mparticle_bulk.json");
    assert_eq!(body.as_array().unwrap().len(), 2);
    let resp = app
        .send(
            post("/v2/bulkevents")
                .header("authorization", CAPTURED_AUTH)
                .json(&body),
        )
        .await;
    assert_accepted(&resp);
    assert_eq!(app.profile(SHOP, "cust-1").await["event_count"], 5);
    assert_eq!(app.snapshot().event_count(), 5);
}

#[tokio::test]
async fn a_repeated_request_is_accepted_and_stored_once() {
    let app = App::new();
    let body = fixture("mparticle_events.json");
    assert_accepted(&app.send(events(&body)).await);
    let once = app.snapshot();
    assert_accepted(&app.send(events(&body)).await);
    assert_accepted(&app.send(bulk(&json!([body]))).await);
    assert_eq!(app.snapshot(), once);
}

#[tokio::test]
async fn bulk_batches_of_different_users() {
    let app = App::new();
    let resp = app
        .send(bulk(&json!([
            batch("c1", json!([custom("One")])),
            batch("c2", json!([custom("Two"), custom("Three")])),
        ])))
        .await;
    assert_accepted(&resp);
    assert_eq!(names(&app.events(SHOP, "c1").await), ["One"]);
    assert_eq!(names(&app.events(SHOP, "c2").await), ["Two", "Three"]);
}

#[tokio::test]
async fn customer_id_and_customerid_are_the_same_identity() {
    let app = App::new();
    // The documented name …
    assert_accepted(
        &app.send(events(&batch("c1", json!([custom("Documented")]))))
            .await,
    );
    // … and the Python SDK's.
    assert_accepted(
        &app.send(events(&json!({
            "environment": "production",
            "user_identities": {"customerid": "c1", "email": "c1@example.com"},
            "events": [custom("Python")],
        })))
        .await,
    );
    let profile = app.profile(SHOP, "c1").await;
    assert_eq!(profile["user_id"], "c1");
    assert_eq!(profile["identities"]["customer_id"], "c1");
    assert_eq!(profile["identities"]["email"], "c1@example.com");
    assert_eq!(
        names(&app.events(SHOP, "c1").await),
        ["Documented", "Python"]
    );
    assert_eq!(app.snapshot().profiles.len(), 1);
}

#[tokio::test]
async fn an_mpid_alone_identifies_an_anonymous_profile() {
    let app = App::new();
    assert_accepted(
        &app.send(events(&json!({
            "environment": "production", "mpid": "-8000000000000000001",
            "events": [custom("Anon")],
        })))
        .await,
    );
    let profile = app.profile(SHOP, "-8000000000000000001").await;
    assert_eq!(profile["user_id"], Value::Null);
    assert_eq!(profile["identities"]["mpid"], "-8000000000000000001");
}

#[tokio::test]
async fn other_event_types_are_named_per_spec() {
    let app = App::new();
    assert_accepted(
        &app.send(events(&batch(
            "c1",
            json!([
                {"event_type": "session_end", "data": {"timestamp_unixtime_ms": 1}},
                {"event_type": "commerce_event", "data": {"timestamp_unixtime_ms": "2",
                 "product_action": {"action": "add_to_cart"}}},
                {"event_type": "application_state_transition",
                 "data": {"timestamp_unixtime_ms": 3, "application_transition_type": "application_background"}},
            ]),
        )))
        .await,
    );
    let events = app.events(SHOP, "c1").await;
    assert_eq!(
        names(&events),
        [
            "Session End",
            "eCommerce - Add To Cart",
            "Application State Transition"
        ]
    );
    assert_eq!(
        events[2]["properties"]["application_transition_type"],
        "application_background"
    );
}

#[tokio::test]
async fn gzip_bodies_are_accepted() {
    let app = App::new();
    let resp = app
        .send(
            post("/v2/events")
                .basic(MP_KEY, MP_SECRET)
                .gzip_json(&batch("c1", json!([custom("Zipped")]))),
        )
        .await;
    assert_accepted(&resp);
    assert_eq!(names(&app.events(SHOP, "c1").await), ["Zipped"]);
}

#[tokio::test]
async fn auth_failures() {
    let app = App::new();
    let body = fixture("mparticle_events.json");
    // Wrong or empty secret: 403.
    for secret in ["wrong", "", "mp_secret"] {
        app.rejects(
            post("/v2/events").basic(MP_KEY, secret).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    app.rejects(
        post("/v2/bulkevents")
            .basic(MP_KEY, "wrong")
            .json(&json!([body])),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // A Segment input has no secret: no secret opens it.
    app.rejects(
        post("/v2/events").basic(WEB_KEY, "").json(&body),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    app.rejects(
        post("/v2/events").basic(WEB_KEY, MP_SECRET).json(&body),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Unknown key: 401.
    app.rejects(
        post("/v2/events")
            .basic("NO_SUCH_KEY", MP_SECRET)
            .json(&body),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // No Basic credentials at all: 401.
    app.rejects(
        post("/v2/events").json(&body),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.rejects(
        post("/v2/bulkevents").json(&json!([body])),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.rejects(
        post("/v2/events").bearer(ACCOUNT_TOKEN).json(&body),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.rejects(
        post("/v2/events")
            .header("authorization", "Basic !!not-base64!!")
            .json(&body),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.assert_no_profile(SHOP, "cust-1").await;
}

#[tokio::test]
async fn bad_input() {
    let app = App::new();
    assert_accepted(
        &app.send(events(&batch("c0", json!([custom("Seed")]))))
            .await,
    );
    let cases: Vec<(Req, &str)> = vec![
        (
            post("/v2/events")
                .basic(MP_KEY, MP_SECRET)
                .header("content-type", "application/json")
                .raw("{\"events\": ["),
            "invalid_json",
        ),
        (events(&json!([batch("c1", json!([]))])), "invalid_batch"),
        (bulk(&batch("c1", json!([]))), "invalid_batch"),
        (bulk(&json!([])), "invalid_batch"),
        (bulk(&json!([batch("c1", json!([])), 7])), "invalid_batch"),
        (
            events(&json!({"user_identities": {"customer_id": "c1"}, "events": {}})),
            "invalid_batch",
        ),
        (
            bulk(&Value::Array(
                (0..101).map(|_| batch("c1", json!([]))).collect(),
            )),
            "too_many_batches",
        ),
        (
            events(&batch(
                "c1",
                Value::Array(
                    (0..2501)
                        .map(|_| json!({"event_type": "session_start"}))
                        .collect(),
                ),
            )),
            "too_many_messages",
        ),
    ];
    for (req, code) in cases {
        app.rejects(req, StatusCode::BAD_REQUEST, code).await;
    }
    // A readable body whose events fail validation: answered 202, each event recorded as
    // rejected, nothing stored.
    let cases: Vec<(Req, &str)> = vec![
        (
            events(&json!({"environment": "production", "events": [custom("A")]})),
            "no_user_anon_id",
        ),
        (
            events(&json!({"user_identities": {"email": "a@example.com"},
                           "events": [custom("A")]})),
            "no_user_anon_id",
        ),
        (
            events(&batch(
                "c1",
                json!([{"event_type": "custom_event", "data": {}}]),
            )),
            "missing_event",
        ),
        (
            events(&batch(
                "c1",
                json!([{"event_type": "commerce_event", "data": {}}]),
            )),
            "missing_event",
        ),
        (
            events(&batch(
                "c1",
                json!([{"event_type": "page_view", "data": {}}]),
            )),
            "unknown_event_type",
        ),
        (
            events(&batch("c1", json!([{"data": {}}]))),
            "unknown_event_type",
        ),
        (
            events(&batch(
                "c1",
                json!([{"event_type": "session_start",
                        "data": {"timestamp_unixtime_ms": "yesterday"}}]),
            )),
            "bad_timestamp",
        ),
        (
            events(
                &json!({"user_identities": {"customer_id": "c1"}, "mpid": "abc",
                           "events": []}),
            ),
            "bad_field_type",
        ),
        (
            events(&batch(
                "c1",
                json!([{"event_type": "custom_event", "data": {"event_name": "A",
                        "custom_attributes": [1, 2]}}]),
            )),
            "bad_field_type",
        ),
        (
            events(&batch(
                "c1",
                json!([{"event_type": "custom_event",
                        "data": {"event_name": "A", "source_message_id": {"id": 1}}}]),
            )),
            "bad_field_type",
        ),
    ];
    for (req, code) in cases {
        app.rejects_message(req, StatusCode::ACCEPTED, code).await;
    }
}

#[tokio::test]
async fn one_bad_event_is_rejected_and_the_rest_of_the_bulk_request_stored() {
    let app = App::new();
    let resp = app
        .send(bulk(&json!([
            batch("c1", json!([custom("Fine")])),
            batch(
                "c2",
                json!([custom("Also Fine"), {"event_type": "custom_event"}])
            ),
        ])))
        .await;
    assert_accepted(&resp);
    assert_eq!(names(&app.events(SHOP, "c1").await), ["Fine"]);
    assert_eq!(names(&app.events(SHOP, "c2").await), ["Also Fine"]);
    let rejected = app.store.rejected(SHOP, None, 10).unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].code, "missing_event");
    assert_eq!(rejected[0].input, "mparticle");
    assert!(
        rejected[0].message.starts_with("[1].events[1]: "),
        "{rejected:?}"
    );
    assert_eq!(rejected[0].excerpt, r#"{"event_type":"custom_event"}"#);
}
