//! The authorization matrix: every route of the route table (read from the OpenAPI
//! document, which is generated from that table) × five callers — no credentials, a write
//! key, a foreign workspace's token, the owning workspace's token, the account token —
//! with the status each must get. A route without a row fails the test, so a new route
//! cannot merge without deciding who may call it.
//!
//! Each cell runs on a fresh server seeded with the same fixture: workspace `shop` owns a
//! profile, a webhook output, a Segment output, a list output and a published journey
//! that delivered to them; the account owns an output and a journey of its own. Path
//! parameters name `shop`'s things. Every answer to a foreign caller (and every answer
//! to `shop` about the account's things) is searched for the sentinels of what it must not
//! see: user ids, emails, secrets, names.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    Nobody,
    WriteKey,
    Foreign,
    Own,
    Account,
}

const CALLERS: [Caller; 5] = [
    Caller::Nobody,
    Caller::WriteKey,
    Caller::Foreign,
    Caller::Own,
    Caller::Account,
];

const SHOP_USER: &str = "shop-user-sentinel";
const SHOP_SUPPRESSED: &str = "shop-suppressed-sentinel";
const SHOP_EMAIL: &str = "shop.sentinel@example.com";
const SHOP_HOOK_SECRET: &str = "whsec_c2hvcC1zZW50aW5lbC1zZWNyZXQta2V5LTI0Ynl0ZXM=";
const SHOP_SEGMENT_KEY: &str = "shop-segment-write-key-sentinel";
const SHOP_OUTPUT_NAME: &str = "Shop Private Output Name";
const SHOP_JOURNEY_NAME: &str = "Shop Private Journey Name";
const SHOP_AUDIENCE_NAME: &str = "Shop Private Audience Name";
const ACCOUNT_OUTPUT_NAME: &str = "Account Private Output Name";
const ACCOUNT_JOURNEY_NAME: &str = "Account Private Journey Name";
const ACCOUNT_AUDIENCE_NAME: &str = "Account Private Audience Name";

/// What workspace `shop` owns that `other` must never see.
const SHOP_SENTINELS: &[&str] = &[
    SHOP_USER,
    SHOP_SUPPRESSED,
    SHOP_EMAIL,
    SHOP_HOOK_SECRET,
    SHOP_SEGMENT_KEY,
    SHOP_OUTPUT_NAME,
    SHOP_JOURNEY_NAME,
    SHOP_AUDIENCE_NAME,
];
/// What the account owns that workspace tokens must never see.
const ACCOUNT_SENTINELS: &[&str] = &[
    ACCOUNT_OUTPUT_NAME,
    ACCOUNT_JOURNEY_NAME,
    ACCOUNT_AUDIENCE_NAME,
];

/// One row: a route, the concrete request, and the status per caller (in `CALLERS`
/// order).
pub(crate) struct Row {
    pub(crate) method: &'static str,
    pub(crate) template: &'static str,
    path: String,
    pub(crate) body: Option<Value>,
    expect: [u16; 5],
}

fn row(
    method: &'static str,
    template: &'static str,
    path: &str,
    body: Option<Value>,
    expect: [u16; 5],
) -> Row {
    Row {
        method,
        template,
        path: path.to_string(),
        body,
        expect,
    }
}

fn shop_journey(id: &str, name: &str) -> Value {
    json!({
        "id": id, "name": name, "inputs": ["web"],
        "entry": {"id": "entry", "name": "Signed up", "on": "event",
            "criteria": {"event": "Signed Up"},
            "connections": [
                {"id": "c_hook", "output": "shop-hook", "active": true, "mode": "event"},
                {"id": "c_seg", "output": "shop-segment", "active": true, "mode": "identify"},
                {"id": "c_list", "output": "shop-list", "active": true, "mode": "list"}
            ],
            "steps": [{"id": "later", "name": "Later", "type": "wait", "wait": {"duration": "1d"}}]}
    })
}

/// A journey on the caller's `web` input, with no connection.
fn entry_only(id: &str) -> Value {
    json!({"id": id, "name": "Fresh", "inputs": ["web"],
        "entry": {"id": "entry", "name": "Everyone", "criteria": {"everyone": true}}})
}

/// Asserts an error answer's status and code (its `problems` may list more).
fn assert_refused(resp: &Resp, status: StatusCode, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.text());
    assert_eq!(resp.json()["code"], code, "{}", resp.text());
}

