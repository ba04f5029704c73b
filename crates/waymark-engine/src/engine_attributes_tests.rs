use serde_json::{Map, Value, json};

use crate::engine::Engine;
use crate::event::Event;
use crate::model::{Audience, ComputedAttribute};
use crate::time::Millis;
use crate::transition::{Change, TransitionKind};

const DAY: Millis = 86_400_000;

fn attribute(doc: Value) -> ComputedAttribute {
    serde_json::from_value(doc).expect("a valid computed attribute")
}

fn order(at: Millis, properties: Value) -> Event {
    Event {
        at,
        name: Some("Order Completed".into()),
        properties,
        context: json!({}),
        traits: Map::new(),
        input: None,
    }
}

fn every_aggregate() -> Vec<ComputedAttribute> {
    ["count", "sum", "min", "max", "avg", "first", "last", "unique_count"]
        .iter()
        .map(|a| {
            attribute(json!({"name": a, "event": "Order Completed", "aggregate": a,
                "property": "revenue", "where": [{"property": "currency", "op": "eq", "value": "USD"}]}))
        })
        .collect()
}

fn values(engine: &Engine, key: &str, at: Millis) -> Vec<(String, Option<Value>)> {
    engine
        .attribute_values(key, at)
        .unwrap()
        .into_iter()
        .map(|v| (v.name.to_string(), v.value))
        .collect()
}

#[test]
fn every_aggregate_over_matching_events() {
    let mut engine = Engine::with_definitions(&[], &[], &every_aggregate()).unwrap();
    let mut out = Vec::new();
    engine.apply(
        "u1",
        &order(10, json!({"revenue": 30, "currency": "USD"})),
        &mut out,
    );
    engine.apply(
        "u1",
        &order(20, json!({"revenue": "12.5", "currency": "USD"})),
        &mut out,
    );
    engine.apply(
        "u1",
        &order(30, json!({"revenue": 999, "currency": "EUR"})),
        &mut out,
    );
    engine.apply(
        "u1",
        &order(40, json!({"revenue": 30, "currency": "USD"})),
        &mut out,
    );
    engine.apply("u1", &order(50, json!({"currency": "USD"})), &mut out);
    let expected = vec![
        ("count", json!(4)),
        ("sum", json!(72.5)),
        ("min", json!(12.5)),
        ("max", json!(30)),
        ("avg", json!(72.5 / 3.0)),
        ("first", json!(30)),
        ("last", json!(30)),
        ("unique_count", json!(2)),
    ];
    let expected: Vec<(String, Option<Value>)> = expected
        .into_iter()
        .map(|(n, v)| (n.to_string(), Some(v)))
        .collect();
    assert_eq!(values(&engine, "u1", 50), expected);
    assert_eq!(engine.attribute_values("nobody", 50), None);
    assert_eq!(
        engine.attribute_names().collect::<Vec<_>>(),
        vec![
            "count",
            "sum",
            "min",
            "max",
            "avg",
            "first",
            "last",
            "unique_count"
        ]
    );
}

#[test]
fn no_events_give_zero_counts_and_missing_values() {
    let mut engine = Engine::with_definitions(&[], &[], &every_aggregate()).unwrap();
    let mut visit = order(10, json!({}));
    visit.name = Some("Visit".into());
    engine.apply("u1", &visit, &mut Vec::new());
    let got = values(&engine, "u1", 10);
    let missing: Vec<&str> = got
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(missing, vec!["min", "max", "avg", "first", "last"]);
    assert_eq!(got[0].1, Some(json!(0)));
    assert_eq!(got[1].1, Some(json!(0)));
    assert_eq!(got[7].1, Some(json!(0)));
}

