//! The harness: a seeded store behind the real router, requests sent with `oneshot`,
//! responses checked for their exact status and `{"code","message"}`, and snapshots of
//! everything the store holds, to prove that a rejected request changed nothing.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::GzEncoder;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use waymark_engine::time::{Millis, parse_instant};
use waymark_ingest::Limits;
use waymark_server::config::{Config, InputConfig, TokenConfig, WorkspaceConfig};
use waymark_server::{AppState, apply_config, router};
use waymark_store::{
    Input, InputKind, MemoryStore, Profile, RejectedMessage, Store, StoredEvent, Workspace,
};

/// The main workspace.
pub const SHOP: &str = "shop";
/// A second workspace, which `SHOP`'s token must never reach.
pub const OTHER: &str = "other";

/// `shop/web`.
pub const WEB_KEY: &str = "wk_web";
/// `shop/server`.
pub const SERVER_KEY: &str = "wk_server";
/// `other/web`.
pub const OTHER_KEY: &str = "wk_other";
/// `shop/python`: the key segment-python was captured with (wire.md §2.1).
pub const PYTHON_KEY: &str = "WK_SEGMENT_TEST";
/// `shop/rudder`: the key rudder-sdk-python was captured with (§2.2).
pub const RUDDER_KEY: &str = "WK_RUDDER";
/// `shop/node`: the key analytics-node was captured with (§2.3).
pub const NODE_KEY: &str = "WK_NODE";
/// `shop/mparticle`: the key and secret the mParticle SDK was captured with (§2.4).
pub const MP_KEY: &str = "MP_KEY";
/// The secret of `MP_KEY`.
pub const MP_SECRET: &str = "MP_SECRET";

/// An account-wide admin token.
pub const ACCOUNT_TOKEN: &str = "tok-account";
/// A token for `SHOP` only.
pub const SHOP_TOKEN: &str = "tok-shop";
/// A token for `OTHER` only.
pub const OTHER_TOKEN: &str = "tok-other";

/// The configuration every test starts from.
pub fn config() -> Config {
    let input = |workspace: &str, id: &str, kind, key: &str, secret: Option<&str>| InputConfig {
        workspace: workspace.into(),
        id: id.into(),
        name: None,
        kind,
        write_key: key.into(),
        secret: secret.map(str::to_string),
    };
    let token = |name: &str, token: &str, workspace: Option<&str>| TokenConfig {
        name: name.into(),
        token: token.into(),
        workspace: workspace.map(str::to_string),
    };
    Config {
        workspaces: vec![
            WorkspaceConfig {
                id: SHOP.into(),
                name: Some("The Shop".into()),
            },
            WorkspaceConfig {
                id: OTHER.into(),
                name: None,
            },
        ],
        inputs: vec![
            input(SHOP, "web", InputKind::Web, WEB_KEY, None),
            input(SHOP, "server", InputKind::Server, SERVER_KEY, None),
            input(SHOP, "python", InputKind::Server, PYTHON_KEY, None),
            input(SHOP, "rudder", InputKind::Server, RUDDER_KEY, None),
            input(SHOP, "node", InputKind::Server, NODE_KEY, None),
            input(SHOP, "mparticle", InputKind::Ios, MP_KEY, Some(MP_SECRET)),
            input(OTHER, "web", InputKind::Web, OTHER_KEY, None),
        ],
        tokens: vec![
            token("ops", ACCOUNT_TOKEN, None),
            token("shop team", SHOP_TOKEN, Some(SHOP)),
            token("other team", OTHER_TOKEN, Some(OTHER)),
        ],
        ..Config::default()
    }
}

/// The router over a store seeded with [`config`].
pub struct App {
    /// The store behind the router.
    pub store: Arc<dyn Store>,
    router: Router,
}

impl App {
    /// A fresh in-memory store, default limits.
    pub fn new() -> App {
        App::with_store(Arc::new(MemoryStore::new()))
    }

    /// `store` (seeded now), default limits.
    pub fn with_store(store: Arc<dyn Store>) -> App {
        App::with_limits(store, Limits::default())
    }

    /// `store` (seeded now), `limits`.
    pub fn with_limits(store: Arc<dyn Store>, limits: Limits) -> App {
        let boot = apply_config(store.as_ref(), &config()).expect("seeding the store");
        assert_eq!(boot.generated_token, None, "configured tokens exist");
        let runtime = waymark_runtime::Runtime::start(
            Arc::clone(&store),
            Arc::new(waymark_runtime::SystemClock),
            waymark_runtime::RuntimeConfig::default(),
        )
        .expect("starting the runtime");
        let router = router(AppState {
            store: Arc::clone(&store),
            limits,
            runtime,
            ingest_metrics: Default::default(),
        });
        App { store, router }
    }

