//! Integration tests of the HTTP server: the real axum router (`waymark_server::router`)
//! driven with `tower::ServiceExt::oneshot`, on a `MemoryStore` (and a `FjallStore` in a
//! temporary directory for the end-to-end tests). Every rejected request is checked for its
//! exact status and `{"code","message"}`, and for leaving the store exactly as it was.
//!
//! - `segment`: `/v1/*` — auth, every endpoint, captured client bodies, gzip, identity and
//!   timestamps, deduplication, merging;
//! - `limits`: bad input to the ingestion routes — sizes, counts, JSON, encodings, types;
//! - `mparticle`: `/v2/events` and `/v2/bulkevents`;
//! - `admin`: the admin API's auth, scoping, workspaces, inputs, profiles and events;
//! - `authz`: the authorization matrix over every route and caller;
//! - `corrupt`: unreadable stored journeys are errors, not panics;
//! - `estimates`: the estimator's live count and its refusals;
//! - `overload`: a store that is busy or failing — 429/503 with `Retry-After`;
//! - `fjall`: end to end on the durable store, across a restart;
//! - `routing`: health, unknown paths and methods;
//! - `schemas`: the OpenAPI document's schemas hold for real bodies (`schema_check` checks
//!   them).

mod admin;
mod authz;
mod corrupt;
mod estimates;
mod fjall;
mod limits;
mod mparticle;
mod overload;
mod routing;
mod schema_check;
mod schemas;
mod segment;
mod support;
