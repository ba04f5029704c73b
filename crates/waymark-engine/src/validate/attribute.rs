//! Checks of computed attribute definitions (SPEC §5): one definition, and a set of them
//! as `--attributes` files hold them (`{"attributes": [...]}`).

use std::collections::HashMap;

use serde_json::Value;

use super::Limits;
use super::fields::{Checker, optional};
use super::problems::{Problem, field, index, repeated};
use crate::model::{Aggregate, ComputedAttribute};

const ATTRIBUTE_FIELDS: [&str; 6] = ["name", "event", "aggregate", "property", "within", "where"];

impl<'a> Checker<'a> {
    /// Checks one computed attribute at `path`; returns its name when it is a non-empty
    /// string.
    pub(super) fn computed_attribute(&mut self, doc: &'a Value, path: &str) -> Option<&'a str> {
        let map = self.strict_object(doc, path, "a computed attribute", &ATTRIBUTE_FIELDS)?;
        let name = self
            .required(map, path, "name")
            .and_then(|n| self.non_empty(n, &field(path, "name")));
        if let Some(event) = self.required(map, path, "event") {
            self.non_empty(event, &field(path, "event"));
        }
        let names: Vec<&'static str> = Aggregate::ALL.iter().map(|(_, n)| *n).collect();
        let aggregate = self.required(map, path, "aggregate").and_then(|a| {
            let path = field(path, "aggregate");
            self.choice(a, &path, "aggregate", &names, "unknown_aggregate")
        });
        match optional(map, "property") {
            Some(property) => {
                self.non_empty(property, &field(path, "property"));
            }
            None if aggregate.is_some_and(|a| a != "count") => {
                let message = format!(
                    "the `{}` aggregate needs a `property` to read",
                    aggregate.unwrap_or_default()
                );
                self.report(field(path, "property"), "missing_property", message);
            }
            None => {}
        }
        if let Some(within) = optional(map, "within") {
            self.duration(within, &field(path, "within"));
        }
        if let Some(filters) = map.get("where") {
            self.each(filters, &field(path, "where"), Self::filter);
        }
        name
    }
}

/// Every problem in one computed attribute definition (empty when it is valid).
pub fn validate_attribute(doc: &Value, limits: &Limits) -> Vec<Problem> {
    let mut checker = Checker::new(*limits);
    checker.computed_attribute(doc, "$");
    checker.problems
}

/// Every problem in a set of computed attributes, `{"attributes": [...]}` (other top-level
/// keys are ignored), `duplicate_attribute_name` included.
pub fn validate_attribute_set(doc: &Value, limits: &Limits) -> Vec<Problem> {
    let list = match doc.as_object().map(|m| m.get("attributes")) {
        None => {
            return vec![Problem::new(
                "$",
                "wrong_type",
                "expected an object with an `attributes` array",
            )];
        }
        Some(None) => {
            return vec![Problem::new(
                "$.attributes",
                "missing_field",
                "missing required field `attributes`",
            )];
        }
        Some(Some(list)) => list,
    };
    let Some(list) = list.as_array() else {
        return vec![Problem::new(
            "$.attributes",
            "wrong_type",
            "expected an array of computed attributes",
        )];
    };
    let mut problems = Vec::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, doc) in list.iter().enumerate() {
        let path = index("$.attributes", i);
        let mut checker = Checker::new(*limits);
        let name = checker.computed_attribute(doc, &path);
        problems.append(&mut checker.problems);
        if let Some(name) = name {
            problems.extend(repeated(
                &mut names,
                name,
                ("$.attributes", i),
                "name",
                "attribute name",
                "duplicate_attribute_name",
            ));
        }
    }
    problems
}

/// Parses and validates a set of computed attributes, `{"attributes": [...]}`.
///
/// Text that is not JSON gives one `invalid_json` problem at `$` naming the line and column.
pub fn load_attributes(
    text: &str,
    limits: &Limits,
) -> Result<Vec<ComputedAttribute>, Vec<Problem>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        vec![Problem::new(
            "$",
            "invalid_json",
            format!("not valid JSON: {e}"),
        )]
    })?;
    let problems = validate_attribute_set(&doc, limits);
    if !problems.is_empty() {
        return Err(problems);
    }
    let list = doc.get("attributes").cloned().unwrap_or(Value::Null);
    serde_json::from_value(list).map_err(|e| {
        vec![Problem::new(
            "$.attributes",
            "invalid_attribute",
            format!("not a valid computed attribute: {e}"),
        )]
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{load_attributes, validate_attribute, validate_attribute_set};
    use crate::model::Aggregate;
    use crate::validate::Limits;

    fn codes(problems: &[super::Problem]) -> Vec<(String, &'static str)> {
        problems.iter().map(|p| (p.path.clone(), p.code)).collect()
    }

    #[test]
    fn a_definition_needs_a_property_except_to_count() {
        let limits = Limits::default();
        let ok = json!({"name": "orders", "event": "Order Completed", "aggregate": "count"});
        assert!(validate_attribute(&ok, &limits).is_empty());
        let bad = json!({"name": "ltv", "event": "Order Completed", "aggregate": "sum",
                         "within": "2y", "where": [{"property": "x", "op": "nope"}]});
        assert_eq!(
            codes(&validate_attribute(&bad, &limits)),
            vec![
                ("$.property".to_string(), "missing_property"),
                ("$.within".to_string(), "invalid_duration"),
                ("$.where[0].op".to_string(), "unknown_operator"),
            ]
        );
        let unknown = json!({"name": "x", "event": "E", "aggregate": "median", "property": "p"});
        assert_eq!(
            codes(&validate_attribute(&unknown, &limits)),
            vec![("$.aggregate".to_string(), "unknown_aggregate")]
        );
    }

    #[test]
    fn a_set_refuses_repeated_names_and_loads_in_order() {
        let limits = Limits::default();
        let doc = json!({"attributes": [
            {"name": "a", "event": "E", "aggregate": "count"},
            {"name": "a", "event": "F", "aggregate": "count"}]});
        assert_eq!(
            codes(&validate_attribute_set(&doc, &limits)),
            vec![(
                "$.attributes[1].name".to_string(),
                "duplicate_attribute_name"
            )]
        );
        let text = r#"{"notes": 1, "attributes": [
            {"name": "ltv", "event": "Order Completed", "aggregate": "sum", "property": "total", "within": "365d"}]}"#;
        let loaded = load_attributes(text, &limits).unwrap();
        assert_eq!(loaded[0].aggregate, Aggregate::Sum);
        assert_eq!(loaded[0].within.map(|d| d.millis()), Some(365 * 86_400_000));
        assert_eq!(
            load_attributes("[", &limits).unwrap_err()[0].code,
            "invalid_json"
        );
        assert_eq!(
            codes(&validate_attribute_set(&json!({}), &limits)),
            vec![("$.attributes".to_string(), "missing_field")]
        );
    }
}
