//! `waymark import` and `waymark export` on real data directories: the summary's counts,
//! bad lines, `--strict`, idempotent re-imports, exports of empty workspaces, and the round
//! trip import → export → import into a fresh directory → export.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{assert_clean_failure, run, scratch_dir, stderr, waymark, write};

/// A configuration declaring workspaces `shop` and `empty`, each with an input `web`.
const CONFIG: &str = r#"
[[workspaces]]
id = "shop"
[[workspaces]]
id = "empty"
[[inputs]]
workspace = "shop"
id = "web"
kind = "web"
write_key = "wk_shop_web"
[[inputs]]
workspace = "empty"
id = "web"
kind = "web"
write_key = "wk_empty_web"
"#;

/// History in time order: anonymous browsing then identify (merge), an alias of a second
/// anonymous id, a group call, consent, nested traits, a message without `messageId`, one
/// with a `sentAt` far from its `timestamp` (used as given), and an anonymous-only user.
const HISTORY: &str = r#"{"type":"page","anonymousId":"a1","name":"Home","category":"Landing","timestamp":"2026-01-01T10:00:00Z","messageId":"m1","context":{"page":{"path":"/"}}}
{"type":"track","event":"Product Viewed","anonymousId":"a1","timestamp":"2026-01-01T10:01:00Z","messageId":"m2","properties":{"sku":"s1","price":12.5},"context":{"traits":{"plan":"free"}}}
{"type":"identify","userId":"u1","anonymousId":"a1","timestamp":"2026-01-01T10:02:00Z","messageId":"m3","traits":{"email":"u1@example.com","plan":"pro","address":{"state":"CA"}},"context":{"consent":{"categoryPreferences":{"ads":true,"analytics":false}}}}
{"type":"track","event":"Order Completed","userId":"u1","timestamp":"2026-01-01T10:03:00Z","messageId":"m4","properties":{"revenue":42}}
{"type":"screen","anonymousId":"a2","name":"Cart","timestamp":"2026-01-01T10:04:00Z","messageId":"m5"}
{"type":"alias","userId":"u1","previousId":"a2","timestamp":"2026-01-01T10:05:00Z","messageId":"m6"}
{"type":"group","userId":"u1","groupId":"g1","traits":{"name":"Acme"},"timestamp":"2026-01-01T10:06:00Z","messageId":"m7"}
{"type":"identify","userId":"u2","timestamp":"2026-01-01T10:07:00Z","traits":{"plan":"free","consent.email":true}}

{"type":"track","event":"Signed Up","userId":"u2","timestamp":"2026-01-01T10:08:00Z","sentAt":"2026-03-01T00:00:00Z","messageId":"m9"}
{"type":"identify","userId":"u2","timestamp":"2026-01-01T10:10:00Z","traits":{"plan":"pro"},"messageId":"m10"}
{"type":"track","event":"Viewed","anonymousId":"a3","timestamp":"2026-01-01T10:11:00Z","messageId":"m11"}
"#;

/// A scratch directory with the configuration written in it.
fn setup(test: &str) -> (PathBuf, PathBuf) {
    let dir = scratch_dir(test);
    let config = write(&dir, "waymark.toml", CONFIG);
    (dir, config)
}

/// `waymark import FILE --workspace W --input web --data DATA --config CONFIG [extra…]`.
fn import(file: &Path, workspace: &str, data: &Path, config: &Path, extra: &[&str]) -> Output {
    run(waymark()
        .arg("import")
        .arg(file)
        .args(["--workspace", workspace, "--input", "web"])
        .arg("--data")
        .arg(data)
        .arg("--config")
        .arg(config)
        .args(extra))
}

/// `waymark export --workspace W --data DATA` to standard output; must succeed.
fn export(workspace: &str, data: &Path) -> String {
    let out = run(waymark()
        .arg("export")
        .args(["--workspace", workspace])
        .arg("--data")
        .arg(data));
    assert_success(&out);
    String::from_utf8(out.stdout).expect("the export is UTF-8")
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {}; stdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    );
}

