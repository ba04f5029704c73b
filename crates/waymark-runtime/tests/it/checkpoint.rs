//! Checkpoints: a restart that loads a partition's checkpoint and replays only the log after
//! it (renames, merges and a version published since included) ends with the same stats,
//! memberships and outbox as a runtime that ran through without stopping.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::*;

fn later() -> Value {
    journey(
        "later",
        json!({"event": "Bought"}),
        vec![connection("b", "out", true, "event")],
        vec![],
    )
}

/// What the runtime ended with: both journeys' figures (delivery statuses left out: they
/// follow the workers) and the outbox's record ids.
fn outcome(h: &Harness) -> (Value, Value, BTreeSet<String>) {
    let ids = h.outbox("out").into_iter().map(|r| r.id).collect();
    (figures(h.stats("welcome")), figures(h.stats("later")), ids)
}

fn figures(mut stats: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|k, _| !k.starts_with("deliveries"));
                map.values_mut().for_each(strip);
            }
            Value::Array(list) => list.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut stats);
    stats
}

/// Waits until every signup's hour has passed (ana, bo, u1, u2 and cy reach the nudge).
fn nudged(h: &Harness) {
    h.wait_for(
        "the waits to fire",
        || step_figure(&h.stats("welcome"), 1, "nudge", "entered"),
        |n| *n == 5,
    );
    h.settle();
}

/// Before the checkpoint: signups, among them an anonymous one and two profiles that an
/// alias merges later.
fn before(h: &Harness) {
    h.publish(welcome(), false);
    h.set_time(T0 + SECOND);
    h.ingest(vec![
        track(Who::user("ana"), "Signed Up", T0 + SECOND),
        track(Who::user("bo"), "Signed Up", T0 + SECOND),
        track(Who::anon("anon-1"), "Signed Up", T0 + SECOND),
        track(Who::user("u2"), "Signed Up", T0 + SECOND),
        track(Who::anon("anon-2"), "Signed Up", T0 + SECOND),
    ]);
    h.settle();
}

/// After the checkpoint: a rename, a merge, a new signup, a version published, and an
/// event it counts.
fn after(h: &Harness) {
    h.set_time(T0 + 2 * MINUTE);
    h.ingest(vec![identify(
        Who::both("u1", "anon-1"),
        json!({}),
        T0 + 2 * MINUTE,
    )]);
    h.ingest(vec![alias("u2", "anon-2", T0 + 2 * MINUTE)]);
    h.set_time(T0 + 3 * MINUTE);
    h.track("cy", "Signed Up");
    h.settle();
    h.set_time(T0 + 4 * MINUTE);
    h.publish(later(), false);
    h.set_time(T0 + 5 * MINUTE);
    h.track("bo", "Bought");
    h.settle();
}

#[test]
fn a_restart_from_a_checkpoint_ends_as_a_run_without_one() {
    let straight = Harness::fjall();
    straight.file_output("out");
    before(&straight);
    after(&straight);
    straight.set_time(T0 + 2 * HOUR);
    nudged(&straight);
    let want = outcome(&straight);
    assert_eq!(want.2.len(), 13, "{:#}", want.0);

    let h = Harness::fjall();
    h.file_output("out");
    before(&h);
    h.runtime.checkpoint().unwrap();
    let saved = h.store.checkpoint(WS).unwrap().expect("a checkpoint");
    after(&h);
    // Down as if killed right after that checkpoint: the later one is not there.
    let h = h.restart_with(|clock, store| {
        store.put_checkpoint(WS, &saved).unwrap();
        clock.set(T0 + 2 * HOUR);
    });
    h.settle();
    nudged(&h);
    assert_eq!(outcome(&h), want);
    // Only the log after the checkpoint was replayed: the rename, the merge, cy's signup
    // and bo's purchase.
    let replayed = &h.runtime.shared().metrics.replayed;
    assert_eq!(replayed.load(std::sync::atomic::Ordering::Relaxed), 4);
    h.runtime.checkpoint().unwrap();
    assert!(h.store.checkpoint(WS).unwrap().unwrap().cursor > saved.cursor);
    assert_eq!(
        h.in_journey("welcome", 1),
        straight.in_journey("welcome", 1)
    );
}
