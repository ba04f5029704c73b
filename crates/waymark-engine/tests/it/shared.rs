//! Property 18: one engine that journeys join while it runs (`Engine::add_journey`) gives
//! every journey exactly the transitions it would get in an engine of its own, built the
//! way the runtime built one per published version: history before the publication only
//! feeds profiles (event conditions see it only with `historical`), at the publication
//! everyone is evaluated (`historical`) or nobody is, and later events run the journey.
//! Property 19: the same when each journey is added only once the engine's clock reaches
//! its publication, with the counters and traits it adds filled from the history before
//! (`backfill_event`, `backfill_trait`), as the live runtime publishes.
//! Property 20: a `historical` journey started in slices of users between live events
//! (`release_journey_in_slices`, `release_slice`) gives every user, in every journey, the
//! transitions its start made at once gives them.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::Value;
use waymark_engine::compare::lookup_in;
use waymark_engine::model::Journey;
use waymark_engine::time::Millis;
use waymark_engine::{Activation, Engine, Event, Transition};

use crate::generators::{T0, events, journey};
use crate::properties::config;

/// One journey's transitions as `(at, user key, entry, kind)`, in order.
type Lines = Vec<(Millis, String, u32, String)>;

/// A journey of the mix with when it is published and how.
#[derive(Debug, Clone)]
struct Published {
    journey: Journey,
    at: Millis,
    historical: bool,
}

fn lines(engine: &Engine, transitions: &[Transition], journey: u16) -> Lines {
    transitions
        .iter()
        .filter(|t| t.journey == journey)
        .map(|t| {
            let key = engine.user_key(t.user).to_string();
            (t.at, key, t.entry, format!("{:?}", t.kind))
        })
        .collect()
}

/// The journey in an engine of its own, as the runtime's runners did it.
fn alone(p: &Published, stream: &[(String, Event)], until: Millis) -> Lines {
    let mut engine = Engine::new(std::slice::from_ref(&p.journey)).unwrap();
    let mut out = Vec::new();
    let mut started = false;
    let start = |engine: &mut Engine, out: &mut Vec<Transition>| {
        if p.historical {
            engine.settle_everyone(p.at, out);
        } else {
            engine.advance_to(p.at, out);
        }
    };
    for (key, event) in stream.iter().filter(|(_, e)| e.at <= until) {
        if event.at < p.at {
            if p.historical {
                engine.observe(key, event);
            } else {
                let profile_only = Event {
                    name: None,
                    ..event.clone()
                };
                engine.observe(key, &profile_only);
            }
            continue;
        }
        if !started {
            started = true;
            start(&mut engine, &mut out);
        }
        engine.advance_to(event.at, &mut out);
        engine.apply(key, event, &mut out);
    }
    if !started && p.at <= until {
        start(&mut engine, &mut out);
    }
    engine.advance_to(until, &mut out);
    lines(&engine, &out, 0)
}

/// Every journey in one engine, added before the first event with its publication.
fn together(mix: &[Published], stream: &[(String, Event)], until: Millis) -> Vec<Lines> {
    let mut engine = Engine::new(&[]).unwrap();
    let mut indices = Vec::new();
    for p in mix {
        let activation = Activation {
            at: p.at,
            historical: p.historical,
        };
        let (index, _) = engine.add_journey(&p.journey, activation).unwrap();
        indices.push(index);
    }
    let mut out = Vec::new();
    for (key, event) in stream.iter().filter(|(_, e)| e.at <= until) {
        engine.advance_to(event.at, &mut out);
        engine.apply_received(key, event, event.at, &mut out);
    }
    engine.advance_to(until, &mut out);
    indices.iter().map(|&j| lines(&engine, &out, j)).collect()
}

/// Every journey published while the engine runs, as the clock reaches it.
fn live(mix: &[Published], stream: &[(String, Event)], until: Millis) -> Vec<Lines> {
    run_live(mix, stream, until, None)
}

/// [`live`], with every publication's start made in slices: before each event (and at the
/// end) the engine evaluates the next `slices[n]` users of a start under way, then applies
/// the event; whatever a publication needs finishes the start first, as the runtime does.
fn live_sliced(
    mix: &[Published],
    stream: &[(String, Event)],
    until: Millis,
    slices: &[usize],
) -> Vec<Lines> {
    run_live(mix, stream, until, Some(slices))
}

fn run_live(
    mix: &[Published],
    stream: &[(String, Event)],
    until: Millis,
    slices: Option<&[usize]>,
) -> Vec<Lines> {
    let mut engine = Engine::new(&[]).unwrap();
    let mut order: Vec<usize> = (0..mix.len()).collect();
    order.sort_by_key(|&i| mix[i].at);
    let mut order = order.into_iter().peekable();
    let mut indices = vec![None; mix.len()];
    let mut out = Vec::new();
    let mut seen: Vec<(String, Event)> = Vec::new();
    let mut slices = slices.map(|s| s.iter().cycle());
    let sliced = slices.is_some();
    let mut publish_at = |engine: &mut Engine, i: usize, seen: &[(String, Event)], out: &mut _| {
        if sliced {
            engine.finish_release(out);
        }
        indices[i] = Some(publish_as(engine, &mix[i], seen, out, sliced));
    };
    let mut release_slice = |engine: &mut Engine, out: &mut _| {
        if let Some(slices) = slices.as_mut() {
            engine.release_slice(*slices.next().unwrap_or(&1), out);
        }
    };
    for (key, event) in stream.iter().filter(|(_, e)| e.at <= until) {
        while let Some(i) = order.next_if(|&i| mix[i].at <= event.at) {
            publish_at(&mut engine, i, &seen, &mut out);
        }
        release_slice(&mut engine, &mut out);
        engine.advance_to(event.at, &mut out);
        engine.apply_received(key, event, event.at, &mut out);
        seen.push((key.clone(), event.clone()));
    }
    while let Some(i) = order.next_if(|&i| mix[i].at <= until) {
        publish_at(&mut engine, i, &seen, &mut out);
    }
    release_slice(&mut engine, &mut out);
    engine.advance_to(until, &mut out);
    if sliced {
        engine.finish_release(&mut out);
    }
    indices
        .iter()
        .map(|j| j.map(|j| lines(&engine, &out, j)).unwrap_or_default())
        .collect()
}

