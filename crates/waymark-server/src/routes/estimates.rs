//! The estimator's endpoints (SPEC §10): a criteria builder's live count, every step's
//! estimated size, and a preview of who would enter. Estimates run on the engine thread,
//! so the handlers reach the runtime through `state.run`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use waymark_runtime::estimate::{Estimate, EstimateRequest, JourneyEstimate, Preview};

use super::Path;
use super::journeys::body;
use crate::auth::Admin;
use crate::{ApiError, AppState};

/// `POST /api/estimate`: how many profiles of a workspace meet the criteria now.
pub(crate) async fn estimate(
    State(state): State<AppState>,
    admin: Admin,
    b: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<Estimate>, ApiError> {
    let request: EstimateRequest = serde_json::from_value(body(b)?)
        .map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
    Ok(Json(
        state.run(move |r| r.estimate(&admin.0, request)).await?,
    ))
}

/// `GET /api/journeys/{id}/estimate`: every step's estimated audience size.
pub(crate) async fn journey(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<JourneyEstimate>, ApiError> {
    Ok(Json(
        state
            .run(move |r| r.journey_estimate(&admin.0, &id))
            .await?,
    ))
}

/// `POST /api/journeys/{id}/estimate`: every step's estimated size for an edited, unsaved
/// definition of the journey (the body).
pub(crate) async fn draft(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    b: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<JourneyEstimate>, ApiError> {
    let definition = body(b)?;
    Ok(Json(
        state
            .run(move |r| r.draft_estimate(&admin.0, &id, definition))
            .await?,
    ))
}

/// `GET /api/journeys/{id}/preview`: sampled users who meet the entry criteria now.
pub(crate) async fn preview(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Preview>, ApiError> {
    Ok(Json(
        state.run(move |r| r.journey_preview(&admin.0, &id)).await?,
    ))
}
