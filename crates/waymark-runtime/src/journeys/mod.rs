//! Journeys as the admin API keeps them: versions with their lifecycle, output keys, and
//! the rules of SPEC §9 (what may change in place, credits, deletion, clones).

mod answer;
pub mod doc;
pub mod references;
pub mod rules;

pub use answer::{JourneyAnswer, JourneyLine};
pub use doc::{Definition, JourneyDoc, VersionDoc, VersionStatus};
