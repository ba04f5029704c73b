//! A journey's steps as criteria (SPEC §7, §10): a step's audience is the users who meet
//! the conjunction of the guards on its path from the entry. The estimator evaluates that
//! conjunction over the sample now, which approximates the live journey thus:
//! - waits are taken as passed, and `since` on event conditions as "ever" (the sample has
//!   no entry or step times);
//! - among siblings under `wait`, `decide` and `live` branching, a child holds its guard
//!   and none of the guards left of it (leftmost wins); under `all`, its own guard only;
//!   `remaining` holds none of its siblings' guards; `wait`, `send` and `exit` children
//!   pass at once (their guard holds for everyone);
//! - under `random`, every child inherits its parent's audience scaled by
//!   `weight / Σ weights`; below the entry, by `1 − control percent / 100` too (control
//!   users are at no step below the entry);
//! - goals, exit criteria, time limits and re-entry are not modelled.

use waymark_engine::model::{Branching, Criteria, Journey, Step, StepKind};

use super::evaluate::Target;

/// One step's criteria and the share of those meeting them that reaches it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StepPlan {
    pub(crate) step: String,
    pub(crate) target: Target,
    pub(crate) share: f64,
}

/// One top-level criterion of a milestone, conjoined with its path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CriterionPlan {
    pub(crate) step: String,
    pub(crate) target: Target,
    pub(crate) share: f64,
}

/// Every step's plan (entry first, depth first) and every milestone's criteria plans.
pub(crate) fn plan(journey: &Journey) -> (Vec<StepPlan>, Vec<CriterionPlan>) {
    let entry = journey
        .entry
        .criteria
        .clone()
        .map_or(Criteria::Everyone, without_since);
    let mut steps = vec![StepPlan {
        step: journey.entry.id.clone(),
        target: target(journey, entry.clone()),
        share: 1.0,
    }];
    let control = journey
        .settings
        .control_group
        .as_ref()
        .map_or(0.0, |c| c.percent);
    let mut criteria = Vec::new();
    let mut walk = Walk {
        journey,
        steps: &mut steps,
        criteria: &mut criteria,
    };
    walk.children(
        &entry,
        1.0 - control / 100.0,
        journey.entry.branching,
        &journey.entry.steps,
    );
    (steps, criteria)
}

struct Walk<'a> {
    journey: &'a Journey,
    steps: &'a mut Vec<StepPlan>,
    criteria: &'a mut Vec<CriterionPlan>,
}

impl Walk<'_> {
    fn children(&mut self, path: &Criteria, share: f64, branching: Branching, kids: &[Step]) {
        let total: u32 = kids.iter().map(|k| k.weight.unwrap_or(0)).sum();
        let guards: Vec<Criteria> = kids.iter().map(guard).collect();
        for (i, kid) in kids.iter().enumerate() {
            let (own, kid_share) = match branching {
                Branching::Random if total > 0 => (
                    guards[i].clone(),
                    share * f64::from(kid.weight.unwrap_or(0)) / f64::from(total),
                ),
                Branching::Random => (Criteria::All(Vec::new()), 0.0),
                _ if kid.kind == StepKind::Remaining => (
                    Criteria::Not(Box::new(Criteria::Any(
                        kids.iter()
                            .zip(&guards)
                            .filter(|(k, _)| k.kind != StepKind::Remaining)
                            .map(|(_, g)| g.clone())
                            .collect(),
                    ))),
                    share,
                ),
                Branching::All => (guards[i].clone(), share),
                _ => {
                    let mut parts: Vec<Criteria> = guards[..i]
                        .iter()
                        .map(|g| Criteria::Not(Box::new(g.clone())))
                        .collect();
                    parts.push(guards[i].clone());
                    (Criteria::All(parts), share)
                }
            };
            let conj = Criteria::All(vec![path.clone(), own]);
            if kid.kind == StepKind::Milestone {
                let parts = match kid.criteria.clone().map(without_since) {
                    Some(Criteria::All(parts)) => parts,
                    Some(c) => vec![c],
                    None => Vec::new(),
                };
                for part in parts {
                    self.criteria.push(CriterionPlan {
                        step: kid.id.clone(),
                        target: target(self.journey, Criteria::All(vec![path.clone(), part])),
                        share: kid_share,
                    });
                }
            }
            self.steps.push(StepPlan {
                step: kid.id.clone(),
                target: target(self.journey, conj.clone()),
                share: kid_share,
            });
            self.children(&conj, kid_share, kid.branching, &kid.steps);
        }
    }
}

/// A step's guard: a milestone's criteria; `wait`, `send` and `exit` steps pass at once.
fn guard(step: &Step) -> Criteria {
    match (step.kind, &step.criteria) {
        (StepKind::Milestone, Some(c)) => without_since(c.clone()),
        _ => Criteria::Everyone,
    }
}

fn target(journey: &Journey, criteria: Criteria) -> Target {
    Target {
        inputs: journey.inputs.clone(),
        criteria,
    }
}

/// The criteria with every event condition's `since` dropped.
fn without_since(c: Criteria) -> Criteria {
    match c {
        Criteria::All(parts) => Criteria::All(parts.into_iter().map(without_since).collect()),
        Criteria::Any(parts) => Criteria::Any(parts.into_iter().map(without_since).collect()),
        Criteria::Not(inner) => Criteria::Not(Box::new(without_since(*inner))),
        Criteria::Event(mut e) => {
            e.since = None;
            Criteria::Event(e)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn journey(steps: serde_json::Value, branching: &str) -> Journey {
        serde_json::from_value(json!({
            "id": "j", "name": "J",
            "entry": {"id": "entry", "name": "E", "criteria": {"event": "Signed Up"},
                      "branching": branching, "steps": steps},
        }))
        .unwrap()
    }

    fn crit(v: serde_json::Value) -> Criteria {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn leftmost_wins_and_remaining_holds_no_sibling() {
        let j = journey(
            json!([
                {"id": "a", "name": "A", "type": "milestone",
                 "criteria": {"all": [{"event": "A"}, {"event": "B", "since": "entry"}]}},
                {"id": "r", "name": "R", "type": "remaining"},
            ]),
            "decide",
        );
        let (steps, criteria) = plan(&j);
        let entry = crit(json!({"event": "Signed Up"}));
        let a = crit(json!({"all": [{"event": "A"}, {"event": "B"}]}));
        assert_eq!(steps.len(), 3);
        assert_eq!(
            steps[1].target.criteria,
            Criteria::All(vec![entry.clone(), Criteria::All(vec![a.clone()])])
        );
        assert_eq!(
            steps[2].target.criteria,
            Criteria::All(vec![
                entry.clone(),
                Criteria::Not(Box::new(Criteria::Any(vec![a])))
            ])
        );
        assert_eq!(criteria.len(), 2);
        assert_eq!(
            criteria[1].target.criteria,
            Criteria::All(vec![entry, crit(json!({"event": "B"}))])
        );
    }

    #[test]
    fn random_children_share_by_weight() {
        let j = journey(
            json!([
                {"id": "a", "name": "A", "type": "send", "weight": 1},
                {"id": "b", "name": "B", "type": "send", "weight": 3},
            ]),
            "random",
        );
        let (steps, _) = plan(&j);
        assert_eq!(steps[1].share, 0.25);
        assert_eq!(steps[2].share, 0.75);
    }
}
