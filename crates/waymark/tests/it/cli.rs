//! Command-line errors: non-zero exit, a message naming the problem, never a panic.

use std::path::PathBuf;

use crate::support::{assert_clean_failure, run, scratch_dir, waymark, workspace_root, write};

/// A small valid journey from the own suite.
fn valid_journey() -> PathBuf {
    workspace_root().join("tests/scenarios/01-tie-wait-passes-before-event/journey.json")
}

const GOOD_EVENT: &str = r#"{"type": "track", "event": "Signed Up", "userId": "u1", "timestamp": "2026-01-05T12:00:00Z"}"#;

/// The valid journey with its first step's type misspelled `milstone`.
const MISTYPED_JOURNEY: &str = r#"{
  "id": "j1",
  "name": "Mistyped",
  "entry": {
    "id": "entry",
    "name": "Entry",
    "criteria": {"event": "Signed Up"},
    "steps": [
      {"id": "m1", "name": "Milestone", "type": "milstone", "criteria": {"event": "Order Completed"}}
    ]
  }
}
"#;

#[test]
fn simulate_missing_journey_file() {
    let dir = scratch_dir("missing-journey");
    let events = write(&dir, "events.ndjson", &format!("{GOOD_EVENT}\n"));
    let journey = dir.join("no-such-journey.json");
    let out = run(waymark()
        .arg("simulate")
        .arg("--journey")
        .arg(&journey)
        .arg("--events")
        .arg(&events));
    assert_clean_failure(&out, &["no-such-journey.json"]);
}

#[test]
fn simulate_invalid_json_event_names_the_line() {
    let dir = scratch_dir("invalid-json-event");
    let events = write(
        &dir,
        "bad-events.ndjson",
        &format!("{GOOD_EVENT}\n{{\"type\": \"track\",\n"),
    );
    let out = run(waymark()
        .arg("simulate")
        .arg("--journey")
        .arg(valid_journey())
        .arg("--events")
        .arg(&events));
    assert_clean_failure(&out, &["bad-events.ndjson", "line 2"]);
}

#[test]
fn simulate_event_without_user_or_anonymous_id() {
    let dir = scratch_dir("event-without-id");
    let events = write(
        &dir,
        "events.ndjson",
        "{\"type\": \"track\", \"event\": \"Signed Up\", \"timestamp\": \"2026-01-05T12:00:00Z\"}\n",
    );
    let out = run(waymark()
        .arg("simulate")
        .arg("--journey")
        .arg(valid_journey())
        .arg("--events")
        .arg(&events));
    assert_clean_failure(&out, &["line 1", "userId", "anonymousId"]);
}

#[test]
fn simulate_bad_until_value() {
    let dir = scratch_dir("bad-until");
    let events = write(&dir, "events.ndjson", &format!("{GOOD_EVENT}\n"));
    let out = run(waymark()
        .arg("simulate")
        .arg("--journey")
        .arg(valid_journey())
        .arg("--events")
        .arg(&events)
        .args(["--until", "next-tuesday"]));
    assert_clean_failure(&out, &["--until", "next-tuesday"]);
}

#[test]
fn validate_accepts_a_valid_journey() {
    let out = run(waymark().arg("validate").arg(valid_journey()));
    assert!(
        out.status.success(),
        "validate rejected a valid journey ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn validate_accepts_every_own_scenario_journey() {
    let root = workspace_root().join("tests/scenarios");
    let mut rejected = Vec::new();
    for entry in std::fs::read_dir(&root)
        .expect("tests/scenarios")
        .filter_map(Result::ok)
    {
        let journey = entry.path().join("journey.json");
        if !journey.is_file() {
            continue;
        }
        let out = run(waymark().arg("validate").arg(&journey));
        if !out.status.success() {
            rejected.push(format!(
                "{}:\n{}",
                journey.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(
        rejected.is_empty(),
        "validate rejects scenario journeys:\n{}",
        rejected.join("\n")
    );
}

#[test]
fn validate_rejects_an_invalid_journey() {
    let dir = scratch_dir("validate-invalid");
    let journey = write(&dir, "mistyped-journey.json", MISTYPED_JOURNEY);
    let out = run(waymark().arg("validate").arg(&journey));
    assert_clean_failure(&out, &["mistyped-journey.json"]);
}

#[test]
fn validate_rejects_a_file_that_is_not_json() {
    let dir = scratch_dir("validate-not-json");
    let journey = write(&dir, "not-json.json", "{\"id\": \"j1\",");
    let out = run(waymark().arg("validate").arg(&journey));
    assert_clean_failure(&out, &["not-json.json"]);
}

#[test]
fn validate_names_the_json_path_of_a_bad_step_type() {
    let dir = scratch_dir("validate-path");
    let journey = write(&dir, "mistyped-journey.json", MISTYPED_JOURNEY);
    let out = run(waymark().arg("validate").arg(&journey));
    assert_clean_failure(&out, &["mistyped-journey.json", "$.entry.steps[0].type"]);
}

#[test]
fn simulate_reads_computed_attributes() {
    let dir = scratch_dir("simulate-attributes");
    let journey = write(
        &dir,
        "journey.json",
        r#"{"id": "j", "name": "Repeat buyers", "entry": {"id": "entry", "name": "Entry",
            "criteria": {"attribute": "orders", "op": "gte", "value": 2}}}"#,
    );
    let attributes = write(
        &dir,
        "attributes.json",
        r#"{"attributes": [{"name": "orders", "event": "Order Completed", "aggregate": "count"}]}"#,
    );
    let events = write(
        &dir,
        "events.ndjson",
        r#"{"type":"track","userId":"u1","event":"Order Completed","timestamp":"2026-01-01T00:00:00Z"}
{"type":"track","userId":"u1","event":"Order Completed","timestamp":"2026-01-02T00:00:00Z"}
"#,
    );
    let out = run(waymark()
        .arg("simulate")
        .arg("--journey")
        .arg(&journey)
        .arg("--events")
        .arg(&events)
        .arg("--attributes")
        .arg(&attributes));
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    let trace = String::from_utf8(out.stdout).unwrap();
    let first = trace.lines().next().unwrap_or_default();
    assert!(
        first.contains(r#""at":"2026-01-02T00:00:00Z""#) && first.contains(r#""change":"entered""#),
        "{trace}"
    );
}
