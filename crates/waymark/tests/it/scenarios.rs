//! Conformance scenarios through `waymark simulate`, compared like `shared/bin/conformance`:
//! trace lines as a multiset of (instant, user, kind, step, change/action, connection), times
//! compared as instants, extra fields ignored.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use waymark_engine::time::{format_instant, parse_instant};

use crate::support::{run, waymark, workspace_root};

/// One scenario folder: `journey.json`, `events.ndjson`, `expected.ndjson`, optional `args`.
struct Scenario {
    name: String,
    dir: PathBuf,
}

/// Waymark's own suite.
fn own_suite() -> PathBuf {
    workspace_root().join("tests/scenarios")
}

/// The public suite beside the project, when present.
fn shared_suite() -> PathBuf {
    workspace_root().join("../shared/scenarios")
}

/// The scenario folders directly under `root`, by name.
fn discover(root: &Path) -> Vec<Scenario> {
    let entries = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("cannot list scenarios in {}: {e}", root.display()));
    let mut found: Vec<Scenario> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|dir| dir.join("journey.json").is_file())
        .map(|dir| Scenario {
            name: dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            dir,
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// `waymark simulate` on a scenario, with the extra arguments of its `args` file.
fn simulate(s: &Scenario) -> Output {
    let extra = std::fs::read_to_string(s.dir.join("args")).unwrap_or_default();
    run(waymark()
        .arg("simulate")
        .arg("--journey")
        .arg(s.dir.join("journey.json"))
        .arg("--events")
        .arg(s.dir.join("events.ndjson"))
        .args(extra.split_whitespace()))
}

/// What a trace line is compared by: (instant in ms, user, kind, step, change or action,
/// connection).
type Key = (i64, String, String, String, String, String);

fn text_field(line: &Value, field: &str) -> String {
    match line.get(field) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn key(line: &Value) -> Result<Key, String> {
    let at = line
        .get("at")
        .and_then(Value::as_str)
        .ok_or("a line has no string `at`")?;
    let instant = parse_instant(at).ok_or_else(|| format!("`at` is not a time: {at}"))?;
    let mut change = text_field(line, "change");
    if change.is_empty() {
        change = text_field(line, "action");
    }
    Ok((
        instant,
        text_field(line, "user"),
        text_field(line, "kind"),
        text_field(line, "step"),
        change,
        text_field(line, "connection"),
    ))
}

/// The multiset of keys of an NDJSON trace.
fn trace_keys(text: &str) -> Result<BTreeMap<Key, usize>, String> {
    let mut keys = BTreeMap::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", n + 1))?;
        *keys
            .entry(key(&value).map_err(|e| format!("line {}: {e}", n + 1))?)
            .or_default() += 1;
    }
    Ok(keys)
}

/// `a − b` as multisets, in key order.
fn minus(a: &BTreeMap<Key, usize>, b: &BTreeMap<Key, usize>) -> Vec<Key> {
    let mut out = Vec::new();
    for (k, &n) in a {
        let extra = n.saturating_sub(b.get(k).copied().unwrap_or(0));
        out.extend(std::iter::repeat_n(k.clone(), extra));
    }
    out
}

fn show(k: &Key) -> String {
    let (at, user, kind, step, change, conn) = k;
    [
        format_instant(*at),
        user.clone(),
        kind.clone(),
        step.clone(),
        change.clone(),
        conn.clone(),
    ]
    .into_iter()
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join(" ")
}

/// Why a scenario fails, or `None` when its trace matches.
fn check(s: &Scenario) -> Option<String> {
    let out = simulate(s);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Some(format!("{}: {}", out.status, err.trim()));
    }
    let got = match trace_keys(&String::from_utf8_lossy(&out.stdout)) {
        Ok(keys) => keys,
        Err(e) => return Some(format!("trace is not NDJSON of the documented shape: {e}")),
    };
    let expected_path = s.dir.join("expected.ndjson");
    let expected = std::fs::read_to_string(&expected_path)
        .map_err(|e| format!("cannot read {}: {e}", expected_path.display()))
        .and_then(|text| trace_keys(&text).map_err(|e| format!("expected.ndjson {e}")));
    let want = match expected {
        Ok(keys) => keys,
        Err(e) => return Some(e),
    };
    let (missing, unexpected) = (minus(&want, &got), minus(&got, &want));
    if missing.is_empty() && unexpected.is_empty() {
        return None;
    }
    let mut report = String::new();
    for k in &missing {
        let _ = write!(report, "\n    missing    {}", show(k));
    }
    for k in &unexpected {
        let _ = write!(report, "\n    unexpected {}", show(k));
    }
    Some(report)
}

/// Runs every scenario under `root`; panics with all failures in one message.
fn assert_suite_passes(root: &Path) {
    let scenarios = discover(root);
    assert!(
        !scenarios.is_empty(),
        "no scenarios under {}",
        root.display()
    );
    let failures: Vec<String> = scenarios
        .iter()
        .filter_map(|s| check(s).map(|why| format!("FAIL {}: {why}", s.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios under {} fail:\n{}",
        failures.len(),
        scenarios.len(),
        root.display(),
        failures.join("\n")
    );
}

#[test]
fn own_scenarios_pass() {
    assert_suite_passes(&own_suite());
}

#[test]
fn shared_scenarios_pass() {
    let root = shared_suite();
    if !root.is_dir() {
        eprintln!("skipped: no shared suite at {}", root.display());
        return;
    }
    assert_suite_passes(&root);
}

#[test]
fn own_scenarios_are_described() {
    let scenarios = discover(&own_suite());
    assert!(
        scenarios.len() >= 30,
        "only {} own scenarios",
        scenarios.len()
    );
    let mut problems = Vec::new();
    for s in &scenarios {
        let text = std::fs::read_to_string(s.dir.join("journey.json")).unwrap_or_default();
        let journey: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        match journey.get("description").and_then(Value::as_str) {
            Some(d) if !d.trim().is_empty() && !d.contains('\n') => {}
            _ => problems.push(format!(
                "{}: journey.json needs a one-line description",
                s.name
            )),
        }
        for file in ["events.ndjson", "expected.ndjson"] {
            if !s.dir.join(file).is_file() {
                problems.push(format!("{}: no {file}", s.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn simulate_is_deterministic() {
    let mut scenarios = discover(&own_suite());
    if shared_suite().is_dir() {
        scenarios.extend(discover(&shared_suite()));
    }
    let mut failures = Vec::new();
    for s in &scenarios {
        let (first, second) = (simulate(s), simulate(s));
        if !first.status.success() || !second.status.success() {
            failures.push(format!(
                "{}: simulate failed ({} / {})",
                s.name, first.status, second.status
            ));
        } else if first.stdout != second.stdout {
            failures.push(format!("{}: two runs printed different bytes", s.name));
        }
    }
    assert!(
        failures.is_empty(),
        "non-deterministic simulate:\n{}",
        failures.join("\n")
    );
}

#[test]
fn comparison_is_by_instant_and_multiset() {
    let a = trace_keys(concat!(
        r#"{"at": "2026-01-05T13:00:00+01:00", "user": "u1", "kind": "step", "step": "s", "change": "entered", "extra": 1}"#,
        "\n",
        r#"{"at": "2026-01-05T12:00:00.000Z", "user": "u1", "kind": "step", "step": "s", "change": "entered"}"#,
    ))
    .unwrap();
    let b = trace_keys(
        r#"{"at": "2026-01-05T12:00:00Z", "user": "u1", "kind": "step", "step": "s", "change": "entered"}"#,
    )
    .unwrap();
    assert_eq!(a.values().sum::<usize>(), 2);
    assert_eq!(
        minus(&a, &b).len(),
        1,
        "one of the two equal lines is left over"
    );
    assert!(minus(&b, &a).is_empty());
}
