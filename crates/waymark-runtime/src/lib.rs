//! Waymark's live runtime: journeys and their lifecycle (SPEC §9), one engine per published
//! version fed with every durably stored event in arrival order, timers that fire on the
//! injected clock and survive restarts (every runner is rebuilt by replaying the event log),
//! the outbox, and one delivery worker per output (SPEC §8).
//!
//! - [`Runtime`]: the handle the HTTP API calls;
//! - `core`: the engine thread's state (runners, identities, outputs);
//! - [`runner`]: one published version's engine and how the log feeds it;
//! - [`journeys`]: stored journeys and the lifecycle rules;
//! - [`outputs`], [`delivery`]: outputs, the outbox payload and the workers;
//! - [`metrics`]: what `/metrics` shows.

#![warn(missing_docs)]

pub mod attributes;
pub mod audiences;
pub mod clock;
pub mod config;
mod core;
pub mod csv;
pub mod delivery;
mod error;
pub mod estimate;
mod ids;
pub mod journeys;
mod memory;
pub mod metrics;
pub mod outputs;
mod owner;
pub mod runner;
mod runtime;
pub mod shared;
pub mod stats;
pub mod tally;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::RuntimeConfig;
pub use core::{
    AudienceFigures, AudienceMember, LIST_PREFIX, ProfileAudience, ProfileJourney, ProfileState,
    ProfileStep,
};
pub use error::RuntimeError;
pub use owner::Owner;
pub use runtime::{
    AudienceAnswer, Credits, DeliveryAnswer, DeliveryFilter, DeliveryPage, MemberPage, Runtime,
};
