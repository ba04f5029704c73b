//! Unit tests of the per-user state kept incrementally (SPEC §3): trait merging by
//! top-level key, `since`, consent, inputs and counters.

use serde_json::{Value, json};

use super::*;
use crate::catalog::CounterSpec;
use crate::model::{Filter, Op};
use crate::time::parse_instant;

const MIN: Millis = 60_000;

fn t0() -> Millis {
    parse_instant("2026-01-05T12:00:00Z").unwrap()
}

fn identify(at: Millis, traits: Value) -> Event {
    let Value::Object(traits) = traits else {
        panic!("traits must be an object")
    };
    Event {
        at,
        traits,
        ..Event::default()
    }
}

fn track(name: &str, at: Millis, properties: Value) -> Event {
    Event {
        at,
        name: Some(name.to_string()),
        properties,
        context: json!({}),
        ..Event::default()
    }
}

fn with_context(at: Millis, context: Value) -> Event {
    Event {
        context,
        ..track("Page Viewed", at, json!({}))
    }
}

/// A catalog with a slot for each of `paths`.
fn catalog_with_traits(paths: &[&str]) -> (Catalog, Vec<u32>) {
    let mut catalog = Catalog::default();
    let slots = paths.iter().map(|p| catalog.trait_slot(p)).collect();
    (catalog, slots)
}

/// A trait's value; `None` when missing (never set, or removed and kept as null).
fn value(profile: &Profile, slot: u32) -> Option<&Value> {
    profile
        .trait_value(slot)
        .map(|t| &t.value)
        .filter(|v| !v.is_null())
}

fn since(profile: &Profile, slot: u32) -> Option<Millis> {
    profile.trait_value(slot).map(|t| t.since)
}

/// Whether the profile holds consent `granted` for `purpose` (None: never mentioned).
fn consent(profile: &Profile, catalog: &Catalog, purpose: &str) -> Option<bool> {
    let id = catalog.purposes.get(purpose)?;
    let mut found = profile.consent.iter().filter(|(p, _)| *p == id);
    let entry = found.next().map(|(_, g)| *g);
    assert!(found.next().is_none(), "one entry per purpose");
    entry
}

// ---- traits --------------------------------------------------------------------------

#[test]
fn a_new_object_replaces_the_old_one() {
    let (mut catalog, slots) = catalog_with_traits(&["address.state", "address.city", "address"]);
    let [state, city, address] = slots[..] else {
        unreachable!()
    };
    let mut p = Profile::default();
    let t = t0();
    p.apply(
        &identify(t, json!({"address": {"state": "NY"}})),
        &mut catalog,
        0,
    );
    assert_eq!(value(&p, state), Some(&json!("NY")));
    assert_eq!(value(&p, city), None);
    p.apply(
        &identify(t + MIN, json!({"address": {"city": "X"}})),
        &mut catalog,
        0,
    );
    assert_eq!(
        value(&p, state),
        None,
        "merged by top-level key, not deeply"
    );
    assert_eq!(value(&p, city), Some(&json!("X")));
    assert_eq!(value(&p, address), Some(&json!({"city": "X"})));
    assert_eq!(since(&p, city), Some(t + MIN));
}

#[test]
fn other_top_level_keys_are_kept() {
    let (mut catalog, slots) = catalog_with_traits(&["name", "plan", "address.state"]);
    let [name, plan, state] = slots[..] else {
        unreachable!()
    };
    let mut p = Profile::default();
    let t = t0();
    p.apply(
        &identify(t, json!({"name": "Ann", "address": {"state": "NY"}})),
        &mut catalog,
        0,
    );
    p.apply(&identify(t + MIN, json!({"plan": "gold"})), &mut catalog, 0);
    p.apply(
        &track("Login", t + 2 * MIN, json!({"plan": "ignored"})),
        &mut catalog,
        0,
    );
    assert_eq!(value(&p, name), Some(&json!("Ann")));
    assert_eq!(since(&p, name), Some(t));
    assert_eq!(value(&p, state), Some(&json!("NY")));
    assert_eq!(value(&p, plan), Some(&json!("gold")));
    assert_eq!(since(&p, plan), Some(t + MIN));
}

