//! Evaluating criteria over a sample: a fresh engine runs each criteria as a standalone
//! audience over the sampled profiles' events, replayed in arrival order, and settles at
//! the current time — the same evaluation a live audience gets, so event windows, traits,
//! consent, inputs and computed attributes all mean what they mean live. Standalone
//! audiences the criteria name with `member_of` run beside them in the same engine (their
//! membership is a function of the same events), so those criteria are estimated too.

use std::collections::HashSet;

use waymark_engine::model::{Audience, ComputedAttribute, Criteria, MemberTarget};
use waymark_engine::time::Millis;
use waymark_engine::{CompileError, Engine, Event};

use super::figure::Estimate;
use super::sample::{Member, Sample};

/// Criteria to estimate, each run as one audience.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    /// `workspace/input` ids whose events count; all when empty.
    pub(crate) inputs: Vec<String>,
    pub(crate) criteria: Criteria,
}

/// What the estimates read besides the sample: the workspace's computed attributes and
/// the standalone audiences `member_of` criteria may name.
pub(crate) struct Definitions<'a> {
    pub(crate) attributes: &'a [ComputedAttribute],
    pub(crate) audiences: &'a [Audience],
}

/// How many sample members meet each target's criteria at `now`.
pub(crate) fn counts(
    sample: &Sample,
    targets: &[Target],
    definitions: &Definitions<'_>,
    now: Millis,
) -> Result<Vec<u64>, CompileError> {
    let (engine, first) = run(sample, targets, definitions, now)?;
    Ok(engine.audience_sizes().split_off(first))
}

/// Up to `limit` sample members meeting the target's criteria at `now`, by key.
pub(crate) fn matching<'s>(
    sample: &'s Sample,
    target: &Target,
    definitions: &Definitions<'_>,
    now: Millis,
    limit: usize,
) -> Result<Vec<&'s Member>, CompileError> {
    let (engine, first) = run(sample, std::slice::from_ref(target), definitions, now)?;
    let mut keys: Vec<&str> = engine
        .audience_members(first as u16)
        .iter()
        .map(|m| engine.user_key(m.user))
        .collect();
    keys.sort_unstable();
    keys.truncate(limit);
    let mut members: Vec<&Member> = sample
        .members()
        .filter(|m| keys.binary_search(&m.key.as_str()).is_ok())
        .collect();
    members.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(members)
}

/// The engine over the sample with the named audiences and then every target as an
/// audience, settled at `now`, and the index of the first target's audience.
fn run(
    sample: &Sample,
    targets: &[Target],
    definitions: &Definitions<'_>,
    now: Millis,
) -> Result<(Engine, usize), CompileError> {
    let named = named_audiences(targets, definitions.audiences);
    let first = named.len();
    let audiences: Vec<Audience> = named
        .into_iter()
        .chain(targets.iter().enumerate().map(|(i, t)| Audience {
            id: format!("estimate-{i}"),
            name: format!("estimate {i}"),
            description: None,
            inputs: t.inputs.clone(),
            criteria: t.criteria.clone(),
            connections: Vec::new(),
        }))
        .collect();
    let mut engine = Engine::with_definitions(&[], &audiences, definitions.attributes)?;
    let criteria: Vec<&Criteria> = audiences.iter().map(|a| &a.criteria).collect();
    let relevant = Relevant::of(&criteria, definitions.attributes);
    let mut out = Vec::new();
    for (member, e) in sample.events_by_arrival(|e| relevant.keeps(e)) {
        engine.advance_to(e.received_at, &mut out);
        engine.apply_received(&member.key, &e.event, e.received_at, &mut out);
        // Transitions of a throwaway engine mean nothing.
        out.clear();
    }
    engine.advance_to(now, &mut out);
    Ok((engine, first))
}

/// The audiences the targets name with `member_of`, and those these name, and so on.
fn named_audiences(targets: &[Target], audiences: &[Audience]) -> Vec<Audience> {
    let look = |c: &Criteria, wanted: &mut Vec<usize>| {
        c.visit(&mut |c| {
            if let Criteria::MemberOf(m) = c
                && let MemberTarget::Audience { audience } = &m.target
                && let Some(i) = audiences.iter().position(|a| a.id == *audience)
                && !wanted.contains(&i)
            {
                wanted.push(i);
            }
        });
    };
    let mut wanted: Vec<usize> = Vec::new();
    for t in targets {
        look(&t.criteria, &mut wanted);
    }
    let mut next = 0;
    while let Some(&i) = wanted.get(next) {
        look(&audiences[i].criteria, &mut wanted);
        next += 1;
    }
    wanted.sort_unstable();
    wanted.into_iter().map(|i| audiences[i].clone()).collect()
}

