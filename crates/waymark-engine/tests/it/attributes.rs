//! Computed attributes (SPEC §5) under generated definitions and event streams: the values
//! the engine keeps incrementally equal a recomputation from scratch over the user's
//! events, at every event and at later instants as windows slide (property 17).

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::Value;
use waymark_engine::compare::compare;
use waymark_engine::model::{Aggregate, ComputedAttribute};
use waymark_engine::time::{Millis, format_instant};
use waymark_engine::{Engine, Event};

use crate::generators::{events, filter, window};

pub fn definitions() -> impl Strategy<Value = Vec<ComputedAttribute>> {
    let aggregate =
        prop::sample::select(Aggregate::ALL.iter().map(|(a, _)| *a).collect::<Vec<_>>());
    let one = (
        aggregate,
        prop::sample::select(vec!["A", "B"]),
        prop::option::of(window()),
        prop::collection::vec(filter(), 0..=1),
    );
    prop::collection::vec(one, 1..=4).prop_map(|list| {
        list.into_iter()
            .enumerate()
            .map(
                |(i, (aggregate, event, within, filters))| ComputedAttribute {
                    name: format!("a{i}"),
                    event: event.to_string(),
                    aggregate,
                    property: Some("n".to_string()),
                    within,
                    filters,
                },
            )
            .collect()
    })
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

fn json_number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// The attribute's value at `now`, recomputed from the user's events (in time order).
fn recompute(a: &ComputedAttribute, events: &[&Event], now: Millis) -> Option<Value> {
    let counted: Vec<&Event> = events
        .iter()
        .copied()
        .filter(|e| {
            e.at <= now
                && e.name.as_deref() == Some(a.event.as_str())
                && a.within.is_none_or(|w| e.at > now - w.millis())
                && a.filters
                    .iter()
                    .all(|f| compare(f.op, e.property(&f.property), f.value.as_ref()))
        })
        .collect();
    let values: Vec<&Value> = counted
        .iter()
        .filter_map(|e| e.property("n").filter(|v| !v.is_null()))
        .collect();
    let numbers: Vec<f64> = values.iter().filter_map(|v| number(v)).collect();
    match a.aggregate {
        Aggregate::Count => Some(Value::from(counted.len() as u64)),
        Aggregate::Sum => Some(json_number(numbers.iter().sum())),
        Aggregate::Min => numbers.iter().copied().reduce(f64::min).map(json_number),
        Aggregate::Max => numbers.iter().copied().reduce(f64::max).map(json_number),
        Aggregate::Avg => (!numbers.is_empty())
            .then(|| json_number(numbers.iter().sum::<f64>() / numbers.len() as f64)),
        Aggregate::First => values.first().map(|v| (*v).clone()),
        Aggregate::Last => values.last().map(|v| (*v).clone()),
        Aggregate::UniqueCount => {
            let distinct: BTreeSet<String> = values.iter().map(|v| v.to_string()).collect();
            Some(Value::from(distinct.len() as u64))
        }
    }
}

proptest! {
    #![proptest_config(crate::properties::config(256))]

    /// Property 17: after each event, and at every later instant a window may slide
    /// (each event plus each window) up to `until`, every user's attribute values equal a
    /// recomputation from scratch.
    #[test]
    fn incremental_values_equal_a_recomputation(defs in definitions(), (events, until) in events()) {
        let mut engine = Engine::with_definitions(&[], &[], &defs).expect("attributes compile");
        let windows: BTreeSet<i64> = defs.iter().filter_map(|a| a.within.map(|w| w.millis())).collect();
        let applied: Vec<&(String, Event)> = events.iter().filter(|(_, e)| e.at <= until).collect();
        // The user's values at `now` once the first `upto` events are applied.
        let check = |engine: &Engine, key: &str, now: Millis, upto: usize| -> Result<(), TestCaseError> {
            let mine: Vec<&Event> = applied[..upto].iter().filter(|(k, _)| k == key).map(|(_, e)| e).collect();
            let got = engine.attribute_values(key, now).expect("the user exists");
            for (a, v) in defs.iter().zip(got) {
                let expected = recompute(a, &mine, now);
                prop_assert_eq!(&v.value, &expected, "{} of {} at {}: {:?}", a.name, key, format_instant(now), a);
            }
            Ok(())
        };
        for (i, (key, e)) in applied.iter().enumerate() {
            engine.apply(key, e, &mut Vec::new());
            check(&engine, key, e.at, i + 1)?;
        }
        for user in 0..engine.user_count() as u32 {
            let key = engine.user_key(user).to_string();
            let mut instants = BTreeSet::from([until]);
            for (_, e) in events.iter().filter(|(k, e)| *k == key && e.at <= until) {
                instants.extend(windows.iter().map(|w| e.at + w).filter(|t| *t <= until));
                instants.extend(windows.iter().map(|w| e.at + w - 1).filter(|t| *t <= until && *t >= e.at));
            }
            let last = events.iter().filter(|(k, e)| *k == key && e.at <= until).map(|(_, e)| e.at).max().unwrap_or(until);
            for now in instants.into_iter().filter(|t| *t >= last) {
                check(&engine, &key, now, applied.len())?;
            }
        }
    }
}
