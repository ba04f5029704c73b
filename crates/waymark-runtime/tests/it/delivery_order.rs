//! What reaches a receiver, and in which order (SPEC §8): one user's messages arrive in the
//! order of their changes even when an earlier one is retried; deactivating a connection
//! cancels what it queued; a list fed by two steps keeps one membership per step.

use std::collections::HashSet;
use std::sync::Mutex;

use serde_json::{Value, json};
use waymark_store::DeliveryStatus;

use crate::receiver::{Answer, Receiver};
use crate::support::*;

/// Entry on "Signed Up" with one connection to `hook`; leaves on "Cancelled".
fn signup_journey(id: &str, mode: &str, active: bool) -> Value {
    let mut j = journey(
        id,
        json!({"event": "Signed Up"}),
        vec![connection("c", "hook", active, mode)],
        vec![],
    );
    j["settings"] = json!({"exit": {"event": "Cancelled"}});
    j
}

/// Fails each user's first message with 500 and accepts everything else.
fn fails_each_first() -> Receiver {
    let seen = Mutex::new(HashSet::new());
    Receiver::start(Box::new(move |body, _| {
        let user = body["userId"].as_str().unwrap_or("?").to_string();
        if seen.lock().unwrap().insert(user) {
            Answer::status(500)
        } else {
            Answer::status(200)
        }
    }))
}

fn kind(body: &Value) -> String {
    match body["type"].as_str() {
        Some("identify") => {
            let traits = body["traits"].as_object().unwrap();
            format!("member={}", traits.values().next().unwrap())
        }
        _ => body["event"].as_str().unwrap_or("?").to_string(),
    }
}

/// Issue 8 item 10: a user enters, the receiver fails the entry, the user leaves 0.3 s
/// later; the exit must wait for the entry's retry, so the last message accepted says
/// "not a member".
fn exit_waits_for_its_retried_entry(mode: &str, expected: [&str; 2]) {
    let h = Harness::memory_with(local_http());
    let receiver = fails_each_first();
    h.webhook_output("hook", &receiver.url, json!({}));
    h.publish(signup_journey("j", mode, true), false);

    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    receiver.wait_until("the failed entry", |r, _| r.len() == 1);
    h.set_time(T0 + SECOND + 300);
    h.track("u1", "Cancelled");
    h.settle();
    // The entry's retry is due within 5 s (the first wait, with jitter).
    h.set_time(T0 + MINUTE);
    h.wait_delivered("hook", 2);

    let accepted: Vec<String> = receiver.accepted().iter().map(kind).collect();
    assert_eq!(accepted, expected, "{:?}", receiver.requests());

    // Every attempt is on record: the entry failed once, then went through.
    let entry = h.outbox("hook").into_iter().min_by_key(|r| r.seq).unwrap();
    let log = &entry.attempt_log;
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        log.iter().map(|a| a.status).collect::<Vec<_>>(),
        [Some(500), Some(200)]
    );
    assert_eq!(log[0].response.as_deref(), Some("ok"));
    assert!(log[0].error.as_deref().unwrap().contains("500"));
    let view = h.runtime.delivery(&ACCOUNT, &entry.id).unwrap();
    assert_eq!(view.record.attempt_log.len(), 2, "{view:?}");
    assert_eq!(view.record.status, DeliveryStatus::Delivered);
    let payload = view.payload.expect("a delivery this build reads");
    assert_eq!(payload.user_id.as_deref(), Some("u1"));
}

#[test]
fn an_exit_waits_for_its_retried_entry() {
    exit_waits_for_its_retried_entry("event", ["Audience Entered", "Audience Exited"]);
}

#[test]
fn in_identify_mode_the_trait_ends_false() {
    exit_waits_for_its_retried_entry("identify", ["member=true", "member=false"]);
}

