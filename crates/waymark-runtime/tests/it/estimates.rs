//! The estimator (SPEC §10) over a live runtime: the sample follows the commit feed,
//! estimates are exact while the sample holds everyone and scaled with bounds once it
//! does not, errors name their reason, journey steps are estimated until a running
//! version shows real counts, and the entry preview lists matching users.

use serde_json::{Value, json};
use waymark_runtime::estimate::{Estimate, EstimateRequest};
use waymark_runtime::{Owner, RuntimeConfig};
use waymark_store::{Input, InputKind};

use crate::support::*;

fn request(criteria: Value) -> EstimateRequest {
    serde_json::from_value(json!({"workspace": WS, "criteria": criteria})).unwrap()
}

fn estimate(h: &Harness, criteria: Value) -> Value {
    let e = h.runtime.estimate(&ACCOUNT, request(criteria)).unwrap();
    serde_json::to_value(e).unwrap()
}

/// `n` users `u0..`, every `every`-th of whom bought.
fn population(h: &Harness, n: usize, every: usize) {
    let at = h.now();
    let mut messages = Vec::new();
    for i in 0..n {
        messages.push(track(Who::user(&format!("u{i}")), "Signed Up", at));
        if i % every == 0 {
            messages.push(track(Who::user(&format!("u{i}")), "Bought", at));
        }
    }
    h.ingest(messages);
    h.settle();
}

#[test]
fn a_whole_sample_is_exact_and_follows_new_events_and_deletions() {
    let h = Harness::memory();
    population(&h, 30, 3);
    let bought = json!({"event": "Bought"});
    assert_eq!(
        estimate(&h, bought.clone()),
        json!({"estimate": 10, "low": 10, "high": 10})
    );
    // Events after the sample was made reach it through the feed.
    h.track("u1", "Bought");
    h.settle();
    assert_eq!(estimate(&h, bought.clone())["estimate"], 11);
    assert!(h.runtime.delete_profile(WS, "u0", false).unwrap());
    assert_eq!(estimate(&h, bought)["estimate"], 10);
}

#[test]
fn member_of_an_audience_is_estimated_with_the_audience_it_names() {
    let h = Harness::memory();
    population(&h, 30, 3);
    let audience = |id: &str, criteria: Value| json!({"id": id, "name": id, "criteria": criteria});
    h.runtime
        .create_audience(
            Owner::Account,
            audience("buyers", json!({"event": "Bought"})),
        )
        .unwrap();
    // An audience of an audience: the estimate runs both.
    let early = json!({"all": [{"member_of": {"audience": "buyers"}, "is": true},
                               {"trait": "missing", "op": "not_exists"}]});
    h.runtime
        .create_audience(Owner::Account, audience("early", early))
        .unwrap();
    let exact = |n: u64| json!({"estimate": n, "low": n, "high": n});
    assert_eq!(
        estimate(&h, json!({"member_of": {"audience": "buyers"}, "is": true})),
        exact(10)
    );
    assert_eq!(
        estimate(
            &h,
            json!({"member_of": {"audience": "buyers"}, "is": false})
        ),
        exact(20)
    );
    assert_eq!(
        estimate(&h, json!({"member_of": {"audience": "early"}, "is": true})),
        exact(10)
    );
}

#[test]
fn a_partial_sample_scales_with_bounds_and_says_approximate_when_thin() {
    let h = Harness::memory_with(RuntimeConfig {
        estimate_sample_size: 100,
        ..config()
    });
    population(&h, 1000, 2);
    let e = estimate(&h, json!({"event": "Bought"}));
    let (low, high) = (e["low"].as_u64().unwrap(), e["high"].as_u64().unwrap());
    assert!(low <= 500 && 500 <= high, "{e}");
    assert!(e["estimate"].as_u64().unwrap().abs_diff(500) < 150, "{e}");
    // Two in a thousand: a figure of none when the sample holds neither, else `~`.
    h.track("u4", "Rare");
    h.track("u8", "Rare");
    h.settle();
    let rare = estimate(&h, json!({"event": "Rare"}));
    assert!(
        rare == json!({"approximate": true}) || rare["estimate"] == 0,
        "{rare}"
    );
}

#[test]
fn criteria_that_cannot_be_estimated_say_why() {
    let h = Harness::memory();
    h.store
        .create_input(Input {
            workspace: WS.into(),
            id: "app".into(),
            name: "App".into(),
            kind: InputKind::Ios,
            write_key: "wk-app".into(),
            secret: None,
        })
        .unwrap();
    population(&h, 5, 1);
    let code = |e: Value| e["error"]["code"].as_str().unwrap_or("none").to_string();
    assert_eq!(
        code(estimate(&h, json!({"input": ["app"]}))),
        "silent_input"
    );
    assert_eq!(
        code(estimate(&h, json!({"input": ["tv"]}))),
        "unknown_input"
    );
    assert_eq!(
        code(estimate(&h, json!({"attribute": "ltv", "op": "exists"}))),
        "unknown_attribute"
    );
    assert_eq!(
        code(estimate(&h, json!({"member_of": {"audience": "a"}}))),
        "unknown_audience"
    );
    assert_eq!(
        code(estimate(
            &h,
            json!({"member_of": {"journey": "j", "step": "entry"}})
        )),
        "unsupported_criteria"
    );
    let mut req = request(json!({"everyone": true}));
    req.inputs = vec!["app".into()];
    let e = serde_json::to_value(h.runtime.estimate(&ACCOUNT, req).unwrap()).unwrap();
    assert_eq!(code(e), "silent_input");
    let mut req = request(json!({"everyone": true}));
    req.workspace = "nowhere".into();
    assert_eq!(h.runtime.estimate(&ACCOUNT, req).unwrap_err().status, 404);
    let other = waymark_store::TokenScope::Workspace("other".into());
    let err = h
        .runtime
        .estimate(&other, request(json!({"everyone": true})))
        .unwrap_err();
    assert_eq!(err.status, 404);
}

