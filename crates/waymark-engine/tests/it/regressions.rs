//! Deterministic cases: the checks themselves on a known run (and on corrupted copies of it,
//! so that a check that can never fail is noticed), and cases the property tests found.

use serde_json::{Map, Value, json};
use waymark_engine::model::Journey;
use waymark_engine::time::{Millis, parse_instant};
use waymark_engine::{Change, Event, Transition, TransitionKind};

use crate::checks;
use crate::generators::{Scenario, T0};
use crate::run::{Run, run};

const MINUTE: Millis = 60_000;
const HOUR: Millis = 60 * MINUTE;

fn journey(doc: Value) -> Journey {
    serde_json::from_value(doc).expect("a valid journey")
}

fn track(user: &str, at: Millis, name: &str) -> (String, Event) {
    let event = Event {
        at,
        name: Some(name.into()),
        properties: json!({}),
        context: json!({}),
        traits: Map::new(),
        input: None,
    };
    (user.into(), event)
}

/// Runs every check; the first failure, if any.
fn check_all(s: &Scenario) -> checks::Check {
    let r = run(s);
    checks::alternation(&r)?;
    checks::path_closed(&r)?;
    checks::control(&r, s)?;
    checks::determinism(s)?;
    checks::deliveries(&r)?;
    checks::time_order(&r, s)?;
    checks::leaving(&r)
}

#[test]
fn t0_is_2026_01_05() {
    assert_eq!(parse_instant("2026-01-05T00:00:00Z"), Some(T0));
}

/// Entry on A; a milestone on A with an active and an inactive connection; a one-hour wait;
/// a send step; exit on C. u1 does A, waits, is sent to, then does C.
fn known() -> Scenario {
    let journey = journey(json!({
        "id": "j1", "name": "Known",
        "entry": {"id": "entry", "name": "Entry", "criteria": {"event": "A"},
            "steps": [{"id": "m", "name": "M", "type": "milestone", "criteria": {"event": "A"},
                "connections": [
                    {"id": "on", "output": "o", "active": true, "mode": "event"},
                    {"id": "off", "output": "o", "active": false, "mode": "list"}],
                "steps": [{"id": "w", "name": "W", "type": "wait", "wait": {"duration": "1h"},
                    "steps": [{"id": "s", "name": "S", "type": "send",
                        "connections": [{"id": "send", "output": "o", "active": true, "mode": "identify"}]}]}]}]},
        "settings": {"exit": {"event": "C"}}
    }));
    Scenario {
        journey,
        events: vec![track("u1", T0, "A"), track("u1", T0 + 2 * HOUR, "C")],
        until: T0 + 3 * HOUR,
    }
}

fn lines(r: &Run) -> Vec<String> {
    r.transitions
        .iter()
        .map(|t| serde_json::to_string(&r.line(t)).unwrap())
        .collect()
}

#[test]
fn the_known_run_passes_every_check() {
    let s = known();
    check_all(&s).unwrap();
    let r = run(&s);
    let expected = [
        r#"{"at":"2026-01-05T00:00:00Z","user":"u1","kind":"journey","change":"entered"}"#,
        r#"{"at":"2026-01-05T00:00:00Z","user":"u1","kind":"step","step":"entry","change":"entered"}"#,
        r#"{"at":"2026-01-05T00:00:00Z","user":"u1","kind":"step","step":"m","change":"entered"}"#,
        r#"{"at":"2026-01-05T00:00:00Z","user":"u1","kind":"delivery","step":"m","connection":"on","action":"entered"}"#,
        r#"{"at":"2026-01-05T00:00:00Z","user":"u1","kind":"step","step":"w","change":"entered"}"#,
        r#"{"at":"2026-01-05T01:00:00Z","user":"u1","kind":"step","step":"s","change":"entered"}"#,
        r#"{"at":"2026-01-05T01:00:00Z","user":"u1","kind":"delivery","step":"s","connection":"send","action":"entered"}"#,
        r#"{"at":"2026-01-05T02:00:00Z","user":"u1","kind":"step","step":"s","change":"exited"}"#,
        r#"{"at":"2026-01-05T02:00:00Z","user":"u1","kind":"delivery","step":"s","connection":"send","action":"exited"}"#,
        r#"{"at":"2026-01-05T02:00:00Z","user":"u1","kind":"step","step":"w","change":"exited"}"#,
        r#"{"at":"2026-01-05T02:00:00Z","user":"u1","kind":"step","step":"m","change":"exited"}"#,
        r#"{"at":"2026-01-05T02:00:00Z","user":"u1","kind":"delivery","step":"m","connection":"on","action":"exited"}"#,
        r#"{"at":"2026-01-05T02:00:00Z","user":"u1","kind":"step","step":"entry","change":"exited"}"#,
        r#"{"at":"2026-01-05T02:00:00Z","user":"u1","kind":"journey","change":"exited"}"#,
    ];
    assert_eq!(lines(&r), expected);
}

/// The known run with its transitions changed by `corrupt`.
fn corrupted(corrupt: impl FnOnce(&mut Vec<Transition>)) -> Run {
    let mut r = run(&known());
    corrupt(&mut r.transitions);
    r
}

fn is_step(t: &Transition, step: u16, change: Change) -> bool {
    t.kind == TransitionKind::Step { step, change }
}

#[test]
fn the_checks_catch_corrupted_runs() {
    let s = known();
    // Steps in pre-order: entry 0, m 1, w 2, s 3.
    let r = corrupted(|ts| {
        let k = ts.iter().position(|t| is_step(t, 1, Change::Entered)).unwrap();
        ts.insert(k, ts[k]);
    });
    assert!(checks::alternation(&r).is_err(), "a repeated `entered`");

    let r = corrupted(|ts| ts.retain(|t| !is_step(t, 2, Change::Exited)));
    assert!(checks::leaving(&r).is_err(), "leaving while still at w");
    assert!(checks::path_closed(&r).is_err(), "at w, not in the journey");

    let r = corrupted(|ts| ts.retain(|t| !is_step(t, 1, Change::Entered)));
    assert!(checks::path_closed(&r).is_err(), "at w but not at its parent m");

    let r = corrupted(|ts| {
        let a = ts.iter().position(|t| is_step(t, 2, Change::Exited)).unwrap();
        let b = ts.iter().position(|t| is_step(t, 0, Change::Exited)).unwrap();
        ts.swap(a, b);
    });
    assert!(checks::leaving(&r).is_err(), "the entry exited before w");

    let r = corrupted(|ts| {
        for t in ts.iter_mut() {
            if let TransitionKind::Delivery { step: 1, connection, .. } = &mut t.kind {
                *connection = 1;
            }
        }
    });
    assert!(checks::deliveries(&r).is_err(), "a delivery on the inactive connection");

    let r = corrupted(|ts| {
        let k = ts.iter().position(|t| is_step(t, 3, Change::Entered)).unwrap();
        ts[k + 1].at += MINUTE;
    });
    assert!(checks::deliveries(&r).is_err(), "a delivery a minute after its step line");

    let r = corrupted(|ts| ts.last_mut().unwrap().at = T0);
    assert!(checks::time_order(&r, &s).is_err(), "the last line back in time");

    let r = corrupted(|ts| {
        let entry = ts[0];
        ts.insert(1, Transition { kind: TransitionKind::Control, ..entry });
    });
    assert!(checks::control(&r, &s).is_err(), "control with steps, and without a control group");
}