/// Issue 8 item 12: deactivating a connection discards what it still has queued.
#[test]
fn deactivating_a_connection_cancels_its_queued_deliveries() {
    let h = Harness::memory_with(local_http());
    let receiver = Receiver::start(Box::new(|_, _| Answer::status(503)));
    h.webhook_output("hook", &receiver.url, json!({}));
    h.publish(signup_journey("j", "event", true), false);
    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    receiver.wait_until("the failed entry", |r, _| r.len() == 1);
    h.wait_for(
        "the entry to wait for its retry",
        || h.outbox("hook"),
        |r| r.len() == 1 && r[0].attempts == 1,
    );

    // The journey's stats show it failing (SPEC §11).
    let (counts, _) = h.connection_deliveries("j", "c");
    assert_eq!(
        (counts.get("failed"), counts.get("pending")),
        (Some(&1), Some(&0)),
        "{counts:?}"
    );

    h.set_time(T0 + 2 * SECOND);
    h.runtime
        .patch_journey(
            "j",
            json!({"entry": signup_journey("j", "event", false)["entry"]}),
        )
        .unwrap();
    let records = h.outbox("hook");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].status, DeliveryStatus::Discarded, "{records:?}");
    let counts = h.runtime.output(&ACCOUNT, "hook").unwrap().deliveries;
    assert_eq!(
        (counts.get("pending"), counts.get("discarded")),
        (Some(&0), Some(&1))
    );
}

/// Issue 8 item 13: a list output fed by two journeys keeps a membership per step key.
#[test]
fn a_list_fed_by_two_journeys_keeps_each_membership() {
    let h = Harness::memory();
    h.list_output("members");
    for (id, leave) in [("a", "Left A"), ("b", "Left B")] {
        let mut j = journey(
            id,
            json!({"event": "Signed Up"}),
            vec![connection("l", "members", true, "list")],
            vec![],
        );
        j["settings"] = json!({"exit": {"event": leave}});
        h.publish(j, false);
    }
    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    h.wait_for("two memberships", || h.members("members"), |m| m.len() == 2);

    h.set_time(T0 + 2 * SECOND);
    h.track("u1", "Left A");
    h.wait_at_step("a", 1, "entry", 0);
    h.settle();
    let members = h.runtime.members(&ACCOUNT, "members").unwrap();
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0].key, "u1");
    assert_eq!(members[0].journey_id, "b");

    h.set_time(T0 + 3 * SECOND);
    h.track("u1", "Left B");
    h.wait_for("no membership", || h.members("members"), Vec::is_empty);
}

/// A profile merged away leaves its journeys: its exit too waits for its entry being
/// retried (the order key is the profile, not the identifiers).
#[test]
fn a_merged_away_profile_s_exit_waits_for_its_retried_entry() {
    let h = Harness::memory_with(local_http());
    let seen = Mutex::new(HashSet::new());
    let receiver = Receiver::start(Box::new(move |body, _| {
        let who = body["userId"]
            .as_str()
            .or(body["anonymousId"].as_str())
            .unwrap_or("?")
            .to_string();
        if who == "anon-2" && seen.lock().unwrap().insert(who) {
            Answer::status(500)
        } else {
            Answer::status(200)
        }
    }));
    h.webhook_output("hook", &receiver.url, json!({}));
    h.publish(signup_journey("j", "event", true), false);
    h.set_time(T0 + SECOND);
    h.ingest(vec![
        track(Who::user("u2"), "Signed Up", T0 + SECOND),
        track(Who::anon("anon-2"), "Signed Up", T0 + SECOND),
    ]);
    receiver.wait_until("both entries tried", |r, _| r.len() == 2);
    h.wait_for(
        "anon-2's entry to wait for its retry",
        || h.outbox("hook"),
        |r| {
            r.iter()
                .any(|r| r.attempts == 1 && r.status == DeliveryStatus::Pending)
        },
    );

    // anon-2 is merged into u2 and leaves.
    h.set_time(T0 + 2 * SECOND);
    h.ingest(vec![alias("u2", "anon-2", T0 + 2 * SECOND)]);
    h.settle();
    h.set_time(T0 + MINUTE);
    h.wait_delivered("hook", 3);
    let anon: Vec<String> = receiver
        .accepted()
        .iter()
        .filter(|b| b["anonymousId"] == "anon-2" && b.get("userId").is_none())
        .map(kind)
        .collect();
    assert_eq!(
        anon,
        ["Audience Entered", "Audience Exited"],
        "{:?}",
        receiver.requests()
    );
}
