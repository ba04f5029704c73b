//! How fast an output sends (SPEC §8): requests in flight across users up to the output's
//! concurrency; a 429 or failures in a row pause the whole output; retries and attempts
//! follow the output's own settings.

use serde_json::{Value, json};
use waymark_runtime::Owner;
use waymark_runtime::shared::OutputState;
use waymark_store::DeliveryStatus;

use crate::receiver::{Answer, Receiver};
use crate::support::*;

fn signup_journey() -> Value {
    journey(
        "j",
        json!({"event": "Signed Up"}),
        vec![connection("c", "hook", true, "event")],
        vec![],
    )
}

/// Signs up `n` users in one batch at `at`.
fn sign_up(h: &Harness, n: usize, at: i64) {
    h.set_time(at);
    let batch = (0..n)
        .map(|i| track(Who::user(&format!("u{i}")), "Signed Up", at))
        .collect();
    h.ingest(batch);
}

fn state(h: &Harness) -> OutputState {
    h.runtime.output(&ACCOUNT, "hook").unwrap().state
}

/// Issue 8 item 11: an output keeps up to its concurrency of requests in flight.
#[test]
fn an_output_sends_to_several_users_at_once() {
    let h = Harness::memory_with(local_http());
    let receiver = Receiver::ok();
    receiver.close();
    h.webhook_output("hook", &receiver.url, json!({"concurrency": 4}));
    h.publish(signup_journey(), false);
    sign_up(&h, 6, T0 + SECOND);

    receiver.wait_until("four requests at once", |_, in_flight| in_flight == 4);
    assert_eq!(receiver.in_flight(), 4);
    assert_eq!(state(&h).in_flight, 4);
    receiver.open();
    h.wait_delivered("hook", 6);
    assert_eq!(receiver.max_in_flight(), 4);
    assert_eq!(receiver.accepted().len(), 6);
}

/// Issue 8 item 11: a 429 pauses the whole output for the time asked, not only the
/// message that got it.
#[test]
fn a_429_pauses_the_whole_output() {
    let h = Harness::memory_with(local_http());
    let receiver = Receiver::start(Box::new(|_, n| {
        if n == 0 {
            Answer {
                status: 429,
                retry_after: Some(60),
            }
        } else {
            Answer::status(200)
        }
    }));
    h.webhook_output("hook", &receiver.url, json!({"concurrency": 1}));
    h.publish(signup_journey(), false);
    sign_up(&h, 3, T0 + SECOND);

    let paused = h.wait_for(
        "the output to pause",
        || state(&h),
        |s| s.paused_until.is_some(),
    );
    let paused_until = paused.paused_until.unwrap();
    assert!(paused_until >= T0 + SECOND + 60_000, "{paused:?}");
    assert_eq!(
        receiver.requests().len(),
        1,
        "nothing else is sent while paused"
    );
    assert_eq!(h.in_status("hook", DeliveryStatus::Pending).len(), 3);
    assert!(
        h.runtime
            .metrics()
            .contains("waymark_output_paused{output=\"hook\"} 1")
    );

    h.set_time(T0 + 2 * MINUTE);
    h.wait_delivered("hook", 3);
    assert_eq!(receiver.accepted().len(), 3);
    h.wait_for(
        "the pause to end",
        || state(&h),
        |s| s.paused_until.is_none(),
    );
}

/// Issue 8 item 11: failures in a row pause the output too; the output's own retry
/// settings apply.
#[test]
fn failures_in_a_row_pause_the_output() {
    let h = Harness::memory_with(local_http());
    let receiver = Receiver::start(Box::new(|_, n| {
        Answer::status(if n < 2 { 503 } else { 200 })
    }));
    h.webhook_output(
        "hook",
        &receiver.url,
        json!({"concurrency": 1, "pause_after_failures": 2, "retry_waits": ["1s"]}),
    );
    h.publish(signup_journey(), false);
    sign_up(&h, 3, T0 + SECOND);

    let paused = h.wait_for(
        "the output to pause",
        || state(&h),
        |s| s.paused_until.is_some(),
    );
    assert_eq!(paused.consecutive_failures, 2, "{paused:?}");
    assert!(paused.last_error.as_deref().unwrap().contains("503"));
    assert_eq!(receiver.requests().len(), 2);
    // The first failure waits the output's own 1 s at most (jitter), the second until
    // the pause ends (2 s after it).
    let mut failed: Vec<_> = h
        .outbox("hook")
        .into_iter()
        .filter(|r| r.attempts == 1)
        .collect();
    failed.sort_by_key(|r| r.attempt_log[0].at);
    assert_eq!(failed.len(), 2, "{failed:?}");
    let done_at =
        |r: &waymark_store::OutboxRecord| r.attempt_log[0].at + r.attempt_log[0].latency_ms as i64;
    assert!(
        failed[0].next_attempt_at <= done_at(&failed[0]) + 1_000,
        "{failed:?}"
    );
    assert!(
        failed[1].next_attempt_at >= done_at(&failed[1]) + 2_000,
        "{failed:?}"
    );

    h.set_time(T0 + MINUTE);
    let records = h.wait_delivered("hook", 3);
    let mut attempts: Vec<u32> = records.iter().map(|r| r.attempts).collect();
    attempts.sort_unstable();
    assert_eq!(attempts, [1, 2, 2]);
}

