//! `/api/audiences`: standalone audiences (SPEC §6), served by the live runtime. An audience
//! belongs to the workspace whose token made it, or to the account; a workspace token
//! reaches only its workspace's (another's answer 404).

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::Value;
use waymark_runtime::Owner;

use super::Path;
use super::journeys::body;
use super::views::{AudienceList, AudienceMembersPage, AudienceView};
use crate::auth::Admin;
use crate::{ApiError, AppState};

/// Most members one page holds.
const MAX_MEMBERS: usize = 1000;

/// `GET /api/audiences`.
pub(crate) async fn list(
    State(state): State<AppState>,
    admin: Admin,
) -> Result<Json<AudienceList>, ApiError> {
    let audiences = state.run(move |r| r.audiences(&admin.0)).await?;
    Ok(Json(AudienceList {
        audiences: audiences.into_iter().map(AudienceView::from).collect(),
    }))
}

/// `POST /api/audiences`: the audience runs at once over stored history.
pub(crate) async fn create(
    State(state): State<AppState>,
    admin: Admin,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<AudienceView>), ApiError> {
    let definition = body(b)?;
    let owner = Owner::of(&admin.0);
    let answer = state
        .run(move |r| r.create_audience(owner, definition))
        .await?;
    Ok((StatusCode::CREATED, Json(answer.into())))
}

/// `GET /api/audiences/{id}`.
pub(crate) async fn get(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<AudienceView>, ApiError> {
    let answer = state.run(move |r| r.audience(&admin.0, &id)).await?;
    Ok(Json(answer.into()))
}

/// `PATCH /api/audiences/{id}`: name, description, criteria, connections.
pub(crate) async fn patch(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<Json<AudienceView>, ApiError> {
    let patch = body(b)?;
    let answer = state
        .run(move |r| r.patch_audience(&admin.0, &id, patch))
        .await?;
    Ok(Json(answer.into()))
}

/// `DELETE /api/audiences/{id}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.run(move |r| r.delete_audience(&admin.0, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of the members call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MembersQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<u64>,
    limit: Option<usize>,
}

/// `GET /api/audiences/{id}/members?cursor=&limit=`: members by workspace then key.
pub(crate) async fn members(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    query: Result<Query<MembersQuery>, QueryRejection>,
) -> Result<Json<AudienceMembersPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_MEMBERS);
    let cursor = query.cursor.unwrap_or(0);
    let page = state
        .run(move |r| r.audience_members(&admin.0, &id, cursor, limit))
        .await?;
    Ok(Json(AudienceMembersPage {
        members: page.members.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/audiences/{id}/members.csv`.
pub(crate) async fn members_csv(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let csv = state
        .run(move |r| r.audience_members_csv(&admin.0, &id))
        .await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv))
}
