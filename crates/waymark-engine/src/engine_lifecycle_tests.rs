use serde_json::{Map, Value, json};

use super::*;
use crate::transition::{Change, TransitionKind};

fn journey(id: &str) -> Journey {
    serde_json::from_value(json!({
        "id": id, "name": id,
        "entry": {"id": "entry", "name": "Entry", "reentry": "after_exit",
            "criteria": {"trait": "plan", "op": "eq", "value": "trial"},
            "steps": [{"id": "w", "name": "Wait", "type": "wait", "wait": {"duration": "1h"}}]},
        "settings": {"exit": {"trait": "plan", "op": "eq", "value": "paid"}}
    }))
    .expect("a valid journey")
}

/// An `identify` setting the `plan` trait (also used by the sliced start's tests).
pub(in crate::engine) fn identify(at: Millis, plan: &str) -> Event {
    let mut traits = Map::new();
    traits.insert("plan".into(), Value::from(plan));
    Event {
        at,
        name: None,
        properties: json!({}),
        context: json!({}),
        traits,
        input: None,
    }
}

fn version(at: Millis) -> Activation {
    Activation {
        at,
        historical: false,
    }
}

fn entered(out: &[Transition], journey: u16) -> Vec<Millis> {
    out.iter()
        .filter(|t| t.journey == journey && t.kind == TransitionKind::Journey(Change::Entered))
        .map(|t| t.at)
        .collect()
}

#[test]
fn a_user_in_an_older_version_enters_the_newer_only_after_leaving_it() {
    let mut engine = Engine::new(&[]).unwrap();
    let mut out = Vec::new();
    let (v1, _) = engine.add_journey(&journey("j"), version(0)).unwrap();
    engine.apply("u1", &identify(10, "trial"), &mut out);
    let (v2, new) = engine.add_journey(&journey("j"), version(20)).unwrap();
    assert!(new.is_empty(), "{new:?}");
    engine.close_journey_entries(v1, 20);
    engine.start_due(&mut out);
    engine.apply("u2", &identify(30, "trial"), &mut out);
    // u1 is in v1: an event of theirs does not take them into v2.
    engine.apply("u1", &identify(40, "trial"), &mut out);
    assert_eq!(entered(&out, v1), [10]);
    assert_eq!(entered(&out, v2), [30]);
    // Once out of v1 (the exit criteria) and qualifying again, they enter v2 only.
    engine.apply("u1", &identify(50, "paid"), &mut out);
    engine.apply("u1", &identify(60, "trial"), &mut out);
    assert_eq!(entered(&out, v1), [10]);
    assert_eq!(entered(&out, v2), [30, 60]);
}

#[test]
fn a_journey_waits_for_its_start_and_stops_on_its_own() {
    let mut engine = Engine::new(&[]).unwrap();
    let mut out = Vec::new();
    let (a, _) = engine
        .add_journey(
            &journey("a"),
            Activation {
                at: 0,
                historical: false,
            },
        )
        .unwrap();
    let historical = Activation {
        at: 100,
        historical: true,
    };
    let (b, new) = engine.add_journey(&journey("b"), historical).unwrap();
    assert!(new.counters.is_empty() && new.traits.is_empty(), "{new:?}");
    engine.apply("u1", &identify(10, "trial"), &mut out);
    assert_eq!(entered(&out, a), [10]);
    assert_eq!(entered(&out, b), Vec::<Millis>::new());
    // `historical`: at its start everyone who qualifies enters.
    engine.advance_to(100, &mut out);
    assert_eq!(entered(&out, b), [100]);
    out.clear();
    engine.stop_journey(a, 200, &mut out);
    assert!(engine.is_stopped(a) && !engine.is_stopped(b));
    let left: Vec<_> = out.iter().map(|t| (t.journey, t.kind)).collect();
    assert!(
        left.contains(&(a, TransitionKind::Journey(Change::Exited))),
        "{left:?}"
    );
    assert!(out.iter().all(|t| t.journey == a), "{left:?}");
    assert_eq!(engine.journey_counts(a), (0, 0));
    assert_eq!(engine.journey_counts(b), (1, 0));
    out.clear();
    engine.apply("u2", &identify(300, "trial"), &mut out);
    assert_eq!(entered(&out, a), Vec::<Millis>::new());
    assert_eq!(entered(&out, b), [300]);
}

