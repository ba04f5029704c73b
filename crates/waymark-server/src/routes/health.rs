//! Health and the fallback for unknown paths.

use axum::Json;
use serde_json::{Value, json};

use crate::ApiError;

/// `GET /healthz`.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Any path the API does not have.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}
