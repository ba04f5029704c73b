use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::model;

/// A valid journey that uses every feature of SPEC §4 and §6.
fn full_journey() -> Value {
    json!({
        "id": "welcome",
        "name": "Welcome Series",
        "description": "Every feature at once",
        "inputs": ["ios", "web"],
        "version": 2,
        "entry": {
            "id": "entry",
            "name": "Signed up",
            "criteria": entry_criteria(),
            "on": "event",
            "live": false,
            "historical": true,
            "reentry": {"cooldown": "30d"},
            "start_at": "2026-01-01T00:00:00Z",
            "end_at": "2027-01-01T00:00:00Z",
            "connections": [{"id": "c-entry", "output": "crm", "active": true, "mode": "list"}],
            "branching": "wait",
            "timeout": "14d",
            "steps": [
                activated_step(),
                dormant_step()
            ]
        },
        "settings": {
            "exit": {"event": "Unsubscribed", "since": "step"},
            "timeout": "30d",
            "goal": {"criteria": {"event": "Order Completed"}, "within": "7d", "exit_on_goal": true},
            "control_group": {"percent": 12.5},
            "quiet_hours": {"start": "21:00", "end": "08:00", "fallback": "delay"},
            "frequency_cap": {"max": 3, "per": "1w"},
            "timezone": "Europe/Paris"
        }
    })
}

/// The full journey's entry criteria: every kind and operator.
fn entry_criteria() -> Value {
    json!({"all": [
        {
            "event": "Signed Up",
            "where": [
                {"property": "plan", "op": "in", "value": ["free", "pro"]},
                {"property": "context.locale", "op": "exists"},
                {"property": "coupon", "op": "not_exists"},
                {"property": "referrer", "op": "starts_with", "value": "https://"}
            ],
            "count": {"op": ">=", "value": 1},
            "within": "7d",
            "since": "entry"
        },
        {"event": "Signed Up", "between": {"from": "2026-01-01T00:00:00Z", "to": "2026-12-31"}},
        {"any": [
            {"trait": "age", "op": "between", "value": [18, 99], "for": "1d"},
            {"attribute": "ltv", "op": "gte", "value": 100},
            {"trait": "score", "op": "lt", "value": 5},
            {"trait": "country", "op": "not_in", "value": ["FR"]}
        ]},
        {"not": {"member_of": {"audience": "churned"}, "is": true}},
        {"consent": "marketing", "granted": true},
        {"input": ["ios", "web"]},
        {"trait": "email", "op": "ends_with", "value": "@example.com"},
        {"trait": "tags", "op": "contains", "value": "vip"},
        {"trait": "tags", "op": "not_contains", "value": 3},
        {"trait": "plan", "op": "neq", "value": "free", "for": null},
        {"everyone": true}
    ]})
}

/// The full journey's first step: a `decide` split holding an A/B test and waits.
fn activated_step() -> Value {
    json!({
        "id": "activated",
        "name": "Activated",
        "type": "milestone",
        "criteria": {"event": "Tutorial Completed", "since": "step", "count": {"op": "=", "value": 0}},
        "connections": [{"id": "c-activated", "output": "crm", "active": false, "mode": "identify"}],
        "branching": "decide",
        "steps": [
            {
                "id": "ab",
                "name": "A/B test",
                "type": "milestone",
                "criteria": {"member_of": {"journey": "welcome", "step": "activated"}},
                "branching": "random",
                "steps": [
                    {
                        "id": "a",
                        "name": "Variant A",
                        "type": "send",
                        "weight": 1,
                        "connections": [{"id": "c-a", "output": "hook", "active": true, "mode": "event"}]
                    },
                    {
                        "id": "b",
                        "name": "Variant B",
                        "type": "wait",
                        "weight": 3,
                        "wait": {"until": {"time": "09:00", "days": ["mon", "Friday"]}},
                        "steps": [{"id": "b-send", "name": "Variant B send", "type": "send"}]
                    }
                ]
            },
            {
                "id": "not-ab",
                "name": "Everyone else",
                "type": "remaining",
                "branching": "all",
                "steps": [
                    {"id": "w-at", "name": "Launch day", "type": "wait",
                     "wait": {"until": {"at": "2026-06-01T09:00:00+02:00"}}},
                    {"id": "w-trait", "name": "Birthday", "type": "wait",
                     "wait": {"until": {"trait": "birthday", "offset": "1d"}}}
                ]
            }
        ]
    })
}

/// The full journey's remaining path: `live` milestones down to an exit.
fn dormant_step() -> Value {
    json!({
        "id": "dormant",
        "name": "Dormant",
        "type": "remaining",
        "branching": "live",
        "steps": [
            {"id": "vip", "name": "VIP", "type": "milestone",
             "criteria": {"trait": "tier", "op": "eq", "value": "gold"}},
            {
                "id": "rest",
                "name": "Rest",
                "type": "remaining",
                "steps": [{
                    "id": "w-day",
                    "name": "A day",
                    "type": "wait",
                    "wait": {"duration": "1d"},
                    "timeout": null,
                    "steps": [{"id": "bye", "name": "Goodbye", "type": "exit"}]
                }]
            }
        ]
    })
}

/// The `(path, code)` of every problem in `doc` under `limits`.
fn found_with(doc: &Value, limits: &Limits) -> Vec<(String, &'static str)> {
    validate_journey(doc, limits)
        .into_iter()
        .map(|p| (p.path, p.code))
        .collect()
}

/// The `(path, code)` of every problem in `doc` under the default limits.
fn found(doc: &Value) -> Vec<(String, &'static str)> {
    found_with(doc, &Limits::default())
}

/// Asserts that the full journey changed by `change` has exactly the `expected` problems.
#[track_caller]
fn expect(change: impl FnOnce(&mut Value), expected: &[(&str, &str)]) {
    let mut doc = full_journey();
    change(&mut doc);
    let expected: Vec<(String, &str)> = expected.iter().map(|(p, c)| (p.to_string(), *c)).collect();
    assert_eq!(found(&doc), expected, "problems of {doc:#}");
}

/// Sets the value at a JSON pointer, adding the last key or appending to an array.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, last) = pointer.rsplit_once('/').expect("a pointer");
    match doc.pointer_mut(parent).expect("the parent exists") {
        Value::Object(map) => {
            map.insert(last.to_string(), value);
        }
        Value::Array(items) => {
            let i: usize = last.parse().expect("an index");
            if i == items.len() {
                items.push(value);
            } else {
                items[i] = value;
            }
        }
        other => panic!("cannot set inside {other}"),
    }
}

/// Removes the value at a JSON pointer.
fn remove(doc: &mut Value, pointer: &str) {
    let (parent, last) = pointer.rsplit_once('/').expect("a pointer");
    match doc.pointer_mut(parent).expect("the parent exists") {
        Value::Object(map) => {
            map.remove(last).expect("the field exists");
        }
        Value::Array(items) => {
            items.remove(last.parse().expect("an index"));
        }
        other => panic!("cannot remove from {other}"),
    }
}

/// A change that sets one value.
fn setting(pointer: &'static str, value: Value) -> impl FnOnce(&mut Value) {
    move |doc| set(doc, pointer, value)
}

/// A change that removes one value.
fn removing(pointer: &'static str) -> impl FnOnce(&mut Value) {
    move |doc| remove(doc, pointer)
}

/// The entry criteria's parts.
const PARTS: &str = "/entry/criteria/all";

// ---------------------------------------------------------------- valid journeys