fn journey() -> Value {
    json!({
        "id": "j", "name": "J",
        "entry": {"id": "entry", "name": "Signed up", "criteria": {"event": "Signed Up"},
            "branching": "decide",
            "steps": [
                {"id": "buyers", "name": "Buyers", "type": "milestone",
                 "criteria": {"all": [{"event": "Bought"}, {"event": "Signed Up"}]}},
                {"id": "rest", "name": "Rest", "type": "remaining"}
            ]}
    })
}

#[test]
fn draft_steps_are_estimated_and_running_ones_counted() {
    let h = Harness::memory();
    population(&h, 30, 3);
    h.runtime
        .create_journey(Owner::Account, journey())
        .expect("draft");
    let e = h.runtime.journey_estimate(&ACCOUNT, "j").unwrap();
    let sizes: Vec<Estimate> = e.steps.iter().map(|s| s.size.clone()).collect();
    let figure = |n| Estimate::Figure {
        estimate: n,
        low: n,
        high: n,
    };
    assert_eq!(sizes, vec![figure(30), figure(10), figure(20)]);
    assert_eq!(e.milestones.len(), 1);
    assert_eq!(e.milestones[0].criteria, vec![figure(10), figure(30)]);
    assert_eq!((e.population, e.sample), (30, 30));
    // An unsaved edit is estimated by the same rules, and the saved journey is unchanged:
    // the milestone now needs no purchase, so everyone who signed up is there.
    let mut edited = journey();
    edited["entry"]["steps"][0]["criteria"] = json!({"event": "Signed Up"});
    let draft = h
        .runtime
        .draft_estimate(&ACCOUNT, "j", edited.clone())
        .unwrap();
    let sizes: Vec<Estimate> = draft.steps.iter().map(|s| s.size.clone()).collect();
    assert_eq!(sizes, vec![figure(30), figure(30), figure(0)]);
    assert_eq!(
        h.runtime.journey_estimate(&ACCOUNT, "j").unwrap().steps[1].size,
        figure(10)
    );
    edited["entry"]["steps"][0]["criteria"] = json!({"event": ""});
    let refused = h.runtime.draft_estimate(&ACCOUNT, "j", edited).unwrap_err();
    assert_eq!((refused.status, refused.code), (422, "invalid_journey"));
    let preview = h.runtime.journey_preview(&ACCOUNT, "j").unwrap();
    assert_eq!(preview.users.len(), 20);
    assert_eq!(preview.users[0].key, "u0");
    assert_eq!(preview.users[0].user_id.as_deref(), Some("u0"));

    h.runtime.publish("j", false).expect("publish");
    h.track("u1", "Signed Up");
    h.settle();
    let e = h.runtime.journey_estimate(&ACCOUNT, "j").unwrap();
    let count = step_figure(&h.stats("j"), 1, "entry", "audience");
    assert!(count > 0);
    assert_eq!(e.steps[0].size, Estimate::Count { count });
    let scope = waymark_store::TokenScope::Workspace(WS.into());
    assert_eq!(
        h.runtime.journey_estimate(&scope, "j").unwrap_err().status,
        404
    );
}

#[test]
fn a_profile_that_changes_key_keeps_its_history_in_the_sample() {
    let h = Harness::memory();
    h.ingest(vec![track(Who::anon("a1"), "Bought", h.now())]);
    h.settle();
    let bought = json!({"event": "Bought"});
    assert_eq!(estimate(&h, bought.clone())["estimate"], 1);
    h.ingest(vec![identify(Who::both("known", "a1"), json!({}), h.now())]);
    h.settle();
    assert_eq!(
        estimate(&h, bought),
        json!({"estimate": 1, "low": 1, "high": 1})
    );
    h.runtime
        .create_journey(
            Owner::Account,
            json!({"id": "p", "name": "P", "entry": {"id": "entry", "name": "E", "criteria": {"event": "Bought"}}}),
        )
        .unwrap();
    let preview = h.runtime.journey_preview(&ACCOUNT, "p").unwrap();
    assert_eq!(preview.users.len(), 1);
    assert_eq!(preview.users[0].key, "known");
    assert_eq!(preview.users[0].anonymous_id.as_deref(), Some("a1"));
}
