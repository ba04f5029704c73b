//! Health and the answers for unknown paths and methods.

use super::views::Health;
use axum::Json;
use axum::http::StatusCode;

use crate::ApiError;

/// `GET /healthz`.
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
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
