//! Standalone audiences (SPEC §6): made over stored history, members exactly while the
//! criteria hold, connections told of joins and leaves, `member_of` from journeys, edits in
//! place, deletion, and a restart that keeps them.

use serde_json::{Value, json};
use waymark_runtime::Owner;

use crate::support::*;

fn pro_users(connections: Vec<Value>) -> Value {
    json!({
        "id": "pro",
        "name": "Pro users",
        "criteria": {"trait": "plan", "op": "eq", "value": "pro"},
        "connections": connections,
    })
}

fn member_keys(h: &Harness, id: &str) -> Vec<String> {
    h.runtime
        .audience_members(&ACCOUNT, id, 0, 100)
        .expect("members")
        .members
        .into_iter()
        .map(|m| m.key)
        .collect()
}

fn size(h: &Harness, id: &str) -> u64 {
    h.runtime.audience(&ACCOUNT, id).expect("audience").size()
}

#[test]
fn an_audience_holds_whoever_its_criteria_hold_for_and_tells_its_connections() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.ingest(vec![
        identify(Who::user("ana"), json!({"plan": "pro"}), T0),
        identify(Who::user("bo"), json!({"plan": "free"}), T0 + SECOND),
    ]);
    h.settle();
    h.set_time(T0 + MINUTE);
    let view = h
        .runtime
        .create_audience(
            Owner::Account,
            pro_users(vec![connection("c", "out", true, "event")]),
        )
        .expect("create");
    assert_eq!(view.size(), 1, "{view:?}");
    assert!(view.doc.key.starts_with("a_pro_users_"));
    let lines = h.wait_lines(&path, 1);
    assert_eq!(lines[0]["event"], json!("Audience Entered"));
    assert_eq!(lines[0]["userId"], json!("ana"));

    // bo upgrades and ana downgrades: one joins and one leaves, as they happen.
    h.set_time(T0 + 2 * MINUTE);
    h.ingest(vec![
        identify(Who::user("bo"), json!({"plan": "pro"}), h.now()),
        identify(Who::user("ana"), json!({"plan": "free"}), h.now()),
    ]);
    h.settle();
    assert_eq!(member_keys(&h, "pro"), ["bo"]);
    let lines = h.wait_lines(&path, 3);
    let seen: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["event"].as_str().unwrap().to_string(),
                l["userId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        seen.contains(&("Audience Exited".into(), "ana".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("Audience Entered".into(), "bo".into())),
        "{seen:?}"
    );

    // ana comes back: a second membership.
    h.set_time(T0 + 3 * MINUTE);
    h.ingest(vec![identify(
        Who::user("ana"),
        json!({"plan": "pro"}),
        h.now(),
    )]);
    h.settle();
    let page = h.runtime.audience_members(&ACCOUNT, "pro", 0, 1).unwrap();
    assert_eq!(page.members.len(), 1);
    assert_eq!(page.members[0].key, "ana");
    assert_eq!(page.members[0].entry_number, 2);
    assert_eq!(page.next_cursor, Some(1));
    let csv = h.runtime.audience_members_csv(&ACCOUNT, "pro").unwrap();
    assert!(csv.starts_with("workspace,key,user_id,anonymous_id,entry_number,entered_at\n"));
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let stats = h
        .runtime
        .audience(&ACCOUNT, "pro")
        .unwrap()
        .figures
        .unwrap()
        .stats;
    assert_eq!(stats.entered, 3, "{stats:?}");
    assert_eq!(stats.exited, 1, "{stats:?}");
}

