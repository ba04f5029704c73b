//! Computed attributes (SPEC §5): per-user aggregates of events, usable in `attribute`
//! criteria and shown on profiles.

use serde::{Deserialize, Serialize};

use super::criteria::Filter;
use crate::time::Duration;

/// `{"name", "event", "aggregate", "property"?, "within"?, "where"?}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComputedAttribute {
    /// The name `{"attribute": NAME}` criteria use.
    pub name: String,
    /// The event aggregated.
    pub event: String,
    /// How the matching events are aggregated.
    pub aggregate: Aggregate,
    /// The property aggregated (every aggregate but `count` needs one).
    pub property: Option<String>,
    /// Only events in the sliding window `(now − within, now]` count.
    #[schemars(with = "Option<String>")]
    pub within: Option<Duration>,
    /// Property filters; all must hold for an event to count.
    #[serde(default, rename = "where")]
    pub filters: Vec<Filter>,
}

/// How a computed attribute aggregates its events. Numeric aggregates read numbers and
/// strings that parse as numbers, and skip other values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// How many matching events (0 when none).
    Count,
    /// The sum of the property's numbers (0 when none).
    Sum,
    /// The smallest number (missing when none).
    Min,
    /// The largest number (missing when none).
    Max,
    /// The mean of the numbers (missing when none).
    Avg,
    /// The property's value on the earliest matching event that has one.
    First,
    /// The property's value on the latest matching event that has one.
    Last,
    /// How many distinct values the property took (0 when none).
    UniqueCount,
}

impl Aggregate {
    /// Every aggregate with its JSON spelling.
    pub const ALL: [(Aggregate, &'static str); 8] = [
        (Aggregate::Count, "count"),
        (Aggregate::Sum, "sum"),
        (Aggregate::Min, "min"),
        (Aggregate::Max, "max"),
        (Aggregate::Avg, "avg"),
        (Aggregate::First, "first"),
        (Aggregate::Last, "last"),
        (Aggregate::UniqueCount, "unique_count"),
    ];
}
