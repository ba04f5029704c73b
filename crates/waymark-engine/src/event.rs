//! The normalized event the engine consumes, whatever wire format it came in.

use serde_json::{Map, Value};

use crate::time::Millis;

/// One user event, already normalized by ingestion (SPEC §2).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// Event time (after skew correction).
    pub at: Millis,
    /// The name criteria match on (`Order Completed`, `Page Viewed`, …); `None` for calls
    /// that carry no event, such as `identify`, `group` and `alias`.
    pub name: Option<String>,
    /// Event properties (an object, or `Null`).
    pub properties: Value,
    /// Event context (an object, or `Null`); filters reach it with `context.`.
    pub context: Value,
    /// Traits to merge into the profile (`identify` traits and `context.traits`).
    pub traits: Map<String, Value>,
    /// The input (platform or feed) that sent it, when known.
    pub input: Option<String>,
}

impl Event {
    /// Reads a filter path: `context.x.y` in the context, anything else in the properties.
    pub fn property(&self, path: &str) -> Option<&Value> {
        match path.strip_prefix("context.") {
            Some(rest) => crate::compare::lookup(&self.context, rest),
            None => crate::compare::lookup(&self.properties, path),
        }
    }
}
