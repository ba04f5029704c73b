//! What a message carries (SPEC §8): the user's email when known and the traits the
//! connection names, so that downstream tools can personalise.

use serde_json::json;

use crate::support::*;

#[test]
fn messages_carry_the_email_and_the_named_traits() {
    let h = Harness::memory();
    let path = h.file_output("out");
    let mut track_conn = connection("c", "out", true, "event");
    track_conn["traits"] = json!(["plan", "address.city", "missing"]);
    let mut identify_conn = connection("i", "out", true, "identify");
    identify_conn["traits"] = json!(["plan"]);
    h.publish(
        journey(
            "j",
            json!({"event": "Signed Up"}),
            vec![track_conn, identify_conn],
            vec![],
        ),
        false,
    );
    h.set_time(T0 + SECOND);
    h.ingest(vec![identify(
        Who::user("u1"),
        json!({"email": "ada@example.com", "plan": "pro", "address": {"city": "Paris"}}),
        T0 + SECOND,
    )]);
    h.track("u1", "Signed Up");
    // Someone the store knows nothing personal about gets the bare message.
    h.track("u2", "Signed Up");
    let lines = h.wait_lines(&path, 4);
    let of = |user: &str, kind: &str| {
        lines
            .iter()
            .find(|l| l["userId"] == user && l["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} for {user}: {lines:?}"))
            .clone()
    };
    let track = of("u1", "track");
    assert_eq!(
        track["context"]["traits"],
        json!({"email": "ada@example.com", "plan": "pro", "address.city": "Paris"}),
        "{track}"
    );
    let ident = of("u1", "identify");
    assert_eq!(ident["traits"]["email"], "ada@example.com", "{ident}");
    assert_eq!(ident["traits"]["plan"], "pro", "{ident}");
    assert!(ident["traits"].get("address.city").is_none(), "{ident}");
    assert!(of("u2", "track")["context"].get("traits").is_none());
    // The outbox keeps ids, not the personal data.
    let stored = h.outbox("out");
    assert!(
        stored
            .iter()
            .all(|r| !r.payload.to_string().contains("ada@example.com")),
        "{stored:?}"
    );
}

#[test]
fn a_task_in_an_unknown_format_is_parked_dead_and_an_untagged_one_is_sent() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.publish(
        journey(
            "j",
            json!({"event": "Signed Up"}),
            vec![connection("c", "out", true, "event")],
            vec![],
        ),
        false,
    );
    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    let sent = h.wait_delivered("out", 1).remove(0);
    assert_eq!(sent.payload["task"], "delivery.v1", "{:?}", sent.payload);
    h.wait_lines(&path, 1);

    // One record a newer build wrote, one written before tasks named their format.
    let mut newer = sent.clone();
    newer.id = "newer".into();
    newer.payload["task"] = json!("delivery.v9");
    newer.key = Some("newer".into());
    let mut untagged = sent.clone();
    untagged.id = "untagged".into();
    untagged.payload.as_object_mut().unwrap().remove("task");
    untagged.payload["user_id"] = json!("u-old");
    untagged.key = Some("untagged".into());
    for r in [&mut newer, &mut untagged] {
        r.status = waymark_store::DeliveryStatus::Pending;
        r.attempts = 0;
        r.attempt_log.clear();
    }
    h.store.outbox_add(vec![newer, untagged]).unwrap();
    h.runtime.shared().wake("out");

    let records = h.wait_for(
        "both records settled",
        || h.outbox("out"),
        |r| {
            r.iter()
                .all(|r| r.status != waymark_store::DeliveryStatus::Pending)
        },
    );
    let newer = records.iter().find(|r| r.id == "newer").unwrap();
    assert_eq!(newer.status, waymark_store::DeliveryStatus::Dead);
    assert_eq!(
        newer.last_error.as_deref(),
        Some("outbox task format \"delivery.v9\" is not one this build knows (delivery.v1)")
    );
    let untagged = records.iter().find(|r| r.id == "untagged").unwrap();
    assert_eq!(untagged.status, waymark_store::DeliveryStatus::Delivered);
    let lines = h.wait_lines(&path, 2);
    assert_eq!(lines[1]["userId"], "u-old", "{lines:?}");
    // The API shows the delivery without the stored format's tag.
    let payload = h.runtime.delivery(&ACCOUNT, &sent.id).unwrap().payload;
    let payload = serde_json::to_value(payload.expect("a delivery this build reads")).unwrap();
    assert!(payload.get("task").is_none(), "{payload}");
    assert_eq!(payload["user_id"], "u1", "{payload}");
}
