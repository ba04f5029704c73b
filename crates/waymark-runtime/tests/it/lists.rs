//! List outputs keep members as documents: added on entry, removed on exit.

use serde_json::json;

use crate::support::*;

#[test]
fn list_members_are_added_on_entry_and_removed_on_exit() {
    let h = Harness::memory();
    h.list_output("members");
    h.file_output("out");
    let mut definition = journey(
        "j",
        json!({"event": "Signed Up"}),
        vec![connection("l", "members", true, "list")],
        vec![json!({"id": "buyer", "name": "Buyer", "type": "milestone",
                    "criteria": {"event": "Order Completed"}})],
    );
    definition["settings"] = json!({"exit": {"event": "Unsubscribed"}});
    h.publish(definition, false);
    assert!(h.runtime.members(&ACCOUNT, "members").unwrap().is_empty());

    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    h.set_time(T0 + 2 * SECOND);
    h.track("u2", "Signed Up");
    let members = h.wait_for("two members", || h.members("members"), |m| m.len() == 2);
    assert_eq!(members, vec!["u1".to_string(), "u2".to_string()]);
    let docs = h.runtime.members(&ACCOUNT, "members").unwrap();
    let u1 = docs.iter().find(|m| m.key == "u1").unwrap();
    assert_eq!(u1.user_id.as_deref(), Some("u1"));
    assert_eq!(u1.entered_at, T0 + SECOND);
    assert_eq!(u1.journey_id, "j");
    assert_eq!(u1.step_id, "entry");

    // Moving below the entry keeps u1 in the entry's audience.
    h.set_time(T0 + MINUTE);
    h.track("u1", "Order Completed");
    h.wait_at_step("j", 1, "buyer", 1);
    h.settle();
    assert_eq!(
        h.members("members"),
        vec!["u1".to_string(), "u2".to_string()]
    );

    // Leaving the journey removes the member.
    h.set_time(T0 + 2 * MINUTE);
    h.track("u1", "Unsubscribed");
    let members = h.wait_for("u1 removed", || h.members("members"), |m| m.len() == 1);
    assert_eq!(members, vec!["u2".to_string()]);
    assert_eq!(h.in_journey("j", 1), 1);

    // Lists keep no outbox; other outputs are not lists.
    assert!(h.outbox("members").is_empty());
    let err = h.runtime.members(&ACCOUNT, "out").unwrap_err();
    assert_eq!(err.code, "not_a_list");
}
