//! Bad input to the ingestion routes: every rejection is a 400 (415 for a wrong media type)
//! with the code that names the problem, and leaves the store as it was. A batch is
//! accepted or rejected whole.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{Value, json};
use waymark_ingest::Limits;
use waymark_store::MemoryStore;

use crate::support::*;

const KB: usize = 1024;

/// `POST /v1/batch` with Basic auth and these raw JSON bytes.
fn raw_batch(body: impl Into<Vec<u8>>) -> Req {
    post("/v1/batch")
        .basic(WEB_KEY, "")
        .header("content-type", "application/json")
        .raw(body)
}

fn batch(items: Value) -> Req {
    post("/v1/batch")
        .basic(WEB_KEY, "")
        .json(&json!({ "batch": items }))
}

/// A track whose compact JSON is exactly `size` bytes.
fn track_of_size(user: &str, size: usize) -> Value {
    let mut msg = json!({"type": "track", "userId": user, "event": "Big", "messageId": mid(),
                         "properties": {"pad": ""}});
    let base = serde_json::to_vec(&msg).unwrap().len();
    assert!(size >= base);
    msg["properties"]["pad"] = json!("x".repeat(size - base));
    assert_eq!(serde_json::to_vec(&msg).unwrap().len(), size);
    msg
}

/// Puts a store in a known non-empty state, so that "unchanged" means something.
async fn seeded() -> App {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([identify("u1", json!({"plan": "pro"})), track("u1", "A")]),
    )
    .await;
    assert_eq!(app.snapshot().event_count(), 2);
    app
}

