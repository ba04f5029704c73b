use serde_json::{Map, Value, json};

use crate::engine::Engine;
use crate::event::Event;
use crate::model::{Audience, Journey};
use crate::time::Millis;
use crate::transition::{AUDIENCE_TARGET, Change, Target, Transition, TransitionKind};

const DAY: Millis = 86_400_000;

fn audience(doc: Value) -> Audience {
    serde_json::from_value(doc).expect("a valid audience")
}

fn event(at: Millis, name: Option<&str>, traits: Value) -> Event {
    Event {
        at,
        name: name.map(str::to_string),
        properties: json!({}),
        context: json!({}),
        traits: traits.as_object().cloned().unwrap_or_else(Map::new),
        input: None,
    }
}

fn track(at: Millis, name: &str) -> Event {
    event(at, Some(name), json!({}))
}

/// `(at, audience id, change)` of the audience membership lines.
fn changes(engine: &Engine, out: &[Transition]) -> Vec<(Millis, String, Change)> {
    out.iter()
        .filter_map(|t| match (t.target(), t.kind) {
            (Target::Audience(a), TransitionKind::Journey(change)) => {
                Some((t.at, engine.audience(a).id().to_string(), change))
            }
            _ => None,
        })
        .collect()
}

fn recent_buyers() -> Audience {
    audience(json!({"id": "buyers", "name": "Buyers",
        "criteria": {"event": "Order Completed", "within": "1d"}}))
}

#[test]
fn membership_follows_a_sliding_window_and_comes_back() {
    let mut engine = Engine::with_audiences(&[], &[recent_buyers()]).unwrap();
    let mut out = Vec::new();
    engine.apply("u1", &track(10, "Order Completed"), &mut out);
    assert_eq!(engine.next_timer(), Some(10 + DAY));
    engine.advance_to(10 + DAY - 1, &mut out);
    assert_eq!(engine.audience_sizes(), vec![1]);
    engine.advance_to(10 + DAY, &mut out);
    assert_eq!(engine.audience_sizes(), vec![0]);
    engine.apply("u1", &track(5 * DAY, "Order Completed"), &mut out);
    let b = || "buyers".to_string();
    assert_eq!(
        changes(&engine, &out),
        vec![
            (10, b(), Change::Entered),
            (10 + DAY, b(), Change::Exited),
            (5 * DAY, b(), Change::Entered),
        ]
    );
    assert_eq!(out.last().map(|t| t.entry), Some(2));
    assert_eq!(
        engine.audience_members(0),
        vec![super::AudienceMember {
            user: 0,
            entry_number: 2,
            entered_at: 5 * DAY
        }]
    );
}

#[test]
fn a_zero_count_holds_from_the_first_message_until_the_event() {
    let never = audience(json!({"id": "never", "name": "Never ordered",
        "criteria": {"event": "Order Completed", "count": {"op": "=", "value": 0}}}));
    let mut engine = Engine::with_audiences(&[], &[never]).unwrap();
    let mut out = Vec::new();
    engine.apply("u1", &event(10, None, json!({"plan": "free"})), &mut out);
    engine.apply("u1", &track(20, "Order Completed"), &mut out);
    let n = || "never".to_string();
    assert_eq!(
        changes(&engine, &out),
        vec![(10, n(), Change::Entered), (20, n(), Change::Exited)]
    );
    assert_eq!(engine.next_timer(), None);
}

#[test]
fn member_of_reads_audiences_of_the_same_instant_whatever_their_order() {
    // `lapsed` comes first but reads `buyers`, so it is evaluated after it.
    let lapsed = audience(json!({"id": "lapsed", "name": "Lapsed",
        "criteria": {"all": [
            {"trait": "plan", "op": "eq", "value": "pro"},
            {"member_of": {"audience": "buyers"}, "is": false}]}}));
    let mut engine = Engine::with_audiences(&[], &[lapsed, recent_buyers()]).unwrap();
    let mut out = Vec::new();
    engine.apply("u1", &event(10, None, json!({"plan": "pro"})), &mut out);
    engine.apply("u1", &track(20, "Order Completed"), &mut out);
    engine.advance_to(20 + DAY, &mut out);
    let (l, b) = (|| "lapsed".to_string(), || "buyers".to_string());
    assert_eq!(
        changes(&engine, &out),
        vec![
            (10, l(), Change::Entered),
            (20, b(), Change::Entered),
            (20, l(), Change::Exited),
            (20 + DAY, b(), Change::Exited),
            (20 + DAY, l(), Change::Entered),
        ]
    );
    assert_eq!(engine.user_audiences("u1"), vec![0]);
}

#[test]
fn a_journey_enters_on_an_audience_at_the_same_instant() {
    let journey: Journey = serde_json::from_value(json!({
        "id": "j", "name": "J",
        "entry": {"id": "entry", "name": "Entry",
            "criteria": {"member_of": {"audience": "buyers"}, "is": true}}
    }))
    .unwrap();
    let mut engine = Engine::with_audiences(&[journey], &[recent_buyers()]).unwrap();
    let mut out = Vec::new();
    engine.apply("u1", &track(10, "Order Completed"), &mut out);
    let journey_entry = out.iter().find(|t| {
        t.target() == Target::Journey(0) && t.kind == TransitionKind::Journey(Change::Entered)
    });
    assert_eq!(journey_entry.map(|t| t.at), Some(10));
}

