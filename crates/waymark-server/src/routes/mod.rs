//! The HTTP routes.

mod admin;
mod body;
mod health;
mod mparticle;
mod segment;
mod views;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{get, post};
use serde::de::DeserializeOwned;

use crate::{ApiError, AppState};

pub use views::ProfileView;

/// axum's `Path`, except that a segment that is not UTF-8 once percent-decoded is answered
/// `400 {"code":"invalid_path","message"}` like every other error (axum's own rejection is
/// plain text).
pub(crate) struct Path<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(e) => Err(ApiError::bad_request("invalid_path", e.body_text())),
        }
    }
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/v1/{call}", post(segment::ingest))
        .route("/v2/events", post(mparticle::events))
        .route("/v2/bulkevents", post(mparticle::bulk_events))
        .route("/api/account", get(admin::account))
        .route(
            "/api/workspaces",
            get(admin::list_workspaces).post(admin::create_workspace),
        )
        .route("/api/workspaces/{ws}", get(admin::get_workspace))
        .route(
            "/api/workspaces/{ws}/inputs",
            get(admin::list_inputs).post(admin::create_input),
        )
        .route(
            "/api/workspaces/{ws}/profiles/{user_id}",
            get(admin::get_profile).delete(admin::delete_profile),
        )
        .route(
            "/api/workspaces/{ws}/profiles/{user_id}/events",
            get(admin::profile_events),
        )
        .fallback(health::not_found)
        .method_not_allowed_fallback(health::method_not_allowed)
        .with_state(state)
}