#[test]
fn since_moves_only_when_the_value_changes() {
    let (mut catalog, slots) = catalog_with_traits(&["plan", "address", "address.state"]);
    let [plan, address, state] = slots[..] else {
        unreachable!()
    };
    let mut p = Profile::default();
    let t = t0();
    p.apply(
        &identify(
            t,
            json!({"plan": "gold", "address": {"state": "NY", "zip": "10001"}}),
        ),
        &mut catalog,
        0,
    );
    p.apply(
        &identify(
            t + MIN,
            json!({"plan": "gold", "address": {"state": "NY", "zip": "10001"}}),
        ),
        &mut catalog,
        0,
    );
    assert_eq!(since(&p, plan), Some(t));
    assert_eq!(since(&p, address), Some(t));
    p.apply(
        &identify(
            t + 2 * MIN,
            json!({"address": {"state": "NY", "zip": "10002"}}),
        ),
        &mut catalog,
        0,
    );
    assert_eq!(since(&p, address), Some(t + 2 * MIN), "the object changed");
    assert_eq!(since(&p, state), Some(t), "the state did not");
    p.apply(
        &identify(t + 3 * MIN, json!({"plan": "silver"})),
        &mut catalog,
        0,
    );
    assert_eq!(since(&p, plan), Some(t + 3 * MIN));
    p.apply(
        &identify(t + 4 * MIN, json!({"plan": "gold"})),
        &mut catalog,
        0,
    );
    assert_eq!(since(&p, plan), Some(t + 4 * MIN));
    // Numbers too.
    p.apply(&identify(t + 5 * MIN, json!({"plan": 1})), &mut catalog, 0);
    p.apply(&identify(t + 6 * MIN, json!({"plan": 1})), &mut catalog, 0);
    assert_eq!(since(&p, plan), Some(t + 5 * MIN));
}

#[test]
fn null_removes_a_trait_and_a_scalar_replaces_an_object() {
    let (mut catalog, slots) = catalog_with_traits(&["plan", "address.state"]);
    let [plan, state] = slots[..] else {
        unreachable!()
    };
    let mut p = Profile::default();
    let t = t0();
    p.apply(
        &identify(t, json!({"plan": "gold", "address": {"state": "NY"}})),
        &mut catalog,
        0,
    );
    p.apply(&identify(t + MIN, json!({"plan": null})), &mut catalog, 0);
    assert_eq!(value(&p, plan), None, "a removed trait reads as missing");
    assert_eq!(value(&p, state), Some(&json!("NY")));
    p.apply(
        &identify(t + 2 * MIN, json!({"address": "unknown"})),
        &mut catalog,
        0,
    );
    assert_eq!(value(&p, state), None, "a removed trait reads as missing");
    p.apply(
        &identify(t + 3 * MIN, json!({"address": {"state": null}})),
        &mut catalog,
        0,
    );
    assert_eq!(value(&p, state), None, "a removed trait reads as missing");
    // Set again after removal: a fresh `since`.
    p.apply(
        &identify(t + 4 * MIN, json!({"plan": "gold"})),
        &mut catalog,
        0,
    );
    assert_eq!(since(&p, plan), Some(t + 4 * MIN));
}

#[test]
fn a_literal_dotted_key_sets_a_dotted_slot() {
    let (mut catalog, slots) = catalog_with_traits(&["address.state"]);
    let state = slots[0];
    let mut p = Profile::default();
    p.apply(
        &identify(t0(), json!({"address.state": "CA"})),
        &mut catalog,
        0,
    );
    assert_eq!(value(&p, state), Some(&json!("CA")));
}

#[test]
fn a_slot_named_after_its_traits_were_sent_is_filled_by_the_next_write() {
    let mut catalog = Catalog::default();
    let mut p = Profile::default();
    p.apply(&identify(t0(), json!({"plan": "gold"})), &mut catalog, 0);
    let plan = catalog.trait_slot("plan");
    assert_eq!(p.trait_value(plan), None);
    p.apply(
        &identify(t0() + MIN, json!({"plan": "gold"})),
        &mut catalog,
        0,
    );
    assert_eq!(since(&p, plan), Some(t0() + MIN));
}

