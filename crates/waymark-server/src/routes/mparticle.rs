//! mParticle's Events API: `/v2/events` (one batch) and `/v2/bulkevents` (up to 100).

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use waymark_ingest::mparticle::{normalize_all, read_batches};

use super::accept;
use super::body::{GZIP_SLACK, check_json_content, decode, read_capped, received_now};
use crate::auth::basic_credentials;
use crate::{ApiError, AppState};

/// `POST /v2/events`.
pub(crate) async fn events(
    State(state): State<AppState>,
    parts: Parts,
    body: Body,
) -> Result<StatusCode, ApiError> {
    accept(state, parts, body, false).await
}

/// `POST /v2/bulkevents`.
pub(crate) async fn bulk_events(
    State(state): State<AppState>,
    parts: Parts,
    body: Body,
) -> Result<StatusCode, ApiError> {
    accept(state, parts, body, true).await
}

/// Authenticates `key:secret`, records invalid events as rejected, stores the others
/// atomically, answers 202.
async fn accept(
    state: AppState,
    parts: Parts,
    body: Body,
    bulk: bool,
) -> Result<StatusCode, ApiError> {
    let received_at = received_now();
    let (key, secret) = basic_credentials(&parts).ok_or_else(|| {
        ApiError::unauthorized("send the input's API key and secret as Basic auth (`key:secret`)")
    })?;
    let lookup = key.clone();
    let input = state
        .blocking(move |s| s.input_by_write_key(&lookup))
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown API key"))?;
    if input.secret.as_deref() != Some(secret.as_str()) {
        return Err(ApiError::forbidden("wrong API secret for this key"));
    }
    let limit = state.limits.max_batch_bytes;
    let raw = read_capped(body, limit + GZIP_SLACK).await?;
    check_json_content(&parts.headers, &raw)?;
    let json = decode(&parts.headers, &raw, limit)?;
    let batches = read_batches(bulk, &json, &state.limits)?;
    let parsed = normalize_all(batches, bulk, received_at, &input.id);
    accept::store(&state, input, received_at, parsed).await?;
    Ok(StatusCode::ACCEPTED)
}
