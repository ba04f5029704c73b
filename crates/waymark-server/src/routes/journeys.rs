//! `/api/journeys`: journeys and their lifecycle, served by the live runtime. A workspace
//! token reaches only the journeys whose inputs all belong to its workspace.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use waymark_runtime::journeys::JourneyDoc;
use waymark_store::TokenScope;

use super::Path;
use crate::auth::Admin;
use crate::{ApiError, AppState};

/// A JSON body, or 400 `invalid_body`.
pub(crate) fn body(b: Result<Json<Value>, JsonRejection>) -> Result<Value, ApiError> {
    b.map(|Json(v)| v)
        .map_err(|e| ApiError::bad_request("invalid_body", e.body_text()))
}

/// An optional JSON body (an empty one is `{}`).
fn optional_body(b: Result<Json<Value>, JsonRejection>) -> Result<Value, ApiError> {
    match b {
        Ok(Json(v)) => Ok(v),
        Err(JsonRejection::MissingJsonContentType(_)) => Ok(json!({})),
        Err(e) if e.body_text().contains("EOF while parsing") => Ok(json!({})),
        Err(e) => Err(ApiError::bad_request("invalid_body", e.body_text())),
    }
}

/// Whether every input of a journey definition belongs to `ws` (`ws/x`, or a bare id).
fn in_workspace(definition: &Value, ws: &str) -> bool {
    let inputs: Vec<&str> = definition
        .get("inputs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    !inputs.is_empty()
        && inputs
            .iter()
            .all(|i| i.split_once('/').is_none_or(|(w, _)| w == ws))
}

/// Refuses a workspace token a journey outside its workspace (as missing).
fn reach(admin: &Admin, id: &str, definition: &Value) -> Result<(), ApiError> {
    match &admin.0 {
        TokenScope::Account => Ok(()),
        TokenScope::Workspace(ws) if in_workspace(definition, ws) => Ok(()),
        TokenScope::Workspace(_) => Err(ApiError::not_found(format!(
            "journey `{id}` does not exist"
        ))),
    }
}

async fn reachable(state: &AppState, admin: &Admin, id: &str) -> Result<JourneyDoc, ApiError> {
    let owned = id.to_string();
    let doc = state.run(move |r| r.journey_doc(&owned)).await?;
    reach(admin, id, &doc.latest().definition)?;
    Ok(doc)
}

/// `GET /api/journeys`.
pub(crate) async fn list(
    State(state): State<AppState>,
    admin: Admin,
) -> Result<Json<Value>, ApiError> {
    let all = state.run(|r| r.journeys()).await?;
    let visible: Vec<Value> = all
        .into_iter()
        .filter(|(d, _)| reach(&admin, &d.id, &d.latest().definition).is_ok())
        .map(|(_, summary)| summary)
        .collect();
    Ok(Json(json!({ "journeys": visible })))
}

/// `POST /api/journeys`: a draft.
pub(crate) async fn create(
    State(state): State<AppState>,
    admin: Admin,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let definition = body(b)?;
    let id = definition.get("id").and_then(Value::as_str).unwrap_or("");
    reach(&admin, id, &definition).map_err(|_| {
        ApiError::forbidden(
            "a workspace token may only create journeys whose inputs all belong to its workspace",
        )
    })?;
    let view = state.run(move |r| r.create_journey(definition)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/journeys/{id}`.
pub(crate) async fn get(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    reachable(&state, &admin, &id).await?;
    Ok(Json(state.run(move |r| r.journey(&id)).await?))
}

/// `PATCH /api/journeys/{id}`.
pub(crate) async fn patch(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let patch = body(b)?;
    reachable(&state, &admin, &id).await?;
    if let TokenScope::Workspace(ws) = &admin.0
        && let Some(inputs) = patch.get("inputs")
        && !in_workspace(&json!({ "inputs": inputs }), ws)
    {
        return Err(ApiError::forbidden(
            "a workspace token may not select inputs of other workspaces",
        ));
    }
    Ok(Json(state.run(move |r| r.patch_journey(&id, patch)).await?))
}

/// `DELETE /api/journeys/{id}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    reachable(&state, &admin, &id).await?;
    state.run(move |r| r.delete_journey(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/journeys/{id}/publish` with `{"historical": bool}` (optional).
pub(crate) async fn publish(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let options = optional_body(b)?;
    reachable(&state, &admin, &id).await?;
    let historical = match options.get("historical") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "`historical` must be true or false",
            ));
        }
    };
    Ok(Json(
        state
            .run(move |r| {
                let doc = r.journey_doc(&id)?;
                let from_definition = doc.latest().definition["entry"]["historical"]
                    .as_bool()
                    .unwrap_or(false);
                r.publish(&id, historical.unwrap_or(from_definition))
            })
            .await?,
    ))
}

/// `POST /api/journeys/{id}/stop`.
pub(crate) async fn stop(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    reachable(&state, &admin, &id).await?;
    Ok(Json(state.run(move |r| r.stop(&id)).await?))
}

/// `POST /api/journeys/{id}/clone` with `{"id": new id}` (optional).
pub(crate) async fn clone(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let options = optional_body(b)?;
    reachable(&state, &admin, &id).await?;
    let new_id = options
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let view = state.run(move |r| r.clone_journey(&id, new_id)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `POST /api/journeys/{id}/versions`.
pub(crate) async fn new_version(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    reachable(&state, &admin, &id).await?;
    let view = state.run(move |r| r.new_version(&id)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/journeys/{id}/stats`.
pub(crate) async fn stats(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    reachable(&state, &admin, &id).await?;
    Ok(Json(state.run(move |r| r.stats(&id)).await?))
}

/// `GET /api/journeys/{id}/steps/{step}/audience.csv`.
pub(crate) async fn audience_csv(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, step)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    reachable(&state, &admin, &id).await?;
    let csv = state.run(move |r| r.audience_csv(&id, &step)).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv))
}

/// `GET /api/account`: limits and audience credits.
pub(crate) async fn account(
    State(state): State<AppState>,
    admin: Admin,
) -> Result<Json<Value>, ApiError> {
    admin.require_account()?;
    let workspaces = state.blocking(|s| s.workspaces()).await?;
    let mut account = state.run(|r| r.account()).await?;
    account["workspaces"] = json!(workspaces.len());
    account["limits"] = json!({
        "max_message_bytes": state.limits.max_message_bytes,
        "max_batch_bytes": state.limits.max_batch_bytes,
        "max_batch_messages": state.limits.max_batch_messages,
    });
    Ok(Json(account))
}

/// `POST /api/journeys/{id}/simulate` with `{"events": [Segment messages]?, "until": TIME?}`:
/// the dry run of SPEC §12 over the given events, or over stored history without `events`.
pub(crate) async fn simulate(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let options = optional_body(b)?;
    reachable(&state, &admin, &id).await?;
    let until = match options.get("until") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => {
            Some(waymark_engine::time::parse_instant(t).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_body",
                    format!("`until` `{t}` is not an RFC 3339 time"),
                )
            })?)
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "`until` must be an RFC 3339 time",
            ));
        }
    };
    let events = match options.get("events") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => {
            let mut events = Vec::with_capacity(list.len());
            for (i, value) in list.iter().enumerate() {
                let input = value.get("input").and_then(Value::as_str);
                let msg = waymark_ingest::segment::parse(
                    value,
                    waymark_ingest::segment::Clock::AsGiven,
                    input,
                )
                .map_err(|e| ApiError::bad_request(e.code(), format!("events[{i}]: {e}")))?;
                let key = msg.identity.profile_key().unwrap_or_default().to_string();
                events.push((key, msg.event));
            }
            Some(events)
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "`events` must be an array",
            ));
        }
    };
    let trace = state.run(move |r| r.simulate(&id, events, until)).await?;
    Ok(Json(json!({ "trace": trace })))
}
