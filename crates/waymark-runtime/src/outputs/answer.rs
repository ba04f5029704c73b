//! What the output calls answer, as a typed value: the server turns it into the API's
//! JSON view (and decides which secrets show), so that each body has one description.

use std::collections::BTreeMap;

use super::OutputDoc;
use crate::shared::OutputState;

/// An output with what its stored record does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputAnswer {
    /// The stored record, secrets included.
    pub doc: OutputDoc,
    /// Deliveries per status (for a list output, `delivered` is the members it holds).
    pub deliveries: BTreeMap<String, u64>,
    /// Its delivery worker's state now.
    pub state: OutputState,
}
