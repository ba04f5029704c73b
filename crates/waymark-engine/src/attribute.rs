//! Computed attributes kept per user (SPEC §5): each event that matches an attribute's
//! definition is folded in as it is applied, and the value is read at any instant. Without
//! a window a running aggregate is enough; with `within`, the matching events still inside
//! the window are kept (in time order) and folded when read, so the value follows the
//! window as it slides, and [`AttributeState::next_change`] says when it next may change
//! with no new event (the engine sets a timer, as for event windows).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Aggregate;
use crate::time::Millis;

/// What the engine keeps of one attribute for one user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum AttributeState {
    /// No window: the aggregate so far.
    Running(Fold),
    /// A window: the matching events not yet older than it, oldest first, each with the
    /// property value it carried (`None` for `count`, or when it had none).
    Windowed(#[serde(with = "crate::wire::windowed")] Vec<(Millis, Option<Value>)>),
}

/// An aggregate being folded, one value at a time in time order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Fold {
    Count(u64),
    Sum(f64),
    Min(Option<f64>),
    Max(Option<f64>),
    Avg {
        sum: f64,
        n: u64,
    },
    First(#[serde(with = "crate::wire::stamped")] Option<(Millis, Value)>),
    Last(#[serde(with = "crate::wire::stamped")] Option<(Millis, Value)>),
    /// The distinct values' JSON text, sorted.
    Unique(Vec<String>),
}

impl Fold {
    pub(crate) fn new(aggregate: Aggregate) -> Self {
        match aggregate {
            Aggregate::Count => Fold::Count(0),
            Aggregate::Sum => Fold::Sum(0.0),
            Aggregate::Min => Fold::Min(None),
            Aggregate::Max => Fold::Max(None),
            Aggregate::Avg => Fold::Avg { sum: 0.0, n: 0 },
            Aggregate::First => Fold::First(None),
            Aggregate::Last => Fold::Last(None),
            Aggregate::UniqueCount => Fold::Unique(Vec::new()),
        }
    }

    /// Folds in one matching event at `at` carrying `value` (the property's, when present
    /// and not null). Events at one instant count in the order they are folded.
    pub(crate) fn add(&mut self, at: Millis, value: Option<&Value>) {
        let number = value.and_then(as_number);
        match self {
            Fold::Count(n) => *n += 1,
            Fold::Sum(sum) => *sum += number.unwrap_or(0.0),
            Fold::Min(min) => {
                if let Some(x) = number {
                    *min = Some(min.map_or(x, |m| m.min(x)));
                }
            }
            Fold::Max(max) => {
                if let Some(x) = number {
                    *max = Some(max.map_or(x, |m| m.max(x)));
                }
            }
            Fold::Avg { sum, n } => {
                if let Some(x) = number {
                    *sum += x;
                    *n += 1;
                }
            }
            Fold::First(first) => {
                if let Some(v) = value
                    && first.as_ref().is_none_or(|(t, _)| at < *t)
                {
                    *first = Some((at, v.clone()));
                }
            }
            Fold::Last(last) => {
                if let Some(v) = value
                    && last.as_ref().is_none_or(|(t, _)| at >= *t)
                {
                    *last = Some((at, v.clone()));
                }
            }
            Fold::Unique(seen) => {
                if let Some(v) = value {
                    let text = v.to_string();
                    if let Err(slot) = seen.binary_search(&text) {
                        seen.insert(slot, text);
                    }
                }
            }
        }
    }

    /// The aggregate's value: `count`, `sum` and `unique_count` are 0 with no events, the
    /// others missing. Whole numbers are integers.
    pub(crate) fn value(&self) -> Option<Value> {
        match self {
            Fold::Count(n) => Some(Value::from(*n)),
            Fold::Sum(sum) => Some(number(*sum)),
            Fold::Min(x) | Fold::Max(x) => x.map(number),
            Fold::Avg { sum, n } => (*n > 0).then(|| number(*sum / *n as f64)),
            Fold::First(v) | Fold::Last(v) => v.as_ref().map(|(_, v)| v.clone()),
            Fold::Unique(seen) => Some(Value::from(seen.len() as u64)),
        }
    }
}

/// A number as JSON: an integer when it is a whole number a double holds exactly.
fn number(x: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() < EXACT {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// A number, or a string that reads as one (as comparisons read them).
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

impl AttributeState {
    pub(crate) fn new(aggregate: Aggregate, within: Option<i64>) -> Self {
        match within {
            None => AttributeState::Running(Fold::new(aggregate)),
            Some(_) => AttributeState::Windowed(Vec::new()),
        }
    }

    /// Adds a matching event at `at` carrying `value`. A windowed state forgets events
    /// that the window has left as of `at`: the engine never looks at an instant before an
    /// event it has applied.
    pub(crate) fn add(&mut self, at: Millis, value: Option<&Value>, within: Option<i64>) {
        match self {
            AttributeState::Running(fold) => fold.add(at, value),
            AttributeState::Windowed(events) => {
                let slot = events.partition_point(|(t, _)| *t <= at);
                events.insert(slot, (at, value.cloned()));
                if let Some(w) = within {
                    let gone = events.partition_point(|(t, _)| t.saturating_add(w) <= at);
                    events.drain(..gone);
                }
            }
        }
    }

    /// The value at `now`.
    pub(crate) fn value(
        &self,
        aggregate: Aggregate,
        within: Option<i64>,
        now: Millis,
    ) -> Option<Value> {
        match self {
            AttributeState::Running(fold) => fold.value(),
            AttributeState::Windowed(events) => {
                let mut fold = Fold::new(aggregate);
                let w = within.unwrap_or(i64::MAX);
                for (at, value) in events.iter().filter(|(t, _)| t.saturating_add(w) > now) {
                    fold.add(*at, value.as_ref());
                }
                fold.value()
            }
        }
    }

    /// The first instant after `now` at which an event leaves the window.
    pub(crate) fn next_change(&self, within: Option<i64>, now: Millis) -> Option<Millis> {
        match (self, within) {
            (AttributeState::Windowed(events), Some(w)) => events
                .iter()
                .map(|(t, _)| t.saturating_add(w))
                .find(|leaves| *leaves > now),
            _ => None,
        }
    }
}