#[test]
fn the_full_journey_is_valid_and_loads() {
    let doc = full_journey();
    assert_eq!(found(&doc), []);
    let journey = load_journey(&doc.to_string(), &Limits::default()).expect("loads");
    assert_eq!(journey.id, "welcome");
    assert_eq!(journey.version, 2);
    assert_eq!(journey.entry.steps.len(), 2);
    assert_eq!(
        journey.entry.reentry,
        model::Reentry::Cooldown(crate::time::Duration::parse("30d").unwrap())
    );
    assert_eq!(
        journey.entry.steps[0].steps[0].branching,
        model::Branching::Random
    );
    assert!(journey.settings.quiet_hours.is_some());
}

#[test]
fn a_minimal_journey_is_valid() {
    let doc = json!({"id": "j", "name": "J", "entry": {"id": "entry", "name": "Entry"}});
    assert_eq!(found(&doc), []);
    assert!(load_journey(&doc.to_string(), &Limits::default()).is_ok());
}

#[test]
fn every_shared_scenario_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/scenarios");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the shared scenarios") {
        let path = entry.unwrap().path().join("journey.json");
        let text = std::fs::read_to_string(&path).expect("a journey file");
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(found(&doc), [], "{}", path.display());
        assert!(
            load_journey(&text, &Limits::default()).is_ok(),
            "{}",
            path.display()
        );
        seen += 1;
    }
    assert_eq!(seen, 16);
}

// ---------------------------------------------------------------- loading and display

#[test]
fn invalid_json_names_line_and_column() {
    let problems = load_journey("{\n  \"id\": \"j\",\n  oops\n}", &Limits::default()).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(
        (problems[0].path.as_str(), problems[0].code),
        ("$", "invalid_json")
    );
    assert!(
        problems[0].message.contains("line 3 column 3"),
        "{}",
        problems[0].message
    );
}

#[test]
fn loading_an_invalid_journey_returns_its_problems() {
    let problems = load_journey(r#"{"id": "j", "name": "J"}"#, &Limits::default()).unwrap_err();
    assert_eq!(
        problems,
        [Problem::new(
            "$.entry",
            "missing_field",
            "missing required field `entry`"
        )]
    );
}

#[test]
fn display_shows_path_message_and_code() {
    let mut doc = full_journey();
    set(&mut doc, "/entry/steps/0/type", json!("milstone"));
    let problems = validate_journey(&doc, &Limits::default());
    assert_eq!(
        problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "$.entry.steps[0].type: unknown step type `milstone` (expected one of milestone, remaining, wait, send, exit) [unknown_step_type]"
        ]
    );
}

#[test]
fn odd_field_names_are_quoted_in_paths() {
    expect(
        setting("/entry/my field", json!(1)),
        &[("$.entry[\"my field\"]", "unknown_field")],
    );
}

#[test]
fn long_values_are_cut_in_messages() {
    let mut doc = full_journey();
    set(&mut doc, "/entry/on", json!("x".repeat(500)));
    let problems = validate_journey(&doc, &Limits::default());
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.len() < 200, "{}", problems[0].message);
    assert!(problems[0].message.contains("x…`"));
}

// ---------------------------------------------------------------- JSON shape

#[test]
fn a_journey_must_be_an_object() {
    assert_eq!(found(&json!([1, 2])), [("$".to_string(), "wrong_type")]);
    assert_eq!(found(&json!(null)), [("$".to_string(), "wrong_type")]);
}

#[test]
fn wrong_types_are_reported() {
    expect(setting("/name", json!(3)), &[("$.name", "wrong_type")]);
    expect(
        setting("/description", json!(false)),
        &[("$.description", "wrong_type")],
    );
    expect(
        setting("/inputs", json!("ios")),
        &[("$.inputs", "wrong_type")],
    );
    expect(
        setting("/inputs/1", json!(7)),
        &[("$.inputs[1]", "wrong_type")],
    );
    expect(
        setting("/entry", json!("entry")),
        &[("$.entry", "wrong_type")],
    );
    expect(
        setting("/entry/steps", json!({})),
        &[("$.entry.steps", "wrong_type")],
    );
    expect(
        setting("/entry/steps/1", json!("dormant")),
        &[("$.entry.steps[1]", "wrong_type")],
    );
    expect(
        setting("/entry/connections", json!(null)),
        &[("$.entry.connections", "wrong_type")],
    );
    expect(
        setting("/settings", json!([])),
        &[("$.settings", "wrong_type")],
    );
    expect(
        setting("/entry/historical", json!("yes")),
        &[("$.entry.historical", "wrong_type")],
    );
    expect(
        setting("/entry/live", json!(1)),
        &[("$.entry.live", "wrong_type")],
    );
    expect(
        setting("/settings/goal/exit_on_goal", json!(null)),
        &[("$.settings.goal.exit_on_goal", "wrong_type")],
    );
}

#[test]
fn missing_required_fields_are_reported() {
    expect(removing("/id"), &[("$.id", "missing_field")]);
    expect(removing("/name"), &[("$.name", "missing_field")]);
    expect(removing("/entry"), &[("$.entry", "missing_field")]);
    expect(removing("/entry/id"), &[("$.entry.id", "missing_field")]);
    expect(
        removing("/entry/name"),
        &[("$.entry.name", "missing_field")],
    );
    expect(
        removing("/entry/steps/1/id"),
        &[("$.entry.steps[1].id", "missing_field")],
    );
    expect(
        removing("/entry/steps/1/name"),
        &[("$.entry.steps[1].name", "missing_field")],
    );
    expect(
        removing("/entry/steps/0/type"),
        &[("$.entry.steps[0].type", "missing_field")],
    );
    for field in ["id", "output", "active", "mode"] {
        let path = format!("$.entry.connections[0].{field}");
        let mut doc = full_journey();
        remove(&mut doc, &format!("/entry/connections/0/{field}"));
        assert_eq!(found(&doc), [(path, "missing_field")]);
    }
}

#[test]
fn unknown_fields_are_reported_everywhere() {
    let places = [
        ("", "$"),
        ("/entry", "$.entry"),
        ("/entry/steps/0", "$.entry.steps[0]"),
        ("/settings", "$.settings"),
        ("/settings/goal", "$.settings.goal"),
        ("/settings/control_group", "$.settings.control_group"),
        ("/settings/quiet_hours", "$.settings.quiet_hours"),
        ("/settings/frequency_cap", "$.settings.frequency_cap"),
        ("/entry/connections/0", "$.entry.connections[0]"),
        ("/entry/reentry", "$.entry.reentry"),
        ("/entry/criteria", "$.entry.criteria"),
        ("/entry/criteria/all/0", "$.entry.criteria.all[0]"),
        (
            "/entry/criteria/all/0/where/0",
            "$.entry.criteria.all[0].where[0]",
        ),
        (
            "/entry/criteria/all/0/count",
            "$.entry.criteria.all[0].count",
        ),
        (
            "/entry/criteria/all/1/between",
            "$.entry.criteria.all[1].between",
        ),
        (
            "/entry/criteria/all/2/any/0",
            "$.entry.criteria.all[2].any[0]",
        ),
        (
            "/entry/criteria/all/2/any/1",
            "$.entry.criteria.all[2].any[1]",
        ),
        ("/entry/criteria/all/3", "$.entry.criteria.all[3]"),
        (
            "/entry/criteria/all/3/not/member_of",
            "$.entry.criteria.all[3].not.member_of",
        ),
        ("/entry/criteria/all/4", "$.entry.criteria.all[4]"),
        ("/entry/criteria/all/5", "$.entry.criteria.all[5]"),
        ("/entry/criteria/all/10", "$.entry.criteria.all[10]"),
        (
            "/entry/steps/1/steps/1/steps/0/wait",
            "$.entry.steps[1].steps[1].steps[0].wait",
        ),
        (
            "/entry/steps/0/steps/0/steps/1/wait/until",
            "$.entry.steps[0].steps[0].steps[1].wait.until",
        ),
        (
            "/entry/steps/0/steps/1/steps/0/wait/until",
            "$.entry.steps[0].steps[1].steps[0].wait.until",
        ),
        (
            "/entry/steps/0/steps/1/steps/1/wait/until",
            "$.entry.steps[0].steps[1].steps[1].wait.until",
        ),
    ];
    for (pointer, path) in places {
        let mut doc = full_journey();
        set(&mut doc, &format!("{pointer}/colour"), json!("blue"));
        assert_eq!(
            found(&doc),
            [(format!("{path}.colour"), "unknown_field")],
            "at {pointer}"
        );
    }
}

