//! The HTTP routes, as one table: the router and the OpenAPI document are both made from
//! it, so the document lists exactly what the server answers.

mod accept;
mod admin;
mod attributes;
mod audiences;
mod body;
mod estimates;
mod health;
mod journeys;
mod mparticle;
mod openapi;
mod outputs;
mod rejected;
mod requests;
mod segment;
mod ui;
mod views;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{MethodRouter, delete, get, patch, post};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use waymark_engine::model::{Audience, ComputedAttribute, Journey};
use waymark_store::{Input, Workspace};

use crate::{ApiError, AppState};

pub use views::ProfileView;

/// The OpenAPI document of the admin API (for `waymark openapi`).
pub fn openapi_document() -> serde_json::Value {
    openapi::openapi()
}

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

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// No credentials.
    None,
    /// A write key (Basic auth, or `writeKey` in the body).
    WriteKey,
    /// An admin bearer token.
    Admin,
}

/// The JSON Schema of a body, written through the document's generator so that named types
/// land once under `#/components/schemas/` and the body refers to them.
pub(crate) type SchemaOf = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// One endpoint: method, path (OpenAPI template syntax, which axum shares), what it does,
/// who may call it, its handler, and the types of its JSON bodies (so the document
/// describes them from the same types the handler uses).
pub(crate) struct Endpoint {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) auth: Auth,
    route: fn() -> MethodRouter<AppState>,
    /// The JSON request body, when it takes one.
    pub(crate) request: Option<RequestBody>,
    /// The JSON answered on success; `None` for non-JSON answers (HTML, CSV, metrics, 204).
    pub(crate) response: Option<SchemaOf>,
}

/// An endpoint's JSON request body.
pub(crate) struct RequestBody {
    pub(crate) schema: SchemaOf,
    /// False for options, which may be left out (an empty body means the defaults).
    pub(crate) required: bool,
}

impl Endpoint {
    /// The endpoint takes a JSON `T`.
    const fn takes<T: JsonSchema>(self) -> Self {
        Self {
            request: Some(RequestBody {
                schema: schema_of::<T>,
                required: true,
            }),
            ..self
        }
    }

    /// The endpoint takes options as a JSON `T`, or no body for the defaults.
    const fn may_take<T: JsonSchema>(self) -> Self {
        Self {
            request: Some(RequestBody {
                schema: schema_of::<T>,
                required: false,
            }),
            ..self
        }
    }

    /// The endpoint answers a JSON `T` on success.
    const fn answers<T: JsonSchema>(self) -> Self {
        Self {
            response: Some(schema_of::<T>),
            ..self
        }
    }
}

const fn ep(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    auth: Auth,
    route: fn() -> MethodRouter<AppState>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
        auth,
        route,
        request: None,
        response: None,
    }
}