#[test]
fn journeys_read_an_audience_with_member_of_and_unknown_audiences_are_refused() {
    let h = Harness::memory();
    h.file_output("out");
    let gated = journey(
        "gated",
        json!({"all": [
            {"event": "Checkout Started"},
            {"member_of": {"audience": "pro"}, "is": true},
        ]}),
        vec![],
        vec![],
    );
    h.runtime
        .create_journey(Owner::Account, gated)
        .expect("create");
    let refused = h.runtime.publish("gated", false).unwrap_err();
    assert_eq!(refused.code, "unknown_audience");

    h.runtime
        .create_audience(Owner::Account, pro_users(vec![]))
        .expect("audience");
    h.runtime.publish("gated", false).expect("publish");
    h.ingest(vec![
        identify(Who::user("ana"), json!({"plan": "pro"}), T0),
        track(Who::user("ana"), "Checkout Started", T0 + SECOND),
        track(Who::user("bo"), "Checkout Started", T0 + SECOND),
    ]);
    h.settle();
    assert_eq!(h.in_journey("gated", 1), 1);

    let in_use = h.runtime.delete_audience(&ACCOUNT, "pro").unwrap_err();
    assert_eq!(in_use.code, "audience_in_use");
    let taken = h
        .runtime
        .create_journey(
            Owner::Account,
            journey("pro", json!({"event": "X"}), vec![], vec![]),
        )
        .unwrap_err();
    assert_eq!(taken.code, "already_exists");
}

#[test]
fn new_criteria_take_effect_at_once_and_a_deleted_audience_lets_its_members_go() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.ingest(vec![
        identify(Who::user("ana"), json!({"plan": "pro"}), T0),
        identify(Who::user("bo"), json!({"plan": "team"}), T0),
    ]);
    h.settle();
    h.runtime
        .create_audience(
            Owner::Account,
            pro_users(vec![connection("c", "out", true, "event")]),
        )
        .expect("create");
    assert_eq!(member_keys(&h, "pro"), ["ana"]);

    h.runtime
        .patch_audience(
            &ACCOUNT,
            "pro",
            json!({"criteria": {"trait": "plan", "op": "in", "value": ["pro", "team"]}}),
        )
        .expect("patch");
    assert_eq!(member_keys(&h, "pro"), ["ana", "bo"]);
    let inputs = h
        .runtime
        .patch_audience(&ACCOUNT, "pro", json!({"inputs": ["web"]}))
        .unwrap_err();
    assert_eq!(inputs.code, "inputs_fixed");

    h.runtime.delete_audience(&ACCOUNT, "pro").expect("delete");
    assert_eq!(
        h.runtime.audience(&ACCOUNT, "pro").unwrap_err().code,
        "not_found"
    );
    // Joins of ana and bo, then both leave.
    let lines = h.wait_lines(&path, 4);
    let exits = lines
        .iter()
        .filter(|l| l["event"] == json!("Audience Exited"))
        .count();
    assert_eq!(exits, 2, "{lines:?}");

    // Made again with the same id: a new generation whose joins are delivered anew.
    h.runtime
        .create_audience(
            Owner::Account,
            pro_users(vec![connection("c", "out", true, "event")]),
        )
        .expect("again");
    let lines = h.wait_lines(&path, 5);
    assert_eq!(lines[4]["event"], json!("Audience Entered"));
    assert_eq!(lines[4]["userId"], json!("ana"));
}

#[test]
fn audiences_survive_a_restart_without_telling_their_connections_twice() {
    let h = Harness::fjall();
    h.file_output("out");
    h.ingest(vec![identify(Who::user("ana"), json!({"plan": "pro"}), T0)]);
    h.settle();
    h.runtime
        .create_audience(
            Owner::Account,
            pro_users(vec![connection("c", "out", true, "event")]),
        )
        .expect("create");
    h.wait_delivered("out", 1);
    let h = h.restart(|_| {});
    h.settle();
    assert_eq!(size(&h, "pro"), 1);
    assert_eq!(h.outbox("out").len(), 1);
    h.set_time(T0 + HOUR);
    h.ingest(vec![identify(
        Who::user("bo"),
        json!({"plan": "pro"}),
        h.now(),
    )]);
    h.settle();
    assert_eq!(member_keys(&h, "pro"), ["ana", "bo"]);
    assert_eq!(h.outbox("out").len(), 2);
}