#[test]
fn unknown_field_messages_list_the_allowed_fields() {
    let mut doc = full_journey();
    set(&mut doc, "/entry/steps/0/colour", json!("blue"));
    let problems = validate_journey(&doc, &Limits::default());
    assert_eq!(
        problems[0].message,
        "unknown field `colour` in a step (expected one of id, name, type, criteria, wait, weight, connections, branching, timeout, steps)"
    );
}

#[test]
fn ids_and_names_must_not_be_empty() {
    expect(setting("/id", json!("")), &[("$.id", "empty_value")]);
    expect(setting("/name", json!("")), &[("$.name", "empty_value")]);
    expect(
        setting("/entry/steps/1/id", json!("")),
        &[("$.entry.steps[1].id", "empty_value")],
    );
    expect(
        setting("/entry/steps/1/name", json!("")),
        &[("$.entry.steps[1].name", "empty_value")],
    );
    expect(
        setting("/entry/connections/0/id", json!("")),
        &[("$.entry.connections[0].id", "empty_value")],
    );
    expect(
        setting("/entry/connections/0/output", json!("")),
        &[("$.entry.connections[0].output", "empty_value")],
    );
    expect(
        setting("/inputs/0", json!("")),
        &[("$.inputs[0]", "empty_value")],
    );
}

// ---------------------------------------------------------------- ids

#[test]
fn the_entry_id_must_be_entry() {
    expect(
        setting("/entry/id", json!("start")),
        &[("$.entry.id", "invalid_entry_id")],
    );
}

#[test]
fn step_ids_are_unique_with_the_entry() {
    expect(
        setting("/entry/steps/1/id", json!("activated")),
        &[("$.entry.steps[1].id", "duplicate_step_id")],
    );
    expect(
        setting("/entry/steps/0/steps/0/steps/1/steps/0/id", json!("entry")),
        &[(
            "$.entry.steps[0].steps[0].steps[1].steps[0].id",
            "duplicate_step_id",
        )],
    );
}

#[test]
fn connection_ids_are_unique_within_the_journey() {
    expect(
        setting(
            "/entry/steps/0/steps/0/steps/0/connections/0/id",
            json!("c-entry"),
        ),
        &[(
            "$.entry.steps[0].steps[0].steps[0].connections[0].id",
            "duplicate_connection_id",
        )],
    );
}

// ---------------------------------------------------------------- enumerations and numbers

#[test]
fn unknown_enumeration_values_are_reported() {
    expect(
        setting("/entry/steps/0/type", json!("milstone")),
        &[("$.entry.steps[0].type", "unknown_step_type")],
    );
    expect(
        setting("/entry/steps/0/branching", json!("first")),
        &[("$.entry.steps[0].branching", "unknown_branching")],
    );
    expect(
        setting("/entry/criteria/all/0/where/0/op", json!("equals")),
        &[("$.entry.criteria.all[0].where[0].op", "unknown_operator")],
    );
    expect(
        setting("/entry/criteria/all/2/any/1/op", json!("≥")),
        &[("$.entry.criteria.all[2].any[1].op", "unknown_operator")],
    );
    expect(
        setting("/entry/criteria/all/0/count/op", json!("==")),
        &[("$.entry.criteria.all[0].count.op", "unknown_count_op")],
    );
    expect(
        setting("/entry/criteria/all/0/since", json!("now")),
        &[("$.entry.criteria.all[0].since", "unknown_since")],
    );
    expect(
        setting("/entry/on", json!("click")),
        &[("$.entry.on", "unknown_entry_on")],
    );
    expect(
        setting("/entry/reentry", json!("sometimes")),
        &[("$.entry.reentry", "unknown_reentry")],
    );
    expect(
        setting("/entry/connections/0/mode", json!("sms")),
        &[("$.entry.connections[0].mode", "unknown_connection_mode")],
    );
    expect(
        setting("/settings/quiet_hours/fallback", json!("drop")),
        &[("$.settings.quiet_hours.fallback", "unknown_fallback")],
    );
}

#[test]
fn count_values_are_non_negative_whole_numbers() {
    for bad in [json!(-1), json!(1.5), json!("2"), json!(4_294_967_296_u64)] {
        expect(
            setting("/entry/criteria/all/0/count/value", bad),
            &[("$.entry.criteria.all[0].count.value", "invalid_count_value")],
        );
    }
    expect(
        removing("/entry/criteria/all/0/count/value"),
        &[("$.entry.criteria.all[0].count.value", "missing_field")],
    );
}

#[test]
fn version_is_a_positive_whole_number() {
    expect(
        setting("/version", json!(0)),
        &[("$.version", "invalid_version")],
    );
}

// ---------------------------------------------------------------- criteria shape

#[test]
fn criteria_need_exactly_one_kind() {
    let trigger = ("$.entry.on", "event_entry_without_event");
    expect(
        setting("/entry/criteria", json!({})),
        &[("$.entry.criteria", "missing_field"), trigger],
    );
    expect(
        setting(
            "/entry/criteria/all/6",
            json!({"trait": "a", "op": "exists", "event": "b"}),
        ),
        &[("$.entry.criteria.all[6]", "conflicting_fields")],
    );
    expect(
        setting("/entry/criteria", json!("everyone")),
        &[("$.entry.criteria", "wrong_type"), trigger],
    );
}

#[test]
fn criteria_kinds_have_their_shapes() {
    expect(
        setting("/entry/criteria/all/10/everyone", json!(false)),
        &[("$.entry.criteria.all[10].everyone", "invalid_everyone")],
    );
    expect(
        setting("/entry/criteria/all", json!({"everyone": true})),
        &[
            ("$.entry.criteria.all", "wrong_type"),
            ("$.entry.on", "event_entry_without_event"),
        ],
    );
    expect(
        setting("/entry/criteria/all/2/any", json!(null)),
        &[("$.entry.criteria.all[2].any", "wrong_type")],
    );
    expect(
        setting("/entry/criteria/all/3/not", json!([])),
        &[("$.entry.criteria.all[3].not", "wrong_type")],
    );
    expect(
        setting("/entry/criteria/all/5/input", json!([])),
        &[("$.entry.criteria.all[5].input", "empty_value")],
    );
    expect(
        setting("/entry/criteria/all/5/input/1", json!(2)),
        &[("$.entry.criteria.all[5].input[1]", "wrong_type")],
    );
    expect(
        setting("/entry/criteria/all/5/input", json!("ios")),
        &[("$.entry.criteria.all[5].input", "wrong_type")],
    );
    expect(
        setting("/entry/criteria/all/4/granted", json!("yes")),
        &[("$.entry.criteria.all[4].granted", "wrong_type")],
    );
    expect(
        removing("/entry/criteria/all/4/granted"),
        &[("$.entry.criteria.all[4].granted", "missing_field")],
    );
    expect(
        setting("/entry/criteria/all/4/consent", json!(1)),
        &[("$.entry.criteria.all[4].consent", "wrong_type")],
    );
    expect(
        setting("/entry/criteria/all/0/event", json!("")),
        &[("$.entry.criteria.all[0].event", "empty_value")],
    );
    expect(
        setting("/entry/criteria/all/6/trait", json!("")),
        &[("$.entry.criteria.all[6].trait", "empty_value")],
    );
    expect(
        setting("/entry/criteria/all/2/any/1/attribute", json!(null)),
        &[("$.entry.criteria.all[2].any[1].attribute", "wrong_type")],
    );
    expect(
        setting("/entry/criteria/all/0/where", json!({})),
        &[("$.entry.criteria.all[0].where", "wrong_type")],
    );
    expect(
        setting("/entry/criteria/all/0/count", json!(2)),
        &[("$.entry.criteria.all[0].count", "wrong_type")],
    );
}

