//! `/api/outputs` and deliveries. An output belongs to the workspace whose token made it,
//! or to the account (SPEC §1): a workspace token sees, changes and connects to its own
//! workspace's outputs only, and their deliveries and members; another's are missing.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use waymark_engine::time::parse_instant;
use waymark_runtime::DeliveryFilter;
use waymark_store::DeliveryStatus;

use super::Path;
use super::journeys::{body, optional_body};
use super::views::{
    DeliveriesPage, DeliveryView, OutputList, OutputMembers, OutputView, OutputWithSecret, Replayed,
};
use crate::auth::Admin;
use crate::{ApiError, AppState};
use waymark_runtime::Owner;

/// `GET /api/outputs`.
pub(crate) async fn list(
    State(state): State<AppState>,
    admin: Admin,
) -> Result<Json<OutputList>, ApiError> {
    let outputs = state.run(move |r| r.outputs(&admin.0)).await?;
    Ok(Json(OutputList {
        outputs: outputs.into_iter().map(OutputView::from).collect(),
    }))
}

/// `POST /api/outputs`.
pub(crate) async fn create(
    State(state): State<AppState>,
    admin: Admin,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<OutputWithSecret>), ApiError> {
    let output = body(b)?;
    let owner = Owner::of(&admin.0);
    let answer = state.run(move |r| r.create_output(owner, output)).await?;
    Ok((StatusCode::CREATED, Json(answer.into())))
}

/// `GET /api/outputs/{id}`.
pub(crate) async fn get(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<OutputView>, ApiError> {
    let answer = state.run(move |r| r.output(&admin.0, &id)).await?;
    Ok(Json(answer.into()))
}

/// `PATCH /api/outputs/{id}`.
pub(crate) async fn patch(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<Json<OutputView>, ApiError> {
    let patch = body(b)?;
    let answer = state
        .run(move |r| r.patch_output(&admin.0, &id, patch))
        .await?;
    Ok(Json(answer.into()))
}

/// `DELETE /api/outputs/{id}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.run(move |r| r.delete_output(&admin.0, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/outputs/{id}/rotate` with `{"secret"?}` (webhook) or `{"write_key"}`
/// (Segment): the answer shows the new secret, this once.
pub(crate) async fn rotate(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<Json<OutputWithSecret>, ApiError> {
    let options = optional_body(b)?;
    let answer = state
        .run(move |r| r.rotate_output(&admin.0, &id, options))
        .await?;
    Ok(Json(answer.into()))
}

/// `GET /api/outputs/{id}/members`.
pub(crate) async fn members(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<OutputMembers>, ApiError> {
    let members = state.run(move |r| r.members(&admin.0, &id)).await?;
    Ok(Json(OutputMembers {
        members: members.into_iter().map(Into::into).collect(),
    }))
}

/// `GET /api/outputs/{id}/members.csv`.
pub(crate) async fn members_csv(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let members = state.run(move |r| r.members(&admin.0, &id)).await?;
    let csv = waymark_runtime::csv::members_csv(&members);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv))
}

/// Query of the deliveries call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveriesQuery {
    status: Option<DeliveryStatus>,
    user: Option<String>,
    message_id: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<u64>,
    limit: Option<usize>,
}

/// An RFC 3339 query parameter.
fn instant(name: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value
        .map(|v| {
            parse_instant(v).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("`{name}` must be an RFC 3339 time, e.g. 2026-01-05T12:00:00Z"),
                )
            })
        })
        .transpose()
}

/// `GET /api/outputs/{id}/deliveries?status=&user=&message_id=&since=&until=&cursor=&limit=`:
/// oldest first, with `next_cursor` while there may be more.
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    query: Result<Query<DeliveriesQuery>, QueryRejection>,
) -> Result<Json<DeliveriesPage>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let filter = DeliveryFilter {
        status: q.status,
        user: q.user,
        message_id: q.message_id,
        since: instant("since", q.since.as_deref())?,
        until: instant("until", q.until.as_deref())?,
        cursor: q.cursor.unwrap_or(0),
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
    };
    let page = state
        .run(move |r| r.deliveries(&admin.0, &id, &filter))
        .await?;
    Ok(Json(DeliveriesPage {
        deliveries: page
            .deliveries
            .into_iter()
            .map(DeliveryView::from)
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/deliveries/{id}`: one delivery with every attempt.
pub(crate) async fn delivery(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<DeliveryView>, ApiError> {
    let answer = state.run(move |r| r.delivery(&admin.0, &id)).await?;
    Ok(Json(answer.into()))
}

/// `POST /api/deliveries/{id}/replay`.
pub(crate) async fn replay(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let answer = state.run(move |r| r.replay(&admin.0, &id)).await?;
    Ok((StatusCode::ACCEPTED, Json(answer.into())))
}

/// Body of the bulk replay.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplayDead {
    since: Option<String>,
}

/// `POST /api/outputs/{id}/deliveries/replay {"since": TIME?}`: every dead delivery of the
/// output (that died since `since`) goes again.
pub(crate) async fn replay_dead(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Replayed>), ApiError> {
    let body: ReplayDead = serde_json::from_value(optional_body(b)?)
        .map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
    let since = instant("since", body.since.as_deref())?;
    let replayed = state
        .run(move |r| r.replay_dead(&admin.0, &id, since))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(Replayed { replayed })))
}
