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
    checks::leaving(&r)?;
    checks::settings_rules(&r, s)?;
    checks::branching_rules(&r, s)?;
    checks::send_rules(&r, s)?;
    checks::waits_end_on_time(&r, s)?;
    crate::oracle::criteria_are_followed(&r, s)?;
    crate::oracle::branching_follows_criteria(&r, s)
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
        .filter_map(|t| r.line(t))
        .map(|line| serde_json::to_string(&line).unwrap())
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
        let k = ts
            .iter()
            .position(|t| is_step(t, 1, Change::Entered))
            .unwrap();
        ts.insert(k, ts[k]);
    });
    assert!(checks::alternation(&r).is_err(), "a repeated `entered`");

    let r = corrupted(|ts| ts.retain(|t| !is_step(t, 2, Change::Exited)));
    assert!(checks::leaving(&r).is_err(), "leaving while still at w");
    assert!(checks::path_closed(&r).is_err(), "at w, not in the journey");

    let r = corrupted(|ts| ts.retain(|t| !is_step(t, 1, Change::Entered)));
    assert!(
        checks::path_closed(&r).is_err(),
        "at w but not at its parent m"
    );

    let r = corrupted(|ts| {
        let a = ts
            .iter()
            .position(|t| is_step(t, 2, Change::Exited))
            .unwrap();
        let b = ts
            .iter()
            .position(|t| is_step(t, 0, Change::Exited))
            .unwrap();
        ts.swap(a, b);
    });
    assert!(checks::leaving(&r).is_err(), "the entry exited before w");

    let r = corrupted(|ts| {
        for t in ts.iter_mut() {
            if let TransitionKind::Delivery {
                step: 1,
                connection,
                ..
            } = &mut t.kind
            {
                *connection = 1;
            }
        }
    });
    assert!(
        checks::deliveries(&r).is_err(),
        "a delivery on the inactive connection"
    );

    let r = corrupted(|ts| {
        let k = ts
            .iter()
            .position(|t| is_step(t, 3, Change::Entered))
            .unwrap();
        ts[k + 1].at += MINUTE;
    });
    assert!(
        checks::deliveries(&r).is_err(),
        "a delivery a minute after its step line"
    );

    let r = corrupted(|ts| {
        let k = ts
            .iter()
            .position(|t| is_step(t, 3, Change::Entered))
            .unwrap();
        ts[k].at += MINUTE;
        ts[k + 1].at += MINUTE;
    });
    assert!(
        checks::waits_end_on_time(&r, &s).is_err(),
        "the one-hour wait ends a minute late"
    );

    let r = corrupted(|ts| {
        // u1 stays at the entry though m's guard (event A) holds.
        let k = ts
            .iter()
            .position(|t| is_step(t, 1, Change::Entered))
            .unwrap();
        ts.truncate(k);
    });
    assert!(
        crate::oracle::branching_follows_criteria(&r, &s).is_err(),
        "stays at the entry though a milestone holds"
    );

    let r = corrupted(|ts| ts.truncate(ts.len() - 7));
    assert!(
        crate::oracle::criteria_are_followed(&r, &s).is_err(),
        "stays in the journey though the exit criteria hold"
    );

    let r = corrupted(|ts| ts.last_mut().unwrap().at = T0);
    assert!(
        checks::time_order(&r, &s).is_err(),
        "the last line back in time"
    );

    let r = corrupted(|ts| {
        let entry = ts[0];
        ts.insert(
            1,
            Transition {
                kind: TransitionKind::Control,
                ..entry
            },
        );
    });
    assert!(
        checks::control(&r, &s).is_err(),
        "control with steps, and without a control group"
    );
}

fn identify(user: &str, at: Millis, traits: Value) -> (String, Event) {
    let (user, mut event) = track(user, at, "");
    event.name = None;
    event.traits = traits.as_object().cloned().unwrap_or_default();
    (user, event)
}