fn account_journey() -> Value {
    json!({
        "id": "acct-j", "name": ACCOUNT_JOURNEY_NAME,
        "entry": {"id": "entry", "name": "Everyone", "criteria": {"everyone": true},
            "connections": [{"id": "c", "output": "acct-list", "active": true, "mode": "list"}]}
    })
}

/// The matrix. `{delivery}` is replaced by a delivery id of `shop-hook`.
pub(crate) fn matrix() -> Vec<Row> {
    const PUBLIC: [u16; 5] = [200, 200, 200, 200, 200];
    // Admin routes about shop's things: only shop's and the account's tokens reach them;
    // another workspace's token is told they do not exist.
    const SHOP_ONLY: [u16; 5] = [401, 401, 404, 200, 200];
    const ACCOUNT_ONLY: [u16; 5] = [401, 401, 403, 403, 200];
    const ANY_ADMIN: [u16; 5] = [401, 401, 200, 200, 200];
    const MADE: [u16; 5] = [401, 401, 201, 201, 201];
    const INGEST: [u16; 5] = [401, 200, 401, 401, 401];
    let track = json!({"userId": "someone", "event": "Clicked"});
    let mparticle = json!({"events": [{"event_type": "custom_event",
        "data": {"event_name": "Clicked", "custom_event_type": "other"}}],
        "user_identities": {"customer_id": "someone"}, "environment": "production"});
    vec![
        row("get", "/", "/", None, PUBLIC),
        row("get", "/healthz", "/healthz", None, PUBLIC),
        row("get", "/metrics", "/metrics", None, PUBLIC),
        row(
            "get",
            "/api/openapi.json",
            "/api/openapi.json",
            None,
            PUBLIC,
        ),
        row("post", "/v1/{call}", "/v1/track", Some(track), INGEST),
        row(
            "post",
            "/v2/events",
            "/v2/events",
            Some(mparticle.clone()),
            [401, 202, 401, 401, 401],
        ),
        row(
            "post",
            "/v2/bulkevents",
            "/v2/bulkevents",
            Some(json!([mparticle])),
            [401, 202, 401, 401, 401],
        ),
        row("get", "/api/account", "/api/account", None, ACCOUNT_ONLY),
        row("get", "/api/workspaces", "/api/workspaces", None, ANY_ADMIN),
        row(
            "post",
            "/api/workspaces",
            "/api/workspaces",
            Some(json!({"id": "fresh"})),
            [401, 401, 403, 403, 201],
        ),
        row(
            "get",
            "/api/workspaces/{ws}",
            "/api/workspaces/shop",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/workspaces/{ws}/inputs",
            "/api/workspaces/shop/inputs",
            None,
            SHOP_ONLY,
        ),
        row(
            "post",
            "/api/workspaces/{ws}/inputs",
            "/api/workspaces/shop/inputs",
            Some(json!({"id": "fresh", "kind": "web"})),
            [401, 401, 404, 201, 201],
        ),
        row(
            "get",
            "/api/workspaces/{ws}/rejected",
            "/api/workspaces/shop/rejected",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/workspaces/{ws}/profiles",
            "/api/workspaces/shop/profiles",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/workspaces/{ws}/profiles/{user_id}",
            &format!("/api/workspaces/shop/profiles/{SHOP_USER}"),
            None,
            SHOP_ONLY,
        ),
        row(
            "delete",
            "/api/workspaces/{ws}/profiles/{user_id}",
            &format!("/api/workspaces/shop/profiles/{SHOP_USER}"),
            None,
            [401, 401, 404, 204, 204],
        ),
        row(
            "get",
            "/api/workspaces/{ws}/profiles/{user_id}/events",
            &format!("/api/workspaces/shop/profiles/{SHOP_USER}/events"),
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/workspaces/{ws}/suppressions",
            "/api/workspaces/shop/suppressions",
            None,
            SHOP_ONLY,
        ),
        row(
            "delete",
            "/api/workspaces/{ws}/suppressions/{identifier}",
            &format!("/api/workspaces/shop/suppressions/{SHOP_SUPPRESSED}"),
            None,
            [401, 401, 404, 204, 204],
        ),
        row("get", "/api/outputs", "/api/outputs", None, ANY_ADMIN),
        row(
            "post",
            "/api/outputs",
            "/api/outputs",
            Some(json!({"id": "fresh", "kind": "list"})),
            MADE,
        ),
        row(
            "get",
            "/api/outputs/{id}",
            "/api/outputs/shop-hook",
            None,
            SHOP_ONLY,
        ),
        row(
            "patch",
            "/api/outputs/{id}",
            "/api/outputs/shop-hook",
            Some(json!({"name": "Renamed"})),
            SHOP_ONLY,
        ),
        // Named by a journey's connection: in use.
        row(
            "delete",
            "/api/outputs/{id}",
            "/api/outputs/shop-hook",
            None,
            [401, 401, 404, 409, 409],
        ),
        row(
            "post",
            "/api/outputs/{id}/rotate",
            "/api/outputs/shop-hook/rotate",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/outputs/{id}/members",
            "/api/outputs/shop-list/members",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/outputs/{id}/members.csv",
            "/api/outputs/shop-list/members.csv",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/outputs/{id}/deliveries",
            "/api/outputs/shop-hook/deliveries",
            None,
            SHOP_ONLY,
        ),
        // Nothing is dead yet: nothing to replay, but the call is allowed.
        row(
            "post",
            "/api/outputs/{id}/deliveries/replay",
            "/api/outputs/shop-hook/deliveries/replay",
            None,
            [401, 401, 404, 202, 202],
        ),
        row(
            "get",
            "/api/deliveries/{id}",
            "/api/deliveries/{delivery}",
            None,
            SHOP_ONLY,
        ),
        // Still pending (the receiver does not exist): replay refuses with a conflict.
        row(
            "post",
            "/api/deliveries/{id}/replay",
            "/api/deliveries/{delivery}/replay",
            None,
            [401, 401, 404, 409, 409],
        ),
        row(
            "get",
            "/api/workspaces/{ws}/attributes",
            "/api/workspaces/shop/attributes",
            None,
            SHOP_ONLY,
        ),
        row(
            "post",
            "/api/workspaces/{ws}/attributes",
            "/api/workspaces/shop/attributes",
            Some(json!({"name": "fresh_count", "event": "Signed Up", "aggregate": "count"})),
            [401, 401, 404, 201, 201],
        ),
        row(
            "get",
            "/api/workspaces/{ws}/attributes/{name}",
            "/api/workspaces/shop/attributes/shop_orders",
            None,
            SHOP_ONLY,
        ),
        row(
            "patch",
            "/api/workspaces/{ws}/attributes/{name}",
            "/api/workspaces/shop/attributes/shop_orders",
            Some(json!({"within": "30d"})),
            SHOP_ONLY,
        ),
        row(
            "delete",
            "/api/workspaces/{ws}/attributes/{name}",
            "/api/workspaces/shop/attributes/shop_orders",
            None,
            [401, 401, 404, 204, 204],
        ),
        row("get", "/api/audiences", "/api/audiences", None, ANY_ADMIN),
        row(
            "post",
            "/api/audiences",
            "/api/audiences",
            Some(
                json!({"id": "fresh-aud", "name": "Fresh", "inputs": ["web"],
                "criteria": {"everyone": true}}),
            ),
            MADE,
        ),
        row(
            "get",
            "/api/audiences/{id}",
            "/api/audiences/shop-aud",
            None,
            SHOP_ONLY,
        ),
        row(
            "patch",
            "/api/audiences/{id}",
            "/api/audiences/shop-aud",
            Some(json!({"name": "Renamed"})),
            SHOP_ONLY,
        ),
        row(
            "delete",
            "/api/audiences/{id}",
            "/api/audiences/shop-aud",
            None,
            [401, 401, 404, 204, 204],
        ),
        row(
            "get",
            "/api/audiences/{id}/members",
            "/api/audiences/shop-aud/members",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/audiences/{id}/members.csv",
            "/api/audiences/shop-aud/members.csv",
            None,
            SHOP_ONLY,
        ),
        row("get", "/api/journeys", "/api/journeys", None, ANY_ADMIN),
        row(
            "post",
            "/api/journeys",
            "/api/journeys",
            Some(entry_only("fresh")),
            MADE,
        ),
        row(
            "get",
            "/api/journeys/{id}",
            "/api/journeys/shop-j",
            None,
            SHOP_ONLY,
        ),
        row(
            "patch",
            "/api/journeys/{id}",
            "/api/journeys/shop-j",
            Some(json!({"name": "Renamed"})),
            SHOP_ONLY,
        ),
        // It has a step below its entry.
        row(
            "delete",
            "/api/journeys/{id}",
            "/api/journeys/shop-j",
            None,
            [401, 401, 404, 409, 409],
        ),
        // Already published.
        row(
            "post",
            "/api/journeys/{id}/publish",
            "/api/journeys/shop-j/publish",
            None,
            [401, 401, 404, 409, 409],
        ),
        row(
            "post",
            "/api/journeys/{id}/stop",
            "/api/journeys/shop-j/stop",
            None,
            SHOP_ONLY,
        ),
        row(
            "post",
            "/api/journeys/{id}/clone",
            "/api/journeys/shop-j/clone",
            None,
            [401, 401, 404, 201, 201],
        ),
        row(
            "post",
            "/api/journeys/{id}/versions",
            "/api/journeys/shop-j/versions",
            None,
            [401, 401, 404, 201, 201],
        ),
        row(
            "post",
            "/api/journeys/{id}/simulate",
            "/api/journeys/shop-j/simulate",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/journeys/{id}/stats",
            "/api/journeys/shop-j/stats",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/journeys/{id}/funnel",
            "/api/journeys/shop-j/funnel?path=entry,later",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/journeys/{id}/entries",
            "/api/journeys/shop-j/entries?bucket=hour",
            None,
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/journeys/{id}/estimate",
            "/api/journeys/shop-j/estimate",
            None,
            SHOP_ONLY,
        ),
        row(
            "post",
            "/api/journeys/{id}/estimate",
            "/api/journeys/shop-j/estimate",
            Some(shop_journey("shop-j", SHOP_JOURNEY_NAME)),
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/journeys/{id}/preview",
            "/api/journeys/shop-j/preview",
            None,
            SHOP_ONLY,
        ),
        // Over shop's profiles: another workspace's token is told shop does not exist.
        row(
            "post",
            "/api/estimate",
            "/api/estimate",
            Some(json!({"workspace": "shop", "criteria": {"event": "Signed Up"}})),
            SHOP_ONLY,
        ),
        row(
            "get",
            "/api/journeys/{id}/steps/{step}/audience.csv",
            "/api/journeys/shop-j/steps/entry/audience.csv",
            None,
            SHOP_ONLY,
        ),
    ]
}

