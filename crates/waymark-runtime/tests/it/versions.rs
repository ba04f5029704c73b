//! A structural edit of a published journey makes a new draft version; publishing it sends
//! new entrants there while users of the old version finish in it.

use serde_json::{Value, json};

use waymark_runtime::journeys::VersionStatus;

use crate::support::*;

fn definition(wait_for: &str) -> Value {
    journey(
        "j",
        json!({"event": "Signed Up"}),
        vec![],
        vec![wait(
            "pause",
            wait_for,
            vec![send("nudge", vec![connection("n", "out", true, "event")])],
        )],
    )
}

#[test]
fn a_new_version_takes_new_entrants_while_old_users_finish_in_the_old_one() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.publish(definition("1h"), false);
    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");

    // Changing the wait is structural: a draft version 2; version 1 keeps running.
    h.set_time(T0 + MINUTE);
    let view = h
        .runtime
        .patch_journey("j", json!({"entry": definition("2h")["entry"]}))
        .unwrap();
    assert_eq!(view.doc.latest().version, 2);
    assert_eq!(view.doc.latest().status, VersionStatus::Draft);
    assert_eq!(view.doc.status(), VersionStatus::Published);
    assert_eq!(view.doc.versions[0].status, VersionStatus::Published);
    assert_eq!(view.doc.versions[1].status, VersionStatus::Draft);
    let stored = h.runtime.journey_doc(&ACCOUNT, "j").unwrap();
    assert_eq!(
        stored.versions[0].definition.json()["entry"]["steps"][0]["wait"]["duration"],
        json!("1h")
    );

    // The draft takes no one: u2 still enters version 1.
    h.set_time(T0 + 2 * MINUTE);
    h.track("u2", "Signed Up");
    h.wait_at_step("j", 1, "pause", 2);

    // Publishing version 2 closes version 1 to new entrants.
    h.set_time(T0 + 10 * MINUTE);
    let versions = h.runtime.publish("j", false).unwrap().doc.versions;
    assert_eq!(versions[0].status, VersionStatus::Published);
    assert_eq!(versions[1].status, VersionStatus::Published);
    assert!(versions[0].closed_at.is_some(), "{versions:?}");
    h.set_time(T0 + 11 * MINUTE);
    h.track("u3", "Signed Up");
    h.wait_at_step("j", 2, "pause", 1);
    h.settle();
    assert_eq!(h.at_step("j", 1, "pause"), 2);
    assert_eq!(h.in_journey("j", 1), 2);
    assert_eq!(h.in_journey("j", 2), 1);

    // Version 1's users finish there, with its one-hour wait.
    h.set_time(T0 + 2 * MINUTE + HOUR);
    assert_eq!(h.outbox("out").len(), 2);
    let lines = h.wait_lines(&path, 2);
    h.wait_delivered("out", 2);
    let mut got: Vec<_> = lines.iter().map(summary).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("Audience Entered".into(), "u1".into(), "nudge".into(), 1),
            ("Audience Entered".into(), "u2".into(), "nudge".into(), 1),
        ]
    );

    // u3 waits two hours in version 2.
    h.set_time(T0 + 11 * MINUTE + HOUR);
    assert_eq!(h.outbox("out").len(), 2);
    h.set_time(T0 + 11 * MINUTE + 2 * HOUR);
    assert_eq!(h.outbox("out").len(), 3);
    let lines = h.wait_lines(&path, 3);
    h.wait_delivered("out", 3);
    assert_eq!(
        summary(&lines[2]),
        ("Audience Entered".into(), "u3".into(), "nudge".into(), 2)
    );
    // The step keeps its key across versions.
    assert_eq!(
        lines[2]["context"]["personas"]["computation_key"],
        lines[0]["context"]["personas"]["computation_key"]
    );
}

/// A member of version 1 who sends another matching event after version 2 is published
/// stays only in version 1, live and after a restart rebuilds both versions in step.
#[test]
fn a_member_of_an_old_version_does_not_enter_the_new_one() {
    let h = Harness::fjall();
    h.file_output("out");
    h.publish(definition("1h"), false);
    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    h.wait_at_step("j", 1, "pause", 1);
    h.set_time(T0 + MINUTE);
    h.runtime
        .patch_journey("j", json!({"entry": definition("2h")["entry"]}))
        .unwrap();
    h.set_time(T0 + 2 * MINUTE);
    h.runtime.publish("j", false).unwrap();
    h.set_time(T0 + 3 * MINUTE);
    h.track("u1", "Signed Up");
    h.track("u2", "Signed Up");
    h.wait_at_step("j", 2, "pause", 1);
    h.settle();
    assert_eq!(h.in_journey("j", 1), 1);
    assert_eq!(h.in_journey("j", 2), 1);

    let h = h.restart(|_| {});
    h.settle();
    assert_eq!(h.in_journey("j", 1), 1);
    assert_eq!(h.in_journey("j", 2), 1);
}