#[test]
fn member_of_names_a_step_or_an_audience() {
    let target = "/entry/criteria/all/3/not/member_of";
    let path = "$.entry.criteria.all[3].not.member_of";
    expect(
        setting(
            target,
            json!({"audience": "a", "journey": "j", "step": "s"}),
        ),
        &[(path, "conflicting_fields")],
    );
    expect(
        setting(target, json!({"journey": "j"})),
        &[(&format!("{path}.step"), "missing_field")],
    );
    expect(
        setting(target, json!({"audience": ""})),
        &[(&format!("{path}.audience"), "empty_value")],
    );
    expect(setting(target, json!("churned")), &[(path, "wrong_type")]);
    expect(
        setting("/entry/criteria/all/3/not/is", json!("yes")),
        &[("$.entry.criteria.all[3].not.is", "wrong_type")],
    );
    // Another journey's steps are not checked.
    expect(
        setting(target, json!({"journey": "other", "step": "anything"})),
        &[],
    );
}

#[test]
fn member_of_this_journey_names_one_of_its_steps() {
    expect(
        setting(
            "/entry/steps/0/steps/0/criteria/member_of/step",
            json!("nowhere"),
        ),
        &[(
            "$.entry.steps[0].steps[0].criteria.member_of.step",
            "unknown_member_step",
        )],
    );
    // Steps later in the document count.
    expect(
        setting(
            "/entry/steps/0/steps/0/criteria/member_of/step",
            json!("bye"),
        ),
        &[],
    );
}

// ---------------------------------------------------------------- operands

#[test]
fn operators_need_their_operands() {
    let trait_at = |i: usize| format!("{PARTS}/{i}");
    let cases = [
        (json!({"trait": "t", "op": "eq"}), "missing_value"),
        (
            json!({"trait": "t", "op": "neq", "value": null}),
            "missing_value",
        ),
        (
            json!({"trait": "t", "op": "exists", "value": 1}),
            "unexpected_value",
        ),
        (
            json!({"trait": "t", "op": "not_exists", "value": false}),
            "unexpected_value",
        ),
        (
            json!({"trait": "t", "op": "in", "value": "gold"}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "not_in", "value": 3}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "between", "value": [1]}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "between", "value": [1, 2, 3]}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "between", "value": [1, null]}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "between", "value": "1..2"}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "starts_with", "value": 3}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "ends_with", "value": ["a"]}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "contains", "value": ["a"]}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "not_contains", "value": {}}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "gt", "value": true}),
            "invalid_operand",
        ),
        (
            json!({"trait": "t", "op": "lte", "value": [1]}),
            "invalid_operand",
        ),
    ];
    for (criteria, code) in cases {
        let mut doc = full_journey();
        set(&mut doc, &trait_at(6), criteria.clone());
        assert_eq!(
            found(&doc),
            [("$.entry.criteria.all[6].value".to_string(), code)],
            "{criteria}"
        );
    }
    let fine = [
        json!({"trait": "t", "op": "eq", "value": {"any": "value"}}),
        json!({"trait": "t", "op": "contains", "value": true}),
        json!({"trait": "t", "op": "between", "value": ["2026-01-01", "2026-02-01"]}),
        json!({"trait": "t", "op": "gte", "value": "2026-01-01"}),
        json!({"trait": "t", "op": "in", "value": []}),
        json!({"trait": "t", "op": "exists", "value": null}),
    ];
    for criteria in fine {
        expect(setting("/entry/criteria/all/6", criteria), &[]);
    }
}

#[test]
fn filters_need_a_property_and_an_operator() {
    let filter = "/entry/criteria/all/0/where/0";
    expect(
        setting("/entry/criteria/all/0/where/0/property", json!("")),
        &[("$.entry.criteria.all[0].where[0].property", "empty_value")],
    );
    expect(
        removing("/entry/criteria/all/0/where/0/op"),
        &[("$.entry.criteria.all[0].where[0].op", "missing_field")],
    );
    expect(
        setting("/entry/criteria/all/0/where/0/value", json!("free")),
        &[("$.entry.criteria.all[0].where[0].value", "invalid_operand")],
    );
    let mut doc = full_journey();
    set(&mut doc, filter, json!("plan = free"));
    assert_eq!(
        found(&doc),
        [("$.entry.criteria.all[0].where[0]".to_string(), "wrong_type")]
    );
}

// ---------------------------------------------------------------- event conditions

#[test]
fn within_and_between_exclude_each_other() {
    expect(
        setting("/entry/criteria/all/1/within", json!("1d")),
        &[("$.entry.criteria.all[1]", "conflicting_fields")],
    );
    // A null `within` is no `within`.
    expect(setting("/entry/criteria/all/1/within", json!(null)), &[]);
}

#[test]
fn between_is_an_ordered_pair_of_times() {
    expect(
        setting(
            "/entry/criteria/all/1/between/from",
            json!("2027-01-01T00:00:00Z"),
        ),
        &[("$.entry.criteria.all[1].between", "invalid_interval")],
    );
    expect(
        setting("/entry/criteria/all/1/between/to", json!("soon")),
        &[("$.entry.criteria.all[1].between.to", "invalid_instant")],
    );
    expect(
        removing("/entry/criteria/all/1/between/from"),
        &[("$.entry.criteria.all[1].between.from", "missing_field")],
    );
    // Both ends may be the same instant.
    expect(
        setting(
            "/entry/criteria/all/1/between/from",
            json!("2026-12-31T00:00:00Z"),
        ),
        &[],
    );
}

#[test]
fn since_step_is_refused_in_entry_criteria_only() {
    expect(
        setting("/entry/criteria/all/0/since", json!("step")),
        &[("$.entry.criteria.all[0].since", "since_step_in_entry")],
    );
    // The full journey uses it in a milestone and in the exit criteria.
    assert_eq!(full_journey()["settings"]["exit"]["since"], "step");
    assert_eq!(
        full_journey()["entry"]["steps"][0]["criteria"]["since"],
        "step"
    );
}

#[test]
fn trait_for_is_a_duration() {
    expect(
        setting("/entry/criteria/all/2/any/0/for", json!("1 day")),
        &[("$.entry.criteria.all[2].any[0].for", "invalid_duration")],
    );
    expect(
        setting("/entry/criteria/all/2/any/0/for", json!(86400)),
        &[("$.entry.criteria.all[2].any[0].for", "wrong_type")],
    );
}

// ---------------------------------------------------------------- time syntax

