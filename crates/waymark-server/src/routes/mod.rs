//! The HTTP routes.

mod admin;
mod body;
mod health;
mod mparticle;
mod segment;
mod views;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

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
        .with_state(state)
}
