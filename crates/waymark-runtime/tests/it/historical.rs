//! Publishing over stored history: `historical: true` lets those who qualify enter at the
//! publication instant; without it, event conditions count only later events, while traits
//! stored before publishing count at the user's next event.

use serde_json::json;

use crate::support::*;

const PUBLISH_AT: i64 = T0 + HOUR;

/// History before publishing: ana signed up, bo only viewed a page, cy became `pro`.
fn history(h: &Harness) {
    h.ingest(vec![
        track(Who::user("ana"), "Signed Up", T0),
        track(Who::user("bo"), "Page Viewed", T0 + SECOND),
        identify(Who::user("cy"), json!({"plan": "pro"}), T0 + 2 * SECOND),
    ]);
    h.settle();
}

fn signed_up(id: &str) -> serde_json::Value {
    journey(
        id,
        json!({"event": "Signed Up"}),
        vec![connection("c", "out", true, "event")],
        vec![],
    )
}

#[test]
fn historical_publish_enters_qualifying_users_at_the_publish_instant() {
    let h = Harness::memory();
    let path = h.file_output("out");
    history(&h);
    h.set_time(PUBLISH_AT);
    h.publish(signed_up("hist"), true);

    let lines = h.wait_lines(&path, 1);
    h.wait_delivered("out", 1);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        summary(&lines[0]),
        ("Audience Entered".into(), "ana".into(), "entry".into(), 1)
    );
    let at = jiff::Timestamp::from_millisecond(PUBLISH_AT).unwrap();
    assert_eq!(lines[0]["timestamp"], json!(at.to_string()));
    assert_eq!(h.in_journey("hist", 1), 1);
    let view = h.runtime.journey(&ACCOUNT, "hist").unwrap();
    assert!(view.doc.versions[0].historical);
    let backfill = view.backfill.expect("a backfill ran");
    assert!(backfill.processed >= backfill.total, "done: {backfill:?}");
}

#[test]
fn without_historical_event_conditions_ignore_events_before_publishing() {
    let h = Harness::memory();
    let path = h.file_output("out");
    history(&h);
    h.set_time(PUBLISH_AT);
    h.publish(signed_up("live"), false);
    h.settle();
    assert_eq!(h.in_journey("live", 1), 0);

    // ana's next event is not a sign-up: her earlier one still does not count.
    h.set_time(PUBLISH_AT + MINUTE);
    h.track("ana", "Page Viewed");
    h.settle();
    assert_eq!(h.in_journey("live", 1), 0);
    assert!(h.outbox("out").is_empty());

    // A sign-up after publishing does.
    h.set_time(PUBLISH_AT + 2 * MINUTE);
    h.track("ana", "Signed Up");
    let lines = h.wait_lines(&path, 1);
    assert_eq!(
        summary(&lines[0]),
        ("Audience Entered".into(), "ana".into(), "entry".into(), 1)
    );
    let at = jiff::Timestamp::from_millisecond(PUBLISH_AT + 2 * MINUTE).unwrap();
    assert_eq!(lines[0]["timestamp"], json!(at.to_string()));
    h.wait_delivered("out", 1);
    assert_eq!(h.in_journey("live", 1), 1);
}

#[test]
fn without_historical_traits_from_before_publishing_count_at_the_next_event() {
    let h = Harness::memory();
    let path = h.file_output("out");
    history(&h);
    h.set_time(PUBLISH_AT);
    h.publish(
        journey(
            "pro",
            json!({"trait": "plan", "op": "eq", "value": "pro"}),
            vec![connection("c", "out", true, "event")],
            vec![],
        ),
        false,
    );
    // Nobody qualifies at the publication instant without `historical`.
    h.settle();
    assert_eq!(h.in_journey("pro", 1), 0);
    assert!(h.outbox("out").is_empty());

    // Another user's event does not bring cy in.
    h.set_time(PUBLISH_AT + MINUTE);
    h.track("bo", "Page Viewed");
    h.settle();
    assert_eq!(h.in_journey("pro", 1), 0);

    // cy's next event (of any kind) does: the trait stored before publishing counts.
    h.set_time(PUBLISH_AT + 2 * MINUTE);
    h.track("cy", "Page Viewed");
    let lines = h.wait_lines(&path, 1);
    assert_eq!(
        summary(&lines[0]),
        ("Audience Entered".into(), "cy".into(), "entry".into(), 1)
    );
    let at = jiff::Timestamp::from_millisecond(PUBLISH_AT + 2 * MINUTE).unwrap();
    assert_eq!(lines[0]["timestamp"], json!(at.to_string()));
    assert_eq!(h.in_journey("pro", 1), 1);
}

#[test]
fn historical_publish_counts_stored_traits_at_once() {
    let h = Harness::memory();
    let path = h.file_output("out");
    history(&h);
    h.set_time(PUBLISH_AT);
    h.publish(
        journey(
            "pro",
            json!({"trait": "plan", "op": "eq", "value": "pro"}),
            vec![connection("c", "out", true, "event")],
            vec![],
        ),
        true,
    );
    let lines = h.wait_lines(&path, 1);
    assert_eq!(
        summary(&lines[0]),
        ("Audience Entered".into(), "cy".into(), "entry".into(), 1)
    );
    assert_eq!(h.in_journey("pro", 1), 1);
}

#[test]
fn a_historical_publish_after_a_restart_sees_the_history_stored_before_it() {
    let h = Harness::fjall();
    let path = h.file_output("out");
    history(&h);
    // No journey runs while the history is stored: the restarted runtime holds no engine.
    let h = h.restart(|clock| clock.set(PUBLISH_AT));
    h.publish(signed_up("late"), true);
    let lines = h.wait_lines(&path, 1);
    assert_eq!(
        summary(&lines[0]),
        ("Audience Entered".into(), "ana".into(), "entry".into(), 1)
    );
    assert_eq!(h.in_journey("late", 1), 1);
}