#[test]
fn a_window_slides_and_an_audience_on_it_follows_with_a_timer() {
    let ltv = attribute(json!({"name": "ltv_7d", "event": "Order Completed",
        "aggregate": "sum", "property": "revenue", "within": "7d"}));
    let big = serde_json::from_value::<Audience>(json!({"id": "big", "name": "Big spenders",
        "criteria": {"attribute": "ltv_7d", "op": "gte", "value": 500}}))
    .unwrap();
    let mut engine = Engine::with_definitions(&[], &[big], &[ltv]).unwrap();
    let mut out = Vec::new();
    engine.apply("u1", &order(0, json!({"revenue": 300})), &mut out);
    engine.apply("u1", &order(DAY, json!({"revenue": 250})), &mut out);
    assert_eq!(engine.audience_sizes(), vec![1]);
    assert_eq!(engine.next_timer(), Some(7 * DAY));
    engine.advance_to(7 * DAY, &mut out);
    assert_eq!(engine.audience_sizes(), vec![0]);
    assert_eq!(values(&engine, "u1", 7 * DAY)[0].1, Some(json!(250)));
    assert_eq!(values(&engine, "u1", 8 * DAY)[0].1, Some(json!(0)));
    let changes: Vec<(Millis, TransitionKind)> = out.iter().map(|t| (t.at, t.kind)).collect();
    assert_eq!(
        changes,
        vec![
            (DAY, TransitionKind::Journey(Change::Entered)),
            (7 * DAY, TransitionKind::Journey(Change::Exited)),
        ]
    );
}

#[test]
fn an_unknown_attribute_reads_as_missing_and_names_must_be_unique() {
    let a = serde_json::from_value::<Audience>(json!({"id": "a", "name": "A",
        "criteria": {"attribute": "nope", "op": "not_exists"}}))
    .unwrap();
    let mut engine = Engine::with_definitions(&[], &[a], &[]).unwrap();
    engine.apply("u1", &order(0, json!({})), &mut Vec::new());
    assert_eq!(engine.audience_sizes(), vec![1]);
    let twice = [every_aggregate()[0].clone(), every_aggregate()[0].clone()];
    let err = Engine::with_definitions(&[], &[], &twice).unwrap_err();
    assert_eq!(err.to_string(), "two computed attributes are named `count`");
}

#[test]
fn an_attribute_added_to_a_running_engine_and_backfilled_has_the_values_of_one_there_from_the_start()
 {
    let history = [
        ("u1", order(10, json!({"revenue": 30, "currency": "USD"}))),
        ("u2", order(15, json!({"revenue": 5, "currency": "EUR"}))),
        (
            "u1",
            order(20, json!({"revenue": "12.5", "currency": "USD"})),
        ),
    ];
    let mut from_start = Engine::with_definitions(&[], &[], &every_aggregate()).unwrap();
    let mut running = Engine::new(&[]).unwrap();
    let mut out = Vec::new();
    for (key, e) in &history {
        from_start.apply(key, e, &mut out);
        running.apply(key, e, &mut out);
    }
    let ids: Vec<u32> = every_aggregate()
        .iter()
        .map(|a| running.add_attribute(a).unwrap())
        .collect();
    assert!(running.add_attribute(&every_aggregate()[0]).is_err());
    for (key, e) in &history {
        running.backfill_attribute(key, e, &ids);
    }
    for key in ["u1", "u2"] {
        assert_eq!(values(&running, key, 30), values(&from_start, key, 30));
    }

    // A new definition starts empty until backfilled again, then follows it.
    let sum = running.attribute_id("sum").unwrap();
    running.redefine_attribute(
        sum,
        &attribute(
            json!({"name": "sum", "event": "Order Completed", "aggregate": "sum",
            "property": "revenue"}),
        ),
    );
    assert_eq!(values(&running, "u1", 30)[1].1, Some(json!(0)));
    for (key, e) in &history {
        running.backfill_attribute(key, e, &[sum]);
    }
    assert_eq!(values(&running, "u2", 30)[1].1, Some(json!(5)));

    running.remove_attribute(sum);
    assert_eq!(running.attribute_id("sum"), None);
    assert!(!running.attribute_names().any(|n| n == "sum"));
    assert_eq!(values(&running, "u1", 30).len(), 7);
}