/// Quiet hours 18:00–02:00 with `delay`, in the journey's zone (UTC): u1 enters at 00:00Z
/// and is held back from the send step until 02:00Z. At 00:15Z u1 turns out to live in New
/// York, where 02:00Z is 21:00, inside the quiet window; SPEC §7 measures quiet hours in the
/// user's time zone, so the send must wait until 02:00 New York time (07:00Z). Found by
/// `deliveries_are_complete_and_sends_keep_quiet_hours_and_the_cap` (the property tolerates
/// this case; see `checks::send_rules`).
#[test]
fn quiet_hours_delay_follows_a_time_zone_learnt_during_it() {
    let journey = journey(json!({
        "id": "j1", "name": "Quiet",
        "entry": {"id": "entry", "name": "Entry",
            "steps": [{"id": "s1", "name": "Send", "type": "send",
                "connections": [{"id": "c1", "output": "o", "active": true, "mode": "event"}]}]},
        "settings": {"quiet_hours": {"start": "18:00", "end": "02:00", "fallback": "delay"}}
    }));
    let s = Scenario {
        journey,
        events: vec![
            track("u1", T0, "A"),
            identify(
                "u1",
                T0 + 15 * MINUTE,
                json!({"timezone": "America/New_York"}),
            ),
        ],
        until: T0 + 8 * HOUR,
    };
    let r = run(&s);
    let send_entered: Vec<String> = r
        .transitions
        .iter()
        .filter(|t| is_step(t, 1, Change::Entered))
        .map(|t| waymark_engine::time::format_instant(t.at))
        .collect();
    assert_eq!(send_entered, ["2026-01-05T07:00:00Z"], "\n{}", r.render());
}

fn with_input(mut event: (String, Event), input: &str) -> (String, Event) {
    event.1.input = Some(input.into());
    event
}

/// A journey for the `web` input with no entry criteria: "no criteria: when the profile
/// first appears" (SPEC §7), and "only events and profiles from those inputs count for it"
/// (SPEC §1). u1 first sends an event from `ios`, which does not count, then one from `web`:
/// that is when the profile appears for this journey, so u1 enters then. The engine spends
/// the rise on the `ios` event (blocked by the inputs) and never lets u1 in. (Found while
/// writing `journey_settings_are_kept`; SPEC is not explicit, so this may be a decision.)
#[test]
fn a_profile_appears_for_a_journey_with_its_first_event_from_the_journeys_inputs() {
    let journey = journey(json!({
        "id": "j1", "name": "Inputs", "inputs": ["web"],
        "entry": {"id": "entry", "name": "Entry"}
    }));
    let s = Scenario {
        journey,
        events: vec![
            with_input(track("u1", T0, "A"), "ios"),
            with_input(track("u1", T0 + HOUR, "A"), "web"),
        ],
        until: T0 + 2 * HOUR,
    };
    let r = run(&s);
    let entered: Vec<String> = r
        .transitions
        .iter()
        .filter(|t| t.kind == TransitionKind::Journey(Change::Entered))
        .map(|t| waymark_engine::time::format_instant(t.at))
        .collect();
    assert_eq!(entered, ["2026-01-05T01:00:00Z"], "\n{}", r.render());
}

/// A wait `until` 09:00, in the journey's zone (UTC) as far as the engine knows when u1
/// reaches it at 00:00Z. At 01:00Z u1 turns out to live in New York: 09:00 there is 14:00Z.
/// SPEC §7: `until.time` passes "at the next such local time … in the user's time zone",
/// so the send step follows at 14:00Z, not at 09:00Z (04:00 in New York).
#[test]
fn until_time_wait_follows_a_time_zone_learnt_during_it() {
    let journey = journey(json!({
        "id": "j1", "name": "Morning",
        "entry": {"id": "entry", "name": "Entry",
            "steps": [{"id": "w", "name": "Wait", "type": "wait", "wait": {"until": {"time": "09:00"}},
                "steps": [{"id": "s1", "name": "Send", "type": "send"}]}]}
    }));
    let s = Scenario {
        journey,
        events: vec![
            track("u1", T0, "A"),
            identify("u1", T0 + HOUR, json!({"timezone": "America/New_York"})),
        ],
        until: T0 + 20 * HOUR,
    };
    let r = run(&s);
    let send_entered: Vec<String> = r
        .transitions
        .iter()
        .filter(|t| is_step(t, 2, Change::Entered))
        .map(|t| waymark_engine::time::format_instant(t.at))
        .collect();
    assert_eq!(send_entered, ["2026-01-05T14:00:00Z"], "\n{}", r.render());
}
