//! Health, unknown paths and wrong methods.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn healthz_is_200() {
    let app = App::new();
    let resp = app.send(get("/healthz")).await;
    resp.assert_status(StatusCode::OK);
    resp.assert_json_content_type();
    assert_eq!(resp.json(), json!({"status": "ok"}));
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let app = App::new();
    let body = json!({"batch": [track("u1", "A")]});
    for path in [
        "/v1/events",
        "/v1/Batch",
        "/v1/batch/extra",
        "/v1/",
        "/v1",
        "/v2/event",
        "/prefix/v1/batch",
        "/api/nothing",
    ] {
        let resp = app
            .rejects(
                post(path).basic(WEB_KEY, "").json(&body),
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
        assert_eq!(resp.status, StatusCode::NOT_FOUND, "{path}");
    }
    app.rejects(get("/api/nothing/here"), StatusCode::NOT_FOUND, "not_found")
        .await;
    // `/` is the start page: it takes GET only.
    app.rejects(
        post("/").basic(WEB_KEY, "").json(&body),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let app = App::new();
    for (method, path) in [
        (Method::GET, "/v1/batch"),
        (Method::PUT, "/v1/batch"),
        (Method::GET, "/v1/track"),
        (Method::GET, "/v2/events"),
        (Method::GET, "/v2/bulkevents"),
        (Method::POST, "/healthz"),
        (Method::DELETE, "/api/workspaces"),
        (Method::PUT, "/api/workspaces/shop/profiles/u1"),
    ] {
        let resp = app
            .rejects(
                request(method.clone(), path).basic(WEB_KEY, ""),
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
            )
            .await;
        assert!(resp.headers.get("allow").is_some(), "{method} {path}");
    }
}

#[tokio::test]
async fn paths_that_are_not_utf8_are_400_invalid_path() {
    let app = App::new();
    app.batch_ok(WEB_KEY, json!([track("u1", "A")])).await;
    for (method, path) in [
        (Method::POST, "/v1/%FF"),
        (Method::GET, "/api/workspaces/%FF"),
        (Method::GET, "/api/workspaces/%FF/inputs"),
        (Method::GET, "/api/workspaces/shop/profiles/%C3%28"),
        (Method::DELETE, "/api/workspaces/shop/profiles/u%FF1"),
        (Method::GET, "/api/workspaces/shop/profiles/%FF/events"),
    ] {
        app.rejects(
            request(method, path)
                .bearer(ACCOUNT_TOKEN)
                .json(&json!({"batch": [track("u1", "A")]})),
            StatusCode::BAD_REQUEST,
            "invalid_path",
        )
        .await;
    }
    // The admin API still asks for a token first.
    app.rejects(
        get("/api/workspaces/%FF/inputs"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Percent-encoded ids that are UTF-8 are fine.
    app.batch_ok(WEB_KEY, json!([track("a/b é", "A")])).await;
    let resp = app
        .send(get("/api/workspaces/shop/profiles/a%2Fb%20%C3%A9").bearer(ACCOUNT_TOKEN))
        .await;
    resp.assert_status(StatusCode::OK);
    assert_eq!(resp.json()["user_id"], "a/b é");
}
