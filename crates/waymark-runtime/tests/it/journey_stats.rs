//! Journey statistics (SPEC §11) over a known population: 100 users enter an experiment
//! with a 20 % control group and a random A/B split, a third of them purchase (the goal).
//! Who is control and who goes to A follows the stable hash (SPEC §7), so the test knows
//! every user's place and checks each figure exactly: entries, conversion per branch and
//! for control, their intervals against the formulas, the funnel, entries per hour and per
//! day, and that the figures survive a restart and a stop.

use serde_json::{Value, json};
use waymark_engine::hash::bucket;

use crate::support::*;

const USERS: usize = 100;

fn experiment() -> Value {
    let branch = |id: &str| {
        json!({"id": id, "name": format!("Branch {id}"), "type": "wait", "weight": 1,
               "wait": {"duration": "1d"}})
    };
    let mut j = journey(
        "exp",
        json!({"event": "Signed Up"}),
        vec![],
        vec![json!({"id": "split", "name": "Split", "type": "milestone",
                    "criteria": {"everyone": true}, "branching": "random",
                    "steps": [branch("a"), branch("b")]})],
    );
    j["settings"] = json!({"control_group": {"percent": 20},
                           "goal": {"criteria": {"event": "Purchased"}}});
    j
}

fn user(i: usize) -> String {
    format!("u{i:03}")
}

/// What the test expects, from the stable hash and who purchases.
#[derive(Default, Debug, PartialEq)]
struct Expected {
    control: (u64, u64),
    a: (u64, u64),
    b: (u64, u64),
}

fn expected() -> Expected {
    let mut e = Expected::default();
    for i in 0..USERS {
        let key = user(i);
        let converted = u64::from(purchases(i));
        let arm = if bucket(&format!("exp/control/{key}")) < 2000 {
            &mut e.control
        } else if bucket(&format!("exp/split/{key}")) < 5000 {
            &mut e.a
        } else {
            &mut e.b
        };
        arm.0 += 1;
        arm.1 += converted;
    }
    e
}

fn purchases(i: usize) -> bool {
    i.is_multiple_of(3)
}

/// 60 users sign up in the first hour, 40 two hours later; a third purchase after that.
fn run(h: &Harness) {
    h.publish(experiment(), false);
    h.set_time(T0 + SECOND);
    for i in 0..60 {
        h.track(&user(i), "Signed Up");
    }
    h.settle();
    h.set_time(T0 + 2 * HOUR + SECOND);
    for i in 60..USERS {
        h.track(&user(i), "Signed Up");
    }
    h.settle();
    h.set_time(T0 + 3 * HOUR);
    for i in (0..USERS).filter(|&i| purchases(i)) {
        h.track(&user(i), "Purchased");
    }
    h.settle();
}

fn step<'a>(version: &'a Value, id: &str) -> &'a Value {
    version["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == id)
        .unwrap()
}

fn close(value: &Value, expected: f64) {
    let v = value.as_f64().unwrap_or(f64::NAN);
    assert!((v - expected).abs() < 1e-9, "{v} != {expected}");
}