    /// Sends one request through the real router.
    pub async fn send(&self, req: Req) -> Resp {
        let response = self
            .router
            .clone()
            .oneshot(req.build())
            .await
            .expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("reading the response body")
            .to_bytes();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Sends `req`, expects the error `status`/`code`, and checks that the store holds
    /// exactly what it held before.
    pub async fn rejects(&self, req: Req, status: StatusCode, code: &str) -> Resp {
        let before = self.snapshot();
        let resp = self.send(req).await;
        resp.assert_error(status, code);
        assert_eq!(
            self.snapshot(),
            before,
            "a rejected request ({status} {code}) changed the store"
        );
        resp
    }

    /// Sends `req`, a readable request holding one invalid message (with nothing else, or
    /// other invalid messages when `codes` has several): expects `status` (200 or 202 with
    /// the success body; for single-message calls 400 with the first code), nothing stored,
    /// and one rejected message recorded per code, in body order. Returns the new records.
    pub async fn rejects_messages(
        &self,
        req: Req,
        status: StatusCode,
        codes: &[&str],
    ) -> Vec<RejectedMessage> {
        let before = self.snapshot();
        let resp = self.send(req).await;
        match status {
            StatusCode::OK => resp.assert_success(),
            StatusCode::ACCEPTED => {
                resp.assert_status(status);
            }
            _ => resp.assert_error(status, codes[0]),
        }
        let after = self.snapshot();
        assert_eq!(
            (&after.workspaces, &after.inputs, &after.profiles),
            (&before.workspaces, &before.inputs, &before.profiles),
            "a rejected message changed the store"
        );
        let mut new: Vec<RejectedMessage> = after
            .rejected
            .iter()
            .filter(|r| !before.rejected.contains(r))
            .map(|(_, r)| r.clone())
            .collect();
        new.reverse();
        let found: Vec<&str> = new.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(found, codes, "recorded rejections: {new:#?}");
        new
    }

    /// [`App::rejects_messages`] with one code.
    pub async fn rejects_message(
        &self,
        req: Req,
        status: StatusCode,
        code: &str,
    ) -> RejectedMessage {
        self.rejects_messages(req, status, &[code]).await.remove(0)
    }

    /// Everything the store holds (but tokens and remembered message ids).
    pub fn snapshot(&self) -> Snapshot {
        snapshot(self.store.as_ref())
    }

    /// `POST /v1/batch {"batch": items}` with Basic `key:`; expects exactly 200.
    pub async fn batch_ok(&self, key: &str, items: Value) -> Resp {
        let resp = self
            .send(
                post("/v1/batch")
                    .basic(key, "")
                    .json(&json!({ "batch": items })),
            )
            .await;
        resp.assert_success();
        resp
    }

    /// The profile as `GET /api/workspaces/{ws}/profiles/{id}` shows it to the account
    /// token; expects 200.
    pub async fn profile(&self, ws: &str, id: &str) -> Value {
        let resp = self
            .send(get(&format!("/api/workspaces/{ws}/profiles/{id}")).bearer(ACCOUNT_TOKEN))
            .await;
        resp.assert_status(StatusCode::OK);
        resp.json()
    }

    /// The profile's events through the events API (at most 1,000), oldest first.
    pub async fn events(&self, ws: &str, id: &str) -> Vec<Value> {
        let resp = self
            .send(
                get(&format!(
                    "/api/workspaces/{ws}/profiles/{id}/events?limit=1000"
                ))
                .bearer(ACCOUNT_TOKEN),
            )
            .await;
        resp.assert_status(StatusCode::OK);
        match resp.json().get("events") {
            Some(Value::Array(events)) => events.clone(),
            other => panic!("events API answered {other:?}"),
        }
    }

    /// Checks through the API that there is no such profile (404 for profile and events).
    pub async fn assert_no_profile(&self, ws: &str, id: &str) {
        let resp = self
            .send(get(&format!("/api/workspaces/{ws}/profiles/{id}")).bearer(ACCOUNT_TOKEN))
            .await;
        resp.assert_error(StatusCode::NOT_FOUND, "not_found");
        let resp = self
            .send(get(&format!("/api/workspaces/{ws}/profiles/{id}/events")).bearer(ACCOUNT_TOKEN))
            .await;
        resp.assert_error(StatusCode::NOT_FOUND, "not_found");
    }
}

/// What a store holds, for before/after comparisons.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    /// Every workspace.
    pub workspaces: Vec<Workspace>,
    /// Every input of every workspace.
    pub inputs: Vec<Input>,
    /// Every profile of every workspace with its events.
    pub profiles: Vec<(String, Profile, Vec<StoredEvent>)>,
    /// Every workspace's rejected messages, newest first.
    pub rejected: Vec<(String, RejectedMessage)>,
}

impl Snapshot {
    /// Events in all workspaces.
    pub fn event_count(&self) -> usize {
        self.profiles.iter().map(|(_, _, e)| e.len()).sum()
    }
}

/// Reads everything `store` holds.
pub fn snapshot(store: &dyn Store) -> Snapshot {
    let workspaces = store.workspaces().expect("workspaces");
    let mut inputs = Vec::new();
    let mut profiles = Vec::new();
    let mut rejected = Vec::new();
    for ws in &workspaces {
        inputs.extend(store.inputs(&ws.id).expect("inputs"));
        for r in store.rejected(&ws.id, None, 100_000).expect("rejected") {
            rejected.push((ws.id.clone(), r));
        }
        store
            .for_each_profile(&ws.id, &mut |p, e| profiles.push((ws.id.clone(), p, e)))
            .expect("profiles");
    }
    Snapshot {
        workspaces,
        inputs,
        profiles,
        rejected,
    }
}

