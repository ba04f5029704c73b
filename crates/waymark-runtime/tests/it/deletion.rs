//! Deleting a profile: the user leaves every journey, leaves list outputs, and their pending
//! deliveries are discarded (nothing is sent about them any more).

use serde_json::json;
use waymark_store::DeliveryStatus;

use crate::support::*;

#[test]
fn a_deleted_profile_leaves_lists_and_loses_its_pending_deliveries() {
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
    assert!(h.store.delete_profile(WS, "u1", false).unwrap());
    let members = h.wait_for("u1 removed", || h.members("members"), |m| m.len() == 1);
    assert_eq!(members, vec!["u2".to_string()]);
    assert_eq!(h.in_journey("j", 1), 1);

    let records = h.outbox("out");
    let status_of = |who: &str| {
        records
            .iter()
            .find(|r| r.payload["user_id"] == who)
            .map(|r| r.status)
    };
    assert_eq!(
        records.len(),
        2,
        "no exit is queued for a deleted user: {records:#?}"
    );
    assert_eq!(status_of("u1"), Some(DeliveryStatus::Discarded));
    assert_eq!(status_of("u2"), Some(DeliveryStatus::Pending));

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
    h.settle();
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(line_count(&path), 1, "{lines:?}");
    assert_eq!(lines[0]["userId"], json!("u2"));
    let counts = h.runtime.output(&ACCOUNT, "out").unwrap()["deliveries"].clone();
    assert_eq!(counts["discarded"], json!(1), "{counts}");
    assert_eq!(counts["delivered"], json!(1), "{counts}");
}
