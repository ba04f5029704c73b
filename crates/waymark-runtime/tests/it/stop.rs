//! Stopping a journey: every user leaves, and exits are delivered.

use serde_json::json;

use waymark_runtime::journeys::VersionStatus;

use crate::support::*;

#[test]
fn stopping_a_journey_makes_everyone_leave_and_delivers_exits() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.list_output("members");
    h.publish(
        journey(
            "j",
            json!({"event": "Signed Up"}),
            vec![
                connection("c", "out", true, "event"),
                connection("l", "members", true, "list"),
            ],
            vec![wait(
                "pause",
                "1h",
                vec![send("nudge", vec![connection("n", "out", true, "event")])],
            )],
        ),
        false,
    );
    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    h.track("u2", "Signed Up");
    h.wait_lines(&path, 2);
    h.wait_for("two members", || h.members("members"), |m| m.len() == 2);
    h.wait_at_step("j", 1, "pause", 2);

    h.set_time(T0 + 10 * MINUTE);
    let before = version_stats(&h.stats("j"), 1);
    assert_eq!(before["state"], json!("running"), "{before}");
    assert_eq!(before["in_journey"], json!(2), "{before}");
    let view = h.runtime.stop("j").unwrap();
    assert_eq!(view.doc.status(), VersionStatus::Stopped);
    assert!(view.doc.versions[0].stopped_at.is_some(), "{view:?}");
    let lines = h.wait_lines(&path, 4);
    h.wait_delivered("out", 4);
    let mut exits: Vec<_> = lines[2..].iter().map(summary).collect();
    exits.sort();
    assert_eq!(
        exits,
        vec![
            ("Audience Exited".into(), "u1".into(), "entry".into(), 1),
            ("Audience Exited".into(), "u2".into(), "entry".into(), 1),
        ]
    );
    let at = jiff::Timestamp::from_millisecond(T0 + 10 * MINUTE).unwrap();
    assert!(
        lines[2..]
            .iter()
            .all(|l| l["timestamp"] == json!(at.to_string()))
    );
    assert!(h.members("members").is_empty());

    // Nothing runs any more: no timers, no entries.
    h.set_time(T0 + 2 * HOUR);
    h.track("u3", "Signed Up");
    h.settle();
    h.wait_delivered("out", 4);
    assert_eq!(line_count(&path), 4);
    assert!(h.members("members").is_empty());

    // Its statistics outlive the run (kept in the stored journey): two entered, two exited.
    let after = version_stats(&h.stats("j"), 1);
    assert_eq!(after["state"], json!("stopped"), "{after}");
    assert_eq!(after["entered"], json!(2), "{after}");
    assert_eq!(after["exited"], json!(2), "{after}");
    assert_eq!(after["in_journey"], json!(0), "{after}");

    let err = h.runtime.publish("j", false).unwrap_err();
    assert_eq!(err.code, "stopped");
    let err = h.runtime.stop("j").unwrap_err();
    assert_eq!(err.code, "not_published");
}
