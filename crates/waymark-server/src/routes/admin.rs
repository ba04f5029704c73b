//! The admin API under `/api/`: workspaces, inputs, profiles and their events. Every call
//! needs a bearer token; a workspace token reaches only its own workspace.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;
use waymark_store::{EventPosition, Input, InputKind, ProfileId, TokenScope, Workspace};

use super::Path;
use super::views::{EventView, EventsPage, ProfileView, ProfilesPage, Suppressed};
use crate::auth::Admin;
use crate::bootstrap::new_secret;
use crate::{ApiError, AppState};

/// Most events one call returns.
const MAX_EVENTS: usize = 1000;

/// `GET /api/workspaces`: every workspace the token reaches.
pub(crate) async fn list_workspaces(
    State(state): State<AppState>,
    admin: Admin,
) -> Result<Json<Vec<Workspace>>, ApiError> {
    let all = state.blocking(|s| s.workspaces()).await?;
    Ok(Json(match admin.0 {
        TokenScope::Account => all,
        TokenScope::Workspace(own) => all.into_iter().filter(|w| w.id == own).collect(),
    }))
}

/// Body of `POST /api/workspaces`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWorkspace {
    id: String,
    name: Option<String>,
}

/// `POST /api/workspaces` (account tokens only).
pub(crate) async fn create_workspace(
    State(state): State<AppState>,
    admin: Admin,
    body: Result<Json<NewWorkspace>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Workspace>), ApiError> {
    admin.require_account()?;
    let Json(new) = body.map_err(bad_json)?;
    check_id("workspace id", &new.id)?;
    let workspace = Workspace {
        name: new.name.unwrap_or_else(|| new.id.clone()),
        id: new.id,
    };
    let created = state
        .blocking(move |s| s.create_workspace(workspace))
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/workspaces/{ws}`.
pub(crate) async fn get_workspace(
    State(state): State<AppState>,
    admin: Admin,
    Path(ws): Path<String>,
) -> Result<Json<Workspace>, ApiError> {
    admin.require_workspace(&ws)?;
    Ok(Json(existing_workspace(&state, &ws).await?))
}

/// `GET /api/workspaces/{ws}/inputs`.
pub(crate) async fn list_inputs(
    State(state): State<AppState>,
    admin: Admin,
    Path(ws): Path<String>,
) -> Result<Json<Vec<Input>>, ApiError> {
    admin.require_workspace(&ws)?;
    existing_workspace(&state, &ws).await?;
    Ok(Json(state.blocking(move |s| s.inputs(&ws)).await?))
}

/// Body of `POST /api/workspaces/{ws}/inputs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewInput {
    id: String,
    name: Option<String>,
    kind: InputKind,
    /// Generated when absent.
    write_key: Option<String>,
    /// mParticle API secret; generated when `mparticle` is true and none is given.
    secret: Option<String>,
    #[serde(default)]
    mparticle: bool,
}

/// `POST /api/workspaces/{ws}/inputs`: returns the input with its write key.
pub(crate) async fn create_input(
    State(state): State<AppState>,
    admin: Admin,
    Path(ws): Path<String>,
    body: Result<Json<NewInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Input>), ApiError> {
    admin.require_workspace(&ws)?;
    let Json(new) = body.map_err(bad_json)?;
    check_id("input id", &new.id)?;
    existing_workspace(&state, &ws).await?;
    let secret = match (new.secret, new.mparticle) {
        (Some(s), _) => Some(s),
        (None, true) => Some(new_secret("")),
        (None, false) => None,
    };
    let input = Input {
        workspace: ws,
        name: new.name.unwrap_or_else(|| new.id.clone()),
        id: new.id,
        kind: new.kind,
        write_key: new.write_key.unwrap_or_else(|| new_secret("wk_")),
        secret,
    };
    let created = state.blocking(move |s| s.create_input(input)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/workspaces/{ws}/profiles/{user_id}`.
pub(crate) async fn get_profile(
    State(state): State<AppState>,
    admin: Admin,
    Path((ws, user)): Path<(String, String)>,
) -> Result<Json<ProfileView>, ApiError> {
    admin.require_workspace(&ws)?;
    let (key, workspace) = (user.clone(), ws.clone());
    let profile = state
        .blocking(move |s| s.profile(&workspace, &key))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no profile `{user}`")))?;
    let view = ProfileView::from(profile);
    let Some(key) = view.key().map(str::to_string) else {
        return Ok(Json(view));
    };
    let engines = state
        .run(move |r| r.profile_state(&admin.0, &ws, &key))
        .await?;
    Ok(Json(view.with_state(engines)))
}

/// Options of the delete call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteQuery {
    /// Also drop later messages of the profile's identifiers (Segment's "delete and
    /// suppress") until they are unsuppressed.
    #[serde(default)]
    suppress: bool,
    /// `now`: erase the deleted data from the store's files before answering, instead of
    /// within the store's erasure bound.
    erase: Option<EraseWhen>,
}

/// When deleted data is erased from disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EraseWhen {
    /// Before the call answers.
    Now,
}

/// `DELETE /api/workspaces/{ws}/profiles/{user_id}?suppress=true&erase=now`: the right to
/// be forgotten. The profile leaves every API, journey and list at once; its data is
/// physically erased within the store's bound (`erase_within`), or before the answer with
/// `erase=now`.
pub(crate) async fn delete_profile(
    State(state): State<AppState>,
    admin: Admin,
    Path((ws, user)): Path<(String, String)>,
    query: Result<Query<DeleteQuery>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    admin.require_workspace(&ws)?;
    let key = user.clone();
    let suppress = q.suppress;
    let deleted = state
        .run(move |r| r.delete_profile(&ws, &key, suppress))
        .await?;
    if !deleted && !suppress {
        return Err(ApiError::not_found(format!("no profile `{user}`")));
    }
    if q.erase == Some(EraseWhen::Now) {
        state.blocking(|s| s.erase_deleted()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/workspaces/{ws}/suppressions`: identifiers whose messages are dropped.
pub(crate) async fn list_suppressions(
    State(state): State<AppState>,
    admin: Admin,
    Path(ws): Path<String>,
) -> Result<Json<Suppressed>, ApiError> {
    admin.require_workspace(&ws)?;
    let suppressed = state.blocking(move |s| s.suppressed(&ws)).await?;
    Ok(Json(Suppressed { suppressed }))
}

/// `DELETE /api/workspaces/{ws}/suppressions/{identifier}`: lets its messages in again.
pub(crate) async fn unsuppress(
    State(state): State<AppState>,
    admin: Admin,
    Path((ws, identifier)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    admin.require_workspace(&ws)?;
    let id = identifier.clone();
    if state.blocking(move |s| s.unsuppress(&ws, &id)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "`{identifier}` is not suppressed"
        )))
    }
}

/// Query of the events call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// `GET /api/workspaces/{ws}/profiles/{user_id}/events?limit=N&cursor=C`: one page of
/// events, oldest first: the latest `limit` events before the cursor (none: the latest of
/// all). `next_cursor` pages on to earlier events while there may be some.
pub(crate) async fn profile_events(
    State(state): State<AppState>,
    admin: Admin,
    Path((ws, user)): Path<(String, String)>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EventsPage>, ApiError> {
    admin.require_workspace(&ws)?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_EVENTS);
    let before = query
        .cursor
        .as_deref()
        .map(parse_event_cursor)
        .transpose()?;
    let key = user.clone();
    let page = state
        .blocking(move |s| s.events_page(&ws, &key, before, limit))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no profile `{user}`")))?;
    let next_cursor = match page.last() {
        Some((p, _)) if page.len() == limit => Some(format!("{}.{}", p.at, p.seq)),
        _ => None,
    };
    let views: Vec<EventView> = page
        .into_iter()
        .rev()
        .map(|(_, e)| EventView::from(e))
        .collect();
    Ok(Json(EventsPage {
        events: views,
        next_cursor,
    }))
}

/// An events cursor: `<event time ms>.<arrival number>`.
fn parse_event_cursor(cursor: &str) -> Result<EventPosition, ApiError> {
    cursor
        .split_once('.')
        .and_then(|(at, seq)| {
            Some(EventPosition {
                at: at.parse().ok()?,
                seq: seq.parse().ok()?,
            })
        })
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_cursor",
                format!("`{cursor}` is not an events cursor"),
            )
        })
}

