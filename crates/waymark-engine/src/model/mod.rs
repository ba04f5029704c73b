//! The JSON model of journeys and audiences (SPEC §6) and criteria (SPEC §4), as typed Rust
//! values.
//!
//! Deserializing is strict (unknown fields are rejected), but it stops at the first problem;
//! [`crate::validate`] walks the raw JSON and reports every problem with its path.

mod audience;
mod criteria;
mod journey;

pub use audience::*;
pub use criteria::*;
pub use journey::*;
