//! End to end on the durable store (`FjallStore` in a temporary directory): what the API
//! acknowledged is there after a restart, and so are deletions and remembered messageIds.

use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::json;
use waymark_store::{FjallStore, Store};

use crate::support::*;

fn open(dir: &Path) -> App {
    let store: Arc<dyn Store> = Arc::new(FjallStore::open(dir).expect("opening the store"));
    App::with_store(store)
}

#[tokio::test]
async fn captured_clients_end_to_end_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let python = fixture("segment_python.json");
    let (profile, events, mp_events) = {
        let app = open(dir.path());
        app.send(post("/v1/batch").basic(PYTHON_KEY, "").json(&python))
            .await
            .assert_success();
        app.send(
            post("/v1/batch")
                .basic(RUDDER_KEY, "")
                .gzip_json(&fixture("rudder.json")),
        )
        .await
        .assert_success();
        app.send(
            post("/v2/events")
                .basic(MP_KEY, MP_SECRET)
                .json(&fixture("mparticle_events.json")),
        )
        .await
        .assert_status(StatusCode::ACCEPTED);
        let profile = app.profile(SHOP, "user-1").await;
        // segment-python's 7 messages and rudder's 2, merged with anon-9 by the alias.
        assert_eq!(profile["event_count"], 9);
        assert_eq!(app.profile(SHOP, "anon-9").await, profile);
        let events = app.events(SHOP, "user-1").await;
        assert_eq!(events.len(), 9);
        let mp_events = app.events(SHOP, "cust-1").await;
        assert_eq!(
            names(&mp_events),
            [
                "identify",
                "Session Start",
                "Added to Cart",
                "Screen Viewed",
                "eCommerce - Purchase"
            ]
        );
        (profile, events, mp_events)
    };
    // Restart: everything acknowledged is there.
    let app = open(dir.path());
    assert_eq!(app.profile(SHOP, "user-1").await, profile);
    assert_eq!(app.events(SHOP, "user-1").await, events);
    assert_eq!(app.events(SHOP, "cust-1").await, mp_events);
    // messageIds are remembered across the restart: a retry stores nothing.
    let before = app.snapshot();
    app.send(post("/v1/batch").basic(PYTHON_KEY, "").json(&python))
        .await
        .assert_success();
    app.send(
        post("/v2/events")
            .basic(MP_KEY, MP_SECRET)
            .json(&fixture("mparticle_events.json")),
    )
    .await
    .assert_status(StatusCode::ACCEPTED);
    assert_eq!(app.snapshot(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_are_all_stored_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(open(dir.path()));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..32 {
        let app = Arc::clone(&app);
        tasks.spawn(async move {
            let user = format!("u{}", i % 4);
            let items: Vec<_> = (0..10).map(|_| track(&user, "Tick")).collect();
            let key = if i % 2 == 0 { WEB_KEY } else { SERVER_KEY };
            app.batch_ok(key, json!(items)).await;
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a request task");
    }
    let before = app.snapshot();
    assert_eq!(before.event_count(), 320);
    assert_eq!(before.profiles.len(), 4);
    drop(app);
    let app = open(dir.path());
    assert_eq!(app.snapshot(), before);
    for i in 0..4 {
        assert_eq!(app.profile(SHOP, &format!("u{i}")).await["event_count"], 80);
    }
}

#[tokio::test]
async fn rejected_requests_leave_the_durable_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    app.batch_ok(WEB_KEY, json!([identify("u1", json!({"plan": "pro"}))]))
        .await;
    let good = track("u1", "Good");
    app.rejects(
        post("/v1/batch")
            .basic(WEB_KEY, "")
            .json(&json!({"sentAt": "soon", "batch": [good]})),
        StatusCode::BAD_REQUEST,
        "bad_timestamp",
    )
    .await;
    app.rejects(
        post("/v1/batch").basic(OTHER_KEY, "").json(&json!({
            "writeKey": WEB_KEY, "batch": [good],
        })),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.rejects(
        post("/v2/events")
            .basic(MP_KEY, "wrong")
            .json(&fixture("mparticle_events.json")),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let before = app.snapshot();
    drop(app);
    let app = open(dir.path());
    assert_eq!(app.snapshot(), before);
    // The good message's id was not consumed by the rejected batch.
    app.batch_ok(WEB_KEY, json!([good])).await;
    assert_eq!(names(&app.events(SHOP, "u1").await), ["identify", "Good"]);
}

#[tokio::test]
async fn admin_changes_and_deletions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let app = open(dir.path());
        app.send(
            post("/api/workspaces")
                .bearer(ACCOUNT_TOKEN)
                .json(&json!({"id": "eu"})),
        )
        .await
        .assert_status(StatusCode::CREATED);
        let resp = app
            .send(
                post("/api/workspaces/eu/inputs")
                    .bearer(ACCOUNT_TOKEN)
                    .json(&json!({"id": "web", "kind": "web"})),
            )
            .await;
        resp.assert_status(StatusCode::CREATED);
        let key = resp.json()["write_key"].as_str().unwrap().to_string();
        app.batch_ok(&key, json!([track("gone", "A"), track("kept", "B")]))
            .await;
        app.send(delete("/api/workspaces/eu/profiles/gone").bearer(ACCOUNT_TOKEN))
            .await
            .assert_status(StatusCode::NO_CONTENT);
        key
    };
    let app = open(dir.path());
    app.assert_no_profile("eu", "gone").await;
    assert_eq!(names(&app.events("eu", "kept").await), ["B"]);
    // The generated write key still ingests.
    app.batch_ok(&key, json!([track("kept", "C")])).await;
    assert_eq!(names(&app.events("eu", "kept").await), ["B", "C"]);
}

/// Whether any file under `dir` holds `needle`.
fn on_disk(dir: &Path, needle: &str) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            return true;
        }
    }
    false
}

