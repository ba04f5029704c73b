//! Computed attributes defined over the API (SPEC §5): filled from stored history when
//! defined, kept live, read by journeys (which cannot be published before the attribute
//! exists), shown on profiles, changed and removed by the rules, kept across a restart.

use serde_json::{Value, json};
use waymark_engine::message::Message;
use waymark_runtime::Owner;

use crate::support::*;

fn order(user: &str, revenue: f64, at: i64) -> Message {
    let mut m = track(Who::user(user), "Order Completed", at);
    m.event.properties = json!({"revenue": revenue});
    m
}

fn ltv() -> Value {
    json!({"name": "ltv", "event": "Order Completed", "aggregate": "sum", "property": "revenue"})
}

fn attribute_of(h: &Harness, user: &str, name: &str) -> Value {
    h.runtime
        .profile_state(&ACCOUNT, WS, user)
        .expect("profile state")
        .attributes[name]
        .clone()
}

fn big_spenders() -> Value {
    journey(
        "big",
        json!({"attribute": "ltv", "op": "gte", "value": 500}),
        vec![connection("c", "out", true, "event")],
        vec![],
    )
}

#[test]
fn an_attribute_is_filled_from_history_kept_live_and_read_by_journeys() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.ingest(vec![
        order("ana", 300.0, T0),
        order("ana", 250.0, T0 + SECOND),
        order("bo", 40.0, T0),
    ]);
    h.settle();

    // A journey cannot name an attribute the workspace does not define.
    h.runtime
        .create_journey(Owner::Account, big_spenders())
        .expect("draft");
    assert_eq!(
        h.runtime.publish("big", true).unwrap_err().code,
        "unknown_attribute"
    );

    h.runtime.create_attribute(WS, ltv()).expect("define");
    assert_eq!(attribute_of(&h, "ana", "ltv"), json!(550));
    assert_eq!(attribute_of(&h, "bo", "ltv"), json!(40));
    assert_eq!(
        h.runtime.create_attribute(WS, ltv()).unwrap_err().code,
        "already_exists"
    );

    h.runtime.publish("big", true).expect("publish");
    let lines = h.wait_lines(&path, 1);
    assert_eq!(lines[0]["userId"], json!("ana"));

    // bo's orders add up live.
    h.set_time(T0 + MINUTE);
    h.ingest(vec![order("bo", 470.0, h.now())]);
    h.settle();
    assert_eq!(attribute_of(&h, "bo", "ltv"), json!(510));
    assert_eq!(h.in_journey("big", 1), 2);

    let profile = h.runtime.profile_state(&ACCOUNT, WS, "bo").unwrap();
    assert_eq!(profile.journeys.len(), 1);
    assert_eq!(profile.journeys[0].journey_id, "big");
    assert_eq!(profile.journeys[0].status, "in");
    assert_eq!(profile.journeys[0].steps[0].step, "entry");

    assert_eq!(
        h.runtime.delete_attribute(WS, "ltv").unwrap_err().code,
        "attribute_in_use"
    );
}

#[test]
fn a_new_definition_rebuilds_values_and_moves_readers_at_once() {
    let h = Harness::memory();
    h.ingest(vec![
        order("ana", 300.0, T0),
        order("ana", 250.0, T0 + SECOND),
    ]);
    h.settle();
    h.runtime.create_attribute(WS, ltv()).expect("define");
    h.runtime
        .create_audience(
            Owner::Account,
            json!({"id": "vip", "name": "VIP",
                "criteria": {"attribute": "ltv", "op": "gte", "value": 500}}),
        )
        .expect("audience");
    assert_eq!(h.runtime.audience(&ACCOUNT, "vip").unwrap().size(), 1);

    h.runtime
        .patch_attribute(WS, "ltv", json!({"aggregate": "max"}))
        .expect("patch");
    assert_eq!(attribute_of(&h, "ana", "ltv"), json!(300));
    assert_eq!(h.runtime.audience(&ACCOUNT, "vip").unwrap().size(), 0);
    assert_eq!(
        h.runtime
            .patch_attribute(WS, "ltv", json!({"name": "other"}))
            .unwrap_err()
            .code,
        "id_mismatch"
    );
    assert_eq!(
        h.runtime
            .patch_attribute(WS, "ltv", json!({"aggregate": "median"}))
            .unwrap_err()
            .code,
        "invalid_attribute"
    );

    h.runtime
        .delete_audience(&ACCOUNT, "vip")
        .expect("delete audience");
    h.runtime
        .delete_attribute(WS, "ltv")
        .expect("delete attribute");
    assert!(h.runtime.attributes(WS).unwrap().is_empty());
    assert!(
        h.runtime
            .profile_state(&ACCOUNT, WS, "ana")
            .unwrap()
            .attributes
            .is_empty()
    );
}

#[test]
fn attributes_survive_a_restart() {
    let h = Harness::fjall();
    h.ingest(vec![order("ana", 300.0, T0)]);
    h.settle();
    h.runtime.create_attribute(WS, ltv()).expect("define");
    let h = h.restart(|_| {});
    h.settle();
    assert_eq!(attribute_of(&h, "ana", "ltv"), json!(300));
    h.set_time(T0 + HOUR);
    h.ingest(vec![order("ana", 1.0, h.now())]);
    h.settle();
    assert_eq!(attribute_of(&h, "ana", "ltv"), json!(301));
}
