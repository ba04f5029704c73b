use std::collections::BTreeMap;

use serde_json::json;

use crate::engine::lifecycle::tests::identify;
use crate::engine::{Activation, Engine};
use crate::model::Journey;
use crate::time::Millis;
use crate::transition::{Transition, TransitionKind};

const HOUR: Millis = 3_600_000;

fn journey(id: &str) -> Journey {
    serde_json::from_value(json!({
        "id": id, "name": id,
        "entry": {"id": "entry", "name": "Entry",
            "criteria": {"trait": "plan", "op": "eq", "value": "trial"},
            "steps": [{"id": "w", "name": "Wait", "type": "wait", "wait": {"duration": "1h"},
                "steps": [{"id": "w2", "name": "Wait", "type": "wait",
                    "wait": {"duration": "1h"}}]}]},
        "settings": {"exit": {"trait": "plan", "op": "eq", "value": "paid"}}
    }))
    .expect("a valid journey")
}

/// Each user's transitions, in the order emitted.
type ByUser = BTreeMap<String, Vec<(Millis, u16, TransitionKind)>>;

fn by_user(engine: &Engine, out: &[Transition]) -> ByUser {
    let mut users = ByUser::new();
    for t in out {
        let key = engine.user_key(t.user).to_string();
        users
            .entry(key)
            .or_default()
            .push((t.at, t.journey, t.kind));
    }
    users
}

/// Six users, a journey running and a historical one (held, then released at 100), then
/// live events, timers and a removal while its start is under way (`sliced`) or after it
/// was made at once.
fn run(sliced: bool) -> (ByUser, Vec<u64>) {
    let mut engine = Engine::new(&[journey("live")]).unwrap();
    let mut out = Vec::new();
    for (n, plan) in ["trial", "trial", "trial", "paid", "trial", "trial"]
        .iter()
        .enumerate()
    {
        engine.apply(
            &format!("u{n}"),
            &identify(10 + n as Millis, plan),
            &mut out,
        );
    }
    let historical = Activation {
        at: 20,
        historical: true,
    };
    let (j, _) = engine.add_journey(&journey("j"), historical).unwrap();
    engine.hold_journey(j);
    engine.advance_to(90, &mut out);
    if sliced {
        engine.release_journey_in_slices(j, 100);
    } else {
        engine.release_journey(j, 100);
    }
    engine.advance_to(100, &mut out);
    assert_eq!(engine.releasing(), sliced);
    assert!(engine.release_slice(2, &mut out) == sliced);
    // u4 is not released yet: they enter at 100, then leave on this event.
    engine.apply("u4", &identify(200, "paid"), &mut out);
    // u3 qualifies only now: after the start, an event takes them in.
    engine.apply("u3", &identify(300, "trial"), &mut out);
    // The waits set at the start come due for released and unreleased users alike.
    engine.advance_to(100 + 3 * HOUR / 2, &mut out);
    assert!(engine.release_slice(1, &mut out) == sliced);
    // u5 leaves everything before being released by a slice.
    engine.remove("u5", &mut out);
    // A user who arrives during the start is not evaluated by it.
    engine.apply("u6", &identify(100 + 2 * HOUR, "trial"), &mut out);
    engine.advance_to(100 + 4 * HOUR, &mut out);
    engine.finish_release(&mut out);
    assert!(!engine.releasing());
    engine.advance_to(100 + 6 * HOUR, &mut out);
    let counts = engine.step_counts(j).iter().map(|c| c.audience).collect();
    (by_user(&engine, &out), counts)
}

#[test]
fn a_start_in_slices_gives_every_user_what_a_start_at_once_does() {
    let (at_once, counts_at_once) = run(false);
    let (sliced, counts_sliced) = run(true);
    assert_eq!(sliced, at_once);
    assert_eq!(counts_sliced, counts_at_once);
    // The start took u0..u2 and u4, u5 in at 100 (u3 was on another plan then).
    let entered_at_start = at_once
        .values()
        .filter(|lines| lines.iter().any(|&(at, j, _)| j == 1 && at == 100))
        .count();
    assert_eq!(entered_at_start, 5);
}

#[test]
fn a_start_in_slices_is_over_before_another_journey_starts() {
    // A journey from the start keeps the trait the others read.
    let mut engine = Engine::new(&[journey("live")]).unwrap();
    let mut out = Vec::new();
    for n in 0..4 {
        engine.apply(&format!("u{n}"), &identify(10, "trial"), &mut out);
    }
    let historical = Activation {
        at: 20,
        historical: true,
    };
    let (a, _) = engine
        .add_journey(&journey("a"), historical.clone())
        .unwrap();
    engine.hold_journey(a);
    let (b, _) = engine.add_journey(&journey("b"), historical).unwrap();
    engine.hold_journey(b);
    engine.release_journey_in_slices(a, 30);
    engine.advance_to(30, &mut out);
    assert!(engine.release_slice(1, &mut out));
    engine.release_journey(b, 40);
    engine.advance_to(40, &mut out);
    assert!(!engine.releasing());
    assert_eq!(engine.journey_counts(a), (4, 0));
    assert_eq!(engine.journey_counts(b), (4, 0));
    let entries = |j: u16| {
        out.iter()
            .filter(|t| t.journey == j && t.kind == TransitionKind::Journey(crate::Change::Entered))
            .map(|t| t.at)
            .collect::<Vec<_>>()
    };
    assert_eq!(entries(a), [30; 4]);
    assert_eq!(entries(b), [40; 4]);
}