#[test]
fn bad_times_are_reported() {
    expect(
        setting("/settings/timeout", json!("1y")),
        &[("$.settings.timeout", "invalid_duration")],
    );
    expect(
        setting("/entry/timeout", json!("0d")),
        &[("$.entry.timeout", "invalid_duration")],
    );
    expect(
        setting("/entry/criteria/all/0/within", json!("-7d")),
        &[("$.entry.criteria.all[0].within", "invalid_duration")],
    );
    expect(
        setting("/settings/goal/within", json!("week")),
        &[("$.settings.goal.within", "invalid_duration")],
    );
    expect(
        setting("/settings/frequency_cap/per", json!("1")),
        &[("$.settings.frequency_cap.per", "invalid_duration")],
    );
    expect(
        setting("/entry/reentry/cooldown", json!("1 d")),
        &[("$.entry.reentry.cooldown", "invalid_duration")],
    );
    expect(
        setting("/settings/quiet_hours/start", json!("9:00")),
        &[("$.settings.quiet_hours.start", "invalid_clock_time")],
    );
    expect(
        setting("/settings/quiet_hours/end", json!("24:00")),
        &[("$.settings.quiet_hours.end", "invalid_clock_time")],
    );
    let until = "/entry/steps/0/steps/0/steps/1/wait/until";
    let until_path = "$.entry.steps[0].steps[0].steps[1].wait.until";
    let mut doc = full_journey();
    set(&mut doc, &format!("{until}/time"), json!("9am"));
    set(&mut doc, &format!("{until}/days/1"), json!("someday"));
    assert_eq!(
        found(&doc),
        [
            (format!("{until_path}.time"), "invalid_clock_time"),
            (format!("{until_path}.days[1]"), "invalid_day")
        ]
    );
    expect(
        setting("/settings/timezone", json!("Mars/Olympus_Mons")),
        &[("$.settings.timezone", "invalid_time_zone")],
    );
    expect(
        setting("/entry/start_at", json!("yesterday")),
        &[("$.entry.start_at", "invalid_instant")],
    );
    expect(
        setting("/entry/end_at", json!(1_700_000_000)),
        &[("$.entry.end_at", "wrong_type")],
    );
    expect(
        setting(
            "/entry/steps/0/steps/1/steps/0/wait/until/at",
            json!("June"),
        ),
        &[(
            "$.entry.steps[0].steps[1].steps[0].wait.until.at",
            "invalid_instant",
        )],
    );
    expect(
        setting(
            "/entry/steps/0/steps/1/steps/1/wait/until/offset",
            json!("1"),
        ),
        &[(
            "$.entry.steps[0].steps[1].steps[1].wait.until.offset",
            "invalid_duration",
        )],
    );
}

#[test]
fn non_ascii_durations_are_refused_without_panicking() {
    for bad in ["Ჽ", "1Ჽ", "7д", "é"] {
        expect(
            setting("/settings/timeout", json!(bad)),
            &[("$.settings.timeout", "invalid_duration")],
        );
    }
}

#[test]
fn duration_messages_come_from_the_time_module() {
    let mut doc = full_journey();
    set(&mut doc, "/settings/timeout", json!("1y"));
    assert_eq!(
        validate_journey(&doc, &Limits::default())[0].message,
        crate::time::Duration::parse("1y").unwrap_err().to_string()
    );
}

#[test]
fn start_at_comes_before_end_at() {
    expect(
        setting("/entry/end_at", json!("2026-01-01T00:00:00Z")),
        &[("$.entry.end_at", "invalid_interval")],
    );
    expect(
        setting("/entry/end_at", json!("2025-01-01")),
        &[("$.entry.end_at", "invalid_interval")],
    );
    expect(removing("/entry/end_at"), &[]);
}

// ---------------------------------------------------------------- entry

#[test]
fn reentry_forms() {
    expect(setting("/entry/reentry", json!("after_exit")), &[]);
    expect(
        setting("/entry/reentry", json!(3)),
        &[("$.entry.reentry", "wrong_type")],
    );
    expect(
        setting("/entry/reentry", json!({})),
        &[("$.entry.reentry.cooldown", "missing_field")],
    );
    expect(
        setting("/entry/reentry", json!({"after": "1d"})),
        &[
            ("$.entry.reentry.after", "unknown_field"),
            ("$.entry.reentry.cooldown", "missing_field"),
        ],
    );
}

#[test]
fn event_entry_needs_an_event_condition() {
    expect(
        setting(
            "/entry/criteria",
            json!({"trait": "plan", "op": "eq", "value": "pro"}),
        ),
        &[("$.entry.on", "event_entry_without_event")],
    );
    expect(
        removing("/entry/criteria"),
        &[("$.entry.on", "event_entry_without_event")],
    );
    // An event condition anywhere will do.
    expect(
        setting(
            "/entry/criteria",
            json!({"any": [{"not": {"event": "Visit"}}]}),
        ),
        &[],
    );
    expect(setting("/entry/on", json!("qualify")), &[]);
}

// ---------------------------------------------------------------- step types

#[test]
fn only_milestones_have_criteria_and_they_must() {
    expect(
        removing("/entry/steps/0/criteria"),
        &[("$.entry.steps[0].criteria", "missing_criteria")],
    );
    expect(
        setting("/entry/steps/0/criteria", json!(null)),
        &[("$.entry.steps[0].criteria", "missing_criteria")],
    );
    expect(
        setting("/entry/steps/1/criteria", json!({"everyone": true})),
        &[("$.entry.steps[1].criteria", "criteria_not_allowed")],
    );
}

#[test]
fn only_wait_steps_have_a_wait_and_they_must() {
    let wait = "/entry/steps/1/steps/1/steps/0";
    let path = "$.entry.steps[1].steps[1].steps[0]";
    expect(
        removing("/entry/steps/1/steps/1/steps/0/wait"),
        &[(&format!("{path}.wait"), "missing_wait")],
    );
    expect(
        setting(
            "/entry/steps/0/steps/0/steps/0/wait",
            json!({"duration": "1h"}),
        ),
        &[(
            "$.entry.steps[0].steps[0].steps[0].wait",
            "wait_not_allowed",
        )],
    );
    let mut doc = full_journey();
    set(
        &mut doc,
        &format!("{wait}/wait"),
        json!({"duration": "1h", "until": {"at": "2026-01-01"}}),
    );
    assert_eq!(
        found(&doc),
        [(format!("{path}.wait"), "conflicting_fields")]
    );
    set(&mut doc, &format!("{wait}/wait"), json!({}));
    assert_eq!(found(&doc), [(format!("{path}.wait"), "missing_field")]);
    set(&mut doc, &format!("{wait}/wait"), json!("1h"));
    assert_eq!(found(&doc), [(format!("{path}.wait"), "wrong_type")]);
    set(&mut doc, &format!("{wait}/wait"), json!({"duration": 3600}));
    assert_eq!(
        found(&doc),
        [(format!("{path}.wait.duration"), "wrong_type")]
    );
}

#[test]
fn until_has_one_form() {
    let wait = "/entry/steps/1/steps/1/steps/0/wait";
    let path = "$.entry.steps[1].steps[1].steps[0].wait.until";
    let cases = [
        (
            json!({"time": "09:00", "at": "2026-01-01"}),
            vec![(path.to_string(), "conflicting_fields")],
        ),
        (json!({}), vec![(path.to_string(), "missing_field")]),
        (
            json!({"at": "2026-01-01", "days": ["mon"]}),
            vec![(format!("{path}.days"), "unknown_field")],
        ),
        (
            json!({"trait": "renewal", "time": "09:00", "offset": "1d"}),
            vec![(path.to_string(), "conflicting_fields")],
        ),
        (
            json!({"time": "09:00", "offset": "1d"}),
            vec![(format!("{path}.offset"), "unknown_field")],
        ),
        (
            json!({"trait": ""}),
            vec![(format!("{path}.trait"), "empty_value")],
        ),
        (
            json!({"time": "09:00", "days": "mon"}),
            vec![(format!("{path}.days"), "wrong_type")],
        ),
        (json!({"time": "09:00", "days": []}), vec![]),
    ];
    for (until, expected) in cases {
        let mut doc = full_journey();
        set(&mut doc, wait, json!({"until": until}));
        assert_eq!(found(&doc), expected, "{until}");
    }
}