/// A server seeded with the fixture, and the id of one of `shop-hook`'s deliveries.
pub(crate) async fn seeded() -> (App, String) {
    let app = App::new();
    let created = |resp: Resp, what: &str| {
        assert_eq!(resp.status, StatusCode::CREATED, "{what}: {}", resp.text());
    };
    for (token, body) in [
        (
            SHOP_TOKEN,
            json!({"id": "shop-hook", "name": SHOP_OUTPUT_NAME, "kind": "webhook",
                "url": "https://receiver.invalid/hook", "secret": SHOP_HOOK_SECRET}),
        ),
        (
            SHOP_TOKEN,
            json!({"id": "shop-segment", "kind": "segment",
                "endpoint": "https://segment.invalid", "write_key": SHOP_SEGMENT_KEY}),
        ),
        (SHOP_TOKEN, json!({"id": "shop-list", "kind": "list"})),
        (
            ACCOUNT_TOKEN,
            json!({"id": "acct-list", "name": ACCOUNT_OUTPUT_NAME, "kind": "list"}),
        ),
    ] {
        let resp = app
            .send(post("/api/outputs").bearer(token).json(&body))
            .await;
        created(resp, "output");
    }
    for (token, journey) in [
        (SHOP_TOKEN, shop_journey("shop-j", SHOP_JOURNEY_NAME)),
        (ACCOUNT_TOKEN, account_journey()),
    ] {
        let id = journey["id"].as_str().unwrap().to_string();
        let resp = app
            .send(post("/api/journeys").bearer(token).json(&journey))
            .await;
        created(resp, "journey");
        let resp = app
            .send(post(&format!("/api/journeys/{id}/publish")).bearer(token))
            .await;
        resp.assert_status(StatusCode::OK);
    }
    let resp = app
        .send(
            post("/api/workspaces/shop/attributes")
                .bearer(SHOP_TOKEN)
                .json(&json!({"name": "shop_orders", "event": "Order Completed", "aggregate": "count"})),
        )
        .await;
    created(resp, "attribute");
    for (token, audience) in [
        (
            SHOP_TOKEN,
            json!({"id": "shop-aud", "name": SHOP_AUDIENCE_NAME, "inputs": ["web"],
                "criteria": {"trait": "email", "op": "exists"},
                "connections": [{"id": "c_list", "output": "shop-list", "active": true, "mode": "list"}]}),
        ),
        (
            ACCOUNT_TOKEN,
            json!({"id": "acct-aud", "name": ACCOUNT_AUDIENCE_NAME,
                "criteria": {"everyone": true}}),
        ),
    ] {
        let resp = app
            .send(post("/api/audiences").bearer(token).json(&audience))
            .await;
        created(resp, "audience");
    }
    app.batch_ok(
        WEB_KEY,
        json!([
            identify(SHOP_USER, json!({"email": SHOP_EMAIL})),
            track(SHOP_USER, "Signed Up"),
            // Rejected (no event name): its excerpt names the user.
            {"type": "track", "userId": SHOP_USER, "messageId": mid()},
        ]),
    )
    .await;
    let resp = app
        .send(
            delete(&format!(
                "/api/workspaces/shop/profiles/{SHOP_SUPPRESSED}?suppress=true"
            ))
            .bearer(SHOP_TOKEN),
        )
        .await;
    assert_eq!(resp.status, StatusCode::NO_CONTENT, "{}", resp.text());
    let delivery = wait_for_delivery(&app).await;
    (app, delivery)
}

