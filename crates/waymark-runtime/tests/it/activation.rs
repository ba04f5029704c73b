//! Activating a connection on a published journey sends the step's current members as
//! entered; activations past `active_audience_limit` are refused.

use serde_json::{Value, json};

use waymark_runtime::journeys::{VersionStatus, rules};

use crate::support::*;

fn definition(entry_active: bool, buyer_active: bool) -> Value {
    journey(
        "j",
        json!({"event": "Signed Up"}),
        vec![connection("c", "out", entry_active, "event")],
        vec![json!({"id": "buyer", "name": "Buyer", "type": "milestone",
                    "criteria": {"event": "Order Completed"},
                    "connections": [connection("b", "out", buyer_active, "identify")]})],
    )
}

#[test]
fn activating_a_connection_sends_the_current_members_as_entered() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.publish(definition(false, false), false);
    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    h.track("u2", "Signed Up");
    h.set_time(T0 + 2 * SECOND);
    h.track("u1", "Order Completed");
    h.wait_at_step("j", 1, "buyer", 1);
    h.settle();
    assert!(
        h.outbox("out").is_empty(),
        "inactive connections send nothing"
    );

    // Activate the entry's connection in place.
    h.set_time(T0 + HOUR);
    let view = h
        .runtime
        .patch_journey("j", json!({"entry": definition(true, false)["entry"]}))
        .unwrap();
    let latest = view.doc.latest();
    assert_eq!(latest.version, 1);
    assert_eq!(latest.status, VersionStatus::Published);
    assert_eq!(
        rules::active_audiences(latest.definition.journey().unwrap()),
        1
    );
    let lines = h.wait_lines(&path, 2);
    h.wait_delivered("out", 2);
    let mut got: Vec<_> = lines.iter().map(summary).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("Audience Entered".into(), "u1".into(), "entry".into(), 1),
            ("Audience Entered".into(), "u2".into(), "entry".into(), 1),
        ]
    );
    let at = jiff::Timestamp::from_millisecond(T0 + HOUR).unwrap();
    assert!(
        lines
            .iter()
            .all(|l| l["timestamp"] == json!(at.to_string()))
    );

    // A later entrant is sent as usual.
    h.set_time(T0 + HOUR + SECOND);
    h.track("u3", "Signed Up");
    let lines = h.wait_lines(&path, 3);
    assert_eq!(
        summary(&lines[2]),
        ("Audience Entered".into(), "u3".into(), "entry".into(), 1)
    );

    // Activating the milestone's connection sends only its member (identify mode).
    h.set_time(T0 + 2 * HOUR);
    h.runtime
        .patch_journey("j", json!({"entry": definition(true, true)["entry"]}))
        .unwrap();
    let lines = h.wait_lines(&path, 4);
    h.wait_delivered("out", 4);
    assert_eq!(lines[3]["type"], json!("identify"));
    assert_eq!(lines[3]["userId"], json!("u1"));
    assert_eq!(lines[3]["context"]["personas"]["step_id"], json!("buyer"));
    let account = h.runtime.account().unwrap();
    assert_eq!(account.activated_audiences, 2, "{account:?}");
}

#[test]
fn activations_past_the_audience_limit_are_refused() {
    let h = Harness::memory_with(waymark_runtime::RuntimeConfig {
        active_audience_limit: 1,
        ..config()
    });
    let path = h.file_output("out");
    let mut first = definition(true, false);
    first["id"] = json!("first");
    h.publish(first, false);
    h.publish(definition(false, false), false);
    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    h.wait_lines(&path, 1);
    h.wait_at_step("j", 1, "entry", 1);

    h.set_time(T0 + MINUTE);
    let err = h
        .runtime
        .patch_journey("j", json!({"entry": definition(true, false)["entry"]}))
        .unwrap_err();
    assert_eq!(err.code, "audience_limit_reached", "{err}");
    assert_eq!(err.status, 409);

    // Nothing changed: the connection is still inactive and nothing was sent for it.
    let definition = h
        .runtime
        .journey(&ACCOUNT, "j")
        .unwrap()
        .doc
        .latest()
        .definition
        .clone();
    assert_eq!(
        definition.json()["entry"]["connections"][0]["active"],
        json!(false)
    );
    assert_eq!(rules::active_audiences(definition.journey().unwrap()), 0);
    h.settle();
    h.wait_delivered("out", 1);
    assert_eq!(line_count(&path), 1);
    let account = h.runtime.account().unwrap();
    assert_eq!(account.activated_audiences, 1, "{account:?}");
    assert_eq!(account.available_audiences, 0, "{account:?}");
}
