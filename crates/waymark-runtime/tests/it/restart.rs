//! Restarts: a new runtime over the same fjall directory rebuilds its state from the event
//! log, fires the timers that came due while it was down exactly once, and repeats no
//! delivery already made.

use std::collections::BTreeSet;

use serde_json::json;
use waymark_store::DeliveryStatus;

use crate::support::*;

fn ids(h: &Harness) -> Vec<String> {
    h.outbox("out").into_iter().map(|r| r.id).collect()
}

fn message_ids(path: &std::path::Path) -> Vec<String> {
    lines(path)
        .iter()
        .map(|l| l["messageId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_restart_rebuilds_state_fires_due_waits_once_and_repeats_nothing() {
    let h = Harness::fjall();
    let path = h.file_output("out");
    h.publish(welcome(), false);
    h.set_time(T0 + SECOND);
    h.track("ana", "Signed Up");
    h.set_time(T0 + 2 * SECOND);
    h.track("bo", "Signed Up");
    h.wait_lines(&path, 2);
    h.wait_delivered("out", 2);
    let before = ids(&h);

    // Down for two hours: both waits come due meanwhile.
    let h = h.restart(|clock| clock.set(T0 + 2 * HOUR));
    let lines_after = h.wait_lines(&path, 4);
    let records = h.wait_delivered("out", 4);
    h.settle();
    assert_eq!(line_count(&path), 4, "{lines_after:?}");
    let got: Vec<_> = lines(&path).iter().map(summary).collect();
    assert_eq!(
        got[2..].iter().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            (
                "Audience Entered".to_string(),
                "ana".to_string(),
                "nudge".to_string(),
                1
            ),
            (
                "Audience Entered".to_string(),
                "bo".to_string(),
                "nudge".to_string(),
                1
            ),
        ]),
        "{got:?}"
    );
    // The waits fired at their due instants, not at the restart.
    let due = jiff::Timestamp::from_millisecond(T0 + SECOND + HOUR).unwrap();
    let ana = lines(&path)
        .into_iter()
        .find(|l| l["userId"] == "ana" && l["context"]["personas"]["step_id"] == "nudge")
        .unwrap();
    assert_eq!(ana["timestamp"], json!(due.to_string()));
    // The first deliveries kept their records; no id twice, in the outbox or in the file.
    assert_eq!(&ids(&h)[..2], &before[..]);
    assert!(
        records
            .iter()
            .all(|r| r.status == DeliveryStatus::Delivered)
    );
    let unique: BTreeSet<String> = message_ids(&path).into_iter().collect();
    assert_eq!(unique.len(), 4);
    let stats = h.stats("welcome");
    assert_eq!(step_figure(&stats, 1, "nudge", "at"), 2, "{stats}");

    // Another restart with nothing due: nothing is sent again.
    let h = h.restart(|clock| clock.set(T0 + 3 * HOUR));
    h.settle();
    h.wait_delivered("out", 4);
    assert_eq!(line_count(&path), 4);
    assert_eq!(h.in_journey("welcome", 1), 2);

    // The rebuilt runtime follows new events: ana is still in (no re-entry), cy enters.
    h.set_time(T0 + 3 * HOUR + SECOND);
    h.track("ana", "Signed Up");
    h.track("cy", "Signed Up");
    let last = h.wait_lines(&path, 5);
    h.wait_delivered("out", 5);
    assert_eq!(
        summary(&last[4]),
        ("Audience Entered".into(), "cy".into(), "entry".into(), 1)
    );
    assert_eq!(h.in_journey("welcome", 1), 3);
}

#[test]
fn a_wait_pending_at_shutdown_fires_after_the_restart_when_due() {
    let h = Harness::fjall();
    let path = h.file_output("out");
    h.publish(welcome(), false);
    h.set_time(T0 + SECOND);
    h.track("ana", "Signed Up");
    h.wait_delivered("out", 1);

    // Down for half an hour: the wait is not due yet.
    let h = h.restart(|clock| clock.set(T0 + 30 * MINUTE));
    h.settle();
    assert_eq!(h.at_step("welcome", 1, "hour"), 1);
    assert_eq!(h.outbox("out").len(), 1);

    h.set_time(T0 + SECOND + HOUR);
    assert_eq!(h.outbox("out").len(), 2);
    h.wait_lines(&path, 2);
    h.wait_delivered("out", 2);
    assert_eq!(line_count(&path), 2);
}

#[test]
fn a_restart_after_identify_repeats_no_delivery() {
    let h = Harness::fjall();
    let path = h.file_output("out");
    h.publish(welcome(), false);
    h.set_time(T0 + SECOND);
    h.ingest(vec![track(Who::anon("anon-1"), "Signed Up", T0 + SECOND)]);
    h.set_time(T0 + 2 * SECOND);
    h.ingest(vec![identify(
        Who::both("u1", "anon-1"),
        json!({}),
        T0 + 2 * SECOND,
    )]);
    h.wait_delivered("out", 1);
    h.settle();

    let h = h.restart(|clock| clock.set(T0 + 10 * MINUTE));
    // Anything (wrongly) queued again would be in the outbox once `settle` answers.
    h.settle();
    let records = h.outbox("out");
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(line_count(&path), 1, "{:#?}", lines(&path));
    assert_eq!(h.in_journey("welcome", 1), 1);
}

#[test]
fn a_restart_after_an_alias_merge_repeats_no_delivery() {
    let h = Harness::fjall();
    let path = h.file_output("out");
    h.publish(welcome(), false);
    h.set_time(T0 + SECOND);
    h.ingest(vec![
        track(Who::user("u2"), "Signed Up", T0 + SECOND),
        track(Who::anon("anon-2"), "Signed Up", T0 + SECOND),
    ]);
    h.set_time(T0 + MINUTE);
    h.ingest(vec![alias("u2", "anon-2", T0 + MINUTE)]);
    // u2 entered, anon-2 entered and left when merged.
    h.wait_delivered("out", 3);
    h.settle();

    let h = h.restart(|clock| clock.set(T0 + 10 * MINUTE));
    h.settle();
    let records = h.outbox("out");
    assert_eq!(records.len(), 3, "{records:#?}");
    assert_eq!(line_count(&path), 3, "{:#?}", lines(&path));
    assert_eq!(h.in_journey("welcome", 1), 1);
}