/// Every endpoint.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    ep("get", "/", "The web UI", Auth::None, || get(ui::index)),
    ep("get", "/healthz", "Health", Auth::None, || {
        get(health::healthz)
    }).answers::<views::Health>(),
    ep("get", "/metrics", "Prometheus metrics", Auth::None, || {
        get(health::metrics)
    }),
    ep(
        "get",
        "/api/openapi.json",
        "This document",
        Auth::None,
        || get(openapi::document),
    )
    .answers::<openapi::Document>(),
    ep(
        "post",
        "/v1/{call}",
        "Segment tracking API (identify, track, page, screen, group, alias, batch, import)",
        Auth::WriteKey,
        || post(segment::ingest),
    ).takes::<requests::SegmentCall>().answers::<views::Ingested>(),
    ep(
        "post",
        "/v2/events",
        "mParticle Events API: one batch",
        Auth::WriteKey,
        || post(mparticle::events),
    ).takes::<requests::MparticleBatch>(),
    ep(
        "post",
        "/v2/bulkevents",
        "mParticle Events API: many batches",
        Auth::WriteKey,
        || post(mparticle::bulk_events),
    ).takes::<Vec<requests::MparticleBatch>>(),
    ep(
        "get",
        "/api/account",
        "Limits and audience credits",
        Auth::Admin,
        || get(journeys::account),
    ).answers::<views::AccountView>(),
    ep("get", "/api/workspaces", "Workspaces", Auth::Admin, || {
        get(admin::list_workspaces)
    }).answers::<Vec<Workspace>>(),
    ep(
        "post",
        "/api/workspaces",
        "Create a workspace",
        Auth::Admin,
        || post(admin::create_workspace),
    ).takes::<admin::NewWorkspace>().answers::<Workspace>(),
    ep(
        "get",
        "/api/workspaces/{ws}",
        "A workspace",
        Auth::Admin,
        || get(admin::get_workspace),
    ).answers::<Workspace>(),
    ep(
        "get",
        "/api/workspaces/{ws}/inputs",
        "A workspace's inputs",
        Auth::Admin,
        || get(admin::list_inputs),
    ).answers::<Vec<Input>>(),
    ep(
        "post",
        "/api/workspaces/{ws}/inputs",
        "Create an input (returns its write key)",
        Auth::Admin,
        || post(admin::create_input),
    ).takes::<admin::NewInput>().answers::<Input>(),
    ep(
        "get",
        "/api/workspaces/{ws}/rejected",
        "Messages that failed validation, newest first, with counts per input",
        Auth::Admin,
        || get(rejected::list),
    ).answers::<rejected::RejectedPage>(),
    ep(
        "get",
        "/api/workspaces/{ws}/profiles",
        "Profiles, filtered by any identifier (`q`), a page at a time (`cursor`)",
        Auth::Admin,
        || get(admin::list_profiles),
    ).answers::<views::ProfilesPage>(),
    ep(
        "get",
        "/api/workspaces/{ws}/profiles/{user_id}",
        "A profile",
        Auth::Admin,
        || get(admin::get_profile),
    ).answers::<views::ProfileView>(),
    ep(
        "delete",
        "/api/workspaces/{ws}/profiles/{user_id}",
        "Delete a profile (right to be forgotten; `suppress=true` drops its later messages, `erase=now` erases it from disk before answering)",
        Auth::Admin,
        || delete(admin::delete_profile),
    ),
    ep(
        "get",
        "/api/workspaces/{ws}/attributes",
        "The workspace's computed attributes",
        Auth::Admin,
        || get(attributes::list),
    ).answers::<views::AttributeList>(),
    ep(
        "post",
        "/api/workspaces/{ws}/attributes",
        "Define a computed attribute (filled from stored history)",
        Auth::Admin,
        || post(attributes::create),
    ).takes::<ComputedAttribute>().answers::<views::AttributeView>(),
    ep(
        "get",
        "/api/workspaces/{ws}/attributes/{name}",
        "A computed attribute",
        Auth::Admin,
        || get(attributes::get),
    ).answers::<views::AttributeView>(),
    ep(
        "patch",
        "/api/workspaces/{ws}/attributes/{name}",
        "Change a computed attribute's definition (values rebuilt from history)",
        Auth::Admin,
        || patch(attributes::patch),
    ).takes::<requests::Patch<ComputedAttribute>>().answers::<views::AttributeView>(),
    ep(
        "delete",
        "/api/workspaces/{ws}/attributes/{name}",
        "Remove a computed attribute nothing running reads",
        Auth::Admin,
        || delete(attributes::delete),
    ),
    ep(
        "get",
        "/api/workspaces/{ws}/suppressions",
        "Identifiers whose messages are dropped since a delete with suppress",
        Auth::Admin,
        || get(admin::list_suppressions),
    ).answers::<views::Suppressed>(),
    ep(
        "delete",
        "/api/workspaces/{ws}/suppressions/{identifier}",
        "Let an identifier's messages in again",
        Auth::Admin,
        || delete(admin::unsuppress),
    ),
    ep(
        "get",
        "/api/workspaces/{ws}/profiles/{user_id}/events",
        "A profile's events",
        Auth::Admin,
        || get(admin::profile_events),
    ).answers::<views::EventsPage>(),
    ep("get", "/api/outputs", "Outputs", Auth::Admin, || {
        get(outputs::list)
    }).answers::<views::OutputList>(),
    ep(
        "post",
        "/api/outputs",
        "Create an output",
        Auth::Admin,
        || post(outputs::create),
    ).takes::<requests::NewOutput>().answers::<views::OutputWithSecret>(),
    ep(
        "get",
        "/api/outputs/{id}",
        "An output with delivery counts",
        Auth::Admin,
        || get(outputs::get),
    ).answers::<views::OutputView>(),
    ep(
        "patch",
        "/api/outputs/{id}",
        "Edit an output (also re-enables one)",
        Auth::Admin,
        || patch(outputs::patch),
    ).takes::<requests::Patch<requests::NewOutput>>().answers::<views::OutputView>(),
    ep(
        "delete",
        "/api/outputs/{id}",
        "Delete an output no connection names",
        Auth::Admin,
        || delete(outputs::delete),
    ),
    ep(
        "post",
        "/api/outputs/{id}/rotate",
        "Rotate an output's secret (the old webhook secret signs too for a grace period)",
        Auth::Admin,
        || post(outputs::rotate),
    ).may_take::<requests::Rotate>().answers::<views::OutputWithSecret>(),
    ep(
        "get",
        "/api/outputs/{id}/members",
        "A list output's members",
        Auth::Admin,
        || get(outputs::members),
    ).answers::<views::OutputMembers>(),
    ep(
        "get",
        "/api/outputs/{id}/members.csv",
        "A list output's members as CSV",
        Auth::Admin,
        || get(outputs::members_csv),
    ),
    ep(
        "get",
        "/api/outputs/{id}/deliveries",
        "An output's deliveries, filtered (status, user, message_id, since, until) and paged by cursor",
        Auth::Admin,
        || get(outputs::deliveries),
    ).answers::<views::DeliveriesPage>(),
    ep(
        "post",
        "/api/outputs/{id}/deliveries/replay",
        "Send every dead delivery of the output (since a time) again",
        Auth::Admin,
        || post(outputs::replay_dead),
    ).may_take::<outputs::ReplayDead>().answers::<views::Replayed>(),
    ep(
        "get",
        "/api/deliveries/{id}",
        "A delivery with every attempt",
        Auth::Admin,
        || get(outputs::delivery),
    ).answers::<views::DeliveryView>(),
    ep(
        "post",
        "/api/deliveries/{id}/replay",
        "Send a dead or delivered delivery again",
        Auth::Admin,
        || post(outputs::replay),
    ).answers::<views::DeliveryView>(),
    ep(
        "get",
        "/api/audiences",
        "Standalone audiences with their sizes",
        Auth::Admin,
        || get(audiences::list),
    ).answers::<views::AudienceList>(),
    ep(
        "post",
        "/api/audiences",
        "Create an audience: it runs at once over stored history",
        Auth::Admin,
        || post(audiences::create),
    ).takes::<Audience>().answers::<views::AudienceView>(),
    ep(
        "get",
        "/api/audiences/{id}",
        "An audience with its size and delivery counts",
        Auth::Admin,
        || get(audiences::get),
    ).answers::<views::AudienceView>(),
    ep(
        "patch",
        "/api/audiences/{id}",
        "Change an audience's name, description, criteria or connections (in place)",
        Auth::Admin,
        || patch(audiences::patch),
    ).takes::<requests::Patch<Audience>>().answers::<views::AudienceView>(),
    ep(
        "delete",
        "/api/audiences/{id}",
        "Delete an audience nothing running names: its members leave",
        Auth::Admin,
        || delete(audiences::delete),
    ),
    ep(
        "get",
        "/api/audiences/{id}/members",
        "An audience's members, paged",
        Auth::Admin,
        || get(audiences::members),
    ).answers::<views::AudienceMembersPage>(),
    ep(
        "get",
        "/api/audiences/{id}/members.csv",
        "An audience's members as CSV",
        Auth::Admin,
        || get(audiences::members_csv),
    ),
    ep("get", "/api/journeys", "Journeys", Auth::Admin, || {
        get(journeys::list)
    }).answers::<views::JourneyList>(),
    ep(
        "post",
        "/api/journeys",
        "Create a draft journey",
        Auth::Admin,
        || post(journeys::create),
    ).takes::<Journey>().answers::<views::JourneyView>(),
    ep(
        "get",
        "/api/journeys/{id}",
        "A journey with its versions",
        Auth::Admin,
        || get(journeys::get),
    ).answers::<views::JourneyView>(),
    ep(
        "patch",
        "/api/journeys/{id}",
        "Edit a journey (a new draft version when a published one cannot take the change)",
        Auth::Admin,
        || patch(journeys::patch),
    ).takes::<requests::Patch<Journey>>().answers::<views::JourneyView>(),
    ep(
        "delete",
        "/api/journeys/{id}",
        "Delete a journey with no steps below its entry",
        Auth::Admin,
        || delete(journeys::delete),
    ),
    ep(
        "post",
        "/api/journeys/{id}/publish",
        "Publish the latest draft version",
        Auth::Admin,
        || post(journeys::publish),
    ).may_take::<requests::PublishOptions>().answers::<views::JourneyView>(),
    ep(
        "post",
        "/api/journeys/{id}/stop",
        "Stop: users leave, exits are delivered",
        Auth::Admin,
        || post(journeys::stop),
    ).answers::<views::JourneyView>(),
    ep(
        "post",
        "/api/journeys/{id}/clone",
        "A draft copy with a new id and keys",
        Auth::Admin,
        || post(journeys::clone),
    ).may_take::<requests::CloneOptions>().answers::<views::JourneyView>(),
    ep(
        "post",
        "/api/journeys/{id}/versions",
        "A new draft version",
        Auth::Admin,
        || post(journeys::new_version),
    ).answers::<views::JourneyView>(),
    ep(
        "post",
        "/api/journeys/{id}/simulate",
        "Dry run over given events, or over stored history",
        Auth::Admin,
        || post(journeys::simulate),
    ).may_take::<requests::SimulateOptions>().answers::<views::Trace>(),
    ep(
        "get",
        "/api/journeys/{id}/stats",
        "Per-step counts and delivery counts",
        Auth::Admin,
        || get(journeys::stats),
    ).answers::<views::JourneyStats>(),
    ep(
        "get",
        "/api/journeys/{id}/funnel",
        "Entries along a path of steps (?path=a,b,c&version=N)",
        Auth::Admin,
        || get(journeys::funnel),
    ).answers::<waymark_runtime::stats::Funnel>(),
    ep(
        "get",
        "/api/journeys/{id}/entries",
        "Entries over time per version (?bucket=hour|day&version=N)",
        Auth::Admin,
        || get(journeys::entries),
    ).answers::<waymark_runtime::stats::Entries>(),
    ep(
        "get",
        "/api/journeys/{id}/estimate",
        "Estimated audience size of every step and milestone criterion",
        Auth::Admin,
        || get(estimates::journey),
    )
    .answers::<waymark_runtime::estimate::JourneyEstimate>(),
    ep(
        "post",
        "/api/journeys/{id}/estimate",
        "Estimated sizes of an edited, unsaved definition of the journey (the body)",
        Auth::Admin,
        || post(estimates::draft),
    )
    .takes::<Journey>()
    .answers::<waymark_runtime::estimate::JourneyEstimate>(),
    ep(
        "get",
        "/api/journeys/{id}/preview",
        "Sampled users who meet the entry criteria now",
        Auth::Admin,
        || get(estimates::preview),
    )
    .answers::<waymark_runtime::estimate::Preview>(),
    ep(
        "post",
        "/api/estimate",
        "Estimated number of a workspace's profiles meeting criteria",
        Auth::Admin,
        || post(estimates::estimate),
    )
    .takes::<waymark_runtime::estimate::EstimateRequest>()
    .answers::<waymark_runtime::estimate::Estimate>(),
    ep(
        "get",
        "/api/journeys/{id}/steps/{step}/audience.csv",
        "A step's audience as CSV",
        Auth::Admin,
        || get(journeys::audience_csv),
    ),
];

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    ENDPOINTS
        .iter()
        .fold(Router::new(), |r, e| r.route(e.path, (e.route)()))
        .fallback(ui::fallback)
        .method_not_allowed_fallback(health::method_not_allowed)
        .with_state(state)
}