/// Polls the deliveries of `shop-hook` until the runtime has queued one.
async fn wait_for_delivery(app: &App) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let resp = app
            .send(get("/api/outputs/shop-hook/deliveries").bearer(ACCOUNT_TOKEN))
            .await;
        if let Some(id) = resp.json()["deliveries"][0]["id"].as_str() {
            return id.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no delivery queued: {}",
            resp.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn request_for(row: &Row, caller: Caller, delivery: &str) -> Req {
    let path = row.path.replace("{delivery}", delivery);
    let mut req = request(row.method.to_uppercase().parse().unwrap(), &path);
    if let Some(body) = &row.body {
        req = req.json(body);
    }
    match caller {
        Caller::Nobody => req,
        Caller::WriteKey if row.template.starts_with("/v2/") => req.basic(MP_KEY, MP_SECRET),
        Caller::WriteKey => req.basic(WEB_KEY, ""),
        Caller::Foreign => req.bearer(OTHER_TOKEN),
        Caller::Own => req.bearer(SHOP_TOKEN),
        Caller::Account => req.bearer(ACCOUNT_TOKEN),
    }
}

/// Every route the server has, as (method, template), from its OpenAPI document.
async fn routes(app: &App) -> BTreeSet<(String, String)> {
    let doc = app.send(get("/api/openapi.json")).await.json();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_route_has_a_row_and_no_row_is_stale() {
    let app = App::new();
    let routes = routes(&app).await;
    let rows: BTreeSet<(String, String)> = matrix()
        .iter()
        .map(|r| (r.method.to_string(), r.template.to_string()))
        .collect();
    let missing: Vec<_> = routes.difference(&rows).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization matrix (tests/it/authz.rs): {missing:?}"
    );
    let stale: Vec<_> = rows.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:?}"
    );
}