/// A request being built.
pub struct Req {
    builder: axum::http::request::Builder,
    body: Vec<u8>,
}

/// `POST path`.
pub fn post(path: &str) -> Req {
    request(Method::POST, path)
}

/// `GET path`.
pub fn get(path: &str) -> Req {
    request(Method::GET, path)
}

/// `DELETE path`.
pub fn delete(path: &str) -> Req {
    request(Method::DELETE, path)
}

/// `method path` without headers or body.
pub fn request(method: Method, path: &str) -> Req {
    Req {
        builder: Request::builder().method(method).uri(path),
        body: Vec::new(),
    }
}

impl Req {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.builder = self.builder.header(name, value);
        self
    }

    /// `Authorization: Basic base64(user:password)`.
    pub fn basic(self, user: &str, password: &str) -> Req {
        let encoded = STANDARD.encode(format!("{user}:{password}"));
        self.header("authorization", &format!("Basic {encoded}"))
    }

    /// `Authorization: Bearer token`.
    pub fn bearer(self, token: &str) -> Req {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(self, value: &Value) -> Req {
        self.header("content-type", "application/json")
            .raw(serde_json::to_vec(value).expect("serializing a JSON value"))
    }

    /// A gzipped JSON body (`Content-Type: application/json`, `Content-Encoding: gzip`).
    pub fn gzip_json(self, value: &Value) -> Req {
        let json = serde_json::to_vec(value).expect("serializing a JSON value");
        self.header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .raw(gzip(&json))
    }

    /// These exact body bytes (no headers added).
    pub fn raw(mut self, body: impl Into<Vec<u8>>) -> Req {
        self.body = body.into();
        self
    }

    /// The request.
    pub fn build(self) -> Request<Body> {
        self.builder
            .body(Body::from(self.body))
            .expect("a valid request")
    }
}

/// A response read whole.
#[derive(Debug)]
pub struct Resp {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

impl Resp {
    /// The body as text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.text()))
    }

    /// Checks the status.
    pub fn assert_status(&self, status: StatusCode) -> &Resp {
        assert_eq!(self.status, status, "body: {}", self.text());
        self
    }

    /// Checks Segment's success answer: exactly `200 {"success":true}` as JSON.
    pub fn assert_success(&self) {
        self.assert_status(StatusCode::OK);
        assert_eq!(&self.body[..], br#"{"success":true}"#);
        self.assert_json_content_type();
    }

    /// Checks an error answer: `status`, a JSON body with exactly `code` and a non-empty
    /// `message`.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        self.assert_status(status);
        self.assert_json_content_type();
        let body = self.json();
        let obj = body.as_object().expect("the error body is an object");
        assert_eq!(
            obj.keys().map(String::as_str).collect::<Vec<_>>(),
            ["code", "message"],
            "error body {body}"
        );
        assert_eq!(obj["code"], code, "error body {body}");
        let message = obj["message"].as_str().expect("message is a string");
        assert!(!message.is_empty(), "error body {body}");
    }

    /// The error's message.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .expect("an error message")
            .to_string()
    }

    /// Checks `Content-Type: application/json`.
    pub fn assert_json_content_type(&self) {
        assert_eq!(
            self.headers.get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static("application/json")),
            "Content-Type of {}",
            self.text()
        );
    }

    /// The `Retry-After` header as whole seconds, checked to be at least 1.
    pub fn retry_after(&self) -> u64 {
        let value = self
            .headers
            .get(header::RETRY_AFTER)
            .unwrap_or_else(|| panic!("no Retry-After on {} {}", self.status, self.text()));
        let secs: u64 = value
            .to_str()
            .expect("ASCII")
            .parse()
            .expect("Retry-After in integer seconds");
        assert!(secs >= 1, "Retry-After {secs}");
        secs
    }
}

/// Gzips `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A fresh `messageId`, unique within the test binary.
pub fn mid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("mid-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A track message of `user` with a fresh `messageId`.
pub fn track(user: &str, event: &str) -> Value {
    json!({"type": "track", "userId": user, "event": event, "messageId": mid()})
}

/// An identify message of `user` with a fresh `messageId`.
pub fn identify(user: &str, traits: Value) -> Value {
    json!({"type": "identify", "userId": user, "traits": traits, "messageId": mid()})
}

/// An RFC 3339 time as Unix milliseconds.
pub fn millis(text: &str) -> Millis {
    parse_instant(text).unwrap_or_else(|| panic!("not a time: {text}"))
}

/// The server's clock, as the ingest routes read it.
pub fn now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as Millis
}

/// A fixture from `tests/it/fixtures` (request bodies captured from the real clients,
/// `shared/reference/captures`).
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/it/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The names (`event`, else `type`) of events from the events API, in order.
pub fn names(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            e.get("event")
                .and_then(Value::as_str)
                .or_else(|| e["type"].as_str())
                .expect("an event has a type")
                .to_string()
        })
        .collect()
}
