//! The comparison rules of SPEC §4, shared by trait, property and attribute criteria.
//!
//! Numbers compare as numbers (a string that parses as a number counts as one against a
//! number), strings case-sensitively, ISO-8601 strings as instants when both sides parse;
//! a missing or null value fails every operator but `neq`, `not_in`, `not_contains` and
//! `not_exists`.

use std::cmp::Ordering;

use serde_json::Value;

use crate::model::Op;
use crate::time::parse_instant;

/// Whether `actual` (the user's value; `None` when missing) satisfies `op` against `operand`.
pub fn compare(op: Op, actual: Option<&Value>, operand: Option<&Value>) -> bool {
    let actual = actual.filter(|v| !v.is_null());
    let Some(actual) = actual else {
        return matches!(op, Op::Neq | Op::NotIn | Op::NotContains | Op::NotExists);
    };
    match op {
        Op::Exists => true,
        Op::NotExists => false,
        Op::Eq => operand.is_some_and(|o| equal(actual, o)),
        Op::Neq => !operand.is_some_and(|o| equal(actual, o)),
        Op::Gt => order(actual, operand) == Some(Ordering::Greater),
        Op::Gte => matches!(
            order(actual, operand),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Lt => order(actual, operand) == Some(Ordering::Less),
        Op::Lte => matches!(
            order(actual, operand),
            Some(Ordering::Less | Ordering::Equal)
        ),
        Op::Contains => operand.is_some_and(|o| contains(actual, o)),
        Op::NotContains => !operand.is_some_and(|o| contains(actual, o)),
        Op::StartsWith => match (actual, operand) {
            (Value::String(a), Some(Value::String(o))) => a.starts_with(o.as_str()),
            _ => false,
        },
        Op::EndsWith => match (actual, operand) {
            (Value::String(a), Some(Value::String(o))) => a.ends_with(o.as_str()),
            _ => false,
        },
        Op::In => is_in(actual, operand),
        Op::NotIn => !is_in(actual, operand),
        Op::Between => match operand {
            Some(Value::Array(bounds)) if bounds.len() == 2 => {
                matches!(
                    compare_values(actual, &bounds[0]),
                    Some(Ordering::Greater | Ordering::Equal)
                ) && matches!(
                    compare_values(actual, &bounds[1]),
                    Some(Ordering::Less | Ordering::Equal)
                )
            }
            _ => false,
        },
    }
}

fn order(actual: &Value, operand: Option<&Value>) -> Option<Ordering> {
    operand.and_then(|o| compare_values(actual, o))
}

/// A value read as a number: a JSON number, or a string that parses as one.
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// Orders two values: as numbers when either is a number and the other reads as one, as
/// instants when both are strings that parse as times, else strings by bytes.
fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    if a.is_number() || b.is_number() {
        return as_number(a)?.partial_cmp(&as_number(b)?);
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => match (time_of(x), time_of(y)) {
            (Some(tx), Some(ty)) => Some(tx.cmp(&ty)),
            _ => Some(x.as_str().cmp(y.as_str())),
        },
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// A string read as an instant, only when it looks like a date (starts with `YYYY-`).
fn time_of(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let looks_like_date = b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
    if looks_like_date {
        parse_instant(s)
    } else {
        None
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(items), _) if !b.is_array() => items.iter().any(|i| equal(i, b)),
        (Value::Number(_), _) | (_, Value::Number(_)) => {
            matches!((as_number(a), as_number(b)), (Some(x), Some(y)) if x == y)
        }
        (Value::String(_), Value::String(_)) => compare_values(a, b) == Some(Ordering::Equal),
        _ => a == b,
    }
}

fn contains(actual: &Value, operand: &Value) -> bool {
    match (actual, operand) {
        (Value::String(a), Value::String(o)) => a.contains(o.as_str()),
        (Value::Array(items), o) => items.iter().any(|i| equal(i, o)),
        _ => false,
    }
}

fn is_in(actual: &Value, operand: Option<&Value>) -> bool {
    match operand {
        Some(Value::Array(options)) => options.iter().any(|o| equal(actual, o)),
        Some(single) => equal(actual, single),
        None => false,
    }
}

/// Reads a dotted path (`address.state`) inside a JSON value.
pub fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(direct) = root.get(path) {
        return Some(direct);
    }
    path.split('.').try_fold(root, |node, key| match node {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// Reads a dotted path inside an object's fields (the path's first key is a field).
pub fn lookup_in<'a>(map: &'a serde_json::Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(direct) = map.get(path) {
        return Some(direct);
    }
    let (first, rest) = path.split_once('.')?;
    lookup(map.get(first)?, rest)
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
