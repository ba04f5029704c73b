use serde_json::{Value, json};

use super::{load_audiences, validate_audience, validate_audience_set};
use crate::validate::Limits;

fn codes(problems: &[super::Problem]) -> Vec<(String, &'static str)> {
    problems.iter().map(|p| (p.path.clone(), p.code)).collect()
}

fn owned(expected: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    expected.iter().map(|(p, c)| (p.to_string(), *c)).collect()
}

fn set(audiences: Value) -> Value {
    json!({"notes": ["ignored"], "audiences": audiences})
}

#[test]
fn the_benchmark_file_loads_as_it_is() {
    let text = include_str!("../../tests/it/data/bench_audiences.json");
    let audiences = load_audiences(text, &Limits::default(), &[]).unwrap();
    assert_eq!(audiences.len(), 20);
    assert_eq!(audiences[0].id, "recent_buyers_7d");
}

#[test]
fn one_audience_is_checked_like_entry_criteria() {
    let doc = json!({"id": "a", "name": "", "color": "red",
        "criteria": {"event": "X", "since": "step", "within": "7x"},
        "connections": [{"id": "c", "output": "o", "active": true, "mode": "smoke"}]});
    let problems = validate_audience(&doc, &Limits::default());
    assert_eq!(
        codes(&problems),
        owned(&[
            ("$.color", "unknown_field"),
            ("$.name", "empty_value"),
            ("$.criteria.within", "invalid_duration"),
            ("$.criteria.since", "since_step_in_entry"),
            ("$.connections[0].mode", "unknown_connection_mode"),
        ])
    );
    let missing = validate_audience(&json!({"id": "a", "name": "A"}), &Limits::default());
    assert_eq!(codes(&missing), owned(&[("$.criteria", "missing_field")]));
}

#[test]
fn a_set_resolves_ids_references_and_cycles() {
    let doc = set(json!([
        {"id": "a", "name": "A", "criteria": {"member_of": {"audience": "b"}}},
        {"id": "b", "name": "B", "criteria": {"member_of": {"audience": "a"}, "is": false}},
        {"id": "a", "name": "A again", "criteria": {"any": [
            {"attribute": "ltv", "op": "gt", "value": 10},
            {"attribute": "nope", "op": "exists"}]}},
        {"id": "c", "name": "C", "criteria": {"any": [
            {"member_of": {"audience": "zzz"}},
            {"member_of": {"journey": "j", "step": "entry"}}]}}
    ]));
    let problems = validate_audience_set(&doc, &Limits::default(), &["ltv"]);
    assert_eq!(
        codes(&problems),
        owned(&[
            ("$.audiences[2].id", "duplicate_audience_id"),
            (
                "$.audiences[2].criteria.any[1].attribute",
                "unknown_attribute"
            ),
            (
                "$.audiences[3].criteria.any[1].member_of.journey",
                "unknown_journey",
            ),
            (
                "$.audiences[3].criteria.any[0].member_of.audience",
                "unknown_audience",
            ),
            ("$.audiences[0]", "audience_cycle"),
            ("$.audiences[1]", "audience_cycle"),
        ])
    );
}

#[test]
fn a_set_must_hold_an_audiences_array() {
    let limits = Limits::default();
    let wrong = |doc: Value| codes(&validate_audience_set(&doc, &limits, &[]));
    assert_eq!(wrong(json!([])), owned(&[("$", "wrong_type")]));
    assert_eq!(wrong(json!({})), owned(&[("$.audiences", "missing_field")]));
    assert_eq!(
        wrong(json!({"audiences": 3})),
        owned(&[("$.audiences", "wrong_type")])
    );
    let bad = load_audiences("{\"audiences\": [", &limits, &[]).unwrap_err();
    assert_eq!(bad[0].code, "invalid_json");
}
