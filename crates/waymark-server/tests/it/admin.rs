//! The admin API: bearer auth, account vs workspace tokens, workspaces, inputs, profiles and
//! their events.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

/// Every admin route (method, path) with a body where it takes one.
fn routes() -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/api/account".into(), None),
        ("GET", "/api/workspaces".into(), None),
        ("POST", "/api/workspaces".into(), Some(json!({"id": "new"}))),
        ("GET", format!("/api/workspaces/{SHOP}"), None),
        ("GET", format!("/api/workspaces/{SHOP}/inputs"), None),
        (
            "POST",
            format!("/api/workspaces/{SHOP}/inputs"),
            Some(json!({"id": "ios", "kind": "ios"})),
        ),
        ("GET", format!("/api/workspaces/{SHOP}/profiles/u1"), None),
        (
            "DELETE",
            format!("/api/workspaces/{SHOP}/profiles/u1"),
            None,
        ),
        (
            "GET",
            format!("/api/workspaces/{SHOP}/profiles/u1/events"),
            None,
        ),
    ]
}

fn call(method: &str, path: &str, body: &Option<Value>) -> Req {
    let req = request(method.parse().unwrap(), path);
    match body {
        Some(body) => req.json(body),
        None => req,
    }
}

async fn with_profile() -> App {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([identify("u1", json!({"plan": "pro"})), track("u1", "A")]),
    )
    .await;
    app.batch_ok(OTHER_KEY, json!([track("o1", "B")])).await;
    app
}

// ---------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn every_route_needs_a_known_bearer_token() {
    let app = with_profile().await;
    for (method, path, body) in routes() {
        let bad: [(&str, Req); 7] = [
            ("no token", call(method, &path, &body)),
            (
                "unknown token",
                call(method, &path, &body).bearer("tok-nope"),
            ),
            ("empty token", call(method, &path, &body).bearer("")),
            // Write keys only ingest.
            ("write key", call(method, &path, &body).bearer(WEB_KEY)),
            ("mParticle key", call(method, &path, &body).bearer(MP_KEY)),
            // The right secret, the wrong scheme.
            (
                "Basic token",
                call(method, &path, &body).basic(ACCOUNT_TOKEN, ""),
            ),
            (
                "bare token",
                call(method, &path, &body).header("authorization", ACCOUNT_TOKEN),
            ),
        ];
        for (what, req) in bad {
            let before = app.snapshot();
            let resp = app.send(req).await;
            assert_eq!(
                resp.status,
                StatusCode::UNAUTHORIZED,
                "{what}: {method} {path}: {}",
                resp.text()
            );
            resp.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
            assert_eq!(app.snapshot(), before, "{what}: {method} {path}");
        }
    }
    // The profile is still there.
    assert_eq!(app.profile(SHOP, "u1").await["event_count"], 2);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = App::new();
    let resp = app
        .send(get("/api/workspaces").header("authorization", &format!("bearer {ACCOUNT_TOKEN}")))
        .await;
    resp.assert_status(StatusCode::OK);
}

