//! Standalone audiences (SPEC §6) under generated criteria and event streams: membership
//! is live (property 15), a whole history settled at once gives the same members as a
//! live run (property 16), and an audience run as a journey agrees with both.

use std::collections::BTreeSet;

use proptest::prelude::*;
use waymark_engine::model::{Audience, Criteria, Journey, MemberOf, MemberTarget};
use waymark_engine::time::{Millis, format_instant};
use waymark_engine::{Change, Engine, Event, Target, Transition, TransitionKind};

use crate::generators::{criteria, events};
use crate::oracle::{audience_holds, criteria_durations};

/// A generated audience: its own criteria, optionally combined with the membership of the
/// audience before it (`member_of`), and its inputs.
#[derive(Debug, Clone)]
pub struct Spec {
    own: Criteria,
    previous: Option<bool>,
    inputs: Vec<String>,
}

pub fn specs() -> impl Strategy<Value = Vec<Spec>> {
    let one = (
        criteria(false),
        prop::option::of(any::<bool>()),
        prop::sample::select(vec![vec![], vec![], vec!["web".to_string()]]),
    )
        .prop_map(|(own, previous, inputs)| Spec {
            own,
            previous,
            inputs,
        });
    prop::collection::vec(one, 1..=3)
}

pub fn audiences(specs: &[Spec]) -> Vec<Audience> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let criteria = match s.previous {
                Some(is) if i > 0 => Criteria::All(vec![
                    s.own.clone(),
                    Criteria::MemberOf(MemberOf {
                        target: MemberTarget::Audience {
                            audience: format!("a{}", i - 1),
                        },
                        is,
                    }),
                ]),
                _ => s.own.clone(),
            };
            Audience {
                id: format!("a{i}"),
                name: format!("A{i}"),
                description: None,
                inputs: s.inputs.clone(),
                criteria,
                connections: Vec::new(),
            }
        })
        .collect()
}

/// What the oracle says of audience `i` for a user at `now`.
fn expected(specs: &[Spec], i: usize, events: &[&Event], now: Millis) -> bool {
    let s = &specs[i];
    let own = audience_holds(events, now, &s.own, &s.inputs);
    match s.previous {
        Some(is) if i > 0 => own && expected(specs, i - 1, events, now) == is,
        _ => own,
    }
}

fn live_run(
    all: &[Audience],
    events: &[(String, Event)],
    until: Millis,
) -> (Engine, Vec<Transition>) {
    let mut engine = Engine::with_audiences(&[], all).expect("audiences compile");
    let mut out = Vec::new();
    for (key, e) in events.iter().filter(|(_, e)| e.at <= until) {
        engine.apply(key, e, &mut out);
    }
    engine.advance_to(until, &mut out);
    (engine, out)
}

proptest! {
    #![proptest_config(crate::properties::config(256))]

    /// Property 15: at the end of every instant (each event of the user, each moment a
    /// window slides past one or a `for` matures, and `until`), the user is a member of an
    /// audience exactly when its criteria hold; entries and exits alternate.
    #[test]
    fn membership_is_live(specs in specs(), (events, until) in events()) {
        let all = audiences(&specs);
        let (engine, out) = live_run(&all, &events, until);
        let mut lengths = BTreeSet::new();
        for s in &specs {
            lengths.extend(criteria_durations(&s.own));
        }
        for user in 0..engine.user_count() as u32 {
            let key = engine.user_key(user);
            let mine: Vec<&Event> = events
                .iter()
                .filter(|(k, e)| k == key && e.at <= until)
                .map(|(_, e)| e)
                .collect();
            let changes: Vec<&Transition> = out.iter().filter(|t| t.user == user).collect();
            let mut instants = BTreeSet::from([until]);
            for e in &mine {
                instants.insert(e.at);
                instants.extend(lengths.iter().map(|d| e.at + d).filter(|t| *t <= until));
            }
            let mut member = vec![false; all.len()];
            let mut next = 0;
            for &now in instants.range(mine[0].at..) {
                while let Some(t) = changes.get(next).filter(|t| t.at <= now) {
                    let (Target::Audience(a), TransitionKind::Journey(change)) = (t.target(), t.kind) else {
                        panic!("not an audience membership change: {t:?}");
                    };
                    let a = usize::from(a);
                    prop_assert_eq!(member[a], change == Change::Exited, "{} {:?} twice in a row", key, change);
                    member[a] = change == Change::Entered;
                    next += 1;
                }
                let applied = &mine[..mine.partition_point(|e| e.at <= now)];
                for (i, m) in member.iter().enumerate() {
                    prop_assert_eq!(
                        *m,
                        expected(&specs, i, applied, now),
                        "{} in a{} at {}: {:?}", key, i, format_instant(now), all[i].criteria
                    );
                }
            }
        }
    }

    /// Property 16: applying every event live and settling the whole history at once at
    /// `until` (what a backfill and `waymark audiences` do) give the same members.
    #[test]
    fn backfill_agrees_with_a_live_run(specs in specs(), (events, until) in events()) {
        let all = audiences(&specs);
        let (live, _) = live_run(&all, &events, until);
        let mut backfill = Engine::with_audiences(&[], &all).expect("audiences compile");
        for (key, e) in events.iter().filter(|(_, e)| e.at <= until) {
            backfill.observe(key, e);
        }
        backfill.settle_everyone(until, &mut Vec::new());
        for a in 0..all.len() as u16 {
            let keys = |engine: &Engine| -> Vec<String> {
                engine.audience_members(a).iter().map(|m| engine.user_key(m.user).to_string()).collect()
            };
            prop_assert_eq!(keys(&live), keys(&backfill));
        }
    }
}

/// The journey SPEC §6 says an audience is ([`Audience::into_journey`], the live runtime's
/// form), without connections: the property compares memberships.
fn as_journey(a: &Audience) -> Journey {
    Audience {
        connections: Vec::new(),
        ..a.clone()
    }
    .into_journey()
}

proptest! {
    #![proptest_config(crate::properties::config(256))]

    /// An audience run by the engine's audience machinery and the same audience run as the
    /// journey SPEC §6 describes (the live runtime's form) join and leave the same users at
    /// the same instants.
    #[test]
    fn native_and_journey_audiences_agree(specs in specs(), (events, until) in events()) {
        let all = audiences(&specs);
        let (native, native_out) = live_run(&all, &events, until);
        let journeys: Vec<Journey> = all.iter().map(as_journey).collect();
        let mut engine = Engine::new(&journeys).expect("journeys compile");
        let mut out = Vec::new();
        for (key, e) in events.iter().filter(|(_, e)| e.at <= until) {
            engine.apply(key, e, &mut out);
        }
        engine.advance_to(until, &mut out);
        let changes = |engine: &Engine, out: &[Transition]| -> Vec<(u16, String, Millis, bool)> {
            out.iter()
                .filter_map(|t| {
                    let TransitionKind::Journey(change) = t.kind else { return None };
                    let index = match t.target() {
                        Target::Audience(a) | Target::Journey(a) => a,
                    };
                    Some((index, engine.user_key(t.user).to_string(), t.at, change == Change::Entered))
                })
                .collect()
        };
        let mut expected = changes(&native, &native_out);
        let mut got = changes(&engine, &out);
        expected.sort();
        got.sort();
        prop_assert_eq!(got, expected);
    }
}