#[tokio::test]
async fn every_caller_gets_exactly_its_status_and_nothing_of_others() {
    let mut wrong = Vec::new();
    for row in matrix() {
        for (caller, expected) in CALLERS.iter().zip(row.expect) {
            let (app, delivery) = seeded().await;
            let resp = app.send(request_for(&row, *caller, &delivery)).await;
            let text = resp.text();
            if resp.status.as_u16() != expected {
                wrong.push(format!(
                    "{} {} as {caller:?}: {} (expected {expected}): {}",
                    row.method,
                    row.path,
                    resp.status.as_u16(),
                    text.chars().take(200).collect::<String>()
                ));
            }
            let forbidden: &[&str] = match caller {
                Caller::Foreign => SHOP_SENTINELS,
                Caller::Own => ACCOUNT_SENTINELS,
                _ => &[],
            };
            for sentinel in forbidden {
                if text.contains(sentinel) {
                    wrong.push(format!(
                        "{} {} as {caller:?} leaks `{sentinel}`",
                        row.method, row.path
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn secrets_are_shown_on_create_and_rotate_only() {
    let (app, _) = seeded().await;
    for token in [SHOP_TOKEN, ACCOUNT_TOKEN] {
        for path in [
            "/api/outputs",
            "/api/outputs/shop-hook",
            "/api/outputs/shop-segment",
        ] {
            let text = app.send(get(path).bearer(token)).await.text();
            assert!(!text.contains(SHOP_HOOK_SECRET), "{path}: {text}");
            assert!(!text.contains(SHOP_SEGMENT_KEY), "{path}: {text}");
        }
    }
    let hook = app
        .send(get("/api/outputs/shop-hook").bearer(SHOP_TOKEN))
        .await
        .json();
    assert_eq!(hook["secret_set"], true, "{hook}");
    let rotated = app
        .send(post("/api/outputs/shop-hook/rotate").bearer(SHOP_TOKEN))
        .await;
    rotated.assert_status(StatusCode::OK);
    let new_secret = rotated.json()["secret"].as_str().unwrap().to_string();
    assert!(new_secret.starts_with("whsec_") && new_secret != SHOP_HOOK_SECRET);
    let after = app
        .send(get("/api/outputs/shop-hook").bearer(SHOP_TOKEN))
        .await;
    assert!(!after.text().contains(&new_secret), "{}", after.text());
    assert!(
        after.json()["previous_secret_until"].is_string(),
        "{}",
        after.text()
    );
    // Secrets change only by rotation.
    app.rejects(
        request("PATCH".parse().unwrap(), "/api/outputs/shop-hook")
            .bearer(SHOP_TOKEN)
            .json(&json!({"secret": SHOP_HOOK_SECRET})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "use_rotate",
    )
    .await;
}

#[tokio::test]
async fn webhook_secrets_outside_24_to_64_bytes_are_refused() {
    let app = App::new();
    use base64::Engine as _;
    let encode = |n: usize| {
        format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(vec![7u8; n])
        )
    };
    for (n, ok) in [
        (16, false),
        (23, false),
        (24, true),
        (64, true),
        (65, false),
    ] {
        let body = json!({"id": format!("h{n}"), "kind": "webhook",
            "url": "https://receiver.invalid/hook", "secret": encode(n)});
        let resp = app
            .send(post("/api/outputs").bearer(ACCOUNT_TOKEN).json(&body))
            .await;
        if ok {
            resp.assert_status(StatusCode::CREATED);
        } else {
            resp.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_secret");
        }
    }
}

#[tokio::test]
async fn a_workspace_journey_cannot_use_another_workspaces_inputs_or_outputs() {
    let (app, _) = seeded().await;
    // `server` exists only in shop: for other's token a bare id means other's own input.
    let mut journey = shop_journey("sneaky", "Sneaky");
    journey["inputs"] = json!(["server"]);
    journey["entry"]["connections"] = json!([]);
    let resp = app
        .send(post("/api/journeys").bearer(OTHER_TOKEN).json(&journey))
        .await;
    assert_refused(&resp, StatusCode::UNPROCESSABLE_ENTITY, "unknown_input");
    journey["inputs"] = json!(["shop/web"]);
    let resp = app
        .send(post("/api/journeys").bearer(OTHER_TOKEN).json(&journey))
        .await;
    assert_refused(&resp, StatusCode::UNPROCESSABLE_ENTITY, "unknown_input");
    // Its own `web` resolves to `other/web`, once, when written.
    journey["inputs"] = json!(["web"]);
    journey["entry"]["connections"] =
        json!([{"id": "c", "output": "shop-list", "active": true, "mode": "list"}]);
    let resp = app
        .send(post("/api/journeys").bearer(OTHER_TOKEN).json(&journey))
        .await;
    assert_refused(&resp, StatusCode::UNPROCESSABLE_ENTITY, "unknown_output");
    journey["entry"]["connections"] = json!([]);
    let resp = app
        .send(post("/api/journeys").bearer(OTHER_TOKEN).json(&journey))
        .await;
    resp.assert_status(StatusCode::CREATED);
    assert_eq!(resp.json()["definition"]["inputs"], json!(["other/web"]));
    // The account's bare ids resolve to what exists now and stay so.
    journey["id"] = json!("acct-wide");
    let resp = app
        .send(post("/api/journeys").bearer(ACCOUNT_TOKEN).json(&journey))
        .await;
    resp.assert_status(StatusCode::CREATED);
    assert_eq!(
        resp.json()["definition"]["inputs"],
        json!(["other/web", "shop/web"])
    );
    journey["id"] = json!("nowhere");
    journey["inputs"] = json!(["carrier-pigeon"]);
    let resp = app
        .send(post("/api/journeys").bearer(ACCOUNT_TOKEN).json(&journey))
        .await;
    assert_refused(&resp, StatusCode::UNPROCESSABLE_ENTITY, "unknown_input");
}