/// Query of the profile list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfilesQuery {
    /// Keeps the profiles with an identifier (user id, anonymous id, email or another
    /// identity) that contains it, ignoring case.
    q: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    limit: Option<usize>,
}

/// The most profiles one page holds.
const MAX_PROFILES: usize = 500;

/// `GET /api/workspaces/{ws}/profiles?q=&cursor=&limit=`: profiles in the order they were
/// created, filtered by `q`; `next_cursor` pages on while there may be more. An exact
/// identifier is one way to find a user; a fragment (part of an email) finds every match.
pub(crate) async fn list_profiles(
    State(state): State<AppState>,
    admin: Admin,
    Path(ws): Path<String>,
    query: Result<Query<ProfilesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ProfilesPage>, ApiError> {
    admin.require_workspace(&ws)?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = query.limit.unwrap_or(50).clamp(1, MAX_PROFILES);
    let after = match query.cursor.as_deref() {
        Some(c) => Some(c.parse::<ProfileId>().map_err(|_| {
            ApiError::bad_request("invalid_cursor", format!("`{c}` is not a profiles cursor"))
        })?),
        None => None,
    };
    existing_workspace(&state, &ws).await?;
    let needle = query.q.unwrap_or_default().to_lowercase();
    let page = state
        .blocking(move |s| {
            s.profiles_page(&ws, after, limit, &|p| {
                needle.is_empty()
                    || p.identifiers()
                        .iter()
                        .any(|id| id.to_lowercase().contains(&needle))
            })
        })
        .await?;
    let next_cursor = match page.last() {
        Some(p) if page.len() == limit => Some(p.id.to_string()),
        _ => None,
    };
    let views: Vec<ProfileView> = page.into_iter().map(ProfileView::from).collect();
    Ok(Json(ProfilesPage {
        profiles: views,
        next_cursor,
    }))
}

async fn existing_workspace(state: &AppState, ws: &str) -> Result<Workspace, ApiError> {
    let id = ws.to_string();
    state
        .blocking(move |s| s.workspace(&id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("workspace `{ws}` does not exist")))
}

fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_id",
            format!("{what} `{id}` must be 1–64 characters of a-z, 0-9, `-` and `_`"),
        ))
    }
}

fn bad_json(rejection: axum::extract::rejection::JsonRejection) -> ApiError {
    ApiError::bad_request("invalid_body", rejection.body_text())
}