// ---------------------------------------------------------------- branching

#[test]
fn remaining_is_last_and_alone() {
    expect(
        |doc| {
            let steps = doc
                .pointer_mut("/entry/steps")
                .unwrap()
                .as_array_mut()
                .unwrap();
            steps.swap(0, 1);
        },
        &[("$.entry.steps[0]", "remaining_not_last")],
    );
    expect(
        setting(
            "/entry/steps/2",
            json!({"id": "again", "name": "Again", "type": "remaining"}),
        ),
        &[
            ("$.entry.steps[1]", "remaining_not_last"),
            ("$.entry.steps[2]", "duplicate_remaining"),
        ],
    );
}

#[test]
fn remaining_under_wait_branching_needs_a_timeout() {
    expect(
        removing("/entry/timeout"),
        &[("$.entry.steps[1]", "remaining_without_timeout")],
    );
    expect(
        setting("/entry/timeout", json!(null)),
        &[("$.entry.steps[1]", "remaining_without_timeout")],
    );
}

#[test]
fn timeout_goes_with_wait_branching_only() {
    expect(
        setting("/entry/steps/0/timeout", json!("1d")),
        &[("$.entry.steps[0].timeout", "timeout_not_allowed")],
    );
    expect(
        setting("/entry/branching", json!("live")),
        &[("$.entry.timeout", "timeout_not_allowed")],
    );
}

#[test]
fn random_branching_has_weights_and_no_remaining() {
    let b = "/entry/steps/0/steps/0/steps/1";
    let b_path = "$.entry.steps[0].steps[0].steps[1]";
    expect(
        removing("/entry/steps/0/steps/0/steps/1/weight"),
        &[(&format!("{b_path}.weight"), "missing_weight")],
    );
    for bad in [json!(0), json!(-1), json!(0.5), json!("1")] {
        let mut doc = full_journey();
        set(&mut doc, &format!("{b}/weight"), bad);
        assert_eq!(
            found(&doc),
            [(format!("{b_path}.weight"), "invalid_weight")]
        );
    }
    let mut doc = full_journey();
    set(&mut doc, &format!("{b}/type"), json!("remaining"));
    remove(&mut doc, &format!("{b}/wait"));
    assert_eq!(
        found(&doc),
        [(b_path.to_string(), "remaining_under_random")]
    );
}

#[test]
fn weight_belongs_to_children_of_random_steps() {
    expect(
        setting("/entry/steps/1/weight", json!(1)),
        &[("$.entry.steps[1].weight", "weight_not_allowed")],
    );
    // With an invalid branching, weights are not judged.
    expect(
        setting("/entry/steps/0/steps/0/branching", json!("coin")),
        &[("$.entry.steps[0].steps[0].branching", "unknown_branching")],
    );
}

#[test]
fn exit_steps_have_no_children() {
    expect(
        setting(
            "/entry/steps/1/steps/1/steps/0/steps/0/steps",
            json!([{"id": "after", "name": "After", "type": "send"}]),
        ),
        &[(
            "$.entry.steps[1].steps[1].steps[0].steps[0].steps",
            "exit_with_children",
        )],
    );
    expect(
        setting("/entry/steps/1/steps/1/steps/0/steps/0/steps", json!([])),
        &[],
    );
}

#[test]
fn children_after_one_that_always_passes_are_unreachable() {
    let send = json!({"id": "now", "name": "Now", "type": "send"});
    // `decide`: the send before the milestone and the remaining step takes everyone.
    expect(
        setting("/entry/steps/0/steps/0", send.clone()),
        &[("$.entry.steps[0].steps[1]", "unreachable_step")],
    );
    // `wait`: a wait step first.
    let mut doc = full_journey();
    let steps = doc
        .pointer_mut("/entry/steps")
        .unwrap()
        .as_array_mut()
        .unwrap();
    steps.insert(
        0,
        json!({"id": "pause", "name": "Pause", "type": "wait", "wait": {"duration": "1h"}}),
    );
    assert_eq!(
        found(&doc),
        [
            ("$.entry.steps[1]".to_string(), "unreachable_step"),
            ("$.entry.steps[2]".to_string(), "unreachable_step")
        ]
    );
    // `live`: a milestone for everyone.
    expect(
        setting("/entry/steps/1/steps/0/criteria", json!({"everyone": true})),
        &[("$.entry.steps[1].steps[1]", "unreachable_step")],
    );
    // `all`: only the remaining step is unreachable.
    expect(
        |doc| {
            set(
                doc,
                "/entry/steps/0/steps/1/steps/2",
                json!({"id": "other", "name": "Other", "type": "remaining"}),
            );
        },
        &[("$.entry.steps[0].steps[1].steps[2]", "unreachable_step")],
    );
    // `random`: every child can be drawn.
    expect(
        setting("/entry/steps/0/steps/0/steps/0/type", json!("exit")),
        &[],
    );
    // The last child passing at once hides nothing.
    expect(setting("/entry/steps/1/steps/1", send), &[]);
}

#[test]
fn unreachable_messages_name_both_steps() {
    let mut doc = full_journey();
    set(
        &mut doc,
        "/entry/steps/1/steps/0/criteria",
        json!({"everyone": true}),
    );
    assert_eq!(
        validate_journey(&doc, &Limits::default())[0].message,
        "step `rest` can never be chosen: step `vip` always passes under `live` branching"
    );
}

#[test]
fn a_step_with_branching_and_no_children_is_fine() {
    expect(
        setting("/entry/steps/1/steps/0/branching", json!("random")),
        &[],
    );
}

// ---------------------------------------------------------------- settings and connections

#[test]
fn settings_are_checked() {
    expect(
        setting("/settings/control_group/percent", json!(60)),
        &[(
            "$.settings.control_group.percent",
            "control_group_too_large",
        )],
    );
    expect(setting("/settings/control_group/percent", json!(50)), &[]);
    expect(setting("/settings/control_group/percent", json!(0)), &[]);
    expect(
        setting("/settings/control_group/percent", json!(-1)),
        &[("$.settings.control_group.percent", "invalid_percent")],
    );
    expect(
        setting("/settings/control_group/percent", json!("10")),
        &[("$.settings.control_group.percent", "wrong_type")],
    );
    expect(
        setting("/settings/quiet_hours/end", json!("21:00")),
        &[("$.settings.quiet_hours.end", "empty_quiet_hours")],
    );
    expect(
        removing("/settings/quiet_hours/fallback"),
        &[("$.settings.quiet_hours.fallback", "missing_field")],
    );
    expect(
        setting("/settings/frequency_cap/max", json!(0)),
        &[("$.settings.frequency_cap.max", "invalid_frequency_cap")],
    );
    expect(
        removing("/settings/goal/criteria"),
        &[("$.settings.goal.criteria", "missing_field")],
    );
    expect(
        setting(
            "/settings/exit",
            json!({"event": "Unsubscribed", "within": "forever"}),
        ),
        &[("$.settings.exit.within", "invalid_duration")],
    );
    expect(
        setting(
            "/settings",
            json!({"exit": null, "goal": null, "timezone": null}),
        ),
        &[],
    );
}

