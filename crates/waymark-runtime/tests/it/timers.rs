//! Timers fire on the injected clock, not before.

use serde_json::json;

use crate::support::*;

#[test]
fn a_one_hour_wait_fires_when_the_clock_passes_it() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.publish(
        journey(
            "welcome",
            json!({"event": "Signed Up"}),
            vec![],
            vec![wait(
                "hour",
                "1h",
                vec![send("nudge", vec![connection("c", "out", true, "event")])],
            )],
        ),
        false,
    );
    h.set_time(T0 + SECOND);
    h.track("ana", "Signed Up");
    h.settle();
    assert_eq!(h.at_step("welcome", 1, "hour"), 1);

    // Just before the hour: nothing is sent.
    h.set_time(T0 + SECOND + HOUR - 1);
    assert!(h.outbox("out").is_empty(), "{:?}", h.outbox("out"));
    assert_eq!(h.at_step("welcome", 1, "nudge"), 0);

    // At the hour the timer fires (before the move's call answers) and the send step
    // delivers.
    h.set_time(T0 + SECOND + HOUR);
    assert_eq!(h.outbox("out").len(), 1, "{:?}", h.outbox("out"));
    assert_eq!(h.at_step("welcome", 1, "nudge"), 1);
    let lines = h.wait_lines(&path, 1);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        summary(&lines[0]),
        ("Audience Entered".into(), "ana".into(), "nudge".into(), 1)
    );
    let at = jiff::Timestamp::from_millisecond(T0 + SECOND + HOUR).unwrap();
    assert_eq!(lines[0]["timestamp"], json!(at.to_string()));
    assert_eq!(h.at_step("welcome", 1, "nudge"), 1);
    h.wait_delivered("out", 1);
}
