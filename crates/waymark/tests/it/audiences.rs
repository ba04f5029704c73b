//! `waymark audiences` (SPEC §6) as a user runs it.

use serde_json::{Value, json};

use crate::support::{assert_clean_failure, run, scratch_dir, stderr, waymark, write};

const DEFINITIONS: &str = r#"{
  "now": "ignored, like any other top-level key",
  "audiences": [
    {"id": "recent_buyers", "name": "Recent buyers",
     "criteria": {"event": "Order Completed", "within": "1d"}},
    {"id": "never_ordered", "name": "Never ordered",
     "criteria": {"event": "Order Completed", "count": {"op": "=", "value": 0}}},
    {"id": "pro_not_buying", "name": "Pro, not buying",
     "criteria": {"all": [{"trait": "plan", "op": "eq", "value": "pro"},
                          {"member_of": {"audience": "recent_buyers"}, "is": false}]}}
  ]
}"#;

/// Out of time order on purpose (u3's identify comes last), with a blank line and a line
/// that repeats `userId` (the last one counts, as when parsing it as a JSON tree).
const EVENTS: &str = r#"{"type":"identify","userId":"zz","userId":"a2","traits":{},"timestamp":"2026-01-01T00:00:00Z"}
{"type":"identify","userId":"u1","traits":{"plan":"pro"},"timestamp":"2026-01-01T00:00:00Z"}
{"type":"track","userId":"u1","event":"Order Completed","timestamp":"2026-01-01T10:00:00Z"}
{"type":"track","anonymousId":"a2","event":"Visit","timestamp":"2026-01-02T00:00:00Z"}

{"type":"track","userId":"u3","event":"Order Completed","timestamp":"2026-01-02T12:00:00Z"}
{"type":"identify","userId":"u3","traits":{"plan":"pro"},"timestamp":"2026-01-01T12:00:00Z"}
"#;

fn audiences(dir: &str, extra: &[&str]) -> Value {
    let dir = scratch_dir(dir);
    let definitions = write(&dir, "audiences.json", DEFINITIONS);
    let events = write(&dir, "events.ndjson", EVENTS);
    let out = run(waymark()
        .arg("audiences")
        .arg("--definitions")
        .arg(&definitions)
        .arg("--events")
        .arg(&events)
        .args(extra));
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn sizes_and_members_as_of_the_last_event() {
    let doc = audiences("audiences-default", &["--members"]);
    assert_eq!(doc["at"], json!("2026-01-02T12:00:00Z"));
    assert_eq!(
        doc["sizes"],
        json!({"recent_buyers": 1, "never_ordered": 1, "pro_not_buying": 1})
    );
    assert_eq!(
        doc["members"],
        json!({"recent_buyers": ["u3"], "never_ordered": ["a2"], "pro_not_buying": ["u1"]})
    );
    // SHA-1 of "u3", first 16 hex digits (the benchmark's digest).
    assert_eq!(doc["digests"]["recent_buyers"], json!("e2e5f0fd9054a323"));
    assert!(doc["load_s"].is_number() && doc["query_s"].is_number());
    assert!(doc["version"].as_str().unwrap().starts_with("waymark "));
}

#[test]
fn an_earlier_instant_ignores_later_events_and_users() {
    let doc = audiences(
        "audiences-at",
        &["--at", "2026-01-01T11:00:00Z", "--members"],
    );
    assert_eq!(doc["at"], json!("2026-01-01T11:00:00Z"));
    assert_eq!(
        doc["members"],
        json!({"recent_buyers": ["u1"], "never_ordered": ["a2"], "pro_not_buying": []})
    );
}

#[test]
fn any_number_of_threads_gives_the_same_answer() {
    let one = audiences("audiences-one", &["--threads", "1"]);
    let five = audiences("audiences-five", &["--threads", "5"]);
    assert_eq!(one["sizes"], five["sizes"]);
    assert_eq!(one["digests"], five["digests"]);
}

#[test]
fn invalid_definitions_list_every_problem() {
    let dir = scratch_dir("audiences-bad-definitions");
    let definitions = write(
        &dir,
        "audiences.json",
        r#"{"audiences": [{"id": "a", "name": "A", "criteria": {"event": "X", "within": "1y"}},
                          {"id": "a", "name": "A", "criteria": {"member_of": {"audience": "zz"}}}]}"#,
    );
    let events = write(&dir, "events.ndjson", "");
    let out = run(waymark()
        .arg("audiences")
        .arg("--definitions")
        .arg(&definitions)
        .arg("--events")
        .arg(&events));
    assert_clean_failure(
        &out,
        &[
            "invalid_duration",
            "duplicate_audience_id",
            "unknown_audience",
        ],
    );
}

