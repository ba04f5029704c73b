//! The JSON model of journeys and audiences (SPEC §6), criteria (SPEC §4) and computed
//! attributes (SPEC §5), as typed Rust values.
//!
//! Deserializing is strict (unknown fields are rejected), but it stops at the first problem;
//! [`crate::validate`] walks the raw JSON and reports every problem with its path.

mod attribute;
mod audience;
mod criteria;
mod journey;

pub use attribute::*;
pub use audience::*;
pub use criteria::*;
pub use journey::*;
