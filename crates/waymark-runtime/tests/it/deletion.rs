//! Deleting a profile: the user leaves every journey and list output, and every delivery
//! record about them is erased (nothing is sent or listed about them any more), by the
//! time the runtime's call answers; a deletion made directly in the store (its feed)
//! erases them too.

use serde_json::json;
use waymark_store::DeliveryStatus;

use crate::support::*;

#[test]
fn a_deleted_profile_leaves_lists_and_loses_its_deliveries_at_once() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.list_output("members");
    // Paused, so that deliveries stay pending.
    h.runtime
        .patch_output(&ACCOUNT, "out", json!({"disabled": true}))
        .unwrap();
    h.publish(
        journey(
            "j",
            json!({"event": "Signed Up"}),
            vec![
                connection("c", "out", true, "event"),
                connection("l", "members", true, "list"),
            ],
            vec![],
        ),
        false,
    );
    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    h.track("u2", "Signed Up");
    h.wait_for("two members", || h.members("members"), |m| m.len() == 2);
    h.wait_for(
        "two pending deliveries",
        || h.outbox("out"),
        |r| r.len() == 2,
    );

    h.set_time(T0 + MINUTE);
    assert!(h.runtime.delete_profile(WS, "u1", false).unwrap());
    assert_eq!(h.members("members"), vec!["u2".to_string()]);
    assert_eq!(h.in_journey("j", 1), 1);
    let records = h.outbox("out");
    let users: Vec<_> = records
        .iter()
        .map(|r| r.payload["user_id"].clone())
        .collect();
    assert_eq!(
        users,
        [json!("u2")],
        "u1's delivery is erased: {records:#?}"
    );
    assert_eq!(records[0].status, DeliveryStatus::Pending);
    assert!(!h.runtime.delete_profile(WS, "u1", false).unwrap());

    // Enabled again: only u2's delivery goes out.
    h.runtime
        .patch_output(&ACCOUNT, "out", json!({"disabled": false}))
        .unwrap();
    let lines = h.wait_lines(&path, 1);
    h.wait_for(
        "u2's delivery sent",
        || h.outbox("out"),
        |r| r.iter().any(|r| r.status == DeliveryStatus::Delivered),
    );
    // Nothing is left to send, so no other line can come.
    h.settle();
    let records = h.outbox("out");
    assert!(
        records.iter().all(|r| r.status != DeliveryStatus::Pending),
        "{records:#?}"
    );
    assert_eq!(line_count(&path), 1, "{lines:?}");
    assert_eq!(lines[0]["userId"], json!("u2"));
    let counts = h.runtime.output(&ACCOUNT, "out").unwrap().deliveries;
    assert_eq!(counts.get("discarded"), Some(&0), "{counts:?}");
    assert_eq!(counts.get("delivered"), Some(&1), "{counts:?}");
}

#[test]
fn a_deletion_made_in_the_store_erases_the_deliveries_when_its_commit_arrives() {
    let h = Harness::memory();
    h.file_output("out");
    h.runtime
        .patch_output(&ACCOUNT, "out", json!({"disabled": true}))
        .unwrap();
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
    h.track("u2", "Signed Up");
    h.wait_for("two deliveries", || h.outbox("out"), |r| r.len() == 2);
    assert!(h.store.delete_profile(WS, "u1", false).unwrap());
    let left = h.wait_for("u1's erased", || h.outbox("out"), |r| r.len() == 1);
    assert_eq!(left[0].payload["user_id"], json!("u2"));
    assert_eq!(h.in_journey("j", 1), 1);
}