#[test]
fn only_the_slots_an_event_wrote_are_held() {
    let (mut catalog, slots) = catalog_with_traits(&["plan", "state", "tier", "address.city"]);
    let mut p = Profile::default();
    p.apply(&identify(t0(), json!({"tier": "gold"})), &mut catalog, 0);
    p.apply(
        &identify(t0() + MIN, json!({"plan": "pro"})),
        &mut catalog,
        0,
    );
    assert_eq!(p.traits, {
        let mut held = Traits::default();
        for (slot, value, at) in [(slots[0], "pro", t0() + MIN), (slots[2], "gold", t0())] {
            let value = TraitValue {
                value: json!(value),
                since: at,
                written: at,
            };
            held.set(slot, value);
        }
        held
    });
    assert!(p.traits.fits(4) && !p.traits.fits(2));
    assert_eq!(value(&p, slots[1]), None);
}

#[test]
fn the_latest_write_by_event_time_wins() {
    let (mut catalog, slots) = catalog_with_traits(&["plan"]);
    let plan = slots[0];
    let mut p = Profile::default();
    let t = t0();
    p.apply(&identify(t, json!({"plan": "gold"})), &mut catalog, 0);
    // Arrives later, but happened earlier.
    p.apply(
        &identify(t - 10 * MIN, json!({"plan": "silver"})),
        &mut catalog,
        0,
    );
    assert_eq!(value(&p, plan), Some(&json!("gold")));
    assert_eq!(since(&p, plan), Some(t));
}

// ---- consent -------------------------------------------------------------------------

#[test]
fn consent_from_context_category_preferences() {
    let mut catalog = Catalog::default();
    let mut p = Profile::default();
    let t = t0();
    p.apply(
        &with_context(
            t,
            json!({"consent": {"categoryPreferences": {"marketing": true, "analytics": false}}}),
        ),
        &mut catalog,
        0,
    );
    assert_eq!(consent(&p, &catalog, "marketing"), Some(true));
    assert_eq!(consent(&p, &catalog, "analytics"), Some(false));
    assert_eq!(consent(&p, &catalog, "advertising"), None);
    p.apply(
        &with_context(
            t + MIN,
            json!({"consent": {"categoryPreferences": {"marketing": false}}}),
        ),
        &mut catalog,
        0,
    );
    assert_eq!(consent(&p, &catalog, "marketing"), Some(false));
    assert_eq!(consent(&p, &catalog, "analytics"), Some(false), "kept");
    // Non-boolean preferences and other shapes are ignored.
    p.apply(
        &with_context(
            t + 2 * MIN,
            json!({"consent": {"categoryPreferences": {"marketing": "true", "ads": null}}}),
        ),
        &mut catalog,
        0,
    );
    p.apply(
        &with_context(
            t + 3 * MIN,
            json!({"consent": {"categoryPreferences": ["marketing"]}}),
        ),
        &mut catalog,
        0,
    );
    p.apply(
        &with_context(t + 4 * MIN, json!({"consent": true})),
        &mut catalog,
        0,
    );
    assert_eq!(consent(&p, &catalog, "marketing"), Some(false));
    assert_eq!(consent(&p, &catalog, "ads"), None);
    assert_eq!(p.consent.len(), 2);
}

#[test]
fn consent_from_a_consent_trait_object() {
    let mut catalog = Catalog::default();
    let mut p = Profile::default();
    let t = t0();
    p.apply(
        &identify(t, json!({"consent": {"sms": true, "email": false}})),
        &mut catalog,
        0,
    );
    assert_eq!(consent(&p, &catalog, "sms"), Some(true));
    assert_eq!(consent(&p, &catalog, "email"), Some(false));
    p.apply(
        &identify(t + MIN, json!({"consent": {"email": true}})),
        &mut catalog,
        0,
    );
    assert_eq!(consent(&p, &catalog, "email"), Some(true));
    assert_eq!(
        consent(&p, &catalog, "sms"),
        Some(true),
        "consent is per purpose, not replaced"
    );
}

