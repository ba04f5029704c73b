//! What the journey calls answer, as typed values: the server turns them into the API's
//! JSON views, so that each body has one description (the one the OpenAPI document shows).

use crate::RuntimeError;
use crate::journeys::JourneyDoc;
use crate::journeys::references::Problem;
use crate::shared::Progress;

/// A journey with what its stored record does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyAnswer {
    /// The stored record.
    pub doc: JourneyDoc,
    /// How far a historical publish has replayed stored events (none when no replay ran
    /// since the start).
    pub backfill: Option<Progress>,
    /// The names its latest version uses that do not resolve, when the call looks them up
    /// (reading one journey does; the lifecycle calls do not).
    pub problems: Option<Vec<Problem>>,
}

/// One line of the journey list.
#[derive(Debug, Clone, PartialEq)]
pub enum JourneyLine {
    /// A journey the caller may see.
    Journey(JourneyDoc),
    /// A stored journey that cannot be read, listed (to the account only, as its owner is
    /// unknown) so that an operator sees it.
    Unreadable {
        /// Its id.
        id: String,
        /// Why it cannot be read.
        error: RuntimeError,
    },
}