/// The number after `label:` in the import summary on standard output.
fn count(out: &Output, label: &str) -> u64 {
    let text = String::from_utf8_lossy(&out.stdout);
    let prefix = format!("{label}:");
    text.lines()
        .find_map(|line| line.trim().strip_prefix(&prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` count in the summary:\n{text}"))
}

/// An export as (profile line, its event lines), sorted: the same profiles and events
/// regardless of profile order.
fn chunks(export: &str) -> Vec<(Value, Vec<Value>)> {
    let mut chunks: Vec<(Value, Vec<Value>)> = Vec::new();
    for line in export.lines() {
        let value: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("an export line is not JSON ({e}): {line}"));
        match value.get("profile") {
            Some(profile) => chunks.push((profile.clone(), Vec::new())),
            None => chunks
                .last_mut()
                .unwrap_or_else(|| panic!("an event before any profile line: {line}"))
                .1
                .push(value),
        }
    }
    chunks.sort_by_key(|(profile, _)| profile.to_string());
    chunks
}

/// The chunk of the profile with this user id or anonymous id.
fn profile_of<'a>(chunks: &'a [(Value, Vec<Value>)], key: &str) -> &'a (Value, Vec<Value>) {
    chunks
        .iter()
        .find(|(p, _)| {
            p["user_id"] == key
                || p["anonymous_ids"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|id| id == key))
        })
        .unwrap_or_else(|| panic!("no profile for `{key}`"))
}

#[test]
fn import_export_round_trip_reproduces_profiles_and_events() {
    let (dir, config) = setup("round-trip");
    let history = write(&dir, "history.ndjson", HISTORY);
    let first = dir.join("first");
    let out = import(&history, "shop", &first, &config, &[]);
    assert_success(&out);
    assert_eq!(count(&out, "lines read"), 11);
    assert_eq!(count(&out, "stored"), 11);
    assert_eq!(count(&out, "rejected"), 0);

    let e1 = export("shop", &first);
    let c1 = chunks(&e1);
    assert_eq!(c1.len(), 3, "u1 (with a1 and a2), u2, a3:\n{e1}");
    let (u1, u1_events) = profile_of(&c1, "u1");
    assert_eq!(u1["anonymous_ids"], serde_json::json!(["a1", "a2"]));
    assert_eq!(u1["traits"]["plan"], "pro");
    assert_eq!(u1["traits"]["address"]["state"], "CA");
    assert_eq!(u1["identities"]["email"], "u1@example.com");
    assert_eq!(
        u1["consent"],
        serde_json::json!({"ads": true, "analytics": false})
    );
    assert_eq!(u1["event_count"], 7);
    assert_eq!(u1_events.len(), 7);
    let times: Vec<&str> = u1_events
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap_or_default())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(times, sorted, "events are in time order");
    let alias = u1_events
        .iter()
        .find(|e| e["type"] == "alias")
        .expect("the alias event");
    assert_eq!(alias["previousId"], "a2");
    let group = u1_events
        .iter()
        .find(|e| e["type"] == "group")
        .expect("the group event");
    assert_eq!(group["groupId"], "g1");
    assert_eq!(group["traits"], serde_json::json!({"name": "Acme"}));
    let (u2, u2_events) = profile_of(&c1, "u2");
    assert_eq!(u2["traits"]["plan"], "pro");
    assert_eq!(u2["consent"]["email"], true);
    let signed_up = u2_events
        .iter()
        .find(|e| e["event"] == "Signed Up")
        .expect("the Signed Up event");
    assert_eq!(
        signed_up["timestamp"], "2026-01-01T10:08:00Z",
        "an import uses timestamp as given, without skew correction"
    );
    assert!(
        u2_events.iter().all(|e| e["messageId"].is_string()),
        "a message without messageId gets a derived one"
    );

    // Importing the export again into the same store changes nothing.
    let e1_file = write(&dir, "e1.ndjson", &e1);
    let again = import(&e1_file, "shop", &first, &config, &[]);
    assert_success(&again);
    assert_eq!(count(&again, "stored"), 0);
    assert_eq!(count(&again, "duplicates skipped"), 11);
    assert_eq!(count(&again, "profile lines"), 3);

    // Into a fresh store: the same profiles and events.
    let second = dir.join("second");
    let out = import(&e1_file, "shop", &second, &config, &[]);
    assert_success(&out);
    assert_eq!(count(&out, "lines read"), 14);
    assert_eq!(count(&out, "stored"), 11);
    assert_eq!(count(&out, "profile lines"), 3);
    let e2 = export("shop", &second);
    assert_eq!(chunks(&e2), c1, "first export:\n{e1}\nsecond export:\n{e2}");
}

/// Nine non-blank lines: three good (one a duplicate) and six bad ones.
const WITH_BAD_LINES: &str = r#"{"type":"track","event":"A","userId":"u","timestamp":"2026-01-01T00:00:00Z","messageId":"g1"}
not json

[1, 2]
{"type":"track","userId":"u","timestamp":"2026-01-01T00:00:00Z"}
{"type":"track","event":"B","timestamp":"2026-01-01T00:00:00Z"}
{"type":"track","event":"A","userId":"u","timestamp":"2026-01-01T00:00:00Z","messageId":"g1"}
{"type":"track","event":"C","userId":"u","timestamp":"yesterday"}
{"type":"track","event":"D","userId":"u","timestamp":"2026-01-01T00:01:00Z"}
{"type":"bogus","userId":"u","timestamp":"2026-01-01T00:00:00Z"}
"#;

#[test]
fn import_summary_counts_bad_lines_and_goes_on() {
    let (dir, config) = setup("bad-lines");
    let file = write(&dir, "events.ndjson", WITH_BAD_LINES);
    let data = dir.join("data");
    let out = import(&file, "shop", &data, &config, &[]);
    assert_success(&out);
    assert_eq!(count(&out, "lines read"), 9);
    assert_eq!(count(&out, "stored"), 2);
    assert_eq!(count(&out, "duplicates skipped"), 1);
    assert_eq!(count(&out, "rejected"), 6);
    let err = stderr(&out);
    for expected in [
        "events.ndjson line 2: not valid JSON",
        "[invalid_json]",
        "line 4: a message must be a JSON object [not_an_object]",
        "line 5: a track call needs an `event` name [missing_event]",
        "line 6: a message needs a userId or an anonymousId [no_user_anon_id]",
        "line 8: `timestamp` is not a valid time: `yesterday` [bad_timestamp]",
        "line 10: unknown message type `bogus`",
    ] {
        assert!(err.contains(expected), "stderr lacks `{expected}`:\n{err}");
    }
    assert!(
        !err.contains("line 1:") && !err.contains("line 9:"),
        "{err}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("invalid_json 1") && stdout.contains("unknown_type 1"),
        "the summary counts rejections by code:\n{stdout}"
    );
    let events: usize = chunks(&export("shop", &data))
        .iter()
        .map(|(_, events)| events.len())
        .sum();
    assert_eq!(events, 2);
}

#[test]
fn import_strict_stops_at_the_first_bad_line() {
    let (dir, config) = setup("strict");
    let file = write(&dir, "events.ndjson", WITH_BAD_LINES);
    let data = dir.join("data");
    let out = import(&file, "shop", &data, &config, &["--strict"]);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{}", stderr(&out));
    assert_eq!(count(&out, "lines read"), 2);
    assert_eq!(count(&out, "stored"), 1);
    assert_eq!(count(&out, "rejected"), 1);
    let err = stderr(&out);
    assert!(err.contains("line 2") && err.contains("--strict"), "{err}");
    assert!(
        !err.contains("line 4"),
        "nothing after the bad line is read:\n{err}"
    );
    let events: usize = chunks(&export("shop", &data))
        .iter()
        .map(|(_, events)| events.len())
        .sum();
    assert_eq!(events, 1, "the line before the bad one is stored");
}

#[test]
fn import_shows_twenty_bad_lines_and_counts_the_rest() {
    let (dir, config) = setup("many-bad-lines");
    let mut text = String::new();
    for i in 0..25 {
        text.push_str(&format!("{{\"type\":\"track\",\"event\":\"E{i}\"}}\n"));
    }
    let file = write(&dir, "events.ndjson", &text);
    let out = import(&file, "shop", &dir.join("data"), &config, &[]);
    assert_success(&out);
    assert_eq!(count(&out, "rejected"), 25);
    let err = stderr(&out);
    assert_eq!(err.matches("[no_user_anon_id]").count(), 20, "{err}");
    assert!(
        err.contains("line 20:") && !err.contains("line 21:"),
        "{err}"
    );
    assert!(err.contains("further rejected lines"), "{err}");
}

#[test]
fn import_without_message_ids_twice_stores_once() {
    let (dir, config) = setup("idempotent");
    // Two identical lines are two events (SPEC §2); a third, different one follows.
    let line = "{\"type\":\"track\",\"event\":\"A\",\"userId\":\"u\",\"timestamp\":\"2026-01-01T00:00:00Z\"}\n";
    let other = "{\"type\":\"track\",\"event\":\"A\",\"userId\":\"u\",\"timestamp\":\"2026-01-01T00:00:01Z\"}\n";
    let file = write(&dir, "events.ndjson", &format!("{line}{line}{other}"));
    let data = dir.join("data");
    let first = import(&file, "shop", &data, &config, &[]);
    assert_success(&first);
    assert_eq!(count(&first, "stored"), 3);
    let second = import(&file, "shop", &data, &config, &[]);
    assert_success(&second);
    assert_eq!(count(&second, "stored"), 0);
    assert_eq!(count(&second, "duplicates skipped"), 3);
    // The file grew at its end: only the new line is stored, though it repeats the first.
    let grown = write(&dir, "grown.ndjson", &format!("{line}{line}{other}{line}"));
    let third = import(&grown, "shop", &data, &config, &[]);
    assert_success(&third);
    assert_eq!(count(&third, "stored"), 1);
    assert_eq!(count(&third, "duplicates skipped"), 3);
}

#[test]
fn export_of_an_empty_workspace_is_empty() {
    let (dir, config) = setup("empty-export");
    let empty_file = write(&dir, "nothing.ndjson", "");
    let data = dir.join("data");
    let out = import(&empty_file, "empty", &data, &config, &[]);
    assert_success(&out);
    assert_eq!(count(&out, "lines read"), 0);
    assert_eq!(export("empty", &data), "");

    let target = dir.join("empty-export.ndjson");
    let out = run(waymark()
        .arg("export")
        .args(["--workspace", "empty"])
        .arg("--data")
        .arg(&data)
        .arg("--output")
        .arg(&target));
    assert_success(&out);
    assert!(
        stderr(&out).contains("0 profiles and 0 events"),
        "{}",
        stderr(&out)
    );
    let written = std::fs::read_to_string(&target).expect("the export file exists");
    assert_eq!(written, "");
}

#[test]
fn unknown_workspace_input_or_data_directory_is_a_clean_error() {
    let (dir, config) = setup("unknown-target");
    let file = write(&dir, "events.ndjson", HISTORY);
    let data = dir.join("data");
    let out = import(&file, "nope", &data, &config, &[]);
    assert_clean_failure(&out, &["no Waymark data directory"]);
    assert_success(&import(&file, "shop", &data, &config, &[]));
    let out = import(&file, "nope", &data, &config, &[]);
    assert_clean_failure(&out, &["workspace `nope` does not exist", "empty, shop"]);
    let out = run(waymark()
        .arg("import")
        .arg(&file)
        .args(["--workspace", "shop", "--input", "ios"])
        .arg("--data")
        .arg(&data));
    assert_clean_failure(
        &out,
        &["input `ios` does not exist in workspace `shop`", "web"],
    );
    let out = run(waymark()
        .arg("export")
        .args(["--workspace", "nope"])
        .arg("--data")
        .arg(&data));
    assert_clean_failure(&out, &["workspace `nope` does not exist"]);
    let out = run(waymark()
        .arg("export")
        .args(["--workspace", "shop"])
        .arg("--data")
        .arg(dir.join("no-such-dir")));
    assert_clean_failure(&out, &["no Waymark data directory", "no-such-dir"]);
    let out = run(waymark()
        .arg("import")
        .arg(dir.join("missing.ndjson"))
        .args(["--workspace", "shop", "--input", "web"])
        .arg("--data")
        .arg(&data));
    assert_clean_failure(&out, &["missing.ndjson"]);
}
