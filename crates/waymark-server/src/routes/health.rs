//! Health and the fallback for unknown paths.

use axum::Json;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::ApiError;

/// `GET /`: a start page (the canvas UI is not built yet).
pub(crate) async fn index() -> axum::response::Html<&'static str> {
    axum::response::Html(concat!(
        "<!doctype html><meta charset=utf-8><title>Waymark</title>",
        "<h1>Waymark</h1><p>Customer journey orchestration. The canvas UI is not built yet; ",
        "everything is available through the admin API (send <code>Authorization: Bearer ",
        "&lt;token&gt;</code>).</p><ul>",
        "<li><a href=/api/openapi.json>/api/openapi.json</a>: the API</li>",
        "<li><a href=/api/journeys>/api/journeys</a>: journeys</li>",
        "<li><a href=/api/outputs>/api/outputs</a>: outputs</li>",
        "<li><a href=/metrics>/metrics</a>: Prometheus metrics</li>",
        "<li><a href=/healthz>/healthz</a>: health</li></ul>",
    ))
}

/// `GET /healthz`.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Any path the API does not have.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

/// A path the API has, called with a method it does not take (axum adds `Allow`).
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take this method",
    )
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
) -> impl axum::response::IntoResponse {
    let runtime = state.runtime.clone();
    let mut text = tokio::task::spawn_blocking(move || runtime.metrics())
        .await
        .unwrap_or_default();
    text.push_str(&state.ingest_metrics.render());
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}