#[test]
fn a_bad_event_line_is_named() {
    let dir = scratch_dir("audiences-bad-line");
    let definitions = write(&dir, "audiences.json", DEFINITIONS);
    let events = write(
        &dir,
        "events.ndjson",
        &format!("{EVENTS}{{\"type\":\"track\",\"userId\":\"u9\"}}\n"),
    );
    let out = run(waymark()
        .arg("audiences")
        .arg("--definitions")
        .arg(&definitions)
        .arg("--events")
        .arg(&events));
    assert_clean_failure(&out, &["events.ndjson line 8"]);
    let missing = run(waymark()
        .arg("audiences")
        .arg("--definitions")
        .arg(&definitions)
        .arg("--events")
        .arg(dir.join("nowhere.ndjson")));
    assert_clean_failure(&missing, &["nowhere.ndjson"]);
    let bad_at = run(waymark()
        .arg("audiences")
        .arg("--definitions")
        .arg(&definitions)
        .arg("--events")
        .arg(&events)
        .args(["--at", "yesterday"]));
    assert_clean_failure(&bad_at, &["--at", "yesterday"]);
}

#[test]
fn computed_attributes_feed_attribute_criteria() {
    let dir = scratch_dir("audiences-attributes");
    let definitions = write(
        &dir,
        "audiences.json",
        r#"{"audiences": [{"id": "big", "name": "Big spenders",
            "criteria": {"attribute": "ltv", "op": "gte", "value": 500}}]}"#,
    );
    let attributes = write(
        &dir,
        "attributes.json",
        r#"{"attributes": [{"name": "ltv", "event": "Order Completed", "aggregate": "sum",
            "property": "revenue", "within": "30d"}]}"#,
    );
    let events = write(
        &dir,
        "events.ndjson",
        r#"{"type":"track","userId":"u1","event":"Order Completed","properties":{"revenue":300},"timestamp":"2026-01-01T00:00:00Z"}
{"type":"track","userId":"u1","event":"Order Completed","properties":{"revenue":"250"},"timestamp":"2026-01-02T00:00:00Z"}
{"type":"track","userId":"u2","event":"Order Completed","properties":{"revenue":100},"timestamp":"2026-01-02T00:00:00Z"}
"#,
    );
    let run_at = |at: &str| {
        let out = run(waymark()
            .arg("audiences")
            .arg("--definitions")
            .arg(&definitions)
            .arg("--events")
            .arg(&events)
            .arg("--attributes")
            .arg(&attributes)
            .args(["--at", at, "--members"]));
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["members"]["big"].clone()
    };
    assert_eq!(run_at("2026-01-02T00:00:00Z"), json!(["u1"]));
    // 30 days after the first order, only 250 is left in the window.
    assert_eq!(run_at("2026-01-31T00:00:00Z"), json!([]));
    // Without the attributes file the criteria name an unknown attribute.
    let out = run(waymark()
        .arg("audiences")
        .arg("--definitions")
        .arg(&definitions)
        .arg("--events")
        .arg(&events));
    assert_clean_failure(&out, &["unknown_attribute", "ltv"]);
}
