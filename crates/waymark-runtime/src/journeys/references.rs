//! What a journey names outside itself — inputs, outputs, other journeys' steps, audiences,
//! computed attributes — checked against what exists and what the journey's owner may see
//! (SPEC §1, §9). Inputs are resolved once, when a definition is written, to
//! `workspace/input` ids, so that later inputs never silently widen a journey; the other
//! references may sit in a draft (its view lists them) but publishing refuses them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};
use waymark_engine::model::{Criteria, Journey, MemberTarget, Step};

use crate::RuntimeError;
use crate::audiences::AudienceDoc;
use crate::journeys::JourneyDoc;
use crate::journeys::rules;
use crate::outputs::OutputDoc;
use crate::owner::Owner;

/// One reference that does not resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable code: `unknown_input`, `unknown_output`, `unknown_journey`, `unknown_step`,
    /// `unknown_audience`, `unknown_attribute`.
    pub code: &'static str,
    /// What is named, as the journey names it.
    pub name: String,
    /// Why it does not resolve.
    pub message: String,
}

/// Rewrites `definition["inputs"]` to `workspace/input` ids for a journey made by `owner`.
/// A bare id means the owner's workspace only; for the account, every workspace that has an
/// input with that id now. A qualified id must exist and be visible to the owner. Every
/// unknown id is named in the error.
pub fn resolve_inputs(
    definition: &mut Value,
    owner: &Owner,
    existing: &[String],
) -> Result<(), RuntimeError> {
    let Some(selected) = definition.get("inputs").and_then(Value::as_array) else {
        return Ok(());
    };
    let mut resolved: Vec<String> = Vec::new();
    let mut unknown: Vec<Problem> = Vec::new();
    for name in selected.iter().filter_map(Value::as_str) {
        let matches: Vec<&String> = existing
            .iter()
            .filter(|full| input_matches(full, name, owner))
            .collect();
        if matches.is_empty() {
            unknown.push(Problem {
                code: "unknown_input",
                name: name.to_string(),
                message: format!("input `{name}` does not exist{}", scope_note(owner)),
            });
        }
        for full in matches {
            if !resolved.contains(full) {
                resolved.push(full.clone());
            }
        }
    }
    if !unknown.is_empty() {
        return Err(refusal(unknown));
    }
    definition["inputs"] = json!(resolved);
    Ok(())
}

fn scope_note(owner: &Owner) -> String {
    match owner {
        Owner::Account => String::new(),
        Owner::Workspace(ws) => format!(" in workspace `{ws}`"),
    }
}

/// Whether the existing `workspace/input` id `full` is what `name` means for `owner`.
fn input_matches(full: &str, name: &str, owner: &Owner) -> bool {
    let Some((ws, id)) = full.split_once('/') else {
        return false;
    };
    let visible = owner.workspace().is_none_or(|own| own == ws);
    visible
        && match name.split_once('/') {
            Some(_) => full == name,
            None => id == name,
        }
}

/// What exists, for a definition's references to be checked against.
pub struct Known<'a> {
    /// Every output.
    pub outputs: &'a BTreeMap<String, OutputDoc>,
    /// Every stored journey.
    pub journeys: &'a [JourneyDoc],
    /// Every standalone audience (not deleted).
    pub audiences: &'a [AudienceDoc],
    /// The computed attributes defined in every workspace the definition reads.
    pub attributes: &'a BTreeSet<String>,
    /// Every `workspace/input`.
    pub inputs: &'a [String],
}

/// What a journey names — outputs of connections, inputs, `member_of` journeys, steps
/// and audiences, computed attributes — that does not exist in `known` or that `owner` may
/// not use.
pub fn problems(
    journey_id: &str,
    journey: &Journey,
    owner: &Owner,
    known: &Known<'_>,
) -> Vec<Problem> {
    let Known {
        outputs,
        journeys,
        audiences,
        attributes,
        inputs: existing_inputs,
    } = *known;
    let mut out = Vec::new();
    for output in rules::outputs_named(journey) {
        match outputs.get(&output) {
            Some(doc) if owner.may_use(&doc.owner) => {}
            _ => out.push(Problem {
                code: "unknown_output",
                message: format!(
                    "a connection names output `{output}`, which does not exist{}",
                    scope_note(owner)
                ),
                name: output,
            }),
        }
    }
    for input in &journey.inputs {
        if !existing_inputs
            .iter()
            .any(|full| input_matches(full, input, owner))
        {
            out.push(Problem {
                code: "unknown_input",
                name: input.clone(),
                message: format!("input `{input}` does not exist{}", scope_note(owner)),
            });
        }
    }
    let own_steps: Vec<String> = rules::steps(journey)
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    let mut criteria: Vec<&Criteria> = Vec::new();
    collect_journey(journey, &mut criteria);
    for c in criteria {
        match c {
            Criteria::MemberOf(m) => match &m.target {
                MemberTarget::Step { journey, step } => {
                    out.extend(step_problem(
                        journey_id, &own_steps, journey, step, owner, journeys,
                    ));
                }
                MemberTarget::Audience { audience } => {
                    let known = audiences
                        .iter()
                        .any(|a| a.id == *audience && owner.may_use(&a.owner));
                    if !known {
                        out.push(Problem {
                            code: "unknown_audience",
                            name: audience.clone(),
                            message: format!(
                                "audience `{audience}` does not exist{}",
                                scope_note(owner)
                            ),
                        });
                    }
                }
            },
            Criteria::Attribute(a) if !attributes.contains(&a.attribute) => out.push(Problem {
                code: "unknown_attribute",
                name: a.attribute.clone(),
                message: format!(
                    "computed attribute `{}` is not defined in every workspace this reads",
                    a.attribute
                ),
            }),
            _ => {}
        }
    }
    out.sort_by(|a, b| (a.code, &a.name).cmp(&(b.code, &b.name)));
    out.dedup();
    out
}

