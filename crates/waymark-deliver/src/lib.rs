//! Waymark's outputs: what a delivery worker needs to send step membership changes out.
//!
//! - [`delivery`]: the [`Delivery`] value and its deterministic message id;
//! - [`payload`]: the Segment-spec message (`track` or `identify`) for a delivery;
//! - [`output`]: the [`Output`] trait and the [`Outcome`] of one send;
//! - [`webhook`], [`segment`], [`file`](mod@file): the output kinds (SPEC §8);
//! - [`http`]: the shared HTTP client with its per-request timeout and SSRF guard;
//! - [`retry`]: classifying responses and the retry schedule, as pure functions.
//!
//! Nothing here persists anything: the outbox that records deliveries durably before the
//! transitions that caused them are acknowledged belongs to the runtime.

#![warn(missing_docs)]

pub mod delivery;
pub mod file;
pub mod http;
pub mod output;
pub mod payload;
pub mod retry;
pub mod segment;
pub mod webhook;

pub use delivery::{Delivery, Personalisation, User};
pub use output::{Outcome, Output, SendError};
pub use retry::Verdict;
pub use waymark_engine::Change;
pub use waymark_engine::model::ConnectionMode;
