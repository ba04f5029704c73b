//! `/api/journeys`: journeys and their lifecycle, served by the live runtime. A journey
//! belongs to the workspace whose token made it, or to the account (SPEC §1); a workspace
//! token reaches only its workspace's journeys.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use waymark_runtime::Owner;
use waymark_runtime::journeys::JourneyDoc;
use waymark_runtime::stats::{Bucket, Entries, Funnel};

use super::Path;
use super::views::{AccountView, IngestLimits, JourneyList, JourneyStats, JourneyView, Trace};
use crate::auth::Admin;
use crate::{ApiError, AppState};

/// A JSON body, or 400 `invalid_body`.
pub(crate) fn body(b: Result<Json<Value>, JsonRejection>) -> Result<Value, ApiError> {
    b.map(|Json(v)| v)
        .map_err(|e| ApiError::bad_request("invalid_body", e.body_text()))
}

/// An optional JSON body (an empty one is `{}`).
pub(crate) fn optional_body(b: Result<Json<Value>, JsonRejection>) -> Result<Value, ApiError> {
    match b {
        Ok(Json(v)) => Ok(v),
        Err(JsonRejection::MissingJsonContentType(_)) => Ok(json!({})),
        Err(e) if e.body_text().contains("EOF while parsing") => Ok(json!({})),
        Err(e) => Err(ApiError::bad_request("invalid_body", e.body_text())),
    }
}

/// The journey, when the caller may see it: its owner's workspace token or the account
/// token. Another workspace's journey is answered as missing, so a workspace token learns
/// nothing about it.
async fn reachable(state: &AppState, admin: &Admin, id: &str) -> Result<JourneyDoc, ApiError> {
    let (scope, owned) = (admin.0.clone(), id.to_string());
    state.run(move |r| r.journey_doc(&scope, &owned)).await
}

/// `GET /api/journeys`.
pub(crate) async fn list(
    State(state): State<AppState>,
    admin: Admin,
) -> Result<Json<JourneyList>, ApiError> {
    let journeys = state.run(move |r| r.journeys(&admin.0)).await?;
    Ok(Json(JourneyList::new(journeys)))
}

/// `POST /api/journeys`: a draft.
pub(crate) async fn create(
    State(state): State<AppState>,
    admin: Admin,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<JourneyView>), ApiError> {
    let definition = body(b)?;
    let owner = Owner::of(&admin.0);
    let answer = state
        .run(move |r| r.create_journey(owner, definition))
        .await?;
    Ok((StatusCode::CREATED, Json(answer.into())))
}

/// `GET /api/journeys/{id}`.
pub(crate) async fn get(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<JourneyView>, ApiError> {
    let answer = state.run(move |r| r.journey(&admin.0, &id)).await?;
    Ok(Json(answer.into()))
}

/// `PATCH /api/journeys/{id}`: 200 when the change applied in place, 201 when it made a
/// new draft version (a published version cannot take it), so a client knows what it got.
pub(crate) async fn patch(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<JourneyView>), ApiError> {
    let patch = body(b)?;
    let before = reachable(&state, &admin, &id).await?;
    let view = JourneyView::from(state.run(move |r| r.patch_journey(&id, patch)).await?);
    let status = if view.version() == before.latest().version {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(view)))
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
) -> Result<Json<JourneyView>, ApiError> {
    let options = optional_body(b)?;
    let doc = reachable(&state, &admin, &id).await?;
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
    let from_definition = doc.latest().definition.json()["entry"]["historical"]
        .as_bool()
        .unwrap_or(false);
    let historical = historical.unwrap_or(from_definition);
    let answer = state.run(move |r| r.publish(&id, historical)).await?;
    Ok(Json(answer.into()))
}

/// `POST /api/journeys/{id}/stop`.
pub(crate) async fn stop(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<JourneyView>, ApiError> {
    reachable(&state, &admin, &id).await?;
    let answer = state.run(move |r| r.stop(&id)).await?;
    Ok(Json(answer.into()))
}

/// `POST /api/journeys/{id}/clone` with `{"id": new id}` (optional).
pub(crate) async fn clone(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<JourneyView>), ApiError> {
    let options = optional_body(b)?;
    reachable(&state, &admin, &id).await?;
    let new_id = options
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let answer = state.run(move |r| r.clone_journey(&id, new_id)).await?;
    Ok((StatusCode::CREATED, Json(answer.into())))
}

/// `POST /api/journeys/{id}/versions`.
pub(crate) async fn new_version(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<JourneyView>), ApiError> {
    reachable(&state, &admin, &id).await?;
    let answer = state.run(move |r| r.new_version(&id)).await?;
    Ok((StatusCode::CREATED, Json(answer.into())))
}

/// `GET /api/journeys/{id}/stats`.
pub(crate) async fn stats(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<JourneyStats>, ApiError> {
    reachable(&state, &admin, &id).await?;
    let stats = state.run(move |r| r.stats(&id)).await?;
    Ok(Json(stats.into()))
}

/// Query of the funnel call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FunnelQuery {
    /// Step ids separated by commas, each below the one before.
    path: String,
    /// Default: the newest version with figures.
    version: Option<u32>,
}

/// `GET /api/journeys/{id}/funnel?path=a,b,c&version=N`.
pub(crate) async fn funnel(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    query: Result<Query<FunnelQuery>, QueryRejection>,
) -> Result<Json<Funnel>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    reachable(&state, &admin, &id).await?;
    let path: Vec<String> = query
        .path
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Ok(Json(
        state
            .run(move |r| r.funnel(&id, path, query.version))
            .await?,
    ))
}

/// Query of the entries call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntriesQuery {
    /// `hour` or `day` (default).
    bucket: Option<String>,
    /// Default: every version with figures.
    version: Option<u32>,
}

/// `GET /api/journeys/{id}/entries?bucket=hour|day&version=N`.
pub(crate) async fn entries(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    query: Result<Query<EntriesQuery>, QueryRejection>,
) -> Result<Json<Entries>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let bucket = Bucket::parse(query.bucket.as_deref().unwrap_or("day"))?;
    reachable(&state, &admin, &id).await?;
    Ok(Json(
        state
            .run(move |r| r.entries(&id, bucket, query.version))
            .await?,
    ))
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
) -> Result<Json<AccountView>, ApiError> {
    admin.require_account()?;
    let workspaces = state.blocking(|s| s.workspaces()).await?;
    let credits = state.run(|r| r.account()).await?;
    Ok(Json(AccountView {
        credits: credits.into(),
        workspaces: workspaces.len(),
        limits: IngestLimits {
            max_message_bytes: state.limits.max_message_bytes,
            max_batch_bytes: state.limits.max_batch_bytes,
            max_batch_messages: state.limits.max_batch_messages,
        },
    }))
}

/// `POST /api/journeys/{id}/simulate` with `{"events": [Segment messages]?, "until": TIME?}`:
/// the dry run of SPEC §12 over the given events, or over stored history without `events`.
pub(crate) async fn simulate(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Trace>, ApiError> {
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
    Ok(Json(Trace { trace }))
}
