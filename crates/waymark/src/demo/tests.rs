//! Tests of the demo generator and the sample journeys.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use waymark_engine::MessageKind;
use waymark_engine::time::Millis;
use waymark_engine::validate::{Limits, load_journey, validate_journey};

use super::{DemoMessage, Trickle, WORKSPACES, history, journeys};

/// 2026-01-01T00:00:00Z.
const START: Millis = 1_767_225_600_000;
/// Thirty days later.
const END: Millis = START + 30 * 86_400_000;

fn names(messages: &[DemoMessage]) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for m in messages {
        let name = m
            .message
            .event
            .name
            .as_deref()
            .unwrap_or(m.message.kind.as_str());
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

fn check_well_formed(messages: &[DemoMessage]) {
    let mut ids = HashSet::new();
    for m in messages {
        let msg = &m.message;
        assert!(msg.identity.profile_key().is_some(), "no identity: {msg:?}");
        assert!(msg.identity.anonymous_id.is_some());
        assert_eq!(msg.received_at, msg.event.at);
        assert_eq!(msg.event.input.as_deref(), Some(m.input));
        let workspace = WORKSPACES
            .iter()
            .find(|w| w.id == m.workspace)
            .expect("known workspace");
        assert!(
            workspace.inputs.iter().any(|i| i.id == m.input),
            "{} has no input {}",
            m.workspace,
            m.input
        );
        assert!(
            ids.insert(msg.message_id.clone().expect("message id")),
            "duplicate message id"
        );
        match msg.kind {
            MessageKind::Identify => {
                assert!(msg.event.name.is_none() && !msg.event.traits.is_empty())
            }
            MessageKind::Page => {
                assert_eq!(msg.event.name.as_deref(), Some("Page Viewed"));
                assert_eq!(m.input, "web");
                assert!(
                    msg.event.properties.get("name").is_some()
                        && msg.event.properties.get("path").is_some()
                );
            }
            MessageKind::Screen => {
                assert_eq!(msg.event.name.as_deref(), Some("Screen Viewed"));
                assert_ne!(m.input, "web");
                assert!(msg.event.properties.get("name").is_some());
            }
            MessageKind::Track => assert!(msg.event.name.is_some()),
            other => panic!("unexpected kind {other:?}"),
        }
        if let Some(consent) = msg.event.context.pointer("/consent/categoryPreferences") {
            assert!(consent.get("email").is_some_and(Value::is_boolean));
            assert!(
                msg.event
                    .context
                    .get("timezone")
                    .is_some_and(Value::is_string)
            );
        } else {
            assert_ne!(msg.kind, MessageKind::Identify, "identify without consent");
        }
    }
    // Consent is stated on a user's first message (and identify calls, and after changes).
    let mut first_anonymous: HashMap<&str, bool> = HashMap::new();
    let mut users_with_consent: HashMap<&str, bool> = HashMap::new();
    for m in messages {
        let stated = m.message.event.context.pointer("/consent").is_some();
        let identity = &m.message.identity;
        match identity.user_id.as_deref() {
            Some(user) => *users_with_consent.entry(user).or_default() |= stated,
            None => {
                let anonymous = identity.anonymous_id.as_deref().unwrap_or_default();
                first_anonymous.entry(anonymous).or_insert(stated);
            }
        }
    }
    assert!(
        first_anonymous.values().all(|stated| *stated),
        "an anonymous user's first message lacks consent"
    );
    assert!(
        users_with_consent.values().all(|stated| *stated),
        "a user never states consent"
    );
}

#[test]
fn history_is_deterministic() {
    let a = history(7, 300, START, END);
    let b = history(7, 300, START, END);
    assert_eq!(a, b);
    let c = history(8, 300, START, END);
    assert_ne!(a, c);
}

#[test]
fn history_is_sorted_within_range_and_well_formed() {
    let messages = history(1, 1_000, START, END);
    assert!(
        messages
            .windows(2)
            .all(|w| w[0].message.event.at <= w[1].message.event.at)
    );
    assert!(
        messages
            .iter()
            .all(|m| (START..END).contains(&m.message.event.at))
    );
    check_well_formed(&messages);
}

#[test]
fn history_counts_and_funnel_are_realistic() {
    let users = 2_000;
    let messages = history(3, users, START, END);
    let per_user = messages.len() as f64 / users as f64;
    assert!(
        (15.0..=30.0).contains(&per_user),
        "{per_user} messages per user"
    );
    let counts = names(&messages);
    let n = |name: &str| counts.get(name).copied().unwrap_or(0);
    assert!(n("Product Viewed") > 2 * n("Product Added"), "{counts:?}");
    assert!(n("Product Added") > n("Checkout Started"), "{counts:?}");
    assert!(n("Checkout Started") > n("Order Completed"), "{counts:?}");
    assert!(n("Order Completed") > users / 20, "{counts:?}");
    for name in [
        "Signed Up",
        "Trial Started",
        "Profile Completed",
        "First Project Created",
        "Page Viewed",
        "Screen Viewed",
        "Newsletter Subscribed",
        "identify",
    ] {
        assert!(n(name) > 0, "no {name}: {counts:?}");
    }
    assert!(
        n("Signed Up") > n("Profile Completed")
            && n("Profile Completed") > n("First Project Created")
    );
    let users_seen: HashSet<&str> = messages
        .iter()
        .filter_map(|m| m.message.identity.user_id.as_deref())
        .collect();
    assert!(
        users_seen.len() > users * 7 / 10,
        "{} identified users",
        users_seen.len()
    );
    assert!(
        users_seen
            .iter()
            .all(|u| u.starts_with("user-") && u.len() == 10)
    );
}

#[test]
fn history_has_anonymous_users_who_identify_later() {
    let messages = history(5, 500, START, END);
    let anonymous: HashSet<&str> = messages
        .iter()
        .filter(|m| m.message.identity.user_id.is_none())
        .filter_map(|m| m.message.identity.anonymous_id.as_deref())
        .collect();
    assert!(!anonymous.is_empty());
    let merged = messages.iter().any(|m| {
        m.message.kind == MessageKind::Identify
            && m.message.identity.user_id.is_some()
            && m.message
                .identity
                .anonymous_id
                .as_deref()
                .is_some_and(|a| anonymous.contains(a))
    });
    assert!(merged, "no anonymous user identified later");
}

#[test]
fn history_traits_cover_plans_ltv_timezones_and_consent() {
    let messages = history(9, 1_000, START, END);
    let mut plans = HashSet::new();
    let mut zones = HashSet::new();
    let mut max_ltv: f64 = 0.0;
    let mut sms = [0, 0];
    for m in &messages {
        let traits = &m.message.event.traits;
        if let Some(Value::String(plan)) = traits.get("plan") {
            plans.insert(plan.clone());
        }
        if let Some(Value::String(zone)) = traits.get("timezone") {
            zones.insert(zone.clone());
        }
        if let Some(ltv) = traits.get("lifetime_value").and_then(Value::as_f64) {
            max_ltv = max_ltv.max(ltv);
        }
        let granted = m
            .message
            .event
            .context
            .pointer("/consent/categoryPreferences/sms")
            == Some(&Value::Bool(true));
        sms[usize::from(granted)] += 1;
    }
    assert_eq!(
        plans,
        ["trial", "free", "paid"]
            .into_iter()
            .map(String::from)
            .collect()
    );
    assert!(zones.len() >= 5, "{zones:?}");
    assert!(max_ltv >= 500.0, "max lifetime value {max_ltv}");
    assert!(sms[0] > 0 && sms[1] > 0);
}

#[test]
fn order_properties_are_present() {
    let messages = history(11, 500, START, END);
    let orders: Vec<_> = messages
        .iter()
        .filter(|m| m.message.event.name.as_deref() == Some("Order Completed"))
        .collect();
    assert!(!orders.is_empty());
    let mut order_ids = HashSet::new();
    for order in orders {
        let props = &order.message.event.properties;
        assert!(
            props
                .get("revenue")
                .and_then(Value::as_f64)
                .is_some_and(|r| r > 0.0)
        );
        assert!(props.get("currency").and_then(Value::as_str).is_some());
        assert!(
            order_ids.insert(
                props
                    .get("order_id")
                    .and_then(Value::as_str)
                    .expect("order_id")
                    .to_owned()
            )
        );
    }
}

#[test]
fn smaller_runs_are_subsets() {
    let small = history(4, 50, START, END);
    let large = history(4, 100, START, END);
    let strip = |m: &DemoMessage| {
        let mut msg = m.message.clone();
        msg.message_id = None;
        msg
    };
    let large: Vec<_> = large.iter().map(strip).collect();
    assert!(small.iter().map(strip).all(|m| large.contains(&m)));
}

#[test]
fn empty_inputs_give_no_messages() {
    assert!(history(1, 0, START, END).is_empty());
    assert!(history(1, 10, END, START).is_empty());
    assert!(Trickle::new(1, 0, 20, START).due(START + 60_000).is_empty());
    assert!(Trickle::new(1, 10, 0, START).due(START + 60_000).is_empty());
}

/// A minute of the trickle, polled every 250 ms as `waymark demo` does.
fn minute_of_trickle(seed: u64, rate: u32) -> Vec<DemoMessage> {
    let mut t = Trickle::new(seed, 1_000, rate, END);
    let mut out = Vec::new();
    for tick in 1..=240 {
        let now = END + tick * 250;
        let due = t.due(now);
        assert!(
            due.iter().all(|m| m.message.event.at <= now),
            "a message before its time"
        );
        out.extend(due);
    }
    out
}

#[test]
fn the_trickle_keeps_its_rate_and_moves_every_funnel_within_a_minute() {
    let a = minute_of_trickle(7, 20);
    assert_eq!(a, minute_of_trickle(7, 20), "not deterministic");
    // About 20 a second (the demo's `--rate`), not a tenth of it.
    assert!(
        (900..=1_500).contains(&a.len()),
        "{} messages in a minute",
        a.len()
    );
    let ten = minute_of_trickle(7, 10).len();
    assert!((400..=800).contains(&ten), "{ten} messages at 10/s");
    assert!(
        a.windows(2)
            .all(|w| w[0].message.event.at <= w[1].message.event.at)
    );
    assert!(a.iter().all(|m| m.message.event.at >= END));
    let ids: HashSet<_> = a.iter().map(|m| m.message.message_id.clone()).collect();
    assert_eq!(ids.len(), a.len(), "message ids repeat");
    check_well_formed(&a);
    // Whole sessions, not only their first views: what the sample journeys enter on.
    let counts = names(&a);
    for (event, at_least) in [
        ("Product Viewed", 50),
        ("Product Added", 10),
        ("Checkout Started", 4),
        ("Order Completed", 2),
        ("Signed Up", 2),
    ] {
        let n = counts.get(event).copied().unwrap_or(0);
        assert!(n >= at_least, "{event}: {n} in a minute ({counts:?})");
    }
    let trials = a
        .iter()
        .filter(|m| m.message.event.traits.get("plan").and_then(|p| p.as_str()) == Some("trial"))
        .count();
    assert!(trials >= 1, "no new trial user in a minute");
}

#[test]
fn journeys_are_valid() {
    let all = journeys();
    assert_eq!(all.len(), 6);
    let mut ids = HashSet::new();
    for (id, text) in all {
        let doc: Value = serde_json::from_str(text).expect("journey JSON");
        let problems = validate_journey(&doc, &Limits::default());
        assert!(problems.is_empty(), "{id}: {problems:?}");
        let journey =
            load_journey(text, &Limits::default()).unwrap_or_else(|p| panic!("{id}: {p:?}"));
        assert_eq!(journey.id, id);
        assert!(ids.insert(id));
        let inputs = doc["inputs"].as_array().expect("inputs");
        assert!(!inputs.is_empty());
        check_connections(id, &doc["entry"]);
    }
}

/// Every connection goes to `demo-list` in `list` mode or `demo-file` in `event` mode.
fn check_connections(journey: &str, step: &Value) {
    for c in step["connections"].as_array().into_iter().flatten() {
        match (c["output"].as_str(), c["mode"].as_str()) {
            (Some("demo-list"), Some("list")) | (Some("demo-file"), Some("event")) => {}
            other => panic!("{journey}: connection {} has {other:?}", c["id"]),
        }
    }
    for child in step["steps"].as_array().into_iter().flatten() {
        check_connections(journey, child);
    }
}
