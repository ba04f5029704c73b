//! Identity: an anonymous user who identifies keeps their journey state under the user id;
//! a profile absorbed by a merge leaves.

use serde_json::json;

use waymark_runtime::journeys::VersionStatus;

use crate::support::*;

#[test]
fn an_anonymous_user_who_identifies_keeps_their_state_under_the_user_id() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.publish(welcome(), false);

    h.set_time(T0 + SECOND);
    h.ingest(vec![track(Who::anon("anon-1"), "Signed Up", T0 + SECOND)]);
    let lines = h.wait_lines(&path, 1);
    assert_eq!(lines[0]["anonymousId"], json!("anon-1"));
    assert!(lines[0].get("userId").is_none(), "{}", lines[0]);

    // Identify, then sign up again as the known user: no second entry.
    h.set_time(T0 + 2 * SECOND);
    h.ingest(vec![
        identify(
            Who::both("u1", "anon-1"),
            json!({"email": "u1@example.com"}),
            T0 + 2 * SECOND,
        ),
        track(Who::user("u1"), "Signed Up", T0 + 3 * SECOND),
    ]);
    h.settle();
    let stats = h.stats("welcome");
    let v1 = version_stats(&stats, 1);
    assert_eq!(v1["entered"], json!(1), "{stats}");
    assert_eq!(v1["in_journey"], json!(1), "{stats}");
    let csv = h.runtime.audience_csv("welcome", "hour").unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    // Reached the wait when the anonymous user signed up, and it still says so.
    let entered = jiff::Timestamp::from_millisecond(T0 + SECOND).unwrap();
    assert_eq!(rows, vec![format!("u1,u1,anon-1,1,1,{entered}")], "{csv}");

    // The wait started while anonymous fires for the identified user.
    h.set_time(T0 + SECOND + HOUR);
    assert_eq!(h.outbox("out").len(), 2);
    let lines = h.wait_lines(&path, 2);
    h.wait_delivered("out", 2);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        summary(&lines[1]),
        ("Audience Entered".into(), "u1".into(), "nudge".into(), 1)
    );
    assert_eq!(lines[1]["anonymousId"], json!("anon-1"));
    h.settle();
    h.wait_delivered("out", 2);
    assert_eq!(line_count(&path), 2);
}

#[test]
fn a_profile_absorbed_by_an_alias_leaves_the_journey() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.publish(welcome(), false);

    h.set_time(T0 + SECOND);
    h.ingest(vec![
        track(Who::user("u2"), "Signed Up", T0 + SECOND),
        track(Who::anon("anon-2"), "Signed Up", T0 + SECOND),
    ]);
    h.wait_lines(&path, 2);
    h.wait_at_step("welcome", 1, "hour", 2);

    // anon-2 is merged into u2: the anonymous profile is gone, and leaves.
    h.set_time(T0 + MINUTE);
    h.ingest(vec![alias("u2", "anon-2", T0 + MINUTE)]);
    let lines = h.wait_lines(&path, 3);
    h.settle();
    let got: Vec<_> = lines.iter().map(summary).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        got.contains(&("Audience Exited".into(), "anon-2".into(), "entry".into(), 1)),
        "{got:?}"
    );
    assert!(
        !got.iter()
            .any(|(e, who, _, _)| e == "Audience Exited" && who == "u2"),
        "{got:?}"
    );
    assert_eq!(h.in_journey("welcome", 1), 1);
    let csv = h.runtime.audience_csv("welcome", "entry").unwrap();
    let keys: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(keys, vec!["u2"], "{csv}");

    // Only u2's wait fires.
    h.set_time(T0 + SECOND + HOUR);
    assert_eq!(h.outbox("out").len(), 4);
    let lines = h.wait_lines(&path, 4);
    h.wait_delivered("out", 4);
    assert_eq!(
        summary(&lines[3]),
        ("Audience Entered".into(), "u2".into(), "nudge".into(), 1)
    );
    assert_eq!(line_count(&path), 4);
}

#[test]
fn an_in_place_edit_that_rebuilds_the_runner_after_identify_repeats_no_delivery() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.publish(welcome(), false);
    h.set_time(T0 + SECOND);
    h.ingest(vec![track(Who::anon("anon-1"), "Signed Up", T0 + SECOND)]);
    h.set_time(T0 + 2 * SECOND);
    h.ingest(vec![identify(
        Who::both("u1", "anon-1"),
        json!({}),
        T0 + 2 * SECOND,
    )]);
    h.wait_delivered("out", 1);
    h.settle();

    // A new leaf step is an in-place edit, but the runner is rebuilt from the log.
    h.set_time(T0 + MINUTE);
    let mut edited = welcome();
    edited["entry"]["steps"][0]["steps"][0]["steps"] =
        json!([{"id": "extra", "name": "Extra", "type": "send"}]);
    let view = h
        .runtime
        .patch_journey("welcome", json!({"entry": edited["entry"]}))
        .unwrap();
    assert_eq!(view.doc.latest().version, 1);
    assert_eq!(view.doc.latest().status, VersionStatus::Published);
    // Nothing was queued again (what the engine decides is written before `settle`
    // answers), so nothing more can be sent.
    h.settle();
    let records = h.outbox("out");
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(line_count(&path), 1);
    assert_eq!(h.at_step("welcome", 1, "hour"), 1);
}

/// Two workspaces may both have a user `u1`: a journey that counts both delivers to each,
/// with each one's own identifiers, also when the delivery comes later from a timer
/// (nothing of one profile is taken for the other's).
#[test]
fn the_same_user_id_in_two_workspaces_is_two_users() {
    let h = Harness::memory();
    let path = h.file_output("out");
    h.store
        .create_workspace(waymark_store::Workspace {
            id: "ws2".into(),
            name: "Second".into(),
        })
        .expect("workspace");
    h.store
        .create_input(waymark_store::Input {
            workspace: "ws2".into(),
            id: "web2".into(),
            name: "Web".into(),
            kind: waymark_store::InputKind::Web,
            write_key: "wk-web2".into(),
            secret: None,
        })
        .expect("input");
    h.publish(
        journey(
            "pros",
            json!({"trait": "plan", "op": "eq", "value": "pro"}),
            vec![],
            vec![wait(
                "w",
                "1h",
                vec![send("s", vec![connection("c", "out", true, "event")])],
            )],
        ),
        false,
    );
    h.ingest(vec![identify(
        Who::both("u1", "a-first"),
        json!({"plan": "pro"}),
        T0,
    )]);
    h.store
        .ingest(
            "ws2",
            "web2",
            vec![identify(
                Who::both("u1", "a-second"),
                json!({"plan": "pro"}),
                T0,
            )],
        )
        .expect("ingest");
    h.wait_for(
        "the second workspace's event",
        || h.runtime.shared().metrics.ingested.get(&["ws2", "web2"]),
        |n| *n >= 1,
    );
    h.settle();
    h.set_time(T0 + HOUR);
    h.settle();
    let lines = h.wait_lines(&path, 2);
    let mut anonymous: Vec<&str> = lines
        .iter()
        .map(|l| l["anonymousId"].as_str().unwrap_or_default())
        .collect();
    anonymous.sort();
    assert_eq!(anonymous, ["a-first", "a-second"], "{lines:?}");
    assert_eq!(h.outbox("out").len(), 2);
}