#[test]
fn member_of_reads_a_journey_added_later_and_the_latest_version() {
    let mut engine = Engine::new(&[]).unwrap();
    let mut out = Vec::new();
    let watcher: Journey = serde_json::from_value(json!({
        "id": "watcher", "name": "Watcher",
        "entry": {"id": "entry", "name": "Entry",
            "criteria": {"member_of": {"journey": "j", "step": "w"}, "is": true}}
    }))
    .unwrap();
    let (w, _) = engine.add_journey(&watcher, version(0)).unwrap();
    engine.apply("u1", &identify(10, "trial"), &mut out);
    assert_eq!(entered(&out, w), Vec::<Millis>::new());
    let (j, _) = engine.add_journey(&journey("j"), version(20)).unwrap();
    engine.apply("u1", &identify(30, "trial"), &mut out);
    assert_eq!(entered(&out, j), [30]);
    // Journeys run in the order they were added: the watcher sees the step at the user's
    // next look.
    engine.apply("u1", &identify(40, "trial"), &mut out);
    assert_eq!(entered(&out, w), [40]);
}

#[test]
fn an_in_place_edit_keeps_everyone_where_they_are_by_step_id() {
    let mut engine = Engine::new(&[]).unwrap();
    let mut out = Vec::new();
    let (j, _) = engine.add_journey(&journey("j"), version(0)).unwrap();
    engine.apply("u1", &identify(10, "trial"), &mut out);
    let before = engine.step_counts(j);
    // A leaf step added under the wait, and the entry renamed: positions stay by id.
    let mut edited = journey("j");
    edited.entry.name = "Trial users".into();
    edited.entry.steps[0].steps = vec![
        serde_json::from_value(json!({"id": "extra", "name": "Extra", "type": "send"})).unwrap(),
    ];
    out.clear();
    let new = engine.replace_journey(j, &edited).unwrap();
    engine.settle_journey(j, &mut out);
    assert!(new.is_empty(), "{new:?}");
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(engine.step_counts(j)[..2], before[..2]);
    assert_eq!(engine.journey(j).step_id(2), "extra");
    // After the hour the user moves on into the new step.
    engine.advance_to(10 + 3_600_000, &mut out);
    assert_eq!(engine.step_counts(j)[2].at, 1);
}

#[test]
fn a_held_journey_counts_events_but_starts_only_when_released() {
    let mut engine = Engine::new(&[]).unwrap();
    let mut out = Vec::new();
    engine.apply("u1", &identify(10, "trial"), &mut out);
    let historical = Activation {
        at: 20,
        historical: true,
    };
    let (j, new) = engine.add_journey(&journey("j"), historical).unwrap();
    engine.hold_journey(j);
    engine.apply("u2", &identify(30, "trial"), &mut out);
    // Filled while held (a background backfill): u1's trait from before the journey.
    assert_eq!(new.traits, ["plan"]);
    engine.backfill_trait("u1", "plan", json!("trial"), 10, 10);
    engine.advance_to(40, &mut out);
    assert_eq!(entered(&out, j), Vec::<Millis>::new());
    engine.release_journey(j, 50);
    engine.advance_to(50, &mut out);
    // Everyone who qualifies at the release enters then.
    assert_eq!(entered(&out, j), [50, 50]);
    // A stopped journey stays stopped when released.
    engine.stop_journey(j, 60, &mut out);
    engine.release_journey(j, 70);
    engine.advance_to(80, &mut out);
    assert!(engine.is_stopped(j));
}