#[test]
fn control_group_message() {
    let mut doc = full_journey();
    set(&mut doc, "/settings/control_group/percent", json!(60));
    let message = &validate_journey(&doc, &Limits::default())[0].message;
    assert!(message.starts_with("control group over 50 %"), "{message}");
}

#[test]
fn connections_are_checked() {
    expect(
        setting("/entry/connections/0/active", json!("yes")),
        &[("$.entry.connections[0].active", "wrong_type")],
    );
    expect(
        setting("/entry/connections", json!({})),
        &[("$.entry.connections", "wrong_type")],
    );
}

// ---------------------------------------------------------------- limits

/// A journey whose entry has `n` send children.
fn journey_with_sends(n: usize) -> Value {
    let steps: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("s{i}"), "name": format!("Send {i}"), "type": "send"}))
        .collect();
    json!({"id": "j", "name": "J", "entry": {"id": "entry", "name": "Entry", "branching": "all", "steps": steps}})
}

#[test]
fn step_count_counts_every_step_but_waits() {
    // The full journey has 14 steps, 4 of them waits: 10 count.
    let ten = Limits {
        max_steps: 10,
        ..Limits::default()
    };
    assert_eq!(found_with(&full_journey(), &ten), []);
    let nine = Limits {
        max_steps: 9,
        ..Limits::default()
    };
    assert_eq!(
        found_with(&full_journey(), &nine),
        [("$.entry".to_string(), "too_many_steps")]
    );
    assert_eq!(found(&journey_with_sends(19)), []);
    assert_eq!(
        found(&journey_with_sends(20)),
        [("$.entry".to_string(), "too_many_steps")]
    );
    let problems = validate_journey(&journey_with_sends(20), &Limits::default());
    assert!(
        problems[0].message.contains("the limit is 20"),
        "{}",
        problems[0].message
    );
}

#[test]
fn names_are_limited_in_characters() {
    expect(setting("/name", json!("é".repeat(73))), &[]);
    expect(
        setting("/name", json!("é".repeat(74))),
        &[("$.name", "journey_name_too_long")],
    );
    expect(setting("/entry/steps/1/name", json!("ß".repeat(170))), &[]);
    expect(
        setting("/entry/steps/1/name", json!("ß".repeat(171))),
        &[("$.entry.steps[1].name", "step_name_too_long")],
    );
    expect(
        setting("/entry/name", json!("n".repeat(171))),
        &[("$.entry.name", "step_name_too_long")],
    );
}

#[test]
fn keys_are_limited() {
    // 4 + 73 + 2 + 170 + 1 + 6 = 256 characters.
    let mut doc = full_journey();
    set(&mut doc, "/name", json!("j".repeat(73)));
    set(&mut doc, "/entry/steps/1/name", json!("s".repeat(170)));
    assert_eq!(
        found(&doc),
        [("$.entry.steps[1].name".to_string(), "key_too_long")]
    );
    let roomy = Limits {
        key_chars: 256,
        ..Limits::default()
    };
    assert_eq!(found_with(&doc, &roomy), []);
}

// ---------------------------------------------------------------- depth

/// Criteria `levels` deep: `not` around `not` around … `everyone`.
fn nested_nots(levels: usize) -> Value {
    (1..levels).fold(json!({"everyone": true}), |inner, _| json!({"not": inner}))
}

#[test]
fn criteria_nest_at_most_32_levels() {
    expect(setting("/entry/steps/0/criteria", nested_nots(32)), &[]);
    let path = format!("$.entry.steps[0].criteria{}", ".not".repeat(32));
    let mut doc = full_journey();
    set(&mut doc, "/entry/steps/0/criteria", nested_nots(33));
    assert_eq!(found(&doc), [(path, "criteria_too_deep")]);
}

#[test]
fn steps_nest_at_most_64_levels() {
    let chain = |levels: usize| {
        (0..levels).rev().fold(Value::Null, |child, i| {
            let mut step = json!({"id": format!("s{i}"), "name": "S", "type": "wait", "wait": {"duration": "1h"}});
            if !child.is_null() {
                step["steps"] = json!([child]);
            }
            step
        })
    };
    let journey = |levels| json!({"id": "j", "name": "J", "entry": {"id": "entry", "name": "E", "steps": [chain(levels)]}});
    assert_eq!(found(&journey(64)), []);
    let path = format!("$.entry{}.steps", ".steps[0]".repeat(64));
    assert_eq!(found(&journey(65)), [(path, "steps_too_deep")]);
}

#[test]
fn hostile_nesting_does_not_overflow_the_stack() {
    let mut doc = full_journey();
    set(&mut doc, "/entry/criteria", nested_nots(1000));
    set(&mut doc, "/entry/on", json!("qualify"));
    let problems = validate_journey(&doc, &Limits::default());
    assert!(problems.iter().any(|p| p.code == "criteria_too_deep"));
}

// ---------------------------------------------------------------- many mistakes

#[test]
fn every_mistake_is_reported() {
    let mut doc = full_journey();
    set(&mut doc, "/name", json!(""));
    set(&mut doc, "/entry/steps/0/type", json!("milstone"));
    set(
        &mut doc,
        "/entry/criteria/all/0/where/0/op",
        json!("equals"),
    );
    set(
        &mut doc,
        "/entry/steps/0/steps/0/steps/0/connections/0/id",
        json!("c-entry"),
    );
    set(&mut doc, "/settings/quiet_hours/fallback", json!("later"));
    set(&mut doc, "/settings/control_group/percent", json!(75));
    remove(&mut doc, "/entry/steps/1/steps/1/steps/0/wait");
    assert_eq!(
        found(&doc),
        [
            ("$.name".to_string(), "empty_value"),
            (
                "$.entry.criteria.all[0].where[0].op".to_string(),
                "unknown_operator"
            ),
            ("$.entry.steps[0].type".to_string(), "unknown_step_type"),
            (
                "$.entry.steps[0].steps[0].steps[0].connections[0].id".to_string(),
                "duplicate_connection_id"
            ),
            (
                "$.entry.steps[1].steps[1].steps[0].wait".to_string(),
                "missing_wait"
            ),
            (
                "$.settings.control_group.percent".to_string(),
                "control_group_too_large"
            ),
            (
                "$.settings.quiet_hours.fallback".to_string(),
                "unknown_fallback"
            ),
        ]
    );
}

#[test]
fn snapshot_of_many_mistakes() {
    let doc = json!({
        "id": "j",
        "name": "Spring sale",
        "colour": "green",
        "entry": {
            "id": "start",
            "name": "Entry",
            "on": "event",
            "criteria": {"all": [
                {"trait": "plan", "op": "equals", "value": "pro"},
                {"trait": "age", "op": "between", "value": [18]},
                {"trait": "email", "op": "exists", "value": true},
                {"event": "Visit", "within": "1d", "between": {"from": "2026-02-01", "to": "2026-01-01"}, "since": "step"},
                {"everyone": false},
                {"consent": "marketing"},
                {"member_of": {"journey": "j", "step": "ghost"}},
                {"input": []},
                {}
            ]},
            "reentry": {"cooldown": "1 day"},
            "start_at": "2026-02-01",
            "end_at": "2026-01-01",
            "connections": [{"id": "c1", "output": "o", "active": "yes", "mode": "sms"}],
            "steps": [
                {"id": "r", "name": "Rest", "type": "remaining"},
                {"id": "m", "name": "", "type": "milestone", "weight": 2},
                {"id": "m", "name": "Send", "type": "send", "criteria": {"everyone": true}},
                {"id": "w", "name": "Wait", "type": "wait", "wait": {"until": {"time": "9:00", "at": "2026-01-01"}}},
                {"id": "x", "name": "Exit", "type": "exit", "branching": "decide", "timeout": "1d",
                 "steps": [{"id": "y", "name": "Y", "type": "milstone"}]}
            ]
        },
        "settings": {
            "timeout": "1y",
            "control_group": {"percent": 60},
            "quiet_hours": {"start": "08:00", "end": "08:00", "fallback": "later"},
            "frequency_cap": {"max": 0, "per": "1d"},
            "timezone": "Mars/Base",
            "goal": {"within": "7d"}
        }
    });
    let problems = validate_journey(&doc, &Limits::default());
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!("many_mistakes", text.join("\n"));
}

