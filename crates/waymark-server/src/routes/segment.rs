//! Segment's HTTP tracking API: `/v1/{batch,import,identify,track,page,screen,group,alias}`
//! and the browser short paths `/v1/{i,t,p,s,g,a}`.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::request::Parts;
use waymark_engine::MessageKind;
use waymark_ingest::segment::{Endpoint, read_envelope};
use waymark_store::Input;

use super::Path;
use super::accept;
use super::body::{GZIP_SLACK, check_json_content, decode, read_capped, received_now};
use super::views::Ingested;
use crate::auth::basic_credentials;
use crate::{ApiError, AppState};

fn endpoint(call: &str) -> Option<Endpoint> {
    let kind = match call {
        "batch" | "import" => return Some(Endpoint::Batch),
        "identify" | "i" => MessageKind::Identify,
        "track" | "t" => MessageKind::Track,
        "page" | "p" => MessageKind::Page,
        "screen" | "s" => MessageKind::Screen,
        "group" | "g" => MessageKind::Group,
        "alias" | "a" => MessageKind::Alias,
        _ => return None,
    };
    Some(Endpoint::Single(kind))
}

/// `POST /v1/{call}`: answers exactly `200 {"success":true}` once the batch is durable. In a
/// batch, invalid messages are recorded as rejected and the others stored; a single-message
/// call whose message is invalid is recorded as rejected and answered 400 with the reason.
pub(crate) async fn ingest(
    State(state): State<AppState>,
    Path(call): Path<String>,
    parts: Parts,
    body: Body,
) -> Result<Json<Ingested>, ApiError> {
    let endpoint = endpoint(&call).ok_or_else(|| ApiError::not_found("no such endpoint"))?;
    let received_at = received_now();
    let basic = basic_credentials(&parts);
    let password = basic.as_ref().map(|(_, p)| p.clone()).unwrap_or_default();
    let basic_key = basic.map(|(user, _)| user);
    // A key in the Authorization header is checked before the body is read.
    let mut input = match &basic_key {
        Some(key) => Some(input_for(&state, key, &password).await?),
        None => None,
    };
    let limit = state.limits.max_batch_bytes;
    let raw = read_capped(body, limit + GZIP_SLACK).await?;
    check_json_content(&parts.headers, &raw)?;
    let json = decode(&parts.headers, &raw, limit)?;
    let envelope = read_envelope(endpoint, &json, &state.limits)?;
    if let (Some(header_key), Some(body_key)) = (&basic_key, &envelope.write_key)
        && header_key != body_key
    {
        return Err(ApiError::unauthorized(
            "the writeKey in the body differs from the one in the Authorization header",
        ));
    }
    if input.is_none() {
        let key = envelope.write_key.clone().ok_or_else(|| {
            ApiError::unauthorized(
                "send the write key as Basic auth (`<writeKey>:`) or as `writeKey` in the body",
            )
        })?;
        input = Some(input_for(&state, &key, &password).await?);
    }
    let input = input.ok_or_else(|| ApiError::unauthorized("unknown write key"))?;
    let parsed = envelope.into_messages(received_at, &input.id);
    let refused = match endpoint {
        Endpoint::Single(_) => parsed.rejected.first().map(|r| r.located()),
        Endpoint::Batch => None,
    };
    accept::store(&state, input, received_at, parsed).await?;
    match refused {
        Some(error) => Err(error.into()),
        None => Ok(Json(Ingested { success: true })),
    }
}

/// The input of a write key. An input that has an mParticle secret is reached here only
/// with that secret as the Basic password, so its key alone cannot write to it.
async fn input_for(state: &AppState, key: &str, password: &str) -> Result<Input, ApiError> {
    let key = key.to_string();
    let input = state
        .blocking(move |s| s.input_by_write_key(&key))
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown write key"))?;
    match &input.secret {
        Some(secret) if secret != password => Err(ApiError::unauthorized(
            "this key belongs to an mParticle input: send its secret as the Basic password",
        )),
        _ => Ok(input),
    }
}