/// Each user's lines, in order.
fn per_user(lines: Lines) -> BTreeMap<String, Lines> {
    let mut users: BTreeMap<String, Lines> = BTreeMap::new();
    for line in lines {
        users.entry(line.1.clone()).or_default().push(line);
    }
    users
}

/// Publishes at the engine's clock moved to `p.at`, filling what the journey adds from
/// `history`: held while filled and then released, in slices when `sliced`.
fn publish_as(
    engine: &mut Engine,
    p: &Published,
    history: &[(String, Event)],
    out: &mut Vec<Transition>,
    sliced: bool,
) -> u16 {
    engine.advance_to(p.at, out);
    let activation = Activation {
        at: p.at,
        historical: p.historical,
    };
    let (index, new) = engine.add_journey(&p.journey, activation).unwrap();
    if sliced {
        engine.hold_journey(index);
    }
    for (key, event) in history {
        engine.backfill_event(key, event, event.at, &new);
    }
    let mut users: Vec<&String> = history.iter().map(|(k, _)| k).collect();
    users.sort();
    users.dedup();
    for path in &new.traits {
        for key in &users {
            if let Some((value, since, written)) = stored_trait(history, key, path) {
                engine.backfill_trait(key, path, value, since, written);
            }
        }
    }
    if sliced {
        engine.release_journey_in_slices(index, p.at);
    }
    engine.start_due(out);
    index
}

/// A trait as the store keeps it (SPEC §3: last write by event time wins; `since` moves
/// only when the value changes): the value, since when, and the latest write.
fn stored_trait(
    history: &[(String, Event)],
    key: &str,
    path: &str,
) -> Option<(Value, Millis, Millis)> {
    let mut current: Option<(Value, Millis, Millis)> = None;
    for (_, event) in history.iter().filter(|(k, _)| k == key) {
        let touched = event.traits.keys().any(|k| {
            path == k || (path.starts_with(k.as_str()) && path[k.len()..].starts_with('.'))
        });
        if !touched {
            continue;
        }
        let value = lookup_in(&event.traits, path)
            .cloned()
            .unwrap_or(Value::Null);
        let at = event.at;
        current = match current {
            Some(old) if at < old.2 => Some(old),
            Some((old, since, _)) if old == value => Some((old, since, at)),
            _ => Some((value, at, at)),
        };
    }
    current
}

fn mix() -> impl Strategy<Value = Vec<Published>> {
    prop::collection::vec(
        (journey(), 0..=10 * 24 * 3_600_000i64, any::<bool>()),
        1..=3,
    )
    .prop_map(|list| {
        list.into_iter()
            .enumerate()
            .map(|(i, (mut journey, offset, historical))| {
                journey.id = format!("j{i}");
                Published {
                    journey,
                    at: T0 + offset,
                    historical,
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// Property 19.
    #[test]
    fn journeys_added_to_one_engine_run_as_if_alone(
        mix in mix(),
        (stream, until) in events(),
    ) {
        let shared = together(&mix, &stream, until);
        for (p, got) in mix.iter().zip(shared) {
            let want = alone(p, &stream, until);
            let diff: BTreeMap<usize, (Option<&_>, Option<&_>)> = (0..want.len().max(got.len()))
                .filter(|&i| want.get(i) != got.get(i))
                .take(3)
                .map(|i| (i, (want.get(i), got.get(i))))
                .collect();
            prop_assert!(
                diff.is_empty(),
                "journey {} (published {} historical {}): first differences (alone, together): {diff:#?}",
                p.journey.id, p.at, p.historical
            );
        }
    }

    /// Property 19.
    #[test]
    fn journeys_published_into_a_running_engine_run_as_if_alone(
        mix in mix(),
        (stream, until) in events(),
    ) {
        let shared = live(&mix, &stream, until);
        for (p, got) in mix.iter().zip(shared) {
            let want = if p.at <= until { alone(p, &stream, until) } else { Vec::new() };
            let first = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i));
            prop_assert!(
                first.is_none(),
                "journey {} (published {} historical {}): at #{first:?} alone {:?} live {:?}",
                p.journey.id, p.at, p.historical,
                first.and_then(|i| want.get(i)), first.and_then(|i| got.get(i))
            );
        }
    }

    /// Property 20.
    #[test]
    fn a_start_in_slices_gives_every_user_what_a_start_at_once_does(
        mix in mix(),
        (stream, until) in events(),
        slices in prop::collection::vec(0usize..3, 1..8),
    ) {
        let at_once = live(&mix, &stream, until);
        let sliced = live_sliced(&mix, &stream, until, &slices);
        for ((p, want), got) in mix.iter().zip(at_once).zip(sliced) {
            let (want, got) = (per_user(want), per_user(got));
            let first = want
                .keys()
                .chain(got.keys())
                .find(|&k| want.get(k) != got.get(k));
            prop_assert!(
                first.is_none(),
                "journey {} (published {} historical {}): user {first:?} at once {:?} in slices {:?}",
                p.journey.id, p.at, p.historical,
                first.and_then(|k| want.get(k)), first.and_then(|k| got.get(k))
            );
        }
    }
}
