//! Inspecting deliveries (SPEC §8): listing with filters and a cursor, one delivery with
//! its attempts, bulk replay of dead deliveries, and destinations checked when an output
//! is made.

use serde_json::json;
use waymark_runtime::{DeliveryFilter, Owner};
use waymark_store::{AttemptOutcome, DeliveryStatus};

use crate::receiver::{Answer, Receiver};
use crate::support::*;

#[test]
fn dead_deliveries_are_listed_paged_filtered_and_replayed_in_bulk() {
    let h = Harness::memory_with(local_http());
    // The first three requests fail, every later one succeeds.
    let receiver = Receiver::start(Box::new(|_, n| {
        Answer::status(if n < 3 { 500 } else { 200 })
    }));
    h.webhook_output("hook", &receiver.url, json!({"max_attempts": 1}));
    h.publish(
        journey(
            "j",
            json!({"event": "Signed Up"}),
            vec![connection("c", "hook", true, "event")],
            vec![],
        ),
        false,
    );
    for (i, user) in ["u1", "u2", "u3"].iter().enumerate() {
        h.set_time(T0 + (i as i64 + 1) * SECOND);
        h.track(user, "Signed Up");
        // Each delivery is made at its own instant.
        h.settle();
    }
    h.wait_for(
        "three dead deliveries",
        || h.in_status("hook", DeliveryStatus::Dead),
        |d| d.len() == 3,
    );

    let dead = |cursor, limit| DeliveryFilter {
        status: Some(DeliveryStatus::Dead),
        cursor,
        limit,
        ..DeliveryFilter::default()
    };
    let first = h.runtime.deliveries(&ACCOUNT, "hook", &dead(0, 2)).unwrap();
    assert_eq!(first.deliveries.len(), 2);
    let cursor = first.next_cursor.expect("a next page");
    let second = h
        .runtime
        .deliveries(&ACCOUNT, "hook", &dead(cursor, 2))
        .unwrap();
    assert_eq!(second.deliveries.len(), 1);
    assert_eq!(second.next_cursor, None);
    let users: Vec<&str> = first
        .deliveries
        .iter()
        .chain(&second.deliveries)
        .map(|d| d.payload.as_ref().unwrap().user_id.as_deref().unwrap())
        .collect();
    assert_eq!(users, ["u1", "u2", "u3"]);

    let of_u2 = h
        .runtime
        .deliveries(
            &ACCOUNT,
            "hook",
            &DeliveryFilter {
                user: Some("u2".into()),
                limit: 10,
                ..DeliveryFilter::default()
            },
        )
        .unwrap();
    assert_eq!(of_u2.deliveries.len(), 1);
    let message_id = of_u2.deliveries[0]
        .payload
        .as_ref()
        .unwrap()
        .delivery()
        .message_id();
    let by_id = h
        .runtime
        .deliveries(
            &ACCOUNT,
            "hook",
            &DeliveryFilter {
                message_id: Some(message_id.clone()),
                limit: 10,
                ..DeliveryFilter::default()
            },
        )
        .unwrap();
    assert_eq!(by_id.deliveries.len(), 1);
    let payload = by_id.deliveries[0].payload.as_ref().unwrap();
    assert_eq!(payload.user_id.as_deref(), Some("u2"));
    // The messageId is the one the receiver saw.
    assert!(
        receiver
            .requests()
            .iter()
            .any(|(b, _)| b["messageId"] == message_id.as_str())
    );
    let late = DeliveryFilter {
        since: Some(T0 + 2 * SECOND),
        limit: 10,
        ..DeliveryFilter::default()
    };
    assert_eq!(
        h.runtime
            .deliveries(&ACCOUNT, "hook", &late)
            .unwrap()
            .deliveries
            .len(),
        2
    );

    let one = h
        .runtime
        .delivery(&ACCOUNT, &of_u2.deliveries[0].record.id)
        .unwrap()
        .record;
    assert_eq!(one.status, DeliveryStatus::Dead);
    assert_eq!(one.attempt_log[0].status, Some(500));
    assert_eq!(one.attempt_log[0].outcome, AttemptOutcome::Dead);
    let missing = h.runtime.delivery(&ACCOUNT, "nope").unwrap_err();
    assert_eq!((missing.status, missing.code), (404, "not_found"));

    // The journey's statistics show the connection's last error.
    let (failing, error) = h.connection_deliveries("j", "c");
    assert_eq!(failing["dead"], 3, "{failing:?}");
    let error = error.expect("a last error");
    assert!(error.message.contains("500"), "{error:?}");

    // Bulk replay: every dead one goes again.
    assert_eq!(h.runtime.replay_dead(&ACCOUNT, "hook", None).unwrap(), 3);
    let records = h.wait_delivered("hook", 3);
    assert!(
        records.iter().all(|r| r.attempt_log.len() == 2),
        "{records:?}"
    );
    assert_eq!(h.runtime.replay_dead(&ACCOUNT, "hook", None).unwrap(), 0);
    // Delivered since: the error stays the connection's last one.
    let (recovered, last_error) = h.connection_deliveries("j", "c");
    assert_eq!(recovered["delivered"], 3, "{recovered:?}");
    assert_eq!(last_error, Some(error));
}

#[test]
fn private_destinations_are_refused_when_the_output_is_made() {
    let h = Harness::memory();
    for (kind, field) in [("webhook", "url"), ("segment", "endpoint")] {
        let mut body = json!({"id": "local", "kind": kind, "secret": SECRET, "write_key": "k"});
        body[field] = json!("http://127.0.0.1:9/hook");
        let err = h.runtime.create_output(Owner::Account, body).unwrap_err();
        assert_eq!(
            (err.status, err.code),
            (422, "destination_not_allowed"),
            "{err}"
        );
    }
    h.webhook_output("public", "https://1.1.1.1/hook", json!({}));
    let err = h
        .runtime
        .patch_output(
            &ACCOUNT,
            "public",
            json!({"url": "http://169.254.169.254/latest"}),
        )
        .unwrap_err();
    assert_eq!(err.code, "destination_not_allowed", "{err}");
    // Allowed by configuration: accepted.
    let allowed = Harness::memory_with(local_http());
    allowed.webhook_output("local", "http://127.0.0.1:9/hook", json!({}));
}