// ---------------------------------------------------------------- step keys

#[test]
fn step_keys_follow_segments_form() {
    // SHA-256("j1/entry") starts b8d580.
    assert_eq!(
        step_key("j1", "Test journey", "entry", "Entry"),
        "j_o_test_journey__entry_b8d580"
    );
    // SHA-256("welcome/activated") starts bae25c.
    assert_eq!(
        step_key(
            "welcome",
            "  Welcome -- Series! ",
            "activated",
            "Écoute: 2nd step"
        ),
        "j_o_welcome_series__coute_2nd_step_bae25c"
    );
    assert_eq!(step_key("j1", "¡¡!!", "entry", ""), "j_o____b8d580");
}

#[test]
fn audience_keys_take_the_slug_of_the_name_and_a_hash_of_the_id() {
    // SHA-256("audience/vip") starts cba53b.
    assert_eq!(audience_key("vip", "VIP buyers!"), "a_vip_buyers_cba53b");
}

// ---------------------------------------------------------------- properties

/// Field names and values the journey language uses, so random documents reach deep checks.
const KEYS: [&str; 48] = [
    "id",
    "name",
    "entry",
    "settings",
    "steps",
    "type",
    "criteria",
    "wait",
    "weight",
    "branching",
    "timeout",
    "connections",
    "on",
    "live",
    "reentry",
    "start_at",
    "end_at",
    "all",
    "any",
    "not",
    "everyone",
    "event",
    "trait",
    "attribute",
    "member_of",
    "consent",
    "input",
    "op",
    "value",
    "where",
    "count",
    "within",
    "between",
    "since",
    "for",
    "is",
    "journey",
    "step",
    "audience",
    "granted",
    "until",
    "duration",
    "time",
    "days",
    "at",
    "offset",
    "percent",
    "cooldown",
];

/// Scalar values the journey language uses.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..100).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(
            &[
                "",
                "entry",
                "step",
                "1d",
                "0s",
                "09:00",
                "mon",
                "2026-01-01T00:00:00Z",
                "UTC",
                "eq",
                "exists",
                "between",
                "in",
                "milestone",
                "remaining",
                "wait",
                "send",
                "exit",
                "random",
                "live",
                "decide",
                "all",
                "event",
                ">=",
                "never",
                "qualify",
                "list",
                "delay",
                "é",
                "a b",
            ][..]
        )
        .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ]
}

/// Random JSON with keys mostly from the journey language.
fn arb_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(6, 96, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(&KEYS[..]).prop_map(String::from),
            "\\PC{0,6}"
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer in `value`, its own included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(
                    child,
                    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// One random edit of a document: what to do, where, and with what.
#[derive(Debug, Clone)]
struct Edit {
    action: u8,
    place: prop::sample::Index,
    key: &'static str,
    value: Value,
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        0u8..3,
        any::<prop::sample::Index>(),
        prop::sample::select(&KEYS[..]),
        prop_oneof![3 => scalar(), 1 => arb_json()],
    )
        .prop_map(|(action, place, key, value)| Edit {
            action,
            place,
            key,
            value,
        })
}

/// Applies an edit: replace a value, remove it, or add a field or element inside it.
fn apply(doc: &mut Value, edit: Edit) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let pointer = edit.place.get(&all).clone();
    let Some(target) = doc.pointer_mut(&pointer) else {
        return;
    };
    match (edit.action, target) {
        (0, target) => *target = edit.value,
        (1, _) if !pointer.is_empty() => {
            let (parent, last) = pointer.rsplit_once('/').unwrap();
            match doc.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.remove(&last.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(items)) => {
                    items.remove(last.parse::<usize>().unwrap());
                }
                _ => {}
            }
        }
        (_, Value::Object(map)) => {
            map.insert(edit.key.to_string(), edit.value);
        }
        (_, Value::Array(items)) => items.push(edit.value),
        _ => {}
    }
}

/// A valid journey to start editing from: the full one or a shared scenario's.
fn base_journey() -> impl Strategy<Value = Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/scenarios");
    let mut bases = vec![full_journey()];
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(path.join("journey.json")).unwrap();
        bases.push(serde_json::from_str(&text).unwrap());
    }
    prop::sample::select(bases)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_json_never_panics(doc in arb_json()) {
        validate_journey(&doc, &Limits::default());
    }

    #[test]
    fn random_entries_never_panic(entry in arb_json(), settings in arb_json()) {
        let doc = json!({"id": "j", "name": "J", "entry": entry, "settings": settings});
        validate_journey(&doc, &Limits::default());
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,64}") {
        let _ = load_journey(&text, &Limits::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn whatever_validates_deserializes(mut doc in base_journey(), edits in prop::collection::vec(edit(), 1..4)) {
        for edit in edits {
            apply(&mut doc, edit);
        }
        if validate_journey(&doc, &Limits::default()).is_empty() {
            let typed = serde_json::from_value::<model::Journey>(doc.clone());
            prop_assert!(typed.is_ok(), "{:?} for {doc:#}", typed.err());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The typed model written out (as the runtime writes a journey it builds, and as a
    /// checkpoint keeps one) is a journey the validator takes and that reads back equal:
    /// absent fields written as `null` and defaults written out mean what they meant.
    #[test]
    fn whatever_validates_writes_back_as_itself(mut doc in base_journey(), edits in prop::collection::vec(edit(), 0..4)) {
        for edit in edits {
            apply(&mut doc, edit);
        }
        if validate_journey(&doc, &Limits::default()).is_empty() {
            let typed: model::Journey = serde_json::from_value(doc.clone()).unwrap();
            let written = serde_json::to_value(&typed).unwrap();
            let problems = validate_journey(&written, &Limits::default());
            prop_assert!(problems.is_empty(), "{problems:?} for {written:#}");
            let read = serde_json::from_value::<model::Journey>(written.clone()).ok();
            prop_assert_eq!(read, Some(typed), "{:#}", written);
        }
    }
}

#[test]
fn connection_traits_are_non_empty_strings() {
    let mut doc = full_journey();
    doc["entry"]["connections"][0]["traits"] = json!(["plan", "address.city"]);
    assert!(found(&doc).is_empty(), "{:?}", found(&doc));
    let loaded = load_journey(&doc.to_string(), &Limits::default()).unwrap();
    assert_eq!(
        loaded.entry.connections[0].traits,
        ["plan".to_string(), "address.city".to_string()]
    );
    doc["entry"]["connections"][0]["traits"] = json!(["plan", ""]);
    assert_eq!(
        found(&doc),
        [(
            "$.entry.connections[0].traits[1]".to_string(),
            "empty_value"
        )]
    );
    doc["entry"]["connections"][0]["traits"] = json!("plan");
    assert_eq!(found(&doc).len(), 1);
}