/// The problem with `member_of {journey, step}`, if any: the journey must exist and be
/// visible to `owner` (or be this journey, whose steps are `own_steps`), and the step must
/// be in its latest version (a draft the engine's model does not read has no steps to name).
fn step_problem(
    this_journey: &str,
    own_steps: &[String],
    journey: &str,
    step: &str,
    owner: &Owner,
    journeys: &[JourneyDoc],
) -> Option<Problem> {
    let steps: Vec<String> = if journey == this_journey {
        own_steps.to_vec()
    } else {
        match journeys
            .iter()
            .find(|j| j.id == journey && owner.may_use(&j.owner))
        {
            Some(j) => match j.latest().definition.model() {
                Ok(latest) => rules::steps(&latest)
                    .iter()
                    .map(|s| s.id.to_string())
                    .collect(),
                Err(_) => Vec::new(),
            },
            None => {
                return Some(Problem {
                    code: "unknown_journey",
                    name: journey.to_string(),
                    message: format!(
                        "`member_of` names journey `{journey}`, which does not exist{}",
                        scope_note(owner)
                    ),
                });
            }
        }
    };
    (!steps.iter().any(|s| s == step)).then(|| Problem {
        code: "unknown_step",
        name: format!("{journey}/{step}"),
        message: format!(
            "`member_of` names step `{step}`, which journey `{journey}` does not have"
        ),
    })
}

/// Whether a journey names standalone audience `id` with `member_of`.
pub fn names_audience(journey: &Journey, id: &str) -> bool {
    let mut found = false;
    each_criterion(journey, &mut |c| {
        found |= matches!(c, Criteria::MemberOf(m)
            if matches!(&m.target, MemberTarget::Audience { audience } if audience == id));
    });
    found
}

/// Calls `look` with every leaf criterion of a journey (entry, exit, goal, steps), inside
/// `all`, `any` and `not` groups.
pub fn each_criterion(journey: &Journey, look: &mut impl FnMut(&Criteria)) {
    let mut criteria = Vec::new();
    collect_journey(journey, &mut criteria);
    criteria.into_iter().for_each(look);
}

fn collect_journey<'a>(journey: &'a Journey, out: &mut Vec<&'a Criteria>) {
    if let Some(c) = &journey.entry.criteria {
        collect(c, out);
    }
    if let Some(c) = &journey.settings.exit {
        collect(c, out);
    }
    if let Some(goal) = &journey.settings.goal {
        collect(&goal.criteria, out);
    }
    for step in &journey.entry.steps {
        collect_step(step, out);
    }
}

fn collect_step<'a>(step: &'a Step, out: &mut Vec<&'a Criteria>) {
    if let Some(c) = &step.criteria {
        collect(c, out);
    }
    for child in &step.steps {
        collect_step(child, out);
    }
}

fn collect<'a>(criteria: &'a Criteria, out: &mut Vec<&'a Criteria>) {
    match criteria {
        Criteria::All(parts) | Criteria::Any(parts) => {
            for p in parts {
                collect(p, out);
            }
        }
        Criteria::Not(part) => collect(part, out),
        other => out.push(other),
    }
}

/// The 422 that refuses a journey for its problems, each one listed.
pub fn refusal(problems: Vec<Problem>) -> RuntimeError {
    let first = &problems[0];
    let mut e = RuntimeError::invalid(
        first.code,
        if problems.len() == 1 {
            first.message.clone()
        } else {
            format!(
                "{} references do not resolve; the first: {}",
                problems.len(),
                first.message
            )
        },
    );
    e.details = Some(json!(problems));
    e
}
