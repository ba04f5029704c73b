//! `/api/workspaces/{ws}/attributes`: a workspace's computed attributes (SPEC §5), served by
//! the live runtime; a workspace token reaches only its own workspace's.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde_json::Value;

use super::Path;
use super::journeys::body;
use super::views::{AttributeList, AttributeView};
use crate::auth::Admin;
use crate::{ApiError, AppState};

/// `GET /api/workspaces/{ws}/attributes`.
pub(crate) async fn list(
    State(state): State<AppState>,
    admin: Admin,
    Path(ws): Path<String>,
) -> Result<Json<AttributeList>, ApiError> {
    admin.require_workspace(&ws)?;
    let attributes = state.run(move |r| r.attributes(&ws)).await?;
    Ok(Json(AttributeList {
        attributes: attributes.into_iter().map(AttributeView::from).collect(),
    }))
}

/// `POST /api/workspaces/{ws}/attributes`: values are filled from the workspace's stored
/// events before it answers.
pub(crate) async fn create(
    State(state): State<AppState>,
    admin: Admin,
    Path(ws): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<AttributeView>), ApiError> {
    admin.require_workspace(&ws)?;
    let definition = body(b)?;
    let doc = state
        .run(move |r| r.create_attribute(&ws, definition))
        .await?;
    Ok((StatusCode::CREATED, Json(doc.into())))
}

/// `GET /api/workspaces/{ws}/attributes/{name}`.
pub(crate) async fn get(
    State(state): State<AppState>,
    admin: Admin,
    Path((ws, name)): Path<(String, String)>,
) -> Result<Json<AttributeView>, ApiError> {
    admin.require_workspace(&ws)?;
    let doc = state.run(move |r| r.attribute(&ws, &name)).await?;
    Ok(Json(doc.into()))
}

/// `PATCH /api/workspaces/{ws}/attributes/{name}`: a new definition under the same name.
pub(crate) async fn patch(
    State(state): State<AppState>,
    admin: Admin,
    Path((ws, name)): Path<(String, String)>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<Json<AttributeView>, ApiError> {
    admin.require_workspace(&ws)?;
    let patch = body(b)?;
    let doc = state
        .run(move |r| r.patch_attribute(&ws, &name, patch))
        .await?;
    Ok(Json(doc.into()))
}

/// `DELETE /api/workspaces/{ws}/attributes/{name}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    admin: Admin,
    Path((ws, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    admin.require_workspace(&ws)?;
    state.run(move |r| r.delete_attribute(&ws, &name)).await?;
    Ok(StatusCode::NO_CONTENT)
}