#[test]
fn consent_from_dotted_consent_traits() {
    let mut catalog = Catalog::default();
    let mut p = Profile::default();
    let t = t0();
    p.apply(
        &identify(
            t,
            json!({"consent.push": true, "consent.email": false, "consentx": true}),
        ),
        &mut catalog,
        0,
    );
    assert_eq!(consent(&p, &catalog, "push"), Some(true));
    assert_eq!(consent(&p, &catalog, "email"), Some(false));
    p.apply(
        &identify(
            t + MIN,
            json!({"consent.push": false, "consent.sms": "yes"}),
        ),
        &mut catalog,
        0,
    );
    assert_eq!(consent(&p, &catalog, "push"), Some(false));
    assert_eq!(
        consent(&p, &catalog, "sms"),
        None,
        "non-boolean values are ignored"
    );
    assert_eq!(p.consent.len(), 2);
}

#[test]
fn consent_traits_and_context_update_the_same_purposes() {
    let mut catalog = Catalog::default();
    let mut p = Profile::default();
    let t = t0();
    p.apply(
        &identify(t, json!({"consent": {"marketing": true}})),
        &mut catalog,
        0,
    );
    p.apply(
        &with_context(
            t + MIN,
            json!({"consent": {"categoryPreferences": {"marketing": false}}}),
        ),
        &mut catalog,
        0,
    );
    assert_eq!(consent(&p, &catalog, "marketing"), Some(false));
    p.apply(
        &identify(t + 2 * MIN, json!({"consent.marketing": true})),
        &mut catalog,
        0,
    );
    assert_eq!(consent(&p, &catalog, "marketing"), Some(true));
    assert_eq!(p.consent.len(), 1);
}

// ---- sequence, inputs, counters ------------------------------------------------------

#[test]
fn every_event_gets_the_next_sequence_number_and_inputs_are_recorded_once() {
    let mut catalog = Catalog::default();
    let mut p = Profile::default();
    assert_eq!(p.seq, 0);
    let from = |input: Option<&str>| Event {
        input: input.map(str::to_string),
        ..track("Login", t0(), json!({}))
    };
    p.apply(&from(Some("ios")), &mut catalog, 0);
    p.apply(&from(None), &mut catalog, 0);
    p.apply(&from(Some("ios")), &mut catalog, 0);
    p.apply(&identify(t0(), json!({})), &mut catalog, 0);
    p.apply(&from(Some("web")), &mut catalog, 0);
    assert_eq!(p.seq, 5);
    let ids: Vec<u32> = ["ios", "web"]
        .iter()
        .map(|i| catalog.inputs.get(i).unwrap())
        .collect();
    assert_eq!(p.inputs.as_slice(), ids.as_slice());
}

#[test]
fn counters_keep_the_latest_matching_events_oldest_first() {
    let mut catalog = Catalog::default();
    let name = catalog.event_names.intern("Order Completed");
    let all = catalog.counter_with(
        CounterSpec {
            name,
            filters: Vec::new(),
            between: None,
            inputs: None,
            capacity: 2,
            counting_from: None,
        },
        true,
    );
    let big = catalog.counter_with(
        CounterSpec {
            name,
            filters: vec![Filter {
                property: "total".into(),
                op: Op::Gt,
                value: Some(json!(100)),
            }],
            between: None,
            inputs: None,
            capacity: 5,
            counting_from: None,
        },
        true,
    );
    let mut p = Profile::default();
    let t = t0();
    let totals = [50, 150, 20, 300];
    for (i, total) in totals.iter().enumerate() {
        let at = t + i as i64 * MIN;
        let matched = p.apply(
            &track("Order Completed", at, json!({"total": total})),
            &mut catalog,
            0,
        );
        let expected: Vec<u32> = if *total > 100 {
            vec![all, big]
        } else {
            vec![all]
        };
        assert_eq!(
            matched.counters.as_slice(),
            expected.as_slice(),
            "order {i}"
        );
    }
    assert!(
        p.apply(
            &track("Cart Viewed", t, json!({"total": 500})),
            &mut catalog,
            0
        )
        .counters
        .is_empty()
    );
    assert!(
        p.apply(&identify(t, json!({"total": 500})), &mut catalog, 0)
            .counters
            .is_empty()
    );
    let hits = |c| p.hits(c).iter().map(|h| (h.at, h.seq)).collect::<Vec<_>>();
    assert_eq!(hits(all), [(t + 2 * MIN, 3), (t + 3 * MIN, 4)]);
    assert_eq!(hits(big), [(t + MIN, 2), (t + 3 * MIN, 4)]);
    assert!(p.hits(99).is_empty(), "an unknown counter has no hits");
}