/// Issue 8 item 11: the attempt limit is the output's own.
#[test]
fn the_attempt_limit_is_per_output() {
    let h = Harness::memory_with(local_http());
    let receiver = Receiver::start(Box::new(|_, _| Answer::status(500)));
    h.webhook_output("hook", &receiver.url, json!({"max_attempts": 1}));
    h.publish(signup_journey(), false);
    sign_up(&h, 1, T0 + SECOND);
    h.wait_for(
        "a dead delivery",
        || h.in_status("hook", DeliveryStatus::Dead),
        |d| d.len() == 1,
    );
    assert_eq!(receiver.requests().len(), 1);
    let bad = h
        .runtime
        .create_output(
            Owner::Account,
            json!({"id": "bad", "kind": "file", "path": "/tmp/x",
                              "delivery": {"concurrency": 0}}),
        )
        .unwrap_err();
    assert_eq!((bad.status, bad.code), (422, "invalid_output"), "{bad}");
}

/// Issue 8 item 16: a 410 disables the output through the engine thread (the only writer
/// of output documents), after the attempt is on record; an edit made meanwhile is kept.
#[test]
fn a_410_disables_the_output_through_the_engine_thread() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let h = Harness::memory_with(local_http());
    let gone = Arc::new(AtomicBool::new(true));
    let answer = Arc::clone(&gone);
    let receiver = Receiver::start(Box::new(move |_, _| {
        Answer::status(if answer.load(Ordering::SeqCst) {
            410
        } else {
            200
        })
    }));
    h.webhook_output("hook", &receiver.url, json!({}));
    h.publish(signup_journey(), false);
    h.runtime
        .patch_output(&ACCOUNT, "hook", json!({"name": "Renamed"}))
        .unwrap();
    sign_up(&h, 1, T0 + SECOND);

    let view = h.wait_for(
        "the output to be disabled",
        || h.runtime.output(&ACCOUNT, "hook").unwrap(),
        |v| v.doc.disabled,
    );
    assert_eq!(view.doc.name.as_deref(), Some("Renamed"), "{view:?}");
    assert!(view.doc.disabled_reason.as_deref().unwrap().contains("410"));
    let record = h.wait_for(
        "the 410 on record",
        || h.outbox("hook"),
        |r| r.len() == 1 && r[0].attempts == 1,
    );
    assert_eq!(record[0].status, DeliveryStatus::Pending);
    assert_eq!(record[0].attempt_log[0].status, Some(410));

    gone.store(false, Ordering::SeqCst);
    h.runtime
        .patch_output(&ACCOUNT, "hook", json!({"disabled": false}))
        .unwrap();
    let records = h.wait_delivered("hook", 1);
    assert_eq!(records[0].attempts, 2);
    assert_eq!(receiver.accepted().len(), 1);
}

/// Issue 8 item 11: the request timeout is the output's own.
#[test]
fn the_timeout_is_per_output() {
    let h = Harness::memory_with(local_http());
    let receiver = Receiver::ok();
    receiver.close();
    h.webhook_output("hook", &receiver.url, json!({"timeout_ms": 200}));
    h.publish(signup_journey(), false);
    sign_up(&h, 1, T0 + SECOND);
    let records = h.wait_for(
        "the attempt to time out",
        || h.outbox("hook"),
        |r| r.len() == 1 && r[0].attempts == 1,
    );
    let attempt = &records[0].attempt_log[0];
    assert_eq!(
        attempt.error.as_deref(),
        Some("request timed out"),
        "{attempt:?}"
    );
    assert_eq!(attempt.status, None);
    assert!(attempt.latency_ms >= 200, "{attempt:?}");
    receiver.open();
}