#[test]
fn an_audience_reading_a_journey_sees_its_change_at_once() {
    let journey: Journey = serde_json::from_value(json!({
        "id": "j", "name": "J",
        "entry": {"id": "entry", "name": "Entry",
            "criteria": {"trait": "plan", "op": "eq", "value": "trial"}}
    }))
    .unwrap();
    let in_journey = audience(json!({"id": "in_j", "name": "In J",
        "criteria": {"member_of": {"journey": "j", "step": "entry"}}}));
    let mut engine = Engine::with_audiences(&[journey], &[in_journey]).unwrap();
    let mut out = Vec::new();
    engine.apply("u1", &event(10, None, json!({"plan": "trial"})), &mut out);
    assert_eq!(
        changes(&engine, &out),
        vec![(10, "in_j".to_string(), Change::Entered)]
    );
}

#[test]
fn active_connections_hear_of_entries_and_exits() {
    let a = audience(json!({"id": "buyers", "name": "Buyers",
        "criteria": {"event": "Order Completed", "within": "1d"},
        "connections": [
            {"id": "c1", "output": "o", "active": true, "mode": "list"},
            {"id": "c2", "output": "o", "active": false, "mode": "event"}]}));
    let mut engine = Engine::with_audiences(&[], &[a]).unwrap();
    let mut out = Vec::new();
    engine.apply("u1", &track(10, "Order Completed"), &mut out);
    engine.advance_to(10 + DAY, &mut out);
    let kinds: Vec<TransitionKind> = out.iter().map(|t| t.kind).collect();
    let delivery = |action| TransitionKind::Delivery {
        step: 0,
        connection: 0,
        action,
    };
    assert_eq!(
        kinds,
        vec![
            TransitionKind::Journey(Change::Entered),
            delivery(Change::Entered),
            TransitionKind::Journey(Change::Exited),
            delivery(Change::Exited),
        ]
    );
    assert!(out.iter().all(|t| t.journey == AUDIENCE_TARGET));
    assert_eq!(engine.audience(0).connection_id(0), "c1");
}

#[test]
fn inputs_limit_what_counts() {
    let a = audience(
        json!({"id": "ios_buyers", "name": "iOS buyers", "inputs": ["ios"],
        "criteria": {"event": "Order Completed"}}),
    );
    let mut engine = Engine::with_audiences(&[], &[a]).unwrap();
    let mut out = Vec::new();
    let mut web = track(10, "Order Completed");
    web.input = Some("web".into());
    engine.apply("u1", &web, &mut out);
    assert!(out.is_empty());
    let mut ios = track(20, "Order Completed");
    ios.input = Some("ios".into());
    engine.apply("u1", &ios, &mut out);
    assert_eq!(engine.audience_sizes(), vec![1]);
}

#[test]
fn removing_a_user_leaves_their_audiences() {
    let mut engine = Engine::with_audiences(&[], &[recent_buyers()]).unwrap();
    let mut out = Vec::new();
    engine.apply("u1", &track(10, "Order Completed"), &mut out);
    out.clear();
    assert!(engine.remove("u1", &mut out));
    assert_eq!(out[0].kind, TransitionKind::Journey(Change::Exited));
    assert_eq!(out[0].target(), Target::Audience(0));
    assert_eq!(engine.audience_sizes(), vec![0]);
    assert_eq!(engine.next_timer(), None);
}

#[test]
fn history_settled_at_once_matches_a_live_run() {
    let events = [
        ("u1", track(10, "Order Completed")),
        ("u2", track(DAY, "Order Completed")),
        ("u3", event(DAY + 5, None, json!({"plan": "pro"}))),
    ];
    let at = DAY + 20;
    let mut live = Engine::with_audiences(&[], &[recent_buyers()]).unwrap();
    let mut backfill = Engine::with_audiences(&[], &[recent_buyers()]).unwrap();
    let mut out = Vec::new();
    for (key, e) in &events {
        live.apply(key, e, &mut out);
        backfill.observe(key, e);
    }
    live.advance_to(at, &mut out);
    backfill.settle_everyone(at, &mut Vec::new());
    assert_eq!(
        live.audience_members(0),
        backfill
            .audience_members(0)
            .iter()
            .map(|m| super::AudienceMember {
                entered_at: DAY,
                ..*m
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(backfill.audience_sizes(), vec![1]);
}

#[test]
fn an_unknown_audience_id_falls_back_to_a_journey_and_then_to_not_a_member() {
    let journey: Journey = serde_json::from_value(json!({
        "id": "j", "name": "J", "entry": {"id": "entry", "name": "Entry"}}))
    .unwrap();
    let in_j = audience(json!({"id": "in_j", "name": "In J",
        "criteria": {"member_of": {"audience": "j"}}}));
    let nowhere = audience(json!({"id": "nowhere", "name": "Nowhere",
        "criteria": {"member_of": {"audience": "missing"}}}));
    let mut engine = Engine::with_audiences(&[journey], &[in_j, nowhere]).unwrap();
    engine.apply("u1", &track(10, "Visit"), &mut Vec::new());
    assert_eq!(engine.audience_sizes(), vec![1, 0]);
}

#[test]
fn duplicate_audience_ids_are_refused() {
    let err = Engine::with_audiences(&[], &[recent_buyers(), recent_buyers()]).unwrap_err();
    assert_eq!(err.to_string(), "two audiences have the id `buyers`");
}
