//! Evaluating criteria over a sample: a fresh engine runs each criteria as a standalone
//! audience over the sampled profiles' events, replayed in arrival order, and settles at
//! the current time — the same evaluation a live audience gets, so event windows, traits,
//! consent, inputs and computed attributes all mean what they mean live.

use std::collections::HashSet;

use waymark_engine::model::{Audience, ComputedAttribute, Criteria};
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

/// How many sample members meet each target's criteria at `now`.
pub(crate) fn counts(
    sample: &Sample,
    targets: &[Target],
    attributes: &[ComputedAttribute],
    now: Millis,
) -> Result<Vec<u64>, CompileError> {
    Ok(run(sample, targets, attributes, now)?.audience_sizes())
}

/// Up to `limit` sample members meeting the target's criteria at `now`, by key.
pub(crate) fn matching<'s>(
    sample: &'s Sample,
    target: &Target,
    attributes: &[ComputedAttribute],
    now: Millis,
    limit: usize,
) -> Result<Vec<&'s Member>, CompileError> {
    let engine = run(sample, std::slice::from_ref(target), attributes, now)?;
    let mut keys: Vec<&str> = engine
        .audience_members(0)
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

/// The engine over the sample with every target as an audience, settled at `now`.
fn run(
    sample: &Sample,
    targets: &[Target],
    attributes: &[ComputedAttribute],
    now: Millis,
) -> Result<Engine, CompileError> {
    let audiences: Vec<Audience> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| Audience {
            id: format!("estimate-{i}"),
            name: format!("estimate {i}"),
            description: None,
            inputs: t.inputs.clone(),
            criteria: t.criteria.clone(),
            connections: Vec::new(),
        })
        .collect();
    let mut engine = Engine::with_definitions(&[], &audiences, attributes)?;
    let relevant = Relevant::of(targets, attributes);
    let mut out = Vec::new();
    for (member, e) in sample.events_by_arrival(|e| relevant.keeps(e)) {
        engine.advance_to(e.received_at, &mut out);
        engine.apply_received(&member.key, &e.event, e.received_at, &mut out);
        // Transitions of a throwaway engine mean nothing.
        out.clear();
    }
    engine.advance_to(now, &mut out);
    Ok(engine)
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
    fn of(targets: &[Target], attributes: &[ComputedAttribute]) -> Self {
        let mut r = Relevant {
            names: attributes.iter().map(|a| a.event.clone()).collect(),
            ..Relevant::default()
        };
        for t in targets {
            t.criteria.visit(&mut |c| match c {
                Criteria::Event(e) => {
                    r.names.insert(e.event.clone());
                }
                Criteria::Trait(_) => r.traits = true,
                Criteria::Consent(_) | Criteria::Input(_) | Criteria::MemberOf(_) => r.every = true,
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
        assert_eq!(
            counts(&s, &targets, &[], 6 * day).unwrap(),
            vec![2, 1, 1, 1]
        );
        let found = matching(&s, &targets[0], &[], 6 * day, 1).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "u1");
    }
}