/// The right to be forgotten, as an operator checks it: after `DELETE …?erase=now` and a
/// restart, no file of the data directory holds the user's email or event properties.
#[tokio::test]
async fn erase_now_leaves_nothing_on_disk_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    const EMAIL: &str = "erase-me-52b1@example.com";
    const BASKET: &str = "basket-of-secrets-8c0d";
    {
        let app = open(dir.path());
        deliver_checkouts(&app).await;
        app.batch_ok(
            WEB_KEY,
            json!([
                identify("forget-me", json!({"email": EMAIL})),
                {"type": "track", "userId": "forget-me", "event": "Checked Out",
                 "properties": {"basket": BASKET}, "messageId": mid()},
                track("kept", "Stays"),
            ]),
        )
        .await;
        assert!(on_disk(dir.path(), EMAIL), "the email was never written");
        let queued = wait_for_deliveries(&app).await;
        assert!(
            queued.contains("forget-me"),
            "no delivery names the user: {queued}"
        );
        app.send(
            delete(&format!(
                "/api/workspaces/{SHOP}/profiles/forget-me?erase=now"
            ))
            .bearer(ACCOUNT_TOKEN),
        )
        .await
        .assert_status(StatusCode::NO_CONTENT);
        let listed = deliveries(&app).await;
        assert!(!listed.contains("forget-me"), "still listed: {listed}");
        assert!(!listed.contains(EMAIL), "still listed: {listed}");
    }
    assert!(!on_disk(dir.path(), EMAIL), "the email survived");
    assert!(!on_disk(dir.path(), BASKET), "the event property survived");
    assert!(!on_disk(dir.path(), "forget-me"), "the user id survived");
    let app = open(dir.path());
    app.assert_no_profile(SHOP, "forget-me").await;
    assert_eq!(names(&app.events(SHOP, "kept").await), ["Stays"]);
}

/// A webhook output and a published journey that sends it every `Checked Out` user (the
/// receiver does not resolve, so deliveries stay queued, retrying).
async fn deliver_checkouts(app: &App) {
    let output = json!({"id": "hook", "kind": "webhook", "url": "https://receiver.invalid/hook",
        "secret": "whsec_c2hvcC1zZW50aW5lbC1zZWNyZXQta2V5LTI0Ynl0ZXM="});
    app.send(post("/api/outputs").bearer(SHOP_TOKEN).json(&output))
        .await
        .assert_status(StatusCode::CREATED);
    let journey = json!({"id": "checkouts", "name": "Checkouts", "inputs": ["web"],
        "entry": {"id": "entry", "name": "Checked out", "on": "event",
            "criteria": {"event": "Checked Out"},
            "connections": [{"id": "c", "output": "hook", "active": true, "mode": "event"}]}});
    app.send(post("/api/journeys").bearer(SHOP_TOKEN).json(&journey))
        .await
        .assert_status(StatusCode::CREATED);
    app.send(post("/api/journeys/checkouts/publish").bearer(SHOP_TOKEN))
        .await
        .assert_status(StatusCode::OK);
}

/// The deliveries of `hook`, as text.
async fn deliveries(app: &App) -> String {
    let resp = app
        .send(get("/api/outputs/hook/deliveries").bearer(SHOP_TOKEN))
        .await;
    resp.assert_status(StatusCode::OK);
    resp.text()
}

/// The deliveries of `hook` once the runtime has queued one (it follows the store's
/// commits on its own thread).
async fn wait_for_deliveries(app: &App) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let listed = deliveries(app).await;
        if serde_json::from_str::<serde_json::Value>(&listed).unwrap()["deliveries"][0].is_object()
        {
            return listed;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nothing queued: {listed}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
