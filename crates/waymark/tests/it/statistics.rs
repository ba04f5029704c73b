//! Journey statistics end to end (SPEC §11): a real `waymark serve`, an experiment
//! published over the admin API (a 10 % control group and an A/B split), 300 users sending
//! events to `/v1/batch`, and the figures of `GET /api/journeys/{id}/stats` checked two ways:
//! the counts against what the stable hash (SPEC §7) says of every user, and every
//! interval recomputed by statsmodels (`tests/stats/check_intervals.py`, installed from
//! `tests/stats/requirements.txt`). Funnel and entries over time are read from the same run.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};
use waymark_engine::hash::bucket;

use crate::installs::pip_target;
use crate::journeys_live::{DEADLINE, Harness, eventually, track};
use crate::support::workspace_root;

const USERS: usize = 300;

static STATSMODELS: OnceLock<Result<std::path::PathBuf, String>> = OnceLock::new();

fn experiment() -> Value {
    let branch = |id: &str| {
        json!({"id": id, "name": format!("Branch {id}"), "type": "wait", "weight": 1,
               "wait": {"duration": "1d"}})
    };
    json!({
        "id": "exp", "name": "Experiment", "inputs": ["web"],
        "entry": {"id": "entry", "name": "Signed up", "criteria": {"event": "Signed Up"},
            "steps": [{"id": "split", "name": "Split", "type": "milestone",
                "criteria": {"everyone": true}, "branching": "random",
                "steps": [branch("a"), branch("b")]}]},
        "settings": {"control_group": {"percent": 10},
                     "goal": {"criteria": {"event": "Purchased"}}}
    })
}

fn user(i: usize) -> String {
    format!("stats-user-{i:03}")
}

/// Who purchases: a share that differs between the arms, so that uplift is not zero.
fn purchases(i: usize) -> bool {
    i.is_multiple_of(3) || (bucket(&format!("exp/split/{}", user(i))) < 5000 && i % 5 == 1)
}

/// Entries and goals per arm, from the stable hash: (control, a, b).
fn expected() -> [(u64, u64); 3] {
    let mut arms = [(0, 0); 3];
    for i in 0..USERS {
        let key = user(i);
        let arm = if bucket(&format!("exp/control/{key}")) < 1000 {
            0
        } else if bucket(&format!("exp/split/{key}")) < 5000 {
            1
        } else {
            2
        };
        arms[arm].0 += 1;
        arms[arm].1 += u64::from(purchases(i));
    }
    arms
}

fn step<'a>(version: &'a Value, id: &str) -> &'a Value {
    version["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["step"] == id))
        .unwrap_or_else(|| panic!("no step {id}: {version:#}"))
}

#[test]
fn statistics_of_an_experiment_match_the_hash_and_statsmodels() {
    let h = Harness::start("statistics", "", "");
    h.expect("POST", "/api/journeys", Some(experiment()), 201);
    h.expect("POST", "/api/journeys/exp/publish", Some(json!({})), 200);
    let signups: Vec<Value> = (0..USERS)
        .map(|i| track(&user(i), "Signed Up", &format!("s{i}")))
        .collect();
    assert_eq!(h.send(signups), 200);
    let buyers: Vec<Value> = (0..USERS)
        .filter(|&i| purchases(i))
        .map(|i| track(&user(i), "Purchased", &format!("p{i}")))
        .collect();
    let goals = buyers.len() as u64;
    assert_eq!(h.send(buyers), 200);

    let stats = eventually(DEADLINE, || {
        let (_, stats) = h.api("GET", "/api/journeys/exp/stats", None);
        let v = &stats["versions"][0];
        (v["entered"] == USERS as u64 && v["goal"] == goals).then_some(stats)
    })
    .expect("every entry and goal counted");
    let v = &stats["versions"][0];
    let [control, a, b] = expected();
    let conversion = &v["conversion"];
    assert_eq!(
        (
            &conversion["control"]["entries"],
            &conversion["control"]["goals"]
        ),
        (&json!(control.0), &json!(control.1)),
        "{conversion:#}"
    );
    assert_eq!(conversion["journey"]["entries"], a.0 + b.0);
    for (id, (entries, goals)) in [("a", a), ("b", b)] {
        let s = step(v, id);
        assert_eq!(
            (&s["entered"], &s["goals"]),
            (&json!(entries), &json!(goals)),
            "{s:#}"
        );
    }

    let deps = STATSMODELS
        .get_or_init(|| {
            pip_target(
                "waymark-stats",
                &workspace_root().join("tests/stats/requirements.txt"),
            )
        })
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut check = Command::new("python3")
        .arg(workspace_root().join("tests/stats/check_intervals.py"))
        .env("PYTHONPATH", deps)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    check
        .stdin
        .take()
        .unwrap()
        .write_all(stats.to_string().as_bytes())
        .unwrap();
    let out = check.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "statsmodels disagrees:\n{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Journey and control rates and uplift, and per step rate and uplift.
    assert!(said.starts_with("checked "), "{said}");

    let (status, funnel) = h.api("GET", "/api/journeys/exp/funnel?path=entry,split,b", None);
    assert_eq!(status, 200, "{funnel:#}");
    let entered: Vec<&Value> = funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["entered"])
        .collect();
    assert_eq!(entered, [&json!(a.0 + b.0), &json!(a.0 + b.0), &json!(b.0)]);
    let (status, refused) = h.api("GET", "/api/journeys/exp/funnel?path=a,b", None);
    assert_eq!(
        (status, &refused["code"]),
        (422, &json!("invalid_funnel_path"))
    );

    let (status, entries) = h.api("GET", "/api/journeys/exp/entries?bucket=hour", None);
    assert_eq!(status, 200, "{entries:#}");
    let series = entries["versions"][0]["series"].as_array().unwrap();
    let sum = |field: &str| {
        series
            .iter()
            .map(|p| p[field].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!((sum("entered"), sum("control")), (a.0 + b.0, control.0));
    let (status, refused) = h.api("GET", "/api/journeys/exp/entries?bucket=week", None);
    assert_eq!((status, &refused["code"]), (422, &json!("invalid_bucket")));
}