/// The Wilson interval at 95 %, written out here apart from the runtime's.
fn wilson(k: u64, n: u64) -> (f64, f64) {
    let (p, n, z) = (k as f64 / n as f64, n as f64, 1.959_963_984_540_054_f64);
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

fn check_figures(stats: &Value, e: &Expected) {
    let v = version_stats(stats, 1);
    let conversion = &v["conversion"];
    let inside = e.a.0 + e.b.0;
    assert_eq!(conversion["journey"]["entries"], inside, "{v:#}");
    assert_eq!(conversion["journey"]["goals"], e.a.1 + e.b.1, "{v:#}");
    assert_eq!(conversion["control"]["entries"], e.control.0, "{v:#}");
    assert_eq!(conversion["control"]["goals"], e.control.1, "{v:#}");
    assert_eq!(v["entered"], USERS as u64);
    // Control users still in the journey: all of them while it runs, none once stopped.
    let held = if v["state"] == "running" {
        e.control.0
    } else {
        0
    };
    assert_eq!(v["control"], held);
    assert_eq!(v["goal"], e.a.1 + e.b.1 + e.control.1);

    for (id, (entries, goals)) in [("a", e.a), ("b", e.b)] {
        let s = step(&v, id);
        assert_eq!(
            (&s["entered"], &s["goals"]),
            (&json!(entries), &json!(goals)),
            "{s:#}"
        );
        assert_eq!(s["parent"], "split");
        close(&s["conversion_from_parent"], entries as f64 / inside as f64);
        let (low, high) = wilson(goals, entries);
        close(&s["goal_rate"]["rate"], goals as f64 / entries as f64);
        close(&s["goal_rate"]["low"], low);
        close(&s["goal_rate"]["high"], high);
        // Newcombe's hybrid score interval of the difference, from the two Wilson intervals.
        let (p1, p2) = (
            goals as f64 / entries as f64,
            e.control.1 as f64 / e.control.0 as f64,
        );
        let (l2, u2) = wilson(e.control.1, e.control.0);
        let uplift = &s["uplift"];
        close(&uplift["difference"], p1 - p2);
        close(
            &uplift["low"],
            p1 - p2 - ((p1 - low).powi(2) + (u2 - p2).powi(2)).sqrt(),
        );
        close(
            &uplift["high"],
            p1 - p2 + ((high - p1).powi(2) + (p2 - l2).powi(2)).sqrt(),
        );
        close(&uplift["ratio"], p1 / p2);
    }
    let entry = step(&v, "entry");
    assert_eq!(entry["parent"], Value::Null);
    assert_eq!(entry["conversion_from_parent"], Value::Null);
    assert_eq!(entry["goals"], e.a.1 + e.b.1);
    assert_eq!(conversion["uplift"], entry["uplift"]);
}

#[test]
fn figures_of_a_known_population_are_exact() {
    let h = Harness::memory();
    run(&h);
    let e = expected();
    assert!(e.control.0 > 0 && e.a.0 > 0 && e.b.0 > 0, "{e:?}");
    check_figures(&h.stats("exp"), &e);

    let funnel = h
        .runtime
        .funnel("exp", vec!["entry".into(), "a".into()], None)
        .unwrap();
    let inside = e.a.0 + e.b.0;
    let entered: Vec<u64> = funnel.steps.iter().map(|s| s.entered).collect();
    assert_eq!(entered, [inside, e.a.0]);
    assert_eq!(funnel.steps[1].name.as_deref(), Some("Branch a"));
    assert_eq!(
        funnel.steps[1].conversion_from_first,
        Some(e.a.0 as f64 / inside as f64)
    );
    let refused = h
        .runtime
        .funnel("exp", vec!["a".into(), "b".into()], None)
        .unwrap_err();
    assert_eq!(refused.code, "invalid_funnel_path");
    let unknown = h
        .runtime
        .funnel("exp", vec!["entry".into(), "nowhere".into()], None)
        .unwrap_err();
    assert_eq!(unknown.status, 404);
}

#[test]
fn entries_are_counted_per_hour_and_per_day_with_control_apart() {
    let h = Harness::memory();
    run(&h);
    let e = expected();
    let control_first: u64 = (0..60)
        .filter(|&i| bucket(&format!("exp/control/{}", user(i))) < 2000)
        .count() as u64;
    let hourly = h
        .runtime
        .entries("exp", waymark_runtime::stats::Bucket::Hour, None)
        .unwrap();
    let series: Vec<(String, u64, u64)> = hourly.versions[0]
        .series
        .iter()
        .map(|p| (p.at.clone(), p.entered, p.control))
        .collect();
    assert_eq!(
        series,
        [
            (
                "2026-03-02T09:00:00Z".to_string(),
                60 - control_first,
                control_first
            ),
            ("2026-03-02T10:00:00Z".to_string(), 0, 0),
            (
                "2026-03-02T11:00:00Z".to_string(),
                40 - (e.control.0 - control_first),
                e.control.0 - control_first
            ),
        ]
    );
    let daily = h
        .runtime
        .entries("exp", waymark_runtime::stats::Bucket::Day, Some(1))
        .unwrap();
    let day = &daily.versions[0].series;
    assert_eq!(day.len(), 1);
    assert_eq!(
        (day[0].entered, day[0].control),
        (USERS as u64 - e.control.0, e.control.0)
    );
}

#[test]
fn figures_outlive_a_restart_and_a_stop() {
    let h = Harness::fjall();
    run(&h);
    let before = h.stats("exp");
    let h = h.restart(|_| {});
    h.settle();
    assert_eq!(h.stats("exp"), before);
    h.runtime.stop("exp").unwrap();
    let stopped = h.stats("exp");
    assert_eq!(version_stats(&stopped, 1)["state"], "stopped");
    check_figures(&stopped, &expected());
    let hourly = h
        .runtime
        .entries("exp", waymark_runtime::stats::Bucket::Hour, None)
        .unwrap();
    let total: u64 = hourly.versions[0]
        .series
        .iter()
        .map(|p| p.entered + p.control)
        .sum();
    assert_eq!(total, USERS as u64);
    // A stopped version keeps its funnel too.
    let funnel = h
        .runtime
        .funnel("exp", vec!["split".into(), "b".into()], Some(1))
        .unwrap();
    assert_eq!(funnel.steps[1].entered, expected().b.0);
}