#[tokio::test]
async fn malformed_json_is_invalid_json() {
    let app = seeded().await;
    for body in [
        &b"{"[..],
        b"",
        b"{\"batch\": [}",
        b"{\"batch\": []} trailing",
        b"nul",
        b"{\"batch\":[{\"type\":\"track\",\"userId\":\"u\xff\"}]}",
    ] {
        app.rejects(raw_batch(body), StatusCode::BAD_REQUEST, "invalid_json")
            .await;
    }
    app.rejects(
        post("/v1/track")
            .basic(WEB_KEY, "")
            .header("content-type", "application/json")
            .raw("{\"userId\": \"u1\", "),
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
}

#[tokio::test]
async fn batch_bodies_of_the_wrong_shape_are_invalid_batch() {
    let app = seeded().await;
    for body in [
        json!([track("u1", "A")]),
        json!({"batch": []}),
        json!({"batch": {"type": "track"}}),
        json!({"messages": [track("u1", "A")]}),
        json!("batch"),
    ] {
        app.rejects(
            post("/v1/batch").basic(WEB_KEY, "").json(&body),
            StatusCode::BAD_REQUEST,
            "invalid_batch",
        )
        .await;
    }
    // A single-message path needs an object.
    app.rejects(
        post("/v1/track")
            .basic(WEB_KEY, "")
            .json(&json!([track("u1", "A")])),
        StatusCode::BAD_REQUEST,
        "not_an_object",
    )
    .await;
    // A batch item that is not an object is a rejected message.
    app.rejects_message(batch(json!(["track"])), StatusCode::OK, "not_an_object")
        .await;
}

#[tokio::test]
async fn a_message_over_32_kb_is_rejected() {
    let app = seeded().await;
    let rejected = app
        .rejects_message(
            batch(json!([track_of_size("u1", 32 * KB + 1)])),
            StatusCode::OK,
            "message_too_large",
        )
        .await;
    assert!(rejected.message.starts_with("batch[0]"), "{rejected:?}");
    assert_eq!(rejected.excerpt.len(), 200, "{rejected:?}");
    // The single-message paths: the body is the message.
    app.rejects(
        post("/v1/track")
            .basic(WEB_KEY, "")
            .json(&track_of_size("u1", 32 * KB + 1)),
        StatusCode::BAD_REQUEST,
        "message_too_large",
    )
    .await;
    // Exactly 32 KB is fine, in a batch and alone.
    app.send(batch(json!([track_of_size("u2", 32 * KB)])))
        .await
        .assert_success();
    app.send(
        post("/v1/track")
            .basic(WEB_KEY, "")
            .json(&track_of_size("u2", 32 * KB)),
    )
    .await
    .assert_success();
    assert_eq!(app.events(SHOP, "u2").await.len(), 2);
}

/// A batch body of exactly `size` bytes made of messages of at most 32 KB.
fn batch_body_of_size(size: usize) -> Vec<u8> {
    let mut items: Vec<Value> = (0..15).map(|_| track_of_size("u9", 32 * KB)).collect();
    items.push(track_of_size("u9", 100));
    let base = serde_json::to_vec(&json!({ "batch": items }))
        .unwrap()
        .len();
    let last = 100 + (size - base);
    assert!(last <= 32 * KB);
    items[15] = track_of_size("u9", last);
    let body = serde_json::to_vec(&json!({ "batch": items })).unwrap();
    assert_eq!(body.len(), size);
    body
}

#[tokio::test]
async fn a_batch_over_500_kb_is_rejected() {
    let app = seeded().await;
    // Just over (within the raw-body slack for gzip), and far over (cut off while reading).
    app.rejects(
        raw_batch(batch_body_of_size(500 * KB + 1)),
        StatusCode::BAD_REQUEST,
        "batch_too_large",
    )
    .await;
    let mut huge = batch_body_of_size(500 * KB);
    huge.splice(1..1, std::iter::repeat_n(b' ', 600 * KB));
    app.rejects(raw_batch(huge), StatusCode::BAD_REQUEST, "batch_too_large")
        .await;
    // Also after decompression: a gzipped body that inflates past the limit.
    app.rejects(
        raw_batch(gzip(&batch_body_of_size(500 * KB + 1))).header("content-encoding", "gzip"),
        StatusCode::BAD_REQUEST,
        "batch_too_large",
    )
    .await;
    // Exactly 500 KB is fine.
    app.send(raw_batch(batch_body_of_size(500 * KB)))
        .await
        .assert_success();
    assert_eq!(app.events(SHOP, "u9").await.len(), 16);
}

#[tokio::test]
async fn more_than_2500_messages_are_rejected() {
    let app = seeded().await;
    let items = |n: usize| Value::Array((0..n).map(|_| track("u7", "E")).collect());
    let resp = app
        .rejects(
            batch(items(2501)),
            StatusCode::BAD_REQUEST,
            "too_many_messages",
        )
        .await;
    assert!(resp.message().contains("2501"), "{}", resp.text());
    app.send(batch(items(2500))).await.assert_success();
    assert_eq!(app.profile(SHOP, "u7").await["event_count"], 2500);
}

#[tokio::test]
async fn a_message_without_ids_is_rejected() {
    let app = seeded().await;
    for msg in [
        json!({"type": "track", "event": "A"}),
        json!({"type": "track", "event": "A", "userId": null, "anonymousId": null}),
        json!({"type": "track", "event": "A", "userId": "", "anonymousId": ""}),
        json!({"type": "identify", "traits": {"x": 1}}),
    ] {
        app.rejects_message(batch(json!([msg])), StatusCode::OK, "no_user_anon_id")
            .await;
    }
    app.rejects_message(
        post("/v1/identify")
            .basic(WEB_KEY, "")
            .json(&json!({"traits": {"x": 1}})),
        StatusCode::BAD_REQUEST,
        "no_user_anon_id",
    )
    .await;
}

#[tokio::test]
async fn required_fields_per_call() {
    let app = seeded().await;
    let cases = [
        (json!({"type": "track", "userId": "u1"}), "missing_event"),
        (
            json!({"type": "track", "userId": "u1", "event": ""}),
            "missing_event",
        ),
        (
            json!({"type": "track", "userId": "u1", "event": null}),
            "missing_event",
        ),
        (
            json!({"type": "alias", "userId": "u1"}),
            "missing_previous_id",
        ),
        (
            json!({"type": "alias", "anonymousId": "a1", "previousId": "a0"}),
            "missing_user_id",
        ),
        (json!({"type": "group", "userId": "u1"}), "missing_group_id"),
        (
            json!({"type": "track", "userId": "u1", "event": "A", "properties": [1]}),
            "bad_field_type",
        ),
        (
            json!({"type": "track", "userId": "u1", "event": "A", "context": "web"}),
            "bad_field_type",
        ),
    ];
    for (msg, code) in cases {
        app.rejects_message(batch(json!([msg])), StatusCode::OK, code)
            .await;
    }
    app.rejects_message(
        post("/v1/track")
            .basic(WEB_KEY, "")
            .json(&json!({"userId": "u1"})),
        StatusCode::BAD_REQUEST,
        "missing_event",
    )
    .await;
}

#[tokio::test]
async fn bad_timestamps_are_rejected() {
    let app = seeded().await;
    for ts in [
        json!("yesterday"),
        json!("2026-13-01T00:00:00Z"),
        json!(12345),
    ] {
        app.rejects_message(
            batch(json!([{"type": "track", "userId": "u1", "event": "A", "timestamp": ts}])),
            StatusCode::OK,
            "bad_timestamp",
        )
        .await;
    }
    app.rejects(
        post("/v1/batch").basic(WEB_KEY, "").json(&json!({
            "sentAt": "not a time", "batch": [track("u1", "A")],
        })),
        StatusCode::BAD_REQUEST,
        "bad_timestamp",
    )
    .await;
    app.rejects_message(
        post("/v1/track").basic(WEB_KEY, "").json(&json!({
            "userId": "u1", "event": "A", "sentAt": "2026-01-01 noon",
            "timestamp": "2026-01-01T00:00:00Z",
        })),
        StatusCode::BAD_REQUEST,
        "bad_timestamp",
    )
    .await;
}

#[tokio::test]
async fn deeply_nested_json_is_rejected_without_overflowing_the_stack() {
    let app = seeded().await;
    let depth = 10_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let body = format!(
        r#"{{"batch":[{{"type":"track","userId":"u1","event":"A","properties":{{"x":{deep}}}}}]}}"#
    );
    app.rejects(raw_batch(body), StatusCode::BAD_REQUEST, "too_deep")
        .await;
    // Unclosed, in objects, on a single path (10 KB: under the message limit, which is
    // checked first) and on mParticle's.
    let objects = r#"{"a":"#.repeat(depth);
    app.rejects(
        raw_batch(objects.clone()),
        StatusCode::BAD_REQUEST,
        "too_deep",
    )
    .await;
    app.rejects(
        post("/v1/track")
            .basic(WEB_KEY, "")
            .header("content-type", "application/json")
            .raw("[".repeat(depth)),
        StatusCode::BAD_REQUEST,
        "too_deep",
    )
    .await;
    app.rejects(
        post("/v2/events")
            .basic(MP_KEY, MP_SECRET)
            .header("content-type", "application/json")
            .raw(objects),
        StatusCode::BAD_REQUEST,
        "too_deep",
    )
    .await;
    // Brackets inside strings do not count.
    let mut msg = track("u1", "Brackets");
    msg["properties"] = json!({"text": "[".repeat(depth)});
    app.send(batch(json!([msg]))).await.assert_success();
}

#[tokio::test]
async fn a_wrong_content_type_is_415() {
    let app = seeded().await;
    let body = serde_json::to_vec(&json!({"batch": [track("u1", "A")]})).unwrap();
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/xml",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
    ] {
        app.rejects(
            post("/v1/batch")
                .basic(WEB_KEY, "")
                .header("content-type", content_type)
                .raw(body.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
        )
        .await;
    }
    app.rejects(
        post("/v2/events")
            .basic(MP_KEY, MP_SECRET)
            .header("content-type", "text/xml")
            .raw(serde_json::to_vec(&fixture("mparticle_events.json")).unwrap()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_content_type",
    )
    .await;
    // What clients do send is fine: JSON with parameters, `+json`, text/plain, none.
    for content_type in [
        Some("application/json; charset=utf-8"),
        Some("Application/JSON"),
        Some("application/vnd.segment+json"),
        Some("text/plain"),
        None,
    ] {
        let mut req = post("/v1/batch").basic(WEB_KEY, "");
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let body = serde_json::to_vec(&json!({"batch": [track("u1", "A")]})).unwrap();
        let resp = app.send(req.raw(body)).await;
        assert_eq!(resp.status, StatusCode::OK, "{content_type:?}");
    }
}

#[tokio::test]
async fn an_unsupported_content_encoding_is_rejected() {
    let app = seeded().await;
    let body = serde_json::to_vec(&json!({"batch": [track("u1", "A")]})).unwrap();
    for encoding in ["br", "deflate", "zstd", "gzip, br"] {
        app.rejects(
            raw_batch(body.clone()).header("content-encoding", encoding),
            StatusCode::BAD_REQUEST,
            "unsupported_encoding",
        )
        .await;
    }
    // A body that claims gzip but is not.
    app.rejects(
        raw_batch(body.clone()).header("content-encoding", "gzip"),
        StatusCode::BAD_REQUEST,
        "invalid_gzip",
    )
    .await;
    let mut cut = gzip(&body);
    cut.truncate(cut.len() - 8);
    app.rejects(
        raw_batch(cut).header("content-encoding", "gzip"),
        StatusCode::BAD_REQUEST,
        "invalid_gzip",
    )
    .await;
    // `identity` is no encoding at all.
    app.send(raw_batch(body).header("content-encoding", "identity"))
        .await
        .assert_success();
}

#[tokio::test]
async fn a_gzip_bomb_is_stopped_at_the_batch_limit() {
    let app = seeded().await;
    // A valid start, then 64 gzip members of 1 MiB of JSON whitespace each (read as one
    // body, RFC 1952): 64 MiB inflated from about 64 KiB.
    let mut bomb = gzip(br#"{"batch":[{"type":"track","userId":"u1","event":"A"}]"#);
    let spaces = gzip(&vec![b' '; 1 << 20]);
    for _ in 0..64 {
        bomb.extend_from_slice(&spaces);
    }
    bomb.extend(gzip(b"}"));
    assert!(bomb.len() < 500 * KB, "{} bytes", bomb.len());
    app.rejects(
        raw_batch(bomb.clone()).header("content-encoding", "gzip"),
        StatusCode::BAD_REQUEST,
        "batch_too_large",
    )
    .await;
    app.rejects(
        post("/v2/bulkevents")
            .basic(MP_KEY, MP_SECRET)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .raw(bomb),
        StatusCode::BAD_REQUEST,
        "batch_too_large",
    )
    .await;
}

#[tokio::test]
async fn one_bad_message_is_rejected_and_the_rest_of_the_batch_stored() {
    let app = seeded().await;
    let good = [
        identify("u5", json!({"plan": "pro"})),
        track("u5", "A"),
        track("u6", "B"),
    ];
    let bad = json!({"type": "track", "userId": "u5", "messageId": mid()});
    let malformed = json!({"type": "track", "event": "C", "userId": {"a": 1}});
    let flag = json!({"type": "track", "event": "D", "userId": "u6", "messageId": true});
    app.batch_ok(
        WEB_KEY,
        json!([good[0], good[1], bad, good[2], malformed, flag]),
    )
    .await;
    assert_eq!(names(&app.events(SHOP, "u5").await), ["identify", "A"]);
    assert_eq!(names(&app.events(SHOP, "u6").await), ["B"]);
    // The rejected messages, newest first, with their reasons and counts per input.
    let resp = app
        .send(get(&format!("/api/workspaces/{SHOP}/rejected")).bearer(SHOP_TOKEN))
        .await;
    resp.assert_status(StatusCode::OK);
    let body = resp.json();
    let listed: Vec<(&str, &str, &str)> = body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["input"].as_str().unwrap(),
                r["code"].as_str().unwrap(),
                r["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                "web",
                "bad_field_type",
                "batch[5]: `messageId` must be a string or a number"
            ),
            (
                "web",
                "bad_field_type",
                "batch[4]: `userId` must be a string or a number"
            ),
            (
                "web",
                "missing_event",
                "batch[2]: a track call needs an `event` name"
            ),
        ]
    );
    assert_eq!(body["counts"], json!({"web": 3}));
    assert_eq!(body["next"], Value::Null);
    assert_eq!(body["rejected"][2]["excerpt"], bad.to_string());
    // /metrics counts them by reason.
    let metrics = app.send(get("/metrics")).await.text();
    assert!(
        metrics.contains("waymark_rejected_messages_total{reason=\"bad_field_type\"} 2\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("waymark_rejected_messages_total{reason=\"missing_event\"} 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn message_size_is_measured_as_received_on_every_path() {
    let app = seeded().await;
    // Compact, the message is under 32 KB; as sent, with the client's whitespace, it is
    // one byte over.
    let message = track_of_size("u7", 32 * KB - 100);
    let compact = message.to_string();
    let as_sent = format!("{{{}{}", " ".repeat(101), &compact[1..]);
    assert_eq!(as_sent.len(), 32 * KB + 1);
    app.rejects(
        post("/v1/track")
            .basic(WEB_KEY, "")
            .header("content-type", "application/json")
            .raw(as_sent.clone()),
        StatusCode::BAD_REQUEST,
        "message_too_large",
    )
    .await;
    app.rejects_message(
        raw_batch(format!(r#"{{"batch":[{as_sent}]}}"#)),
        StatusCode::OK,
        "message_too_large",
    )
    .await;
    app.assert_no_profile(SHOP, "u7").await;
}

#[tokio::test]
async fn a_body_whose_keys_repeat_is_refused() {
    let app = seeded().await;
    for body in [
        format!(
            r#"{{"writeKey":"{WEB_KEY}","writeKey":"b","batch":[{}]}}"#,
            track("u8", "A")
        ),
        r#"{"batch":[{"type":"track","event":"A","userId":"u8","userId":"u9"}]}"#.to_string(),
    ] {
        app.rejects(raw_batch(body), StatusCode::BAD_REQUEST, "duplicate_key")
            .await;
    }
    app.rejects(
        post("/v1/track")
            .basic(WEB_KEY, "")
            .header("content-type", "application/json")
            .raw(r#"{"event":"A","userId":"u8","event":"B"}"#),
        StatusCode::BAD_REQUEST,
        "duplicate_key",
    )
    .await;
    app.rejects(
        post("/v2/events")
            .basic(MP_KEY, MP_SECRET)
            .header("content-type", "application/json")
            .raw(r#"{"mpid":1,"mpid":2,"events":[]}"#),
        StatusCode::BAD_REQUEST,
        "duplicate_key",
    )
    .await;
}

#[tokio::test]
async fn configured_limits_are_the_ones_enforced() {
    let limits = Limits {
        max_message_bytes: 200,
        max_batch_bytes: 1000,
        max_batch_messages: 3,
        max_depth: 4,
    };
    let app = App::with_limits(Arc::new(MemoryStore::new()), limits);
    let items = |n: usize| Value::Array((0..n).map(|_| track("u1", "E")).collect());
    app.rejects(
        batch(items(4)),
        StatusCode::BAD_REQUEST,
        "too_many_messages",
    )
    .await;
    app.rejects_message(
        batch(json!([track_of_size("u1", 201)])),
        StatusCode::OK,
        "message_too_large",
    )
    .await;
    app.rejects(
        raw_batch(format!(r#"{{"batch":[{}]}}"#, " ".repeat(1000))),
        StatusCode::BAD_REQUEST,
        "batch_too_large",
    )
    .await;
    let mut deep = track("u1", "E");
    deep["properties"] = json!({"a": {"b": []}});
    app.rejects(batch(json!([deep])), StatusCode::BAD_REQUEST, "too_deep")
        .await;
    app.send(batch(items(3))).await.assert_success();
    // GET /api/account reports them.
    let resp = app.send(get("/api/account").bearer(ACCOUNT_TOKEN)).await;
    resp.assert_status(StatusCode::OK);
    assert_eq!(
        resp.json()["limits"],
        json!({"max_message_bytes": 200, "max_batch_bytes": 1000, "max_batch_messages": 3})
    );
}

#[tokio::test]
async fn gzip_is_accepted_whatever_its_content_type() {
    // @rudderstack/rudder-sdk-node gzips its body and labels it form-urlencoded.
    let app = seeded().await;
    let body = gzip(&serde_json::to_vec(&json!({"batch": [track("g1", "A")]})).unwrap());
    app.send(
        post("/v1/batch")
            .basic(WEB_KEY, "")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("content-encoding", "gzip")
            .raw(body.clone()),
    )
    .await
    .assert_success();
    // Recognised by its magic bytes even without Content-Encoding.
    let body = gzip(&serde_json::to_vec(&json!({"batch": [track("g1", "B")]})).unwrap());
    app.send(
        post("/v1/batch")
            .basic(WEB_KEY, "")
            .header("content-type", "application/octet-stream")
            .raw(body),
    )
    .await
    .assert_success();
    let body = gzip(&serde_json::to_vec(&fixture("mparticle_events.json")).unwrap());
    let resp = app
        .send(
            post("/v2/events")
                .basic(MP_KEY, MP_SECRET)
                .header("content-type", "application/x-www-form-urlencoded")
                .raw(body),
        )
        .await;
    resp.assert_status(StatusCode::ACCEPTED);
    assert_eq!(names(&app.events(SHOP, "g1").await), ["A", "B"]);
}
