//! Checks of standalone audiences (SPEC §6): one audience document, and a set of them as
//! `waymark audiences` reads it (`{"audiences": [...]}`), where references between the
//! audiences are resolved too.

use std::collections::HashMap;

use serde_json::Value;

use super::Limits;
use super::criteria::Place;
use super::fields::{Checker, optional};
use super::problems::{Problem, field, index, quote, repeated};
use crate::audience_order::evaluation_order;
use crate::model::Audience;

const AUDIENCE_FIELDS: [&str; 6] = [
    "id",
    "name",
    "description",
    "inputs",
    "criteria",
    "connections",
];

impl<'a> Checker<'a> {
    /// Checks one audience document at `path`; returns its id when it is a non-empty string.
    pub(super) fn audience(&mut self, doc: &'a Value, path: &str) -> Option<&'a str> {
        let map = self.strict_object(doc, path, "an audience", &AUDIENCE_FIELDS)?;
        let id = self
            .required(map, path, "id")
            .and_then(|id| self.non_empty(id, &field(path, "id")));
        let name_path = field(path, "name");
        if let Some(name) = self
            .required(map, path, "name")
            .and_then(|name| self.non_empty(name, &name_path))
        {
            let (chars, limit) = (name.chars().count(), self.limits.journey_name_chars);
            if chars > limit {
                let message =
                    format!("the audience name is {chars} characters long; the limit is {limit}");
                self.report(name_path, "audience_name_too_long", message);
            }
        }
        if let Some(description) = optional(map, "description") {
            self.string(description, &field(path, "description"));
        }
        if let Some(inputs) = map.get("inputs") {
            self.strings(inputs, &field(path, "inputs"));
        }
        if let Some(criteria) = self.required(map, path, "criteria") {
            self.criteria(criteria, &field(path, "criteria"), Place::Entry);
        }
        self.connections(map, path);
        id
    }
}

/// Every problem in one audience document (empty when it is valid). References to other
/// audiences and journeys are not resolved here: the runtime checks them against what
/// exists when the audience is saved.
pub fn validate_audience(doc: &Value, limits: &Limits) -> Vec<Problem> {
    let mut checker = Checker::new(*limits);
    checker.audience(doc, "$");
    checker.problems
}

/// Every problem in a set of audiences, `{"audiences": [Audience, ...]}` (other top-level
/// keys are ignored), whose `attribute` criteria may name the computed attributes
/// `attributes`. Besides each audience's own problems: `duplicate_audience_id`;
/// `unknown_audience` (a `member_of` names an audience not in the set); `unknown_journey`
/// (a `member_of` names a journey step: a set of audiences holds no journeys);
/// `unknown_attribute`; `audience_cycle` (audiences whose `member_of` references loop back
/// to themselves).
pub fn validate_audience_set(doc: &Value, limits: &Limits, attributes: &[&str]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Some(map) = doc.as_object() else {
        problems.push(Problem::new(
            "$",
            "wrong_type",
            "expected an object with an `audiences` array",
        ));
        return problems;
    };
    let Some(list) = map.get("audiences") else {
        problems.push(Problem::new(
            "$.audiences",
            "missing_field",
            "missing required field `audiences`",
        ));
        return problems;
    };
    let Some(list) = list.as_array() else {
        problems.push(Problem::new(
            "$.audiences",
            "wrong_type",
            "expected an array of audiences",
        ));
        return problems;
    };
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut references = Vec::with_capacity(list.len());
    for (i, doc) in list.iter().enumerate() {
        let path = index("$.audiences", i);
        let mut checker = Checker::new(*limits);
        let id = checker.audience(doc, &path);
        problems.append(&mut checker.problems);
        if let Some(id) = id {
            problems.extend(repeated(
                &mut ids,
                id,
                ("$.audiences", i),
                "id",
                "audience id",
                "duplicate_audience_id",
            ));
        }
        for (path, name) in checker.attribute_refs {
            if !attributes.contains(&name) {
                let message = format!("no computed attribute is named {}", quote(name));
                problems.push(Problem::new(path, "unknown_attribute", message));
            }
        }
        for (path, journey) in checker.member_journeys {
            let message = format!(
                "`member_of` names journey {} but this file holds only audiences",
                quote(journey)
            );
            problems.push(Problem::new(path, "unknown_journey", message));
        }
        references.push(checker.member_audiences);
    }
    let mut deps = Vec::with_capacity(references.len());
    for refs in &references {
        let mut on = Vec::new();
        for (path, id) in refs {
            match ids.get(id) {
                Some(&target) => on.push(target),
                None => {
                    let message = format!(
                        "`member_of` names audience {} that is not in this file",
                        quote(id)
                    );
                    problems.push(Problem::new(path.clone(), "unknown_audience", message));
                }
            }
        }
        deps.push(on);
    }
    let (_, cyclic) = evaluation_order(&deps);
    for a in cyclic {
        let message = "this audience's `member_of` references lead back to itself";
        problems.push(Problem::new(
            index("$.audiences", a),
            "audience_cycle",
            message,
        ));
    }
    problems
}

/// Parses and validates a set of audiences, `{"audiences": [...]}`, whose `attribute`
/// criteria may name the computed attributes `attributes`; on success, the typed audiences
/// in file order.
///
/// Text that is not JSON gives one `invalid_json` problem at `$` naming the line and column.
pub fn load_audiences(
    text: &str,
    limits: &Limits,
    attributes: &[&str],
) -> Result<Vec<Audience>, Vec<Problem>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        vec![Problem::new(
            "$",
            "invalid_json",
            format!("not valid JSON: {e}"),
        )]
    })?;
    let problems = validate_audience_set(&doc, limits, attributes);
    if !problems.is_empty() {
        return Err(problems);
    }
    let list = doc.get("audiences").cloned().unwrap_or(Value::Null);
    serde_json::from_value(list).map_err(|e| {
        vec![Problem::new(
            "$.audiences",
            "invalid_audience",
            format!("not a valid audience: {e}"),
        )]
    })
}

#[cfg(test)]
#[path = "audience_tests.rs"]
mod tests;