// ---------------------------------------------------------------------------------------
// Account token
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn account_token_reads_the_account_and_lists_workspaces() {
    let app = App::new();
    let resp = app.send(get("/api/account").bearer(ACCOUNT_TOKEN)).await;
    resp.assert_status(StatusCode::OK);
    let account = resp.json();
    assert_eq!(account["workspaces"], 2);
    assert_eq!(
        account["limits"],
        json!({"max_message_bytes": 32768, "max_batch_bytes": 512000, "max_batch_messages": 2500})
    );
    let resp = app.send(get("/api/workspaces").bearer(ACCOUNT_TOKEN)).await;
    resp.assert_status(StatusCode::OK);
    assert_eq!(
        resp.json(),
        json!([{"id": "other", "name": "other"}, {"id": "shop", "name": "The Shop"}])
    );
    let resp = app
        .send(get(&format!("/api/workspaces/{OTHER}")).bearer(ACCOUNT_TOKEN))
        .await;
    resp.assert_status(StatusCode::OK);
    assert_eq!(resp.json(), json!({"id": "other", "name": "other"}));
    app.rejects(
        get("/api/workspaces/nowhere").bearer(ACCOUNT_TOKEN),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.rejects(
        get("/api/workspaces/nowhere/inputs").bearer(ACCOUNT_TOKEN),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn account_token_creates_workspaces_and_inputs_whose_key_ingests() {
    let app = App::new();
    let resp = app
        .send(
            post("/api/workspaces")
                .bearer(ACCOUNT_TOKEN)
                .json(&json!({"id": "eu-shop", "name": "EU Shop"})),
        )
        .await;
    resp.assert_status(StatusCode::CREATED);
    assert_eq!(resp.json(), json!({"id": "eu-shop", "name": "EU Shop"}));
    let listed = app
        .send(get("/api/workspaces").bearer(ACCOUNT_TOKEN))
        .await
        .json();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["id"] == "eu-shop")
    );
    // An input with a generated write key.
    let resp = app
        .send(
            post("/api/workspaces/eu-shop/inputs")
                .bearer(ACCOUNT_TOKEN)
                .json(&json!({"id": "web", "kind": "web", "name": "Web site"})),
        )
        .await;
    resp.assert_status(StatusCode::CREATED);
    let input = resp.json();
    assert_eq!(input["workspace"], "eu-shop");
    assert_eq!(input["id"], "web");
    assert_eq!(input["name"], "Web site");
    assert_eq!(input["kind"], "web");
    assert!(input.get("secret").is_none(), "{input}");
    let key = input["write_key"].as_str().unwrap().to_string();
    assert!(key.starts_with("wk_") && key.len() > 20, "{key}");
    // That key ingests, into that workspace.
    app.batch_ok(&key, json!([track("u1", "Hello")])).await;
    let events = app.events("eu-shop", "u1").await;
    assert_eq!(names(&events), ["Hello"]);
    assert_eq!(events[0]["input"], "web");
    app.assert_no_profile(SHOP, "u1").await;
    // Listed with its key.
    let inputs = app
        .send(get("/api/workspaces/eu-shop/inputs").bearer(ACCOUNT_TOKEN))
        .await
        .json();
    assert_eq!(inputs, json!([input]));
    // An mParticle input gets a secret, and key:secret ingests.
    let resp = app
        .send(
            post("/api/workspaces/eu-shop/inputs")
                .bearer(ACCOUNT_TOKEN)
                .json(&json!({"id": "app", "kind": "android", "mparticle": true})),
        )
        .await;
    resp.assert_status(StatusCode::CREATED);
    let mp = resp.json();
    let (key, secret) = (
        mp["write_key"].as_str().unwrap(),
        mp["secret"].as_str().unwrap(),
    );
    assert!(!secret.is_empty());
    let resp = app
        .send(
            post("/v2/events")
                .basic(key, secret)
                .json(&fixture("mparticle_events.json")),
        )
        .await;
    resp.assert_status(StatusCode::ACCEPTED);
    assert_eq!(app.profile("eu-shop", "cust-1").await["event_count"], 5);
    // A chosen write key and secret are kept.
    let resp = app
        .send(
            post("/api/workspaces/eu-shop/inputs")
                .bearer(ACCOUNT_TOKEN)
                .json(
                    &json!({"id": "feed", "kind": "feed", "write_key": "wk_chosen",
                              "secret": "s3cret"}),
                ),
        )
        .await;
    resp.assert_status(StatusCode::CREATED);
    assert_eq!(resp.json()["write_key"], "wk_chosen");
    assert_eq!(resp.json()["secret"], "s3cret");
    // An input with an mParticle secret takes Segment calls only with that secret as the
    // Basic password: its key alone cannot write to it.
    let batch = json!({"batch": [track("u2", "Fed")]});
    let resp = app
        .send(post("/v1/batch").basic("wk_chosen", "").json(&batch))
        .await;
    resp.assert_status(StatusCode::UNAUTHORIZED);
    let resp = app
        .send(post("/v1/batch").basic("wk_chosen", "s3cret").json(&batch))
        .await;
    resp.assert_success();
    assert_eq!(names(&app.events("eu-shop", "u2").await), ["Fed"]);
}

#[tokio::test]
async fn invalid_ids_are_400_invalid_id() {
    let app = App::new();
    let long = "a".repeat(65);
    for id in [
        "",
        "Shop",
        "my shop",
        "shop/1",
        "shöp",
        "shop.eu",
        long.as_str(),
    ] {
        app.rejects(
            post("/api/workspaces")
                .bearer(ACCOUNT_TOKEN)
                .json(&json!({ "id": id })),
            StatusCode::BAD_REQUEST,
            "invalid_id",
        )
        .await;
        app.rejects(
            post(&format!("/api/workspaces/{SHOP}/inputs"))
                .bearer(ACCOUNT_TOKEN)
                .json(&json!({"id": id, "kind": "web"})),
            StatusCode::BAD_REQUEST,
            "invalid_id",
        )
        .await;
    }
    // The longest and the widest valid ids.
    let max = "a".repeat(64);
    for id in [max.as_str(), "a-b_c-0-9"] {
        app.send(
            post("/api/workspaces")
                .bearer(ACCOUNT_TOKEN)
                .json(&json!({ "id": id })),
        )
        .await
        .assert_status(StatusCode::CREATED);
    }
}

#[tokio::test]
async fn duplicates_are_409_already_exists() {
    let app = App::new();
    app.rejects(
        post("/api/workspaces")
            .bearer(ACCOUNT_TOKEN)
            .json(&json!({"id": SHOP, "name": "Again"})),
        StatusCode::CONFLICT,
        "already_exists",
    )
    .await;
    app.rejects(
        post(&format!("/api/workspaces/{SHOP}/inputs"))
            .bearer(ACCOUNT_TOKEN)
            .json(&json!({"id": "web", "kind": "ios"})),
        StatusCode::CONFLICT,
        "already_exists",
    )
    .await;
    // A write key is unique across the account; the error does not show it whole.
    let resp = app
        .rejects(
            post(&format!("/api/workspaces/{OTHER}/inputs"))
                .bearer(ACCOUNT_TOKEN)
                .json(&json!({"id": "copy", "kind": "web", "write_key": WEB_KEY})),
            StatusCode::CONFLICT,
            "already_exists",
        )
        .await;
    assert!(!resp.message().contains(WEB_KEY), "{}", resp.text());
    // The same input id in another workspace is fine.
    app.send(
        post(&format!("/api/workspaces/{OTHER}/inputs"))
            .bearer(ACCOUNT_TOKEN)
            .json(&json!({"id": "server", "kind": "server"})),
    )
    .await
    .assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn malformed_admin_bodies_are_400() {
    let app = App::new();
    let ws = "/api/workspaces";
    let inputs = format!("/api/workspaces/{SHOP}/inputs");
    let cases: Vec<Req> = vec![
        post(ws)
            .bearer(ACCOUNT_TOKEN)
            .header("content-type", "application/json")
            .raw("{\"id\": "),
        post(ws)
            .bearer(ACCOUNT_TOKEN)
            .header("content-type", "application/json")
            .raw(""),
        post(ws).bearer(ACCOUNT_TOKEN).json(&json!(["shop2"])),
        post(ws)
            .bearer(ACCOUNT_TOKEN)
            .json(&json!({"name": "no id"})),
        post(ws).bearer(ACCOUNT_TOKEN).json(&json!({"id": 7})),
        post(ws)
            .bearer(ACCOUNT_TOKEN)
            .json(&json!({"id": "shop2", "colour": "red"})),
        // Without Content-Type: application/json.
        post(ws).bearer(ACCOUNT_TOKEN).raw("{\"id\": \"shop2\"}"),
        post(&inputs)
            .bearer(ACCOUNT_TOKEN)
            .json(&json!({"id": "tv", "kind": "television"})),
        post(&inputs)
            .bearer(ACCOUNT_TOKEN)
            .json(&json!({"id": "tv"})),
        post(&inputs)
            .bearer(ACCOUNT_TOKEN)
            .json(&json!({"id": "tv", "kind": "web", "mparticle": "yes"})),
        post(&inputs)
            .bearer(ACCOUNT_TOKEN)
            .header("content-type", "application/json")
            .raw("{"),
    ];
    for req in cases {
        app.rejects(req, StatusCode::BAD_REQUEST, "invalid_body")
            .await;
    }
}

// ---------------------------------------------------------------------------------------
// Workspace tokens
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_workspace_token_sees_only_its_workspace() {
    let app = with_profile().await;
    let resp = app.send(get("/api/workspaces").bearer(SHOP_TOKEN)).await;
    resp.assert_status(StatusCode::OK);
    assert_eq!(resp.json(), json!([{"id": "shop", "name": "The Shop"}]));
    let resp = app.send(get("/api/workspaces").bearer(OTHER_TOKEN)).await;
    assert_eq!(resp.json(), json!([{"id": "other", "name": "other"}]));
    // Its own workspace: inputs, profiles, events.
    app.send(get(&format!("/api/workspaces/{SHOP}")).bearer(SHOP_TOKEN))
        .await
        .assert_status(StatusCode::OK);
    let inputs = app
        .send(get(&format!("/api/workspaces/{SHOP}/inputs")).bearer(SHOP_TOKEN))
        .await;
    inputs.assert_status(StatusCode::OK);
    assert!(
        inputs
            .json()
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["workspace"] == SHOP)
    );
    app.send(get(&format!("/api/workspaces/{SHOP}/profiles/u1")).bearer(SHOP_TOKEN))
        .await
        .assert_status(StatusCode::OK);
    app.send(get(&format!("/api/workspaces/{SHOP}/profiles/u1/events")).bearer(SHOP_TOKEN))
        .await
        .assert_status(StatusCode::OK);
    // Another workspace is reported as missing, whatever exists there.
    for path in [
        format!("/api/workspaces/{OTHER}"),
        format!("/api/workspaces/{OTHER}/inputs"),
        format!("/api/workspaces/{OTHER}/profiles/o1"),
        format!("/api/workspaces/{OTHER}/profiles/o1/events"),
        format!("/api/workspaces/{OTHER}/profiles/nobody"),
        "/api/workspaces/nowhere/inputs".to_string(),
    ] {
        let resp = app
            .rejects(
                get(&path).bearer(SHOP_TOKEN),
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
        assert!(!resp.message().contains("o1"), "{path}: {}", resp.text());
    }
    // Nor can it change another workspace.
    app.rejects(
        delete(&format!("/api/workspaces/{OTHER}/profiles/o1")).bearer(SHOP_TOKEN),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.rejects(
        post(&format!("/api/workspaces/{OTHER}/inputs"))
            .bearer(SHOP_TOKEN)
            .json(&json!({"id": "sneaky", "kind": "web", "write_key": "wk_sneaky"})),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Account-level calls are forbidden.
    app.rejects(
        post("/api/workspaces")
            .bearer(SHOP_TOKEN)
            .json(&json!({"id": "mine"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    app.rejects(
        get("/api/account").bearer(SHOP_TOKEN),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Even with a malformed body, POST /api/workspaces is forbidden first.
    app.rejects(
        post("/api/workspaces")
            .bearer(SHOP_TOKEN)
            .header("content-type", "application/json")
            .raw("{"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // The other workspace's profile is intact.
    assert_eq!(app.profile(OTHER, "o1").await["event_count"], 1);
}

#[tokio::test]
async fn a_workspace_token_manages_its_own_inputs() {
    let app = App::new();
    let resp = app
        .send(
            post(&format!("/api/workspaces/{SHOP}/inputs"))
                .bearer(SHOP_TOKEN)
                .json(&json!({"id": "ios", "kind": "ios"})),
        )
        .await;
    resp.assert_status(StatusCode::CREATED);
    let key = resp.json()["write_key"].as_str().unwrap().to_string();
    app.batch_ok(&key, json!([track("u1", "From iOS")])).await;
    let resp = app
        .send(get(&format!("/api/workspaces/{SHOP}/profiles/u1/events")).bearer(SHOP_TOKEN))
        .await;
    assert_eq!(resp.json()["events"][0]["input"], "ios");
}

// ---------------------------------------------------------------------------------------
// Profiles and events
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn get_profile_shows_identity_traits_and_counts() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([
            {"type": "identify", "userId": "u1", "anonymousId": "a1", "messageId": mid(),
             "timestamp": "2026-01-01T00:00:00Z",
             "traits": {"email": "u1@example.com", "plan": "pro"},
             "context": {"consent": {"categoryPreferences": {"marketing": true}}}},
            {"type": "track", "userId": "u1", "event": "A", "messageId": mid(),
             "timestamp": "2026-01-02T00:00:00Z"},
        ]),
    )
    .await;
    let profile = app.profile(SHOP, "u1").await;
    assert_eq!(
        profile,
        json!({
            "user_id": "u1",
            "anonymous_ids": ["a1"],
            "identities": {"email": "u1@example.com"},
            "traits": {"email": "u1@example.com", "plan": "pro"},
            "trait_since": {"email": "2026-01-01T00:00:00Z", "plan": "2026-01-01T00:00:00Z"},
            "consent": {"marketing": true},
            "first_seen": "2026-01-01T00:00:00Z",
            "last_seen": "2026-01-02T00:00:00Z",
            "event_count": 2,
            "merged_profiles": 0,
            "attributes": {},
            "audiences": [],
            "journeys": [],
        })
    );
    // By the anonymous id too; ids are case-sensitive.
    assert_eq!(app.profile(SHOP, "a1").await, profile);
    app.assert_no_profile(SHOP, "U1").await;
    // Profiles of one workspace are not found in another.
    app.assert_no_profile(OTHER, "u1").await;
}

/// What the engines know of a profile, over HTTP: a computed attribute defined after the
/// events (filled from them), the audience it puts the user in, and the journey entered.
#[tokio::test]
async fn a_profile_shows_its_computed_attributes_audiences_and_journeys() {
    let app = App::new();
    let order = |revenue: u32| {
        json!({"type": "track", "userId": "u1", "event": "Order Completed", "messageId": mid(),
               "properties": {"revenue": revenue}})
    };
    app.batch_ok(WEB_KEY, json!([order(300), order(250)])).await;
    let created = |resp: Resp| assert_eq!(resp.status, StatusCode::CREATED, "{}", resp.text());
    created(
        app.send(
            post(&format!("/api/workspaces/{SHOP}/attributes"))
                .bearer(SHOP_TOKEN)
                .json(
                    &json!({"name": "ltv", "event": "Order Completed", "aggregate": "sum",
                              "property": "revenue"}),
                ),
        )
        .await,
    );
    created(
        app.send(post("/api/audiences").bearer(SHOP_TOKEN).json(&json!({
            "id": "vip", "name": "VIP",
            "criteria": {"attribute": "ltv", "op": "gte", "value": 500}})))
            .await,
    );
    created(
        app.send(post("/api/journeys").bearer(SHOP_TOKEN).json(&json!({
            "id": "thanks", "name": "Thanks",
            "entry": {"id": "entry", "name": "VIP", "historical": true,
                      "criteria": {"member_of": {"audience": "vip"}, "is": true}}})))
            .await,
    );
    app.send(
        post("/api/journeys/thanks/publish")
            .bearer(SHOP_TOKEN)
            .json(&json!({"historical": true})),
    )
    .await
    .assert_status(StatusCode::OK);
    let profile = app.profile(SHOP, "u1").await;
    assert_eq!(profile["attributes"], json!({"ltv": 550}), "{profile}");
    assert_eq!(profile["audiences"][0]["id"], "vip", "{profile}");
    assert_eq!(profile["audiences"][0]["entry_number"], 1, "{profile}");
    assert_eq!(profile["journeys"][0]["journey_id"], "thanks", "{profile}");
    assert_eq!(profile["journeys"][0]["status"], "in", "{profile}");
    assert_eq!(
        profile["journeys"][0]["steps"][0]["step"], "entry",
        "{profile}"
    );
}

#[tokio::test]
async fn delete_profile_forgets_it() {
    let app = with_profile().await;
    app.batch_ok(
        WEB_KEY,
        json!([{"type": "identify", "userId": "u1", "anonymousId": "a1", "messageId": mid()}]),
    )
    .await;
    let other_before = app.profile(OTHER, "o1").await;
    let resp = app
        .send(delete(&format!("/api/workspaces/{SHOP}/profiles/u1")).bearer(SHOP_TOKEN))
        .await;
    resp.assert_status(StatusCode::NO_CONTENT);
    assert!(resp.body.is_empty());
    app.assert_no_profile(SHOP, "u1").await;
    app.assert_no_profile(SHOP, "a1").await;
    assert_eq!(app.snapshot().profiles.len(), 1, "only other/o1 is left");
    assert_eq!(app.profile(OTHER, "o1").await, other_before);
    // Deleting again: 404, nothing changes.
    app.rejects(
        delete(&format!("/api/workspaces/{SHOP}/profiles/u1")).bearer(ACCOUNT_TOKEN),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A new event creates a fresh profile with nothing of the old one.
    app.batch_ok(WEB_KEY, json!([track("u1", "Back")])).await;
    let fresh = app.profile(SHOP, "u1").await;
    assert_eq!(fresh["event_count"], 1);
    assert_eq!(fresh["traits"], json!({}));
    assert_eq!(fresh["anonymous_ids"], json!([]));
    assert_eq!(names(&app.events(SHOP, "u1").await), ["Back"]);
    // The old anonymous id is free too.
    app.assert_no_profile(SHOP, "a1").await;
}

#[tokio::test]
async fn delete_and_suppress_drops_later_messages_until_unsuppressed() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([{"type": "identify", "userId": "u1", "anonymousId": "a1", "messageId": mid()}]),
    )
    .await;
    let resp = app
        .send(
            delete(&format!("/api/workspaces/{SHOP}/profiles/u1?suppress=true")).bearer(SHOP_TOKEN),
        )
        .await;
    resp.assert_status(StatusCode::NO_CONTENT);
    let list = app
        .send(get(&format!("/api/workspaces/{SHOP}/suppressions")).bearer(SHOP_TOKEN))
        .await;
    assert_eq!(list.json(), json!({"suppressed": ["a1", "u1"]}));
    // Acknowledged (the client must not retry) but not kept, by either identifier.
    app.batch_ok(
        WEB_KEY,
        json!([track("u1", "Again"), {"type": "track", "anonymousId": "a1", "event": "Anon", "messageId": mid()}]),
    )
    .await;
    app.assert_no_profile(SHOP, "u1").await;
    app.assert_no_profile(SHOP, "a1").await;
    // Another workspace's u1 is someone else.
    app.batch_ok(OTHER_KEY, json!([track("u1", "Elsewhere")]))
        .await;
    assert_eq!(app.profile(OTHER, "u1").await["event_count"], 1);
    // Unsuppressed, u1 comes back (a1 stays suppressed).
    app.send(delete(&format!("/api/workspaces/{SHOP}/suppressions/u1")).bearer(SHOP_TOKEN))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.rejects(
        delete(&format!("/api/workspaces/{SHOP}/suppressions/u1")).bearer(SHOP_TOKEN),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.batch_ok(WEB_KEY, json!([track("u1", "Back")])).await;
    assert_eq!(names(&app.events(SHOP, "u1").await), ["Back"]);
    // Options are checked.
    app.rejects(
        delete(&format!("/api/workspaces/{SHOP}/profiles/u1?erase=later")).bearer(SHOP_TOKEN),
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn delete_by_anonymous_id_deletes_the_merged_profile() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([{"type": "track", "userId": "u1", "anonymousId": "a1", "event": "A",
                "messageId": mid()}]),
    )
    .await;
    app.send(delete(&format!("/api/workspaces/{SHOP}/profiles/a1")).bearer(ACCOUNT_TOKEN))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.assert_no_profile(SHOP, "u1").await;
    assert_eq!(app.snapshot().event_count(), 0);
}

#[tokio::test]
async fn events_limit_returns_the_latest_oldest_first() {
    let app = App::new();
    let items: Vec<Value> = (0..5)
        .map(|i| {
            json!({"type": "track", "userId": "u1", "event": format!("E{i}"),
                   "messageId": mid(), "timestamp": format!("2026-01-01T00:00:0{i}Z")})
        })
        .collect();
    // Sent out of order: listed by event time.
    let mut shuffled = items.clone();
    shuffled.reverse();
    app.batch_ok(WEB_KEY, Value::Array(shuffled)).await;
    let path = format!("/api/workspaces/{SHOP}/profiles/u1/events");
    let with = |query: &str| get(&format!("{path}{query}")).bearer(ACCOUNT_TOKEN);
    let listed = |resp: Resp| {
        resp.assert_status(StatusCode::OK);
        names(resp.json()["events"].as_array().unwrap())
    };
    assert_eq!(
        listed(app.send(with("")).await),
        ["E0", "E1", "E2", "E3", "E4"]
    );
    assert_eq!(listed(app.send(with("?limit=2")).await), ["E3", "E4"]);
    assert_eq!(listed(app.send(with("?limit=5")).await).len(), 5);
    assert_eq!(listed(app.send(with("?limit=500000")).await).len(), 5);
    assert_eq!(listed(app.send(with("?limit=0")).await), ["E4"]);
    let event = &app.events(SHOP, "u1").await[0];
    for key in [
        "type",
        "event",
        "messageId",
        "timestamp",
        "receivedAt",
        "input",
        "userId",
        "anonymousId",
        "properties",
        "context",
        "traits",
    ] {
        assert!(event.get(key).is_some(), "{key} in {event}");
    }
}

#[tokio::test]
async fn events_page_back_through_history_with_a_cursor() {
    let app = App::new();
    let items: Vec<Value> = (0..5)
        .map(|i| {
            json!({"type": "track", "userId": "u1", "event": format!("E{i}"),
                   "messageId": mid(), "timestamp": format!("2026-01-01T00:00:0{i}Z")})
        })
        .collect();
    app.batch_ok(WEB_KEY, Value::Array(items)).await;
    let path = format!("/api/workspaces/{SHOP}/profiles/u1/events?limit=2");
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.clone(),
        };
        let resp = app.send(get(&url).bearer(ACCOUNT_TOKEN)).await;
        resp.assert_status(StatusCode::OK);
        let body = resp.json();
        pages.push(names(body["events"].as_array().unwrap()));
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, [vec!["E3", "E4"], vec!["E1", "E2"], vec!["E0"]]);
    for bad in ["abc", "1", "1.x"] {
        app.rejects(
            get(&format!("{path}&cursor={bad}")).bearer(ACCOUNT_TOKEN),
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
        )
        .await;
    }
}

#[tokio::test]
async fn profiles_are_found_by_any_identifier_and_listed_in_pages() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([
            identify("ada", json!({"email": "Ada@Example.com"})),
            {"type": "track", "anonymousId": "anon-7", "event": "Viewed", "messageId": mid()},
            identify("bob", json!({"email": "bob@other.test"})),
            track("cy", "Viewed"),
        ]),
    )
    .await;
    let list =
        |query: &str| get(&format!("/api/workspaces/{SHOP}/profiles{query}")).bearer(SHOP_TOKEN);
    let found = |resp: Resp| -> Vec<Value> {
        resp.assert_status(StatusCode::OK);
        resp.json()["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["user_id"].clone())
            .collect()
    };
    assert_eq!(
        found(app.send(list("?q=ada%40example.com")).await),
        [json!("ada")]
    );
    assert_eq!(found(app.send(list("?q=EXAMPLE")).await), [json!("ada")]);
    assert_eq!(found(app.send(list("?q=anon-7")).await), [Value::Null]);
    assert_eq!(found(app.send(list("?q=bob")).await), [json!("bob")]);
    assert!(found(app.send(list("?q=nobody")).await).is_empty());
    let first = app.send(list("?limit=3")).await;
    let cursor = first.json()["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(found(first), [json!("ada"), Value::Null, json!("bob")]);
    let rest = app.send(list(&format!("?limit=3&cursor={cursor}"))).await;
    assert_eq!(rest.json()["next_cursor"], Value::Null);
    assert_eq!(found(rest), [json!("cy")]);
    app.rejects(list("?cursor=x"), StatusCode::BAD_REQUEST, "invalid_cursor")
        .await;
    app.rejects(list("?qq=1"), StatusCode::BAD_REQUEST, "invalid_query")
        .await;
    app.rejects(
        get(&format!("/api/workspaces/{SHOP}/profiles")).bearer(OTHER_TOKEN),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn an_invalid_events_limit_is_400() {
    let app = App::new();
    app.batch_ok(WEB_KEY, json!([track("u1", "A")])).await;
    for query in ["?limit=abc", "?limit=-1", "?limit=1.5"] {
        app.rejects(
            get(&format!("/api/workspaces/{SHOP}/profiles/u1/events{query}")).bearer(ACCOUNT_TOKEN),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
    }
}

#[tokio::test]
async fn rejected_messages_are_listed_per_workspace_newest_first_in_pages() {
    let app = App::new();
    let bad = |n: usize| json!({"type": "track", "userId": "u1", "messageId": format!("bad-{n}")});
    app.batch_ok(WEB_KEY, json!([bad(0), bad(1), bad(2)])).await;
    app.batch_ok(OTHER_KEY, json!([bad(3)])).await;
    let page = |token: &str, query: &str| {
        get(&format!("/api/workspaces/{SHOP}/rejected{query}")).bearer(token)
    };
    let first = app.send(page(SHOP_TOKEN, "?limit=2")).await;
    first.assert_status(StatusCode::OK);
    let first = first.json();
    let excerpts = |body: &Value| -> Vec<String> {
        body["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["excerpt"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(excerpts(&first).len(), 2);
    assert!(excerpts(&first)[0].contains("bad-2"), "{first}");
    assert!(excerpts(&first)[1].contains("bad-1"), "{first}");
    assert_eq!(first["counts"], json!({"web": 3}));
    let next = first["next"].as_u64().expect("a cursor");
    let second = app
        .send(page(SHOP_TOKEN, &format!("?limit=2&before={next}")))
        .await
        .json();
    assert_eq!(excerpts(&second).len(), 1);
    assert!(excerpts(&second)[0].contains("bad-0"), "{second}");
    assert_eq!(second["next"], Value::Null);
    let record = &second["rejected"][0];
    assert_eq!(record["input"], "web");
    assert_eq!(record["code"], "missing_event");
    assert!(millis(record["received_at"].as_str().unwrap()) > 0);
    // Another workspace's token sees nothing of it; the account token does.
    app.send(page(OTHER_TOKEN, ""))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.send(page(ACCOUNT_TOKEN, ""))
        .await
        .assert_status(StatusCode::OK);
    let other = app
        .send(get(&format!("/api/workspaces/{OTHER}/rejected")).bearer(OTHER_TOKEN))
        .await
        .json();
    assert_eq!(excerpts(&other).len(), 1);
    assert_eq!(other["counts"], json!({"web": 1}));
    app.send(get(&format!("/api/workspaces/{SHOP}/rejected")))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.send(page(SHOP_TOKEN, "?before=x"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
}
