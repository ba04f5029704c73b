//! Integration tests of the `waymark` binary, run as a user runs it.
//!
//! - `scenarios`: every conformance scenario (Waymark's own under `tests/scenarios`, and the
//!   public suite under `../shared/scenarios` when it is there) through `waymark simulate`,
//!   traces compared as a multiset exactly like `shared/bin/conformance`; determinism.
//! - `audiences`: `waymark audiences` over small histories: sizes, members, digests, `--at`,
//!   unsorted files, any number of threads, and its errors.
//! - `cli`: error handling of `simulate` and `validate`.
//! - `clients`: the real Segment, RudderStack and mParticle clients against `waymark serve`.
//! - `crash`: acknowledged events survive `kill -9` of `waymark serve`.
//! - `crash_checkpoints`: the same with checkpoints written every 20 ms: no event lost, no
//!   delivery recorded twice, waits due while down fired once.
//! - `import_export`: `waymark import` and `waymark export`, and their round trip.
//! - `journeys_live`: journeys, outputs and deliveries end to end over HTTP: a Python
//!   Standard Webhooks receiver (`tests/e2e`), restarts, retries, 410, a hanging receiver.
//! - `statistics`: a journey's statistics over HTTP, their intervals recomputed by
//!   statsmodels (`tests/stats`).
//! - `live`: a running server, a tiny HTTP/1.1 client and a fault-injecting proxy.
//! - `ui`: the web UI: committed build and API types match the sources, Vitest component
//!   tests, and the Playwright browser flow in Chromium against `waymark serve`.

mod audiences;
mod cli;
mod clients;
mod crash;
mod crash_checkpoints;
mod import_export;
mod installs;
mod journeys_live;
mod live;
mod scenarios;
mod statistics;
mod support;
mod ui;
