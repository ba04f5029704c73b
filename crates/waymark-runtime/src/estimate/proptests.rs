//! The estimator's statistical promise, checked over generated populations: the true
//! size lies inside the 95 % interval in at least 93 of 100 cases, and `~` appears exactly
//! when the documented rule says (SPEC §10, docs/estimator.md).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use waymark_engine::Event;
use waymark_engine::model::Criteria;

use super::evaluate::{Definitions, Target, counts};
use super::figure::{Estimate, MIN_MEMBERS};
use super::sample::{Arrival, Sample};

const NAMES: [&str; 3] = ["Viewed", "Bought", "Returned"];
const DAY: i64 = 86_400_000;

/// One generated case: a population's events and criteria over them.
#[derive(Debug, Clone)]
struct Case {
    salt: u32,
    /// Per profile: how many events of each name, and how many days ago the last was.
    profiles: Vec<([u8; 3], u8)>,
    criteria: Value,
}

fn condition() -> impl Strategy<Value = Value> {
    (0..3usize, 1..4u32, prop::bool::ANY).prop_map(|(name, n, windowed)| {
        let mut c = json!({"event": NAMES[name], "count": {"op": ">=", "value": n}});
        if windowed {
            c["within"] = json!("10d");
        }
        c
    })
}

fn criteria() -> impl Strategy<Value = Value> {
    prop_oneof![
        condition(),
        (condition(), condition()).prop_map(|(a, b)| json!({"all": [a, b]})),
        (condition(), condition()).prop_map(|(a, b)| json!({"any": [a, b]})),
        condition().prop_map(|a| json!({"not": a})),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u32>(),
        prop::collection::vec((prop::array::uniform3(0..4u8), 0..20u8), 1500..3000),
        criteria(),
    )
        .prop_map(|(salt, profiles, criteria)| Case {
            salt,
            profiles,
            criteria,
        })
}

/// The case's population fed to a sample of `capacity`.
fn sample(case: &Case, capacity: usize, now: i64) -> Sample {
    let mut s = Sample::new(capacity);
    let mut seq = 0;
    for (p, (per_name, ago)) in case.profiles.iter().enumerate() {
        let user = format!("{}-{p}", case.salt);
        for (name, n) in NAMES.iter().zip(per_name) {
            for k in 0..*n {
                seq += 1;
                let at = now - i64::from(*ago) * DAY - i64::from(k) * DAY;
                let event = Event {
                    at,
                    name: Some(name.to_string()),
                    properties: Value::Null,
                    context: Value::Null,
                    traits: Default::default(),
                    input: None,
                };
                s.observe(&Arrival {
                    seq,
                    profile: p as u64,
                    merged: &[],
                    user_id: Some(&user),
                    anonymous_id: None,
                    received_at: at,
                    event: &event,
                });
            }
        }
    }
    s
}

#[test]
fn the_interval_covers_the_truth_and_approximate_follows_the_rule() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let now = 100 * DAY;
    let (mut figures, mut covered) = (0, 0);
    for _ in 0..100 {
        let case = case().new_tree(&mut runner).unwrap().current();
        let criteria: Criteria = serde_json::from_value(case.criteria.clone()).unwrap();
        let target = [Target {
            inputs: Vec::new(),
            criteria,
        }];
        let whole = sample(&case, usize::MAX, now);
        let part = sample(&case, 400, now);
        let none = Definitions {
            attributes: &[],
            audiences: &[],
        };
        let truth = counts(&whole, &target, &none, now).unwrap()[0];
        let members = counts(&part, &target, &none, now).unwrap()[0];
        let estimate = Estimate::scaled(members, part.len() as u64, part.population() as u64);
        let thin = part.len() < part.population() && members > 0 && members < MIN_MEMBERS;
        assert_eq!(
            matches!(estimate, Estimate::Approximate { .. }),
            thin,
            "{case:?}"
        );
        if let Estimate::Figure { low, high, .. } = estimate {
            figures += 1;
            covered += u32::from(low <= truth && truth <= high);
        }
    }
    // `~` cases have no interval to check; every figure case counts.
    assert!(
        covered * 100 >= 93 * figures,
        "{covered} of {figures} intervals hold the true size"
    );
    assert!(figures >= 90, "only {figures} figures");
}