/// Which events can change what the targets read: replaying only those (and each
/// member's first, so that everyone is counted) gives the same memberships for a
/// fraction of the work, as most events are named in no criteria.
#[derive(Debug, Default)]
struct Relevant {
    /// Event names that event conditions and computed attributes count.
    names: HashSet<String>,
    /// Trait conditions read every event that carries traits.
    traits: bool,
    /// Consent, input and time conditions read any event.
    every: bool,
}

impl Relevant {
    fn of(criteria: &[&Criteria], attributes: &[ComputedAttribute]) -> Self {
        let mut r = Relevant {
            names: attributes.iter().map(|a| a.event.clone()).collect(),
            ..Relevant::default()
        };
        for c in criteria {
            c.visit(&mut |c| match c {
                Criteria::Event(e) => {
                    r.names.insert(e.event.clone());
                }
                Criteria::Trait(_) => r.traits = true,
                Criteria::Consent(_) | Criteria::Input(_) => r.every = true,
                _ => {}
            });
        }
        r
    }

    fn keeps(&self, e: &Event) -> bool {
        self.every
            || (self.traits && !e.traits.is_empty())
            || e.name.as_ref().is_some_and(|n| self.names.contains(n))
    }
}

/// The estimates of the targets' counts, scaled to the sample's population.
pub(crate) fn scaled(sample: &Sample, counts: &[u64]) -> Vec<Estimate> {
    counts
        .iter()
        .map(|&c| Estimate::scaled(c, sample.len() as u64, sample.population() as u64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::sample::Arrival;
    use serde_json::{Value, json};
    use waymark_engine::Event;

    fn sample_of(events: &[(&str, &str, i64)]) -> Sample {
        let mut s = Sample::new(100);
        for (i, (user, name, at)) in events.iter().enumerate() {
            let event = Event {
                at: *at,
                name: Some(name.to_string()),
                properties: Value::Null,
                context: Value::Null,
                traits: Default::default(),
                input: Some("w/web".into()),
            };
            let profile = user.trim_start_matches('u').parse().unwrap();
            s.observe(&Arrival {
                seq: i as u64 + 1,
                profile,
                merged: &[],
                user_id: Some(user),
                anonymous_id: None,
                received_at: *at,
                event: &event,
            });
        }
        s
    }

    fn target(criteria: Value) -> Target {
        Target {
            inputs: Vec::new(),
            criteria: serde_json::from_value(criteria).unwrap(),
        }
    }

    #[test]
    fn event_conditions_no_journey_counts_are_evaluated_with_their_windows() {
        let day = 86_400_000;
        let s = sample_of(&[
            ("u1", "Bought", 0),
            ("u2", "Bought", 5 * day),
            ("u2", "Bought", 5 * day + 1),
            ("u3", "Viewed", 5 * day),
        ]);
        let targets = [
            target(json!({"event": "Bought"})),
            target(json!({"event": "Bought", "within": "2d"})),
            target(json!({"event": "Bought", "count": {"op": ">=", "value": 2}})),
            target(json!({"not": {"event": "Bought"}})),
        ];
        let none = Definitions {
            attributes: &[],
            audiences: &[],
        };
        assert_eq!(
            counts(&s, &targets, &none, 6 * day).unwrap(),
            vec![2, 1, 1, 1]
        );
        let found = matching(&s, &targets[0], &none, 6 * day, 1).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "u1");
    }

    fn audience(id: &str, criteria: Value) -> Audience {
        Audience {
            id: id.into(),
            name: id.into(),
            description: None,
            inputs: Vec::new(),
            criteria: serde_json::from_value(criteria).unwrap(),
            connections: Vec::new(),
        }
    }

    #[test]
    fn audiences_named_by_member_of_run_beside_the_targets() {
        let s = sample_of(&[
            ("u1", "Bought", 0),
            ("u2", "Bought", 1),
            ("u2", "Viewed", 2),
            ("u3", "Viewed", 3),
        ]);
        let audiences = [
            audience("buyers", json!({"event": "Bought"})),
            // Named only through `buyers_who_viewed`.
            audience(
                "buyers_who_viewed",
                json!({"all": [{"member_of": {"audience": "buyers"}, "is": true},
                               {"event": "Viewed"}]}),
            ),
            audience("unrelated", json!({"event": "Other"})),
        ];
        let definitions = Definitions {
            attributes: &[],
            audiences: &audiences,
        };
        let targets = [
            target(json!({"member_of": {"audience": "buyers"}, "is": true})),
            target(json!({"member_of": {"audience": "buyers"}, "is": false})),
            target(json!({"member_of": {"audience": "buyers_who_viewed"}, "is": true})),
        ];
        assert_eq!(
            counts(&s, &targets, &definitions, 10).unwrap(),
            vec![2, 1, 1]
        );
        let found = matching(&s, &targets[2], &definitions, 10, 5).unwrap();
        assert_eq!(
            found.iter().map(|m| m.key.as_str()).collect::<Vec<_>>(),
            ["u2"]
        );
        assert_eq!(named_audiences(&targets[2..], &audiences).len(), 2);
    }
}
